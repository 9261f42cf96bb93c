// The heartbeat the search threads write for the command's watchdog (engine/parallel.ts):
// per thread, on a cache line of its own (no two threads write one word on every step),
// [0] the steps it has started and [1] the label of the step it is in, as an index into
// the table of the pair's programs' labels, which every thread builds alike, or -1
// while it is in no step (it waits for the other threads of a parallel search).
import { setStepProbe } from "./exec.js";

/** 32-bit words per thread: one cache line */
const SLOT = 16;
/** threads a beat has room for: the most --workers allows (cli/errors.ts) */
export const BEAT_THREADS = 256;

/** A beat for up to BEAT_THREADS threads, every one in no step. */
export function newBeat(): Int32Array {
  const beat = new Int32Array(new SharedArrayBuffer(4 * SLOT * BEAT_THREADS));
  for (let k = 0; k < BEAT_THREADS; k++) beat[k * SLOT + 1] = -1;
  return beat;
}

/** The steps started on every thread of `beat`. */
export function beatSteps(beat: Int32Array): number {
  let n = 0;
  for (let k = 0; k < BEAT_THREADS; k++) n += Atomics.load(beat, k * SLOT);
  return n;
}

/**
 * The label of the step some thread of `beat` is in (the first thread's first: it is
 * the only one outside a parallel search), or -1.
 */
export function beatLabel(beat: Int32Array): number {
  for (let k = 0; k < BEAT_THREADS; k++) {
    const label = Atomics.load(beat, k * SLOT + 1);
    if (label >= 0) return label;
  }
  return -1;
}

let mine: Int32Array | null = null;
let mySlot = 0;

/** This thread waits for others, in no step (engine/exhaustive-parallel.ts barriers). */
export function beatIdle(): void {
  if (mine !== null) Atomics.store(mine, mySlot + 1, -1);
}

/** Threads 1 to n - 1 of `beat` in no step (a parallel search about to start them). */
export function beatReset(beat: Int32Array, n: number): void {
  for (let k = 1; k < Math.min(n, BEAT_THREADS); k++) Atomics.store(beat, k * SLOT + 1, -1);
}

type Steps = Readonly<Record<string, { readonly steps: object }>>;

/** The pair's labels as (program, label) in a fixed order, and each one's index. */
export function labelTable(programs: Steps): {
  readonly table: [string, string][];
  readonly index: ReadonlyMap<string, ReadonlyMap<string, number>>;
} {
  const table: [string, string][] = [];
  const index = new Map<string, Map<string, number>>();
  for (const [id, p] of Object.entries(programs)) {
    const m = new Map<string, number>();
    for (const label of Object.keys(p.steps)) {
      m.set(label, table.length);
      table.push([id, label]);
    }
    index.set(id, m);
  }
  return { table, index };
}

/** Count every step of this thread (thread `k` of a search) in `beat`, and note its label. */
export function beatEachStep(beat: Int32Array, programs: Steps, k = 0): void {
  const { index } = labelTable(programs);
  const at = (k % BEAT_THREADS) * SLOT;
  mine = beat;
  mySlot = at;
  setStepProbe((program, label) => {
    // (an add, not a store of a read: a search on more threads than slots shares one,
    // and still counts every step)
    Atomics.add(beat, at, 1);
    Atomics.store(beat, at + 1, index.get(program)?.get(label) ?? 0);
  });
}
