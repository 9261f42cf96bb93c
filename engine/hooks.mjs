// Module hooks for a worker thread, set up the way cli/bin.mjs starts the command (they
// are not inherited by worker threads): tsx (ESM and CommonJS) for design files, and in
// a checkout of the repository the "lockdrop-source" condition, so that the worker's
// own modules load compiled (dist/) or as TypeScript (tsx finds the .ts for a .js).
import { existsSync } from "node:fs";
import { register as registerTsxCjs } from "tsx/cjs/api";
import { register as registerTsx } from "tsx/esm/api";

registerTsx();
registerTsxCjs();
// api/design-file.ts registers them itself where nothing has
globalThis[Symbol.for("lockdrop.tsx")] = true;
if (existsSync(new URL("./exec.ts", import.meta.url)))
  (await import("./source-condition.mjs")).useSources();
