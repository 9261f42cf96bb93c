// What the worker threads of `check` and `matrix` need to load a user's design file
// again: the module that loads it (the engine does not import api/), and the heap a
// worker may use before it is stopped with a message instead of a crash.

import { totalmem } from "node:os";

/** The module a worker loads design files with. */
export const DESIGN_LOADER = import.meta.resolve("../api/design-file.js");

/**
 * The memory of each of `workers` searches that run at once: --max-memory, or by
 * default 60% of the machine's memory shared among them, so that a search too large
 * to fit stops as unknown rather than taking the machine down. The exhaustive search
 * stops when its heap and typed arrays pass `searchMiB`; the worker's heap limit is set
 * above it, with room for the layer being expanded, so that the search, not the heap,
 * decides.
 */
export function memoryBudget(
  maxMemory: number | undefined,
  workers: number,
): { readonly searchMiB: number; readonly heapMiB: number; readonly memoryMiB: number } {
  const searchMiB = maxMemory ?? Math.floor((0.6 * totalmem()) / 2 ** 20 / Math.max(1, workers));
  return {
    searchMiB,
    memoryMiB: searchMiB,
    heapMiB: searchMiB + Math.max(512, Math.ceil(searchMiB / 4)),
  };
}
