// The exhaustive search on several threads: the breadth-first search of
// engine/exhaustive.ts, each layer dealt out among N threads, with the visited set in
// shared memory, and the same results as the search on one thread (states, transitions,
// verdicts and the very same shortest counterexamples), whatever N is.
//
// - A state is kept as a 128-bit hash of its collapsed encoding (engine/collapse.ts
//   `hash`; strings are interned in one table shared by the threads,
//   engine/shared-strings.ts, so equal worlds hash alike in every thread) in an
//   open-addressing table in a SharedArrayBuffer, claimed with compare-and-swap.
// - The order is the one-thread search's. A layer is a sequence of states in the order
//   they were met; thread k expands a contiguous stretch of it. A state met for the
//   first time in this layer belongs to its first finder in that order: the least
//   parent (a compare-and-swap keeps the least), and of that parent's steps the first,
//   which its own thread sees. So each thread keeps what it found first, and the next
//   layer, each thread's finds in order one after another, is again in the one-thread
//   order. Then the stretches are evened out: a thread with more than its share sends
//   the surplus at the ends of its stretch to its neighbours (the worlds cross by
//   structured clone; only the surplus does). A state's number in the search tree is
//   its place in that order, as on one thread.
// - Per layer, four barriers: after the expansion; after each thread has counted the
//   states it keeps; after each has numbered them and sent its surplus; after each has
//   taken what it was sent (and the first thread has grown the table if it was filling).
// - Violations and liveness edges come back to the first thread, which reads the
//   search tree from the table (each state's number, least parent and step), and
//   replays the counterexamples as the one-thread search does
//   (engine/exhaustive.ts counterexamplesOf).
//
// Not with sleep sets, a preemption bound, shards or edge coverage: those run on one
// thread (engine/verdicts.ts says so in the row's search facts).

import {
  MessageChannel,
  type MessagePort,
  receiveMessageOnPort,
  Worker,
} from "node:worker_threads";
import { DesignError, PropertyCheckError } from "../model/step.js";
import type { World } from "../model/world.js";
import type { Monitor, Property } from "../properties/property.js";
import { Collapser } from "./collapse.js";
import { enabledThreads, stepToKeep } from "./exec.js";
import type {
  ExhaustiveCounterexample,
  ExhaustiveOptions,
  ExhaustiveResult,
  HandOver,
  HandOverSeed,
  LassoWatch,
  Pending,
  StatesData,
} from "./exhaustive.js";
import {
  counterexamplesOf,
  endMessages,
  heapBytes,
  lassoWatches,
  load,
  monitorsFor,
  monitorText,
  save,
  saveOver,
  stepMonitors,
  Tree,
} from "./exhaustive.js";
import { shareInterning } from "./fingerprint.js";
import { fairToOthers, idleBits } from "./lasso.js";
import { MonitorHash } from "./monitor-hash.js";
import { nativeShapes } from "./native-shapes.js";
import type { SetupSource } from "./pair-source.js";
import type { ParallelOptions } from "./parallel-options.js";
import { Records, type RecordsData } from "./records.js";
import type { Setup } from "./run.js";
import { mayComplete } from "./run.js";
import type { SharedStringsBuffer } from "./shared-strings.js";
import { sharedStringsBuffer } from "./shared-strings.js";
import { beatIdle, beatReset } from "./step-beat.js";

/**
 * Below this many states a search stays on one thread (with exact states), unless its
 * layers still widen past PARALLEL_GROWING_FROM, and past it it is handed over to the
 * threads at the end of the layer: on a 2-core machine two threads of one search gain
 * nothing below about a million states (README, "Exhaustive search").
 */
export const PARALLEL_FROM = 500_000;

/**
 * A search whose layers still widen when it passes this many states is handed over
 * then, at the end of a layer that is the widest so far: likely to end past twice the
 * states it has met (breadth-first layers widen, then narrow), it gains from the second
 * thread sooner (v2 on `two-vmas`, 1,080,175 states, through `check`: 0.90x the time
 * of the hand-over at PARALLEL_FROM). Not lower: at 250,000, v5 on `two-vmas`, widest
 * at 258,152 states and done at 416,695, took 1.075x (README, "Exhaustive search").
 */
export const PARALLEL_GROWING_FROM = 300_000;

// the control block: barrier count and generation, the stop reason the barrier saw, the
// most steps per state; the stop reason; the states claimed; per thread the states it
// keeps in the layer; then per thread a tick it bumps as it goes (so that a thread
// waiting at a barrier can tell a busy thread from a gone one).
// The words a thread touches per state (the stop reason it reads, the states claimed,
// its own tick) each have a 64-byte cache line of their own, so that one thread's
// writes do not take from the other the line holding what it only reads or writes
// itself; the rest is touched at barriers only.
const LINE = 16;
const C_COUNT = 0;
const C_GEN = 1;
/** the stop reason as the last thread to reach the latest barrier read it */
const C_STOP_SEEN = 2;
/** the most steps any state has had so far (each thread raises it with compare-and-swap) */
const C_FAN = 3;
const C_STOP = LINE;
const C_STATES = 2 * LINE;
const C_KEPT = 3 * LINE;
const ticksFrom = (n: number) => C_KEPT + LINE * Math.ceil(n / LINE);
const ctlWords = (n: number) => ticksFrom(n) + LINE * n;
const tickOf = (n: number, k: number) => ticksFrom(n) + LINE * k;
/** how long a thread may give no sign of life before the others give up on it */
const GONE_MS = 120_000;
const STOP_REASONS = [null, "max-states", "max-memory", "interrupted", null, null] as const;
const STOP_ERROR = 4;
/** the table filled up within a layer: grow it and expand the layer again */
const STOP_REDO = 5;

/** find() met a table too full for the layer (engine/exhaustive-parallel.ts redoes it). */
class TableFull extends Error {}

/**
 * The visited set's shared memory: per slot, eight words in a row (two slots to a
 * 64-byte cache line, so that a look-up reads one line, not one per field): the 4 hash
 * words, the tree index, the least parent (so the parent in the search tree), the step
 * from it (thread << 16 | pick), and a word unused.
 */
interface Table {
  readonly bits: number;
  readonly words: SharedArrayBuffer;
}

/** words per slot, and each field's place among them */
const SLOT = 8;
/** the state's tree index, -1 while its layer has not numbered it */
const F_INDEX = 4;
/** the least parent (tree index) that met the state in its layer */
const F_BEST = 5;
/** the step from the least parent, thread << 16 | pick */
const F_STEP = 6;

function newTable(bits: number): Table {
  return { bits, words: new SharedArrayBuffer(4 * SLOT * 2 ** bits) };
}

function tableBytes(t: Table): number {
  return t.words.byteLength;
}

const NONE = 0x7fffffff;

class Visited {
  readonly w: Int32Array;
  readonly mask: number;
  /** the most states the table takes (90% of its slots) */
  readonly limit: number;
  /** the last `find` claimed a fresh slot */
  fresh = false;
  constructor(readonly t: Table) {
    this.w = new Int32Array(t.words);
    this.mask = 2 ** t.bits - 1;
    this.limit = Math.floor(0.9 * 2 ** t.bits);
  }
  /** The slot of hash `h`, claimed (unnumbered) if no thread had it. */
  find(h: Int32Array): number {
    const w = this.w;
    const h0 = (h[0] as number) | 1;
    const h1 = h[1] as number;
    const h2 = h[2] as number;
    const h3 = (h[3] as number) | 1;
    for (let s = (h1 ^ h2) & this.mask, probes = 0; ; s = (s + 1) & this.mask, probes++) {
      if (probes > this.mask) throw new TableFull();
      const at = SLOT * s;
      let k0 = Atomics.load(w, at);
      if (k0 === 0) {
        k0 = Atomics.compareExchange(w, at, 0, h0);
        if (k0 === 0) {
          w[at + 1] = h1;
          w[at + 2] = h2;
          w[at + F_INDEX] = -1;
          w[at + F_BEST] = NONE;
          // published last: a thread that matched h0 waits for it
          Atomics.store(w, at + 3, h3);
          this.fresh = true;
          return s;
        }
      }
      if (k0 !== h0) continue;
      let k3 = Atomics.load(w, at + 3);
      while (k3 === 0) k3 = Atomics.load(w, at + 3);
      if (k3 === h3 && w[at + 1] === h1 && w[at + 2] === h2) {
        this.fresh = false;
        return s;
      }
    }
  }
  /** Slot `s` holds a state. */
  used(s: number): boolean {
    return this.w[SLOT * s] !== 0;
  }
  indexOf(s: number): number {
    return this.w[SLOT * s + F_INDEX] as number;
  }
  setIndex(s: number, index: number): void {
    this.w[SLOT * s + F_INDEX] = index;
  }
  /** the least parent to meet slot `s` so far (NONE: none yet) */
  bestOf(s: number): number {
    return Atomics.load(this.w, SLOT * s + F_BEST);
  }
  setBest(s: number, parent: number): void {
    this.w[SLOT * s + F_BEST] = parent;
  }
  stepOf(s: number): number {
    return this.w[SLOT * s + F_STEP] as number;
  }
  setStep(s: number, step: number): void {
    this.w[SLOT * s + F_STEP] = step;
  }
  /** Keep the least parent to meet slot `s`. */
  offer(s: number, parent: number): void {
    const at = SLOT * s + F_BEST;
    let cur = Atomics.load(this.w, at);
    while (parent < cur) {
      const prev = Atomics.compareExchange(this.w, at, cur, parent);
      if (prev === cur) return;
      cur = prev;
    }
  }
  /**
   * A copy with room for `room` more states, at half load at most (one thread, at a
   * barrier). For a layer to be expanded again (`redo`), its states met so far keep
   * their slots but lose their parents' offers, which the layer makes again.
   */
  grown(used: number, room: number, redo = false): Table {
    let bits = this.t.bits;
    while (2 ** bits < 2 * (used + room)) bits++;
    const t = newTable(bits);
    const to = new Visited(t);
    const from = this.w;
    for (let s = 0; s <= this.mask; s++) {
      const at = SLOT * s;
      if (from[at] === 0) continue;
      for (let d = (from[at + 1] as number) ^ (from[at + 2] as number); ; d++) {
        const into = SLOT * (d & to.mask);
        if (to.w[into] !== 0) continue;
        // (word by word: no typed-array view made per slot)
        for (let i = 0; i < SLOT; i++) to.w[into + i] = from[at + i] as number;
        if (redo && from[at + F_INDEX] === -1) to.w[into + F_BEST] = NONE;
        break;
      }
    }
    return t;
  }
}

/** Raise ctl[word] to at least `v`. */
function raiseTo(ctl: Int32Array, word: number, v: number): void {
  let cur = Atomics.load(ctl, word);
  while (v > cur) {
    const prev = Atomics.compareExchange(ctl, word, cur, v);
    if (prev === cur) return;
    cur = prev;
  }
}

/** A thread of the search that stopped answering (it ran out of memory, or failed to load). */
export class ThreadGone extends Error {}

/**
 * Wait for every thread, and return the stop reason as it stood when the last one
 * arrived: the same value for every thread, whereas a thread that reads the stop word
 * itself after the barrier may see what a faster one set in the next layer.
 */
function barrier(ctl: Int32Array, n: number, k: number): number {
  // in no step while it waits: the watchdog names the step of a thread that is in one
  beatIdle();
  const gen = Atomics.load(ctl, C_GEN);
  Atomics.add(ctl, tickOf(n, k), 1);
  if (Atomics.add(ctl, C_COUNT, 1) === n - 1) {
    Atomics.store(ctl, C_STOP_SEEN, Atomics.load(ctl, C_STOP));
    Atomics.store(ctl, C_COUNT, 0);
    Atomics.add(ctl, C_GEN, 1);
    Atomics.notify(ctl, C_GEN);
  } else waitFor(ctl, n, () => Atomics.load(ctl, C_GEN) !== gen, C_GEN, gen);
  // (no thread can pass the next barrier, and so change this, before this one reaches it)
  return Atomics.load(ctl, C_STOP_SEEN);
}

/**
 * Block until `done()`, waking on `ctl[word]` changing from `was` or every 50 ms; give
 * up when no other thread's tick has moved for GONE_MS.
 */
function waitFor(ctl: Int32Array, n: number, done: () => boolean, word: number, was: number): void {
  let ticks = 0;
  let since = performance.now();
  while (!done()) {
    Atomics.wait(ctl, word, was, 50);
    let t = 0;
    for (let j = 0; j < n; j++) t += Atomics.load(ctl, tickOf(n, j));
    if (t !== ticks) {
      ticks = t;
      since = performance.now();
    } else if (performance.now() - since > GONE_MS) {
      Atomics.store(ctl, C_STOP, STOP_ERROR);
      throw new ThreadGone(
        `a thread of the parallel exhaustive search stopped answering for ${GONE_MS / 1000} s (it ran out of memory, or failed to load the design). Fix: run again with --workers 1, or a lower --max-memory.`,
      );
    }
  }
}

/**
 * A violation one thread met, with its length (steps, the violating one included) and
 * its place in the one-thread order: of a property's violations the search keeps the
 * shortest, and of those the first met, as the one-thread search does (an end of run
 * judged at a state of a layer is one step shorter than a step from an earlier state
 * of that layer, which was met first).
 */
type FirstPending = Pending & {
  readonly property: string;
  readonly order: number;
  readonly length: number;
};

/** `p` is kept over `had`: shorter, or as short and met first. */
function better(p: FirstPending, had: FirstPending | undefined): boolean {
  return (
    had === undefined || p.length < had.length || (p.length === had.length && p.order < had.order)
  );
}

/** What one thread brings back at the end of the search. */
export interface ShareResult {
  readonly transitions: number;
  readonly atBound: number;
  /** states left unexpanded when the search was stopped */
  readonly left: number;
  /** per liveness property: its edges (from, to, thread << 16 | pick) in the order met */
  readonly edges: readonly RecordsData[];
  /** per liveness property: idle bits (node, bits) */
  readonly idle: readonly RecordsData[];
  readonly pending: readonly FirstPending[];
  readonly peak: number;
  /** this thread's part tables (engine/collapse.ts), in bytes */
  readonly parts: number;
  /** layers expanded (all threads agree) */
  readonly depth: number;
  readonly error: ThreadError | null;
  /** the states numbered (the first thread's count is the search's) */
  readonly numbered: number;
  /** layers expanded again after the table filled up within them */
  readonly redone: number;
  /** this thread's time in the search, and the part of it spent waiting at barriers */
  readonly ms: number;
  readonly waitMs: number;
}

/** An error a thread met, as it crosses threads: a design's or a property's keeps where. */
interface ThreadError {
  readonly message: string;
  readonly stack?: string;
  readonly program?: string;
  readonly label?: string;
  readonly property?: string;
  readonly detail?: string;
}

function threadError(e: unknown): ThreadError {
  if (e instanceof PropertyCheckError)
    return {
      message: e.message,
      program: e.program,
      label: e.label,
      property: e.property,
      detail: e.detail,
    };
  if (e instanceof DesignError)
    return {
      message: e.message.replace(`${e.program}, step "${e.label}": `, ""),
      program: e.program,
      label: e.label,
    };
  return e instanceof Error
    ? { message: e.message, ...(e.stack ? { stack: e.stack } : {}) }
    : { message: String(e) };
}

/** The error again, on the first thread: a design error stays one (exit 2, at its step). */
function rethrow(e: ThreadError): never {
  if (e.property !== undefined && e.program !== undefined && e.label !== undefined)
    throw new PropertyCheckError(e.property, e.program, e.label, e.detail ?? e.message);
  if (e.program !== undefined && e.label !== undefined)
    throw new DesignError(e.program, e.label, e.message);
  const err = new Error(`a thread of the parallel exhaustive search failed: ${e.message}`);
  if (e.stack) err.stack = e.stack;
  throw err;
}

/** Everything one thread of the search needs. */
export interface Share {
  readonly k: number;
  readonly n: number;
  readonly setup: Setup;
  readonly props: readonly Property[];
  readonly opts: Pick<ExhaustiveOptions, "depth" | "maxStates" | "maxMemoryMiB" | "onProgress">;
  readonly ctl: Int32Array;
  table: Table;
  /** ports to the other threads, by thread number (null at k) */
  readonly peers: readonly (MessagePort | null)[];
  /** the first thread's channel to each other (for a grown table); the others' to it */
  readonly control: readonly (MessagePort | null)[];
  /** free slots kept beyond the next layer's bound when the table is grown */
  readonly slack: number;
  /** tests: the room kept per state of a layer (ParallelOptions.table) */
  readonly perState?: number;
  /**
   * a search handed over (exhaustive.ts HandOver): this thread's stretch of its layer,
   * which the thread takes (and leaves undefined), so as not to hold it once expanded
   */
  layer?: Layer | undefined;
  /** the transitions the search handed over had taken (for the progress reports) */
  readonly before?: number;
}

/** A thread's stretch of the layer a one-thread search handed over (exhaustive.ts HandOver). */
export interface Layer extends StatesData {
  /** the layer's depth: the layers expanded before it */
  readonly depth: number;
  /** the states numbered so far; the layer's are the last `width` of them */
  readonly base: number;
  readonly width: number;
  /** the tree node of this thread's first state */
  readonly first: number;
}

/**
 * A thread's stretch of a layer, in order: the i-th state is tree node `first + i`,
 * with its world, its monitors' states and its slot in the collapser's kept ids. Arrays
 * per field rather than an object per state: every state waits here for a layer, and
 * the garbage collector copies each object that waits.
 */
class Stretch {
  readonly worlds: World[] = [];
  readonly mons: (readonly unknown[])[] = [];
  readonly slots: number[] = [];
  constructor(readonly first: number) {}
  get length(): number {
    return this.worlds.length;
  }
  push(world: World, mon: readonly unknown[], slot: number): void {
    this.worlds.push(world);
    this.mons.push(mon);
    this.slots.push(slot);
  }
}

/** States sent to the thread whose stretch of the next layer they fall in. */
type Sent = StatesData;

/**
 * Append states that came from elsewhere (another thread, or the search handed over)
 * to `into`, their part ids worked out whole (no parent here to share them with) and
 * kept from the collapser's slot `slot` on; the slot after them. States that crossed
 * from another thread (`cloned`: by structured clone) are rebuilt first with the
 * shapes this thread's code makes (engine/native-shapes.ts), shared parts still shared.
 * (A loop, not a closure: a closure in searchShare would keep a handed-over layer's
 * worlds alive.)
 */
function takeIn(
  collapser: Collapser,
  into: Stretch,
  states: StatesData,
  slot: number,
  cloned: boolean,
): number {
  let at = slot;
  const seen = new Map<object, unknown>();
  for (let i = 0; i < states.worlds.length; i++) {
    const world = states.worlds[i] as World;
    const mon = states.mons[i] as readonly unknown[];
    const w = cloned ? nativeShapes(world, seen) : world;
    collapser.ids(w, null);
    collapser.keep(at);
    into.push(w, cloned ? nativeShapes(mon, seen) : mon, at++);
  }
  return at;
}

/** A state of the layer being expanded, and its place in it. */
interface Expanded {
  readonly world: World;
  readonly mon: readonly unknown[];
  /** its number in the search */
  readonly index: number;
  /** its slot in the shared table */
  readonly slot: number;
}

/**
 * The states a thread met first in a layer, so far (candidates: an earlier parent on
 * another thread may still take one), in the order met; the i-th has the collapser's
 * kept ids at slot i.
 */
class Candidates {
  readonly worlds: World[] = [];
  readonly mons: (readonly unknown[])[] = [];
  /** the state's slot in the shared table */
  readonly slots: number[] = [];
  /** the tree node of the parent it was met from */
  readonly parents: number[] = [];
  /** the step from that parent, thread << 16 | pick */
  readonly steps: number[] = [];
  get length(): number {
    return this.worlds.length;
  }
}

const NO_MONITORS: readonly unknown[] = [];

/** One thread's part of the search (the first thread's too). */
export function searchShare(sh: Share): ShareResult {
  const t0 = performance.now();
  const { k, n, setup, props, opts, ctl } = sh;
  let waitMs = 0;
  /** barrier(), timed: a thread that waits long at them had the smaller half */
  const meet = (): number => {
    const t = performance.now();
    const stop = barrier(ctl, n, k);
    waitMs += performance.now() - t;
    return stop;
  };
  const monitors: Monitor[] = monitorsFor(props);
  const stateful = monitors.some((m) => m.save !== undefined);
  const collapser = new Collapser(true);
  const lassos: LassoWatch[] = lassoWatches(props, setup.world0, setup.programs);
  const edges = lassos.map(() => new Records(3));
  const idle = lassos.map(() => new Records(2));
  const pending = new Map<string, FirstPending>();
  let visited = new Visited(sh.table);
  let transitions = 0;
  let atBound = 0;
  let left = 0;
  let peak = 0;
  let redone = 0;
  let error: ThreadError | null = null;
  const h = new Int32Array(4);
  // the monitors' saved states, folded into each state's hash
  const monHash = new MonitorHash(monitors.length, monitorText);
  // the monitor states the monitors hold (null: not known), so that a step from a state
  // whose monitor states are those already held does not load them again
  let loaded: readonly unknown[] | null = null;
  const guard = (f: () => void) => {
    try {
      f();
    } catch (e) {
      if (e instanceof TableFull) {
        // unless the search is stopping anyway
        Atomics.compareExchange(ctl, C_STOP, 0, STOP_REDO);
        return;
      }
      if (error === null) error = threadError(e);
      Atomics.store(ctl, C_STOP, STOP_ERROR);
    }
  };
  // (`depth` is the depth of every state of the layer being expanded)
  const violate = (
    id: string,
    order: number,
    node: number,
    choice: Pending["choice"],
    message: string,
  ) => {
    const p = { property: id, order, node, choice, message, length: depth + (choice ? 1 : 0) };
    if (better(p, pending.get(id))) pending.set(id, p);
  };
  const endCheck = (world: World, mon: readonly unknown[], index: number) => {
    load(monitors, mon);
    loaded = null;
    // (judged here, a violation is `depth` steps long: one as short is kept already)
    const done = (id: string) => (pending.get(id)?.length ?? Infinity) <= depth;
    for (const [id, msg] of endMessages(setup, props, monitors, world, done))
      violate(id, index * 65536, index, null, msg);
  };

  // the root is state 0, the first thread's
  let frontier = new Stretch(0);
  let base = 1;
  let total = 1;
  let depth = 0;
  // the first layer: a closure, as each layer is (`layerOnce`), so that no stack slot of
  // this function keeps the handed-over stretch's worlds alive through the search
  const firstLayer = (): void => {
    const layer = sh.layer;
    sh.layer = undefined;
    if (layer !== undefined) {
      // a search handed over by the one-thread search: its stretch of the next layer
      frontier = new Stretch(layer.first);
      // (the first thread's stretch is its own one-thread search's; the others' came
      // in their start message)
      takeIn(collapser, frontier, layer, 0, k !== 0);
      base = layer.base;
      total = layer.width;
      depth = layer.depth;
    } else if (k === 0) {
      const mon0 = stateful ? save(monitors) : NO_MONITORS;
      collapser.hash(collapser.ids(setup.world0, null), h);
      if (stateful) monHash.mix(mon0, h);
      const s = visited.find(h);
      visited.setIndex(s, 0);
      Atomics.add(ctl, C_STATES, 1);
      collapser.keep(0);
      frontier.push(setup.world0, mon0, 0);
    }
  };
  firstLayer();
  collapser.nextLayer();
  let lastCheck = 0;
  /** the most steps a state of this thread has had */
  let fan = 0;
  /** the first thread: the largest ratio of a layer's width to the one before it */
  let growth = 1;

  /**
   * Expand one state of this thread's stretch of a layer: its steps, the monitors and
   * the lassos' edges on each, and the states it meets first, as candidates for the next
   * layer (`found`). A function of its own, too large for V8 to inline into the layer's
   * loop: when a shape of world met only deep in the search deoptimises the model code
   * it inlines, V8 recompiles this function alone, not the loop as well, once as a
   * function and once for the loop's on-stack replacement (each about 100 ms of
   * compiling on `two-vmas`, on each thread).
   */
  const expandState = (node: Expanded, found: Candidates, layerEdges: Records[]): void => {
    const enabled = enabledThreads(node.world, setup.programs);
    if (!enabled.some((t) => mayComplete(node.world, t, setup.programs)))
      endCheck(node.world, node.mon, node.index);
    if (enabled.length === 0) return;
    for (let i = 0; i < lassos.length; i++) {
      const l = lassos[i] as LassoWatch;
      if (fairToOthers(l.fair) && l.spec.inLoop(node.world))
        (idle[i] as Records).push2(
          node.index,
          idleBits(node.world, l.fair, setup.programs, l.spec),
        );
    }
    let sub = 0;
    for (const tid of enabled) {
      let choices = 1;
      for (let pick = 0; pick < choices; pick++) {
        const [w, rec] = stepToKeep(node.world, tid, pick, setup.programs);
        choices = Math.max(1, rec.choices);
        transitions++;
        sub++;
        if (stateful && loaded !== node.mon) {
          load(monitors, node.mon);
          loaded = node.mon;
        }
        for (const [i, msg] of stepMonitors(monitors, node.world, w, rec, depth) ?? [])
          violate(
            (props[i] as Property).id,
            node.index * 65536 + sub,
            node.index,
            { t: tid, p: pick },
            msg,
          );
        const mon: readonly unknown[] = stateful ? saveOver(monitors, node.mon) : NO_MONITORS;
        loaded = mon;
        collapser.hash(collapser.ids(w, node.world, node.slot), h);
        if (stateful) monHash.mix(mon, h);
        const slot = visited.find(h);
        if (visited.fresh) {
          const states = Atomics.add(ctl, C_STATES, 1) + 1;
          // past 90%: this node goes on (the slots left take it), then the layer is
          // expanded again in a larger table
          if (states > visited.limit) Atomics.compareExchange(ctl, C_STOP, 0, STOP_REDO);
          if (opts.maxStates !== undefined && states >= opts.maxStates)
            Atomics.store(ctl, C_STOP, 1);
        }
        // new in this layer, and no one met it from an earlier parent (or this one
        // with an earlier step) so far: a candidate, unless an earlier parent on
        // another thread offers itself before the barrier
        if (visited.indexOf(slot) === -1 && visited.bestOf(slot) > node.index) {
          visited.offer(slot, node.index);
          collapser.keep(found.length);
          found.worlds.push(w);
          found.mons.push(mon);
          found.slots.push(slot);
          found.parents.push(node.index);
          found.steps.push((tid << 16) | (pick & 0xffff));
        }
        for (let i = 0; i < lassos.length; i++) {
          const l = lassos[i] as LassoWatch;
          if (l.spec.inLoop(w) && l.spec.progress?.(node.world, w) !== true)
            (layerEdges[i] as Records).push3(node.index, slot, (tid << 16) | (pick & 0xffff));
        }
      }
    }
    if (sub > fan) fan = sub;
  };
  /** Every 4096 transitions: the peak heap, the memory bound, the first thread's progress. */
  const checkpoint = (): void => {
    lastCheck = transitions;
    const heap = heapBytes();
    if (heap > peak) peak = heap;
    if (opts.maxMemoryMiB !== undefined && heap > (opts.maxMemoryMiB * 2 ** 20) / n)
      Atomics.store(ctl, C_STOP, 2);
    if (
      k === 0 &&
      opts.onProgress?.({
        states: Atomics.load(ctl, C_STATES),
        transitions: transitions * n + (sh.before ?? 0),
        depth,
      })
    )
      Atomics.store(ctl, C_STOP, 3);
  };

  /**
   * Expand one layer: this thread's stretch, then the exchanges between the threads;
   * false once the search stops. A function of its own so that what a layer made (its
   * candidates, the stretch it expanded) is let go when the layer ends: in the loop's
   * own frame, which V8 may not have optimised when a search is handed over deep, stack
   * slots kept the last layer's stretch and candidates alive through the next layer.
   */
  const layerOnce = (): boolean => {
    if (depth >= opts.depth) {
      guard(() => {
        for (let i = 0; i < frontier.length; i++) {
          const world = frontier.worlds[i] as World;
          const enabled = enabledThreads(world, setup.programs);
          if (!enabled.some((t) => mayComplete(world, t, setup.programs)))
            endCheck(world, frontier.mons[i] as readonly unknown[], frontier.first + i);
          if (enabled.length > 0) atBound++;
        }
      });
      return false;
    }
    const found = new Candidates();
    const layerEdges = lassos.map(() => new Records(3));
    // what the layer adds to this thread's counts, taken back if it is expanded again
    const undo = { transitions, lastCheck, idle: idle.map((w) => w.size) };
    // 1. expand this thread's stretch of the layer
    let done = 0;
    guard(() => {
      for (let at = 0; at < frontier.length; at++) {
        if (Atomics.load(ctl, C_STOP) !== 0) break;
        done++;
        Atomics.add(ctl, tickOf(n, k), 1);
        expandState(
          {
            world: frontier.worlds[at] as World,
            mon: frontier.mons[at] as readonly unknown[],
            index: frontier.first + at,
            slot: frontier.slots[at] as number,
          },
          found,
          layerEdges,
        );
        // (here, not in expandState: a call there that V8 has no feedback for yet, when
        // it optimises expandState, would deoptimise it)
        if (transitions - lastCheck >= 4096) checkpoint();
      }
    });
    raiseTo(ctl, C_FAN, fan);
    if (meet() === STOP_REDO) {
      // the table filled up within the layer (it outgrew the room kept for it): grow
      // the table and expand the layer again, which meets the same states in the same
      // order (a state claimed the first time keeps its slot, and its offers are redone)
      transitions = undo.transitions;
      lastCheck = undo.lastCheck;
      idle.forEach((w, i) => {
        w.truncate(undo.idle[i] as number);
      });
      if (k === 0)
        guard(() => {
          sh.table = visited.grown(Atomics.load(ctl, C_STATES), 2 ** sh.table.bits, true);
          for (const c of sh.control) c?.postMessage(sh.table);
          Atomics.store(ctl, C_STOP, 0);
        });
      // (not 0: the table could not grow)
      if (meet() !== 0) {
        left += frontier.length;
        return false;
      }
      if (k !== 0) {
        const got = receiveMessageOnPort(sh.control[0] as MessagePort);
        if (got) sh.table = got.message as Table;
      }
      visited = new Visited(sh.table);
      redone++;
      return true;
    }
    left += frontier.length - done;
    // 2. the states this thread met first
    // (their places in `found`)
    const kept: number[] = [];
    for (let c = 0; c < found.length; c++)
      if (visited.bestOf(found.slots[c] as number) === found.parents[c]) kept.push(c);
    Atomics.store(ctl, C_KEPT + k, kept.length);
    meet();
    // 3. number them, and send the surplus to the neighbours
    const counts = Array.from({ length: n }, (_, i) => Atomics.load(ctl, C_KEPT + i));
    const before = (j: number) => counts.slice(0, j).reduce((a, b) => a + b, 0);
    const width = before(n);
    const start = before(k);
    const mine = counts[k] as number;
    const share = (j: number) => Math.floor((width * j) / n);
    guard(() => {
      kept.forEach((c, i) => {
        const slot = found.slots[c] as number;
        visited.setIndex(slot, base + start + i);
        visited.setStep(slot, found.steps[c] as number);
      });
      for (let j = 0; j < n; j++) {
        const from = Math.max(start, share(j));
        const to = Math.min(start + mine, share(j + 1));
        if (j === k || from >= to) continue;
        const sent = kept.slice(from - start, to - start);
        const part: Sent = {
          worlds: sent.map((c) => found.worlds[c] as World),
          mons: sent.map((c) => found.mons[c] as readonly unknown[]),
        };
        (sh.peers[j] as MessagePort).postMessage(part);
      }
    });
    meet();
    // 4. liveness edges get their targets' numbers; take what the others sent
    const next = new Stretch(base + share(k));
    guard(() => {
      for (let i = 0; i < lassos.length; i++) {
        const le = layerEdges[i] as Records;
        const out = edges[i] as Records;
        for (let e = 0; e < le.size; e++)
          out.push3(le.get(e, 0), visited.indexOf(le.get(e, 1)), le.get(e, 2));
      }
      let cslot = found.length;
      for (let j = 0; j < n; j++) {
        const js = before(j);
        const from = Math.max(js, share(k));
        const to = Math.min(js + (counts[j] as number), share(k + 1));
        if (from >= to) continue;
        if (j === k) {
          for (let i = from; i < to; i++) {
            const c = kept[i - start] as number;
            next.push(found.worlds[c] as World, found.mons[c] as readonly unknown[], c);
          }
          continue;
        }
        const got = receiveMessageOnPort(sh.peers[j] as MessagePort);
        if (!got) throw new Error(`thread ${k} expected states from thread ${j}`);
        cslot = takeIn(collapser, next, got.message as Sent, cslot, true);
      }
      if (k === 0) {
        const used = Atomics.load(ctl, C_STATES);
        // grown to half load once the states and room for the next layer pass 70%
        // (find() gives up at 90%). The next layer's new states are at most its steps,
        // and a state has had at most `fan` steps so far; most steps meet known states,
        // so the room is twice the fastest growth from one layer to the next so far
        // (of layers past the slack), within that bound
        if (total > sh.slack / 4) growth = Math.max(growth, width / total);
        const perState =
          sh.perState ??
          Math.min(Math.max(2, Atomics.load(ctl, C_FAN)), Math.max(2, Math.ceil(2 * growth)));
        const room = width * perState + sh.slack;
        if (used + room > 0.7 * 2 ** sh.table.bits) {
          sh.table = visited.grown(used, room);
          for (const c of sh.control) c?.postMessage(sh.table);
        }
      }
    });
    const stop = meet();
    if (k !== 0) {
      const got = receiveMessageOnPort(sh.control[0] as MessagePort);
      if (got) sh.table = got.message as Table;
    }
    visited = new Visited(sh.table);
    frontier = next;
    collapser.nextLayer();
    base += width;
    total = width;
    depth++;
    if (stop !== 0) {
      left += frontier.length;
      return false;
    }
    return true;
  };
  while (total > 0 && layerOnce()) {
    // each layer in its own frame
  }
  peak = Math.max(peak, heapBytes());
  return {
    transitions,
    atBound,
    left,
    edges: edges.map((e) => e.done()),
    idle: idle.map((e) => e.done()),
    pending: [...pending.values()],
    peak,
    parts: collapser.bytes(),
    depth,
    error,
    numbered: base,
    redone,
    ms: performance.now() - t0,
    waitMs,
  };
}

const WORKER = new URL("./exhaustive-worker.mjs", import.meta.url);

let searchBeat: Int32Array | null = null;

/**
 * The watchdog's heartbeat (engine/step-beat.ts) that the other threads of a search
 * write too, so that a step looping on any of them is caught and named.
 */
export function setSearchBeat(beat: Int32Array | null): void {
  searchBeat = beat;
}

/**
 * What each other thread is started with: the pair to load and the properties, before
 * the search has begun (a crew, `startCrew`).
 */
export interface CrewData {
  /** the thread's number in the search (1 to n - 1) */
  readonly k: number;
  readonly source: SetupSource;
  readonly properties: readonly string[];
  readonly beat: SharedArrayBuffer | null;
  /** where its search's data comes (ShareData), once the search begins */
  readonly start: MessagePort;
}

/**
 * The other threads of a parallel search, started ahead of it: each loads the design
 * and scenario (most of the second or so a thread takes to start) while this thread
 * goes on, then waits for the search's data.
 */
export interface Crew {
  readonly workers: readonly Worker[];
  /** per other thread (1 to n - 1), where its search's data goes */
  readonly start: readonly MessagePort[];
}

/**
 * Start the other `par.workers - 1` threads of a parallel search of `props` on
 * `par.source` (engine/verdicts.ts: while the search still runs on one thread, so
 * that a search that goes on to several threads finds them loaded).
 */
export function startCrew(props: readonly Property[], par: ParallelOptions): Crew {
  const crew: { workers: Worker[]; start: MessagePort[] } = { workers: [], start: [] };
  try {
    for (let k = 1; k < par.workers; k++) {
      const { port1, port2 } = new MessageChannel();
      crew.start.push(port1);
      const data: CrewData = {
        k,
        source: par.source,
        properties: props.map((p) => p.id),
        beat: (searchBeat?.buffer as SharedArrayBuffer | undefined) ?? null,
        start: port2,
      };
      const w = new Worker(WORKER, {
        workerData: data,
        transferList: [port2],
        // a young generation as large as the CLI's (cli/bin.mjs: 64 MiB semi-spaces)
        resourceLimits: {
          maxYoungGenerationSizeMb: 192,
          ...(par.heapMiB !== undefined ? { maxOldGenerationSizeMb: par.heapMiB } : {}),
        },
      });
      // a thread that fails to load or runs out of memory reports "error" only once this
      // one is free again, after the search has already said that thread stopped
      // answering (waitFor); unheard, the event would end the process instead
      w.on("error", () => {});
      crew.workers.push(w);
    }
  } catch (e) {
    endCrew(crew);
    throw e;
  }
  return crew;
}

/** Stop a crew's threads (after its search, or when the search never needed them). */
export function endCrew(crew: Crew): void {
  for (const w of crew.workers) void w.terminate();
  for (const p of crew.start) p.close();
}

/** What the first thread hands each other thread when the search begins. */
export interface ShareData {
  readonly k: number;
  readonly n: number;
  readonly opts: Pick<ExhaustiveOptions, "depth" | "maxStates" | "maxMemoryMiB">;
  readonly ctl: SharedArrayBuffer;
  /** the table the search starts with (taken: `shareOf`) */
  table: Table | undefined;
  readonly strings: SharedStringsBuffer;
  readonly peers: readonly (MessagePort | null)[];
  readonly control: MessagePort;
  /**
   * a search handed over by the one-thread search: this thread's stretch of its layer
   * (taken: `shareOf`)
   */
  layer?: Layer | undefined;
}

/**
 * What a worker thread searches with, from the message it was sent. The message lets
 * go of the table and the layer: the worker keeps the message to the end, and a table
 * the first thread has since replaced by a larger one (tens of MiB once a search is
 * handed over) or a layer already expanded would otherwise stay alive with it.
 */
export function shareOf(data: ShareData, setup: Setup, props: readonly Property[]): Share {
  const table = data.table;
  const layer = data.layer;
  if (table === undefined) throw new Error("a search's message is taken up once");
  data.table = undefined;
  data.layer = undefined;
  return {
    k: data.k,
    n: data.n,
    setup,
    props,
    opts: data.opts,
    ctl: new Int32Array(data.ctl),
    table,
    peers: data.peers,
    control: data.peers.map((_, i) => (i === 0 ? data.control : null)),
    // only the first thread grows the table
    slack: 0,
    ...(layer ? { layer } : {}),
  };
}

/**
 * The exhaustive search of engine/exhaustive.ts on `par.workers` threads: this one and
 * `par.workers - 1` worker threads, which load the setup again from `par.source`
 * (`crew`: threads already started for it, which the search ends with its own). The
 * calling thread blocks until the search ends (in the CLI it is a worker thread).
 * With `handOver` (the one-thread search stopped at the end of a layer, with
 * `ExhaustiveOptions.handOver`), the threads go on from its next layer: its states
 * are in the table from the start, and its tree, liveness graphs, violations and
 * transitions count in the result.
 */
export function exploreParallel(
  setup: Setup,
  props: readonly Property[],
  opts: ExhaustiveOptions,
  par: ParallelOptions,
  crew?: Crew,
  handOver?: HandOver,
): ExhaustiveResult {
  const t0 = performance.now();
  const n = par.workers;
  // the crew is ended whatever happens from here, setup included
  let others: Crew | undefined = crew;
  try {
    const strings = handOver?.strings ?? sharedStringsBuffer();
    shareInterning(strings);
    others ??= startCrew(props, par);
    if (others.workers.length !== n - 1)
      throw new Error(`a crew of ${others.workers.length} threads for a search on ${n}`);
    const sh = launch(setup, props, opts, par, others, strings, handOver);
    const ctl = sh.ctl;
    const results: ShareResult[] = [searchShare(sh)];
    // the others' results, posted on their control channels as they end
    for (let k = 1; k < n; k++) {
      const port = sh.control[k] as MessagePort;
      let got = receiveMessageOnPort(port);
      waitFor(
        ctl,
        n,
        () => {
          got ??= receiveMessageOnPort(port);
          return got !== undefined;
        },
        C_COUNT,
        Atomics.load(ctl, C_COUNT),
      );
      results.push((got as unknown as { message: ShareResult }).message);
    }
    return merged(setup, props, results, ctl, t0, sh.table, handOver);
  } finally {
    if (others) endCrew(others);
    shareInterning(null);
  }
}

/**
 * Set a parallel search going: this thread's share, and the others' sent to the crew.
 * A function of its own so that nothing it made on the way stays on the stack while
 * this thread searches: the seeded table (replaced once the table grows) and the
 * stretches of the handed-over layer sent to the others would otherwise stay alive
 * through the whole search (about 150 MiB on `two-vmas` handed over at 548,959 states).
 */
function launch(
  setup: Setup,
  props: readonly Property[],
  opts: ExhaustiveOptions,
  par: ParallelOptions,
  others: Crew,
  strings: SharedStringsBuffer,
  handOver: HandOver | undefined,
): Share {
  const n = par.workers;
  const bits = par.table?.bits ?? 16;
  const slack = par.table?.slack ?? 4096;
  const seeded = handOver ? takeSeed(handOver, n, bits, slack) : null;
  const ctl = new Int32Array(new SharedArrayBuffer(4 * ctlWords(n)));
  const channels = new Map<string, MessageChannel>();
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) channels.set(`${i}-${j}`, new MessageChannel());
  const portOf = (i: number, j: number): MessagePort | null => {
    if (i === j) return null;
    const c = channels.get(i < j ? `${i}-${j}` : `${j}-${i}`) as MessageChannel;
    return i < j ? c.port1 : c.port2;
  };
  const control = Array.from({ length: n }, (_, i) => (i === 0 ? null : new MessageChannel()));
  const inner = {
    depth: opts.depth,
    ...(opts.maxStates !== undefined ? { maxStates: opts.maxStates } : {}),
    ...(opts.maxMemoryMiB !== undefined ? { maxMemoryMiB: opts.maxMemoryMiB } : {}),
  };
  const sh: Share = {
    k: 0,
    n,
    setup,
    props,
    opts: { ...inner, ...(opts.onProgress ? { onProgress: opts.onProgress } : {}) },
    ctl,
    table: seeded?.table ?? newTable(bits),
    slack,
    ...(par.table?.perState !== undefined ? { perState: par.table.perState } : {}),
    peers: Array.from({ length: n }, (_, j) => portOf(0, j)),
    control: control.map((c) => c?.port1 ?? null),
    ...(seeded ? { layer: seeded.layers[0] } : {}),
    ...(handOver ? { before: handOver.transitions } : {}),
  };
  if (handOver) Atomics.store(ctl, C_STATES, handOver.states);
  if (searchBeat) beatReset(searchBeat, n);
  for (let k = 1; k < n; k++) {
    const peers = Array.from({ length: n }, (_, j) => portOf(k, j));
    const ctrl = (control[k] as MessageChannel).port2;
    const data: ShareData = {
      k,
      n,
      opts: inner,
      ctl: ctl.buffer as SharedArrayBuffer,
      table: sh.table,
      strings,
      peers,
      control: ctrl,
      ...(seeded ? { layer: seeded.layers[k] } : {}),
    };
    (others.start[k - 1] as MessagePort).postMessage(data, [
      ...peers.filter((p): p is MessagePort => p !== null),
      ctrl,
    ]);
  }
  return sh;
}

/**
 * Take a hand-over's seed, once: the shared table with its states, and each thread's
 * stretch of its layer. Apart from the search, so that nothing on the first thread's
 * stack holds the seed (its hashes, tree and worlds) while the threads search.
 */
function takeSeed(
  h: HandOver,
  n: number,
  bits: number,
  slack: number,
): { readonly table: Table; readonly layers: (Layer | undefined)[] } {
  const seed = h.seed;
  if (seed === null) throw new Error("a hand-over is taken up once, and this one was already");
  h.seed = null;
  return {
    table: seededTable(bits, h.states, seed, slack),
    layers: Array.from({ length: n }, (_, k) => layerShare(h, seed, k, n)),
  };
}

/**
 * The shared table of a search handed over (`exploreParallel`): every state the
 * one-thread search met, with its number, parent and step, and room for the next
 * layer (each of its states' steps, up to four, and the slack).
 */
function seededTable(bits: number, states: number, h: HandOverSeed, slack: number): Table {
  const width = h.worlds.length;
  let b = bits;
  while (2 ** b < 2 * (states + 4 * width + slack)) b++;
  const t = newTable(b);
  const v = new Visited(t);
  const key = new Int32Array(4);
  for (let i = 0; i < states; i++) {
    key.set(h.hashes.subarray(4 * i, 4 * i + 4));
    const s = v.find(key);
    // (two distinct states with one 128-bit hash: a chance of states^2 / 2^128)
    if (!v.fresh) throw new Error(`hand-over: states ${i} and another share a 128-bit hash`);
    v.setIndex(s, i);
    if (i === 0) continue;
    v.setBest(s, h.tree.parent[i] as number);
    v.setStep(s, ((h.tree.tid[i] as number) << 16) | ((h.tree.pick[i] as number) & 0xffff));
  }
  return t;
}

/** Thread k's stretch of the layer handed over, dealt as the threads deal a layer. */
function layerShare(h: HandOver, seed: HandOverSeed, k: number, n: number): Layer {
  const width = seed.worlds.length;
  const from = Math.floor((width * k) / n);
  const to = Math.floor((width * (k + 1)) / n);
  return {
    depth: h.depth,
    base: h.states,
    width,
    first: h.states - width + from,
    worlds: seed.worlds.slice(from, to),
    mons: seed.mons.slice(from, to),
  };
}

/** The threads' results as the one-thread search's (after the part handed over, if any). */
function merged(
  setup: Setup,
  props: readonly Property[],
  results: readonly ShareResult[],
  ctl: Int32Array,
  t0: number,
  table: Table,
  handOver: HandOver | undefined,
): ExhaustiveResult {
  // the error met first in thread order (a thread's own stops the others at their next node)
  const failed = results.find((r) => r.error !== null)?.error;
  if (failed) rethrow(failed);
  // the states numbered: a search stopped after its table filled up within a layer has
  // claimed states it never numbered
  const first = results[0] as ShareResult;
  const states = first.numbered;
  // the tree from the table: each state's number, its least parent and the step from it
  const tree = new Tree();
  const v = new Visited(table);
  tree.fill(states, (set) => {
    for (let slot = 0; slot <= v.mask; slot++) {
      const i = v.indexOf(slot);
      if (!v.used(slot) || i < 0) continue;
      const st = v.stepOf(slot);
      set(i, i === 0 ? -1 : v.bestOf(slot), st >> 16, st & 0xffff);
    }
  });
  // the liveness graphs of the search handed over go on with the threads' edges, all from
  // later states
  const lassos = handOver?.lassos ?? lassoWatches(props, setup.world0, setup.programs);
  lassos.forEach((l, i) => {
    for (const r of results) {
      const idle = Records.of(r.idle[i] as RecordsData);
      for (let e = 0; e < idle.size; e++) l.graph.setIdle(idle.get(e, 0), idle.get(e, 1));
    }
    // each thread's edges are in the order it met them; merged by their source state,
    // they are in the one-thread search's order
    const lists = results.map((r) => Records.of(r.edges[i] as RecordsData));
    const at = lists.map(() => 0);
    const head = (j: number) => {
      const list = lists[j] as Records;
      const e = at[j] as number;
      return e < list.size ? list.get(e, 0) : Number.POSITIVE_INFINITY;
    };
    for (;;) {
      let best = 0;
      for (let j = 1; j < lists.length; j++) if (head(j) < head(best)) best = j;
      const src = head(best);
      if (src === Number.POSITIVE_INFINITY) break;
      const list = lists[best] as Records;
      while (head(best) === src) {
        const e = at[best] as number;
        l.graph.addPacked(src, list.get(e, 1), list.get(e, 2));
        at[best] = e + 1;
      }
      // what has been merged is let go as it goes, not held beside the whole graph
      list.release(at[best] as number);
    }
  });
  const firsts = new Map<string, FirstPending>();
  // what the search handed over found comes first in order: it met it at an earlier state
  for (const [property, p] of handOver?.pending ?? [])
    firsts.set(property, {
      ...p,
      property,
      order: p.node * 65536 + (p.choice ? 1 : 0),
      length: (tree.depth[p.node] as number) + (p.choice ? 1 : 0),
    });
  for (const r of results)
    for (const p of r.pending) if (better(p, firsts.get(p.property))) firsts.set(p.property, p);
  const pending = new Map<string, Pending>();
  for (const [id, p] of [...firsts].sort((a, b) => a[1].order - b[1].order))
    pending.set(id, { node: p.node, choice: p.choice, message: p.message });
  const found = new Map<string, ExhaustiveCounterexample>();
  counterexamplesOf(setup, props, tree, pending, lassos, found);
  const stoppedBy = STOP_REASONS[Atomics.load(ctl, C_STOP)] ?? null;
  const atBound = results.reduce((a, r) => a + r.atBound, 0);
  const left = results.reduce((a, r) => a + r.left, 0);
  return {
    memory: {
      arena: 0,
      table: tableBytes(table),
      parts: results.reduce((a, r) => a + r.parts, 0),
      tree: tree.bytes(),
      lasso: lassos.reduce((a, l) => a + l.graph.bytes(), 0),
      peak: Math.max(
        handOver?.peak ?? 0,
        results.reduce((a, r) => a + r.peak, 0),
      ),
    },
    states,
    transitions: results.reduce((a, r) => a + r.transitions, handOver?.transitions ?? 0),
    depth: first.depth,
    complete: stoppedBy === null && atBound === 0,
    stoppedBy,
    frontier: atBound + (stoppedBy ? left : 0),
    ms: performance.now() - t0,
    omissionProbability: (states * states) / 2 ** 127,
    counterexamples: found,
    ...(first.redone > 0 ? { redoneLayers: first.redone } : {}),
    threads: results.map((r) => ({ ms: r.ms, waitMs: r.waitMs })),
  };
}
