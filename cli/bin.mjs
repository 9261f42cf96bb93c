#!/usr/bin/env -S node --max-semi-space-size=64
// Entry point of the `lockdrop` command. The larger young generation (V8's default
// semi-space is 16 MiB) makes exploration, which allocates a world per step and drops
// most at once, 15-20% faster (bench/).
//
// An installed package runs the compiled dist/cli/main.js. A checkout of the repository
// (cli/main.ts is next to this file; the package ships no .ts sources) runs the sources
// through tsx and never dist/: `npm ci` builds dist/ but nothing rebuilds it when a source
// changes, so a stale build must not shadow the sources (engine/source-condition.mjs makes
// design files' `lockdrop/model` the sources too). tsx is registered either way, since
// design files are TypeScript: for ES modules, and for CommonJS, which a .ts file is in a
// package without "type": "module".
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { register as registerTsxCjs } from "tsx/cjs/api";
import { register as registerTsx } from "tsx/esm/api";

const fromSources = existsSync(new URL("./main.ts", import.meta.url));
registerTsx();
registerTsxCjs();
// api/design-file.ts registers them itself where nothing has
globalThis[Symbol.for("lockdrop.tsx")] = true;
// registered after tsx, so that it runs first and tsx resolves with the condition
if (fromSources) (await import("../engine/source-condition.mjs")).useSources();
const main = new URL(fromSources ? "./main.ts" : "../dist/cli/main.js", import.meta.url);
if (!existsSync(main)) {
  console.error(
    `lockdrop: this install has no build (${fileURLToPath(main)} is missing). An install from git builds it in lockdrop's prepare script, which npm runs for a git dependency only when allowed. Fix: allow it (\`npm install-scripts approve lockdrop\`, or "allowScripts": { "lockdrop": true } in package.json) and install again, or install a packed tarball, which ships the build.`,
  );
  process.exit(2);
}
await import(main.href);
