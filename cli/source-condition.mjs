// Module resolution hook (node:module register()) for running lockdrop from a checkout
// of its repository: adds the "lockdrop-source" export condition, under which
// package.json maps "lockdrop/model" and "lockdrop/vitest" to the TypeScript sources
// instead of dist/. A design file's `import ... from "lockdrop/model"` then loads the
// same modules the command runs from, and a stale or missing dist/ plays no part.
// cli/bin.mjs and properties/parallel-worker.mjs register it when the sources are there.
export async function resolve(specifier, context, nextResolve) {
  return nextResolve(specifier, {
    ...context,
    conditions: [...context.conditions, "lockdrop-source"],
  });
}
