// How a search runs on several threads (engine/exhaustive-parallel.ts), as the options
// that say so: apart from the search itself, whose module names Node's worker threads,
// so that lockdrop's declarations (engine/verdicts.ts, and through it lockdrop/vitest)
// type-check in a project without Node's types.

import type { SetupSource } from "./pair-source.js";

/** How to search on several threads: how many, and how each builds the setup again. */
export interface ParallelOptions {
  readonly workers: number;
  /** the design, scenario (and design files) the other threads load */
  readonly source: SetupSource;
  /** each other thread's heap limit, in MiB */
  readonly heapMiB?: number;
  /**
   * engine/verdicts.ts: search on one thread first, and on several only once the
   * search passes this many states (default PARALLEL_FROM)
   */
  readonly from?: number;
  /**
   * engine/verdicts.ts: or once it passes this many states with its layers still
   * widening (default PARALLEL_GROWING_FROM; `HandOverRule.growingAt`)
   */
  readonly growingFrom?: number;
  /**
   * Tests: the shared table's first size (2^bits slots, default 2^16) and the room kept
   * beyond `fan` steps per state of the next layer (default 4096), small to make it grow
   * often.
   */
  readonly table?: {
    readonly bits: number;
    readonly slack: number;
    /** room kept per state of a layer for the next one, instead of the learnt bound */
    readonly perState?: number;
  };
}
