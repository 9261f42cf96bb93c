// Module resolution for running lockdrop from a checkout of its repository, where
// "lockdrop/model" and "lockdrop/vitest" must be the TypeScript sources the command runs
// from, never dist/, so that a design file's `import ... from "lockdrop/model"` loads the
// same modules and a stale or missing dist/ plays no part. cli/bin.mjs and
// engine/hooks.mjs (every worker thread's bootstrap) call useSources() when the sources
// are there.
import { readFileSync, realpathSync } from "node:fs";
import Module, { register } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

// The hook that node:module register() runs for `import`: adds the "lockdrop-source"
// export condition, under which package.json maps both to the sources.
export async function resolve(specifier, context, nextResolve) {
  return nextResolve(specifier, {
    ...context,
    conditions: [...context.conditions, "lockdrop-source"],
  });
}

const root = realpathSync(fileURLToPath(new URL("..", import.meta.url)));
/** "lockdrop/model" -> its source, as package.json's "lockdrop-source" conditions say. */
function sourcesOf() {
  const { exports } = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  const out = {};
  for (const [sub, entry] of Object.entries(exports))
    if (typeof entry === "object" && typeof entry["lockdrop-source"] === "string")
      out[`lockdrop${sub.slice(1)}`] = join(root, entry["lockdrop-source"]);
  return out;
}

// `import` goes through the hook above; `require()`, which a CommonJS design file uses
// (a .ts file in a package without "type": "module" that links this checkout, as
// `npm install <checkout>` does), never does, and would load dist/. Where "lockdrop"
// is this checkout, require() gets the sources too (tsx's CommonJS hook, registered
// before, loads them as the same ES modules that `import` loads).
export function useSources() {
  register("./source-condition.mjs", import.meta.url);
  const sources = sourcesOf();
  const resolveFilename = Module._resolveFilename;
  Module._resolveFilename = function (request, parent, isMain, options) {
    if (Object.hasOwn(sources, request)) {
      let here = false;
      try {
        const manifest = resolveFilename.call(
          this,
          "lockdrop/package.json",
          parent,
          isMain,
          options,
        );
        here = realpathSync(dirname(manifest)) === root;
      } catch {
        // not resolvable from there: resolve the request as it is, below
      }
      if (here) return sources[request];
    }
    return resolveFilename.call(this, request, parent, isMain, options);
  };
}
