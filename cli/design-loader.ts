// What the worker threads of `check` and `matrix` need to load a user's design file
// again: the module that loads it (the engine does not import api/), and the heap a
// worker may use before it is stopped with a message instead of a crash.

/** The module a worker loads design files with. */
export const DESIGN_LOADER = import.meta.resolve("../api/design-file.js");

/** A worker's heap limit when --max-memory does not set one. */
export const DEFAULT_WORKER_HEAP_MIB = 8192;
