// Exhaustive search: breadth-first over the same step function and the same property
// monitors as random mode, with a visited set of canonical states (the world plus the
// state of every stateful monitor), collapsed into a tuple of part ids
// (engine/collapse.ts over engine/fingerprint.ts) and stored in
// engine/stateset.ts. BFS order makes every counterexample it returns a shortest
// one (in scheduled steps). Liveness properties are checked as lassos, with the spec
// each gives (engine/lasso.ts): the shortest reachable loop it counts, such as the
// driver stepping forever with a fatal signal pending (L3), or, undisturbed and with the
// uffd monitor weakly fair, never returning (L2).

import type { Programs, StepRecord } from "../model/step.js";
import type { World } from "../model/world.js";
import type { Monitor, Property, RunEnd } from "../properties/property.js";
import { Collapser } from "./collapse.js";
import type { EdgeSink } from "./exec.js";
import { enabledThreads, isEnabled, stepToKeep } from "./exec.js";
import { encode, extendIds, extendKey, keyUnits, sameKey, shareInterning } from "./fingerprint.js";
import { grown } from "./grown.js";
import {
  type Fairness,
  fairness,
  fairnessText,
  fairToOthers,
  fullMask,
  idleBits,
  stepBits,
} from "./lasso.js";
import { LassoGraph, shortestLasso } from "./lasso-graph.js";
import { MonitorHash } from "./monitor-hash.js";
import type { PersistentStats } from "./persistent.js";
import { PersistentSets } from "./persistent.js";
import type { Choice, Run, Setup } from "./run.js";
import { mayComplete, runSchedule } from "./run.js";
import type { SharedStringsBuffer } from "./shared-strings.js";
import { sharedStringsBuffer } from "./shared-strings.js";
import { StateSet } from "./stateset.js";

export interface ExhaustiveOptions {
  /** longest schedule explored (steps from the initial state) */
  readonly depth: number;
  /** stop after this many distinct states, with a coverage report */
  readonly maxStates?: number;
  /** stop when the heap grows beyond this many MiB */
  readonly maxMemoryMiB?: number;
  /** keep 64-bit hashes of states instead of their encodings (Spin's hash-compact) */
  readonly hashCompact?: boolean;
  /** CHESS preemption bound: at most this many switches away from a thread that could go on */
  readonly preemptions?: number;
  /**
   * Sleep sets: do not re-explore a step that commutes with one already taken (same
   * state and same judgements in either order). Not with liveness properties: a lasso
   * needs every step, so a search with one ignores this.
   */
  readonly sleepSets?: boolean;
  /**
   * Persistent sets (engine/persistent.ts): expand at each state only a set of threads
   * that nothing the others can do depends on. Keeps every safety violation; used only
   * without liveness properties, a depth bound, a preemption bound, sleep sets, a shard,
   * edge coverage and a hand-over (a search with any of them ignores this). When it
   * finds a violation, the plain search runs again for the shortest counterexamples of
   * the violated properties.
   */
  readonly persistentSets?: boolean;
  /** called every few thousand transitions; returning true stops the search (Ctrl-C) */
  readonly onProgress?: (p: { states: number; transitions: number; depth: number }) => boolean;
  /** collect the edges the design's threads take (`lockdrop coverage`, engine/coverage.ts) */
  readonly edges?: EdgeSink;
  /**
   * One shard of the search (engine/shard.ts): of the states first reached at depth
   * `at`, expand only those whose schedule `takes`. A state of the first `at` levels
   * that this shard reaches again from below is expanded (again) then, so that
   * everything reachable from the shard's own states is in its graph.
   */
  readonly shard?: {
    readonly at: number;
    readonly takes: (schedule: readonly Choice[]) => boolean;
  };
  /**
   * Stop at the end of the first layer that brings the search to this many states, and
   * hand it over (`ExhaustiveResult.handOver`) to the search on several threads
   * (engine/exhaustive-parallel.ts), which goes on from the next layer. The search then
   * interns strings in a table those threads share, and keeps each state's 128-bit hash
   * as they do. Not with sleep sets, a preemption bound, a shard, hash-compact or edge
   * coverage (the threads do none of them).
   */
  readonly handOver?: number | HandOverRule;
}

/**
 * When a one-thread search hands over to several threads (`ExhaustiveOptions.handOver`;
 * engine/verdicts.ts sets it).
 */
export interface HandOverRule {
  /** at the end of the first layer that brings the search to this many states */
  readonly at: number;
  /**
   * or sooner: at the end of a layer that brings it to this many states and is the
   * widest layer so far. A breadth-first search still growing has most of its states
   * ahead of it (its layers widen, then narrow), so it is likely to end well past `at`.
   */
  readonly growingAt?: number;
  /**
   * Called once, at the end of the first layer that brings the search to `share` of a
   * threshold above (of `growingAt` only with that layer the widest so far): the
   * other threads start loading then, to be ready at the hand-over.
   */
  readonly ahead?: { readonly share: number; readonly call: () => void };
}

/** States as they cross threads: their worlds, and their monitors' saved states. */
export interface StatesData {
  readonly worlds: readonly World[];
  readonly mons: readonly (readonly unknown[])[];
}

/**
 * A search stopped at the end of a layer, to be taken up by the search on several
 * threads: everything it needs to go on as if it had searched from the start. It is
 * taken up once: the threads take `seed` (and leave null), and add their liveness
 * edges to `lassos`.
 */
export interface HandOver {
  /** the states met: tree nodes 0 to states - 1 */
  readonly states: number;
  /** the strings the hashes were made with (engine/shared-strings.ts) */
  readonly strings: SharedStringsBuffer;
  /** the depth of the layer to expand next */
  readonly depth: number;
  readonly transitions: number;
  readonly pending: ReadonlyMap<string, Pending>;
  /** the liveness graphs so far (every edge from the layers expanded) */
  readonly lassos: readonly LassoWatch[];
  readonly peak: number;
  /** what the threads seed their search with, null once they have taken it */
  seed: HandOverSeed | null;
}

/**
 * The bulk of a hand-over, let go once the threads have it: each state's hash, the tree,
 * and the states of the layer to expand next (`worlds`, `mons`), the last nodes of the
 * tree.
 */
export interface HandOverSeed extends StatesData {
  /** each state's 128-bit hash, 4 words from 4 * node, as the parallel search keys it */
  readonly hashes: Int32Array;
  readonly tree: Tree;
}

export interface ExhaustiveCounterexample {
  readonly property: string;
  /** the schedule, one choice per step; for a lasso, prefix then one turn of the loop */
  readonly schedule: readonly Choice[];
  /** for a lasso: the index in `schedule` where the repeating part starts */
  readonly loopStart: number | null;
  readonly message: string;
  readonly run: Run;
  /**
   * found by the search with persistent sets, which the search without them (run again
   * for the shortest) did not reach within its bounds: a real counterexample, not
   * proven shortest
   */
  readonly notShortest?: true;
}

export interface ExhaustiveResult {
  readonly states: number;
  readonly transitions: number;
  /** deepest level expanded */
  readonly depth: number;
  /** the whole state space was explored within the depth bound */
  readonly complete: boolean;
  /** why the search stopped early, if it did */
  readonly stoppedBy: "max-states" | "max-memory" | "interrupted" | null;
  /** states at the depth bound that still had successors */
  readonly frontier: number;
  readonly ms: number;
  /** with hash compaction: the probability that some state was missed (birthday bound) */
  readonly omissionProbability: number | null;
  readonly counterexamples: ReadonlyMap<string, ExhaustiveCounterexample>;
  /**
   * On several threads: layers expanded again because the shared table filled up within
   * them (it is grown between layers by a bound learnt from the layers so far)
   */
  readonly redoneLayers?: number;
  /**
   * On several threads: each thread's time in its part of the search, and the part of
   * it spent waiting at the barriers between a layer's stages (for the others to finish
   * their stretch)
   */
  readonly threads?: readonly { readonly ms: number; readonly waitMs: number }[];
  /**
   * `ExhaustiveOptions.handOver`: the search stopped to be taken up on several threads
   * (its counterexamples are not worked out: the search that takes it up does that)
   */
  readonly handOver?: HandOver;
  /** what the stored states cost, in bytes (the bench divides them by `states`) */
  readonly memory: SearchMemory;
  /** `ExhaustiveOptions.persistentSets`, when used: what the reduced search did */
  readonly persistent?: PersistentResult;
  /**
   * the search stopped at the end of the layer in which every property was found
   * violated (with persistent sets, and the plain search run again after them): no row
   * was left to prove
   */
  readonly allViolated?: true;
}

/** The search with persistent sets, as `check` and the bench report it. */
export interface PersistentResult extends PersistentStats {
  /** the properties it found violated */
  readonly violated: readonly string[];
  /**
   * it found a violation: the search without the reduction, run again for the shortest
   * counterexamples of the violated properties until it had them all (null: none found)
   */
  readonly rerun: {
    readonly states: number;
    readonly transitions: number;
    readonly ms: number;
  } | null;
}

/** The bytes the search's stores hold at its end, and its peak heap. */
export interface SearchMemory {
  /** the visited set's arena of state keys */
  readonly arena: number;
  /** the visited set's hash table */
  readonly table: number;
  /** the collapser's part tables and the tuples of part ids it keeps per state */
  readonly parts: number;
  /** the search tree (parent, step and depth per state) */
  readonly tree: number;
  /** the liveness graphs (edges among loop states, idle bits) */
  readonly lasso: number;
  /** the largest heap plus typed arrays seen at the search's memory checks, in bytes */
  readonly peak: number;
}

interface Node {
  readonly world: World;
  readonly mon: readonly unknown[];
  readonly index: number;
  /** its place in its layer, where the collapser keeps its part ids */
  readonly slot: number;
  /** the thread that ran last, for the preemption bound */
  readonly last: number;
  readonly preemptions: number;
  /** threads whose next step need not be explored from here (sleep set) */
  readonly sleep: readonly number[];
  /**
   * A state explored again with a smaller sleep set: only these threads, the ones its
   * earlier sleep set skipped, are expanded (the others were, the first time).
   */
  readonly wake?: readonly number[];
  /** expanded again in a shard: its liveness edges are in the graph already */
  readonly again?: boolean;
}

/** Parent pointers: how each state was first reached. */
export class Tree {
  parent: Int32Array = new Int32Array(1 << 16);
  tid: Int16Array = new Int16Array(1 << 16);
  pick: Int16Array = new Int16Array(1 << 16);
  /** steps from the root (BFS: the shortest way to the state) */
  depth: Int32Array = new Int32Array(1 << 16);
  size = 0;
  add(parent: number, tid: number, pick: number): number {
    if (this.size === this.parent.length) {
      this.parent = grown(this.parent);
      this.tid = grown(this.tid);
      this.pick = grown(this.pick);
      this.depth = grown(this.depth);
    }
    const i = this.size++;
    this.depth[i] = parent < 0 ? 0 : (this.depth[parent] as number) + 1;
    this.parent[i] = parent;
    this.tid[i] = tid;
    this.pick[i] = pick;
    return i;
  }
  /**
   * The tree of a search run on several threads (engine/exhaustive-parallel.ts): `size`
   * states, state 0 the root; `each` calls `set` with every state's index, parent,
   * thread and pick.
   */
  fill(
    size: number,
    each: (set: (i: number, parent: number, tid: number, pick: number) => void) => void,
  ): void {
    this.parent = new Int32Array(size);
    this.tid = new Int16Array(size);
    this.pick = new Int16Array(size);
    this.depth = new Int32Array(size);
    each((i, parent, tid, pick) => {
      this.parent[i] = parent;
      this.tid[i] = tid;
      this.pick[i] = pick;
    });
    // a parent is always numbered before its child
    for (let i = 1; i < size; i++)
      this.depth[i] = (this.depth[this.parent[i] as number] as number) + 1;
    this.size = size;
  }
  bytes(): number {
    return (
      this.parent.byteLength + this.tid.byteLength + this.pick.byteLength + this.depth.byteLength
    );
  }
  path(i: number): Choice[] {
    const out: Choice[] = [];
    for (let n = i; n > 0; n = this.parent[n] as number)
      out.push({ t: this.tid[n] as number, p: this.pick[n] as number });
    return out.reverse();
  }
}

/** The JavaScript heap plus the typed arrays (visited set, tree), in MiB. */
export function heapBytes(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/**
 * The monitors' saved states as one id each, for the key: a saved state is kept as long
 * as it does not change (monitors replace their state objects, they do not mutate them),
 * so its id is remembered per monitor by identity, and a new object is encoded
 * canonically (`encode`: time stamps left out) and interned. Most transitions leave
 * every monitor as it was.
 */
export function monitorIds(n: number): (mon: readonly unknown[]) => readonly number[] {
  const lastValue: unknown[] = new Array(n).fill(undefined);
  const lastId: number[] = new Array(n).fill(-1);
  const ids: number[] = new Array(n).fill(0);
  const interned = new Map<string, number>();
  return (mon) => {
    for (let i = 0; i < n; i++) {
      const v = mon[i];
      if (lastId[i] !== -1 && lastValue[i] === v) {
        ids[i] = lastId[i] as number;
        continue;
      }
      const text = monitorText(v);
      let id = interned.get(text);
      if (id === undefined) {
        id = interned.size;
        interned.set(text, id);
      }
      lastValue[i] = v;
      lastId[i] = id;
      ids[i] = id;
    }
    return ids;
  };
}

/** A monitor's saved state as the search keys it: canonical text (`encode`). */
export function monitorText(v: unknown): string {
  return v === null || v === undefined ? "_" : typeof v === "number" ? String(v) : encode(v);
}

/**
 * Every monitor judges one step (each steps, since a stateful one's state is part of
 * the key): the (monitor index, message) of those that object, or null (most steps).
 */
export function stepMonitors(
  monitors: readonly Monitor[],
  before: World,
  after: World,
  rec: StepRecord,
  depth: number,
): [number, string][] | null {
  const view = { before, after, rec, index: depth, phase: "schedule" } as const;
  let out: [number, string][] | null = null;
  for (let i = 0; i < monitors.length; i++) {
    const msg = monitors[i]?.step?.(view);
    if (!msg) continue;
    if (out === null) out = [];
    out.push([i, msg]);
  }
  return out;
}

/**
 * The end-of-run judgement of a quiescent state, with the monitors loaded with its
 * saved states: the (property id, message) of each property not yet violated (`done`)
 * whose monitor objects, as random mode judges after its fair completion.
 */
export function endMessages(
  setup: Setup,
  props: readonly Property[],
  monitors: readonly Monitor[],
  w: World,
  done: (id: string) => boolean,
): [string, string][] {
  const end: RunEnd = w.threads.every((t) => t.role !== "driver" || t.status.kind === "done")
    ? "done"
    : "deadlock";
  const out: [string, string][] = [];
  props.forEach((p, i) => {
    if (done(p.id)) return;
    const msg = monitors[i]?.end?.({
      world: w,
      trace: [],
      end,
      scenario: setup.scenario,
      design: setup.design,
    });
    if (msg) out.push([p.id, msg]);
  });
  return out;
}

const NO_MONITORS: readonly unknown[] = [];
const NO_SLEEP: readonly number[] = [];
const NO_SLEEP_DONE: number[] = [];
const NO_SUCC = new Map<number, Judged | null>();

export function monitorsFor(props: readonly Property[]): Monitor[] {
  return props.map((p) => p.monitor());
}

export function load(monitors: Monitor[], states: readonly unknown[]): void {
  for (let i = 0; i < monitors.length; i++) monitors[i]?.load?.(states[i]);
}

export function save(monitors: Monitor[]): unknown[] {
  return monitors.map((m) => (m.save ? m.save() : null));
}

/**
 * The monitors' states after a step from a state whose monitor states were `before`:
 * `before` itself when every monitor's state is the very value it was (monitors replace
 * their state values, they never mutate them), so the many steps that change no
 * monitor allocate nothing, and the engines tell unchanged states by identity (a
 * search then need not load them again, nor encode them again for the key).
 */
export function saveOver(monitors: Monitor[], before: readonly unknown[]): readonly unknown[] {
  let out: unknown[] | null = null;
  for (let i = 0; i < monitors.length; i++) {
    const m = monitors[i] as Monitor;
    const v = m.save ? m.save() : null;
    if (out === null) {
      if (v === before[i]) continue;
      out = before.slice(0, i);
    }
    out.push(v);
  }
  return out ?? before;
}

export function exploreExhaustive(
  setup: Setup,
  props: readonly Property[],
  opts: ExhaustiveOptions,
): ExhaustiveResult {
  if (opts.handOver === undefined)
    return persistentApplies(props, opts)
      ? searchWithPersistentSets(setup, props, opts)
      : searchOneThread(setup, props, opts, null);
  if (
    opts.sleepSets ||
    opts.persistentSets ||
    opts.preemptions !== undefined ||
    opts.shard ||
    opts.hashCompact ||
    opts.edges
  )
    throw new Error(
      "a search handed over to several threads takes none of sleep sets, persistent sets, a preemption bound, a shard, hash-compact or edge coverage",
    );
  // strings interned as the threads that take the search up will intern them
  const strings = sharedStringsBuffer();
  shareInterning(strings);
  try {
    return searchOneThread(setup, props, opts, strings);
  } finally {
    shareInterning(null);
  }
}

/**
 * The search with persistent sets (engine/persistent.ts), and, when it finds a
 * violation, the plain search again for the violated properties' shortest
 * counterexamples, until it has them all. The counts are the reduced search's; the time
 * is both searches'.
 */
function searchWithPersistentSets(
  setup: Setup,
  props: readonly Property[],
  opts: ExhaustiveOptions,
): ExhaustiveResult {
  const sets = new PersistentSets(setup, props);
  // (it too stops once every property is violated: no row is left to prove)
  const r = searchOneThread(setup, props, opts, null, sets, true);
  const reduced = { ...sets.stats, violated: [...r.counterexamples.keys()] };
  if (r.counterexamples.size === 0) return { ...r, persistent: { ...reduced, rerun: null } };
  // its counterexamples need not be the shortest: the plain search finds those, for
  // the violated properties only, and stops at the end of the layer that has them all
  const violated = props.filter((p) => r.counterexamples.has(p.id));
  const plain = searchOneThread(
    setup,
    violated,
    { ...opts, persistentSets: false },
    null,
    null,
    true,
  );
  const counterexamples = new Map<string, ExhaustiveCounterexample>();
  for (const [id, c] of r.counterexamples) {
    const shortest = plain.counterexamples.get(id);
    // (a plain search stopped within a layer may have left a shorter one unexpanded)
    counterexamples.set(
      id,
      shortest !== undefined && plain.stoppedBy === null
        ? shortest
        : { ...(shortest ?? c), notShortest: true },
    );
  }
  return {
    ...r,
    // (the time of both searches, and the larger peak)
    ms: r.ms + plain.ms,
    memory: { ...r.memory, peak: Math.max(r.memory.peak, plain.memory.peak) },
    counterexamples,
    persistent: {
      ...reduced,
      rerun: { states: plain.states, transitions: plain.transitions, ms: plain.ms },
    },
  };
}

/** Why a reduction is off with a liveness property. */
const NEEDS_EVERY_STEP = "a liveness property needs every step";

/**
 * Does a liveness property among `props` turn the reductions off (a lasso needs every
 * step)? The CLI refuses a reduction that this turns off in every search of a run.
 */
export function needsEveryStep(props: readonly Property[]): boolean {
  return props.some((p) => p.lasso !== undefined);
}

/** Why sleep sets, if asked for, are not used with these properties and options. */
export function whySleepSetsOff(
  props: readonly Property[],
  opts: ExhaustiveOptions,
): string | null {
  if (needsEveryStep(props)) return NEEDS_EVERY_STEP;
  if (opts.preemptions !== undefined)
    return "a step that commutes with another may cost a preemption in one order only";
  return null;
}

/** Are persistent sets asked for and usable with these properties and options? */
function persistentApplies(props: readonly Property[], opts: ExhaustiveOptions): boolean {
  return opts.persistentSets === true && whyPersistentSetsOff(props, opts, false) === null;
}

/** Why persistent sets, if asked for, are not used with these properties and options. */
export function whyPersistentSetsOff(
  props: readonly Property[],
  opts: ExhaustiveOptions,
  inShard: boolean,
): string | null {
  if (needsEveryStep(props)) return NEEDS_EVERY_STEP;
  if (Number.isFinite(opts.depth))
    return "with a depth bound (the reduction may reach a violation by a longer path)";
  if (opts.preemptions !== undefined) return "with a preemption bound";
  if (opts.sleepSets === true) return "with sleep sets";
  if (inShard || opts.shard !== undefined) return "in a shard";
  if (opts.edges !== undefined) return "with edge coverage";
  return null;
}

function searchOneThread(
  setup: Setup,
  props: readonly Property[],
  opts: ExhaustiveOptions,
  strings: SharedStringsBuffer | null,
  persistent: PersistentSets | null = null,
  untilFound = false,
): ExhaustiveResult {
  const t0 = performance.now();
  const monitors = monitorsFor(props);
  const found = new Map<string, ExhaustiveCounterexample>();
  // a violation: the state (tree node) it was found at, or the state before it and the
  // step that violated (which may lead to a state already met)
  const pending = new Map<string, Pending>();
  const tree = new Tree();
  // canonical state -> its tree node; with sleep sets, the sleep set it was explored with
  const visited = new StateSet(opts.hashCompact === true);
  const sleeps = new Map<number, readonly number[]>();
  // with a preemption bound the budget left is part of the state: a state first reached
  // with more preemptions must not hide the same state reached with fewer
  // The key is the world's tuple of part ids (collapsed, engine/collapse.ts), left
  // in keyUnits()[0, length) until the next key is written; the collapser keeps the
  // tuple of each new state by its tree index.
  const stateful = monitors.some((m) => m.save !== undefined);
  const monitorKey = monitorIds(monitors.length);
  const collapser = new Collapser(strings !== null);
  // the part ids keyOf found last (the collapser's scratch array)
  let lastIds: readonly number[] = [];
  const keyOf = (
    w: World,
    mon: readonly unknown[],
    used = 0,
    last = -1,
    parent: Node | null = null,
  ): number => {
    lastIds = collapser.ids(w, parent?.world ?? null, parent?.slot ?? -1);
    return keyAgain(mon, used, last);
  };
  /** The key of the state keyOf last looked at, written again (from its part ids). */
  const keyAgain = (mon: readonly unknown[], used = 0, last = -1): number => {
    let n = collapser.key(lastIds);
    if (stateful) n = extendIds(monitorKey(mon));
    // what the next steps cost depends on the thread that ran last while it can go on
    if (opts.preemptions !== undefined) n = extendKey(`${used}/${last}`);
    return n;
  };
  // liveness: the state graph among each lasso property's loop states, and the idle
  // bits of its weakly fair threads per state (engine/lasso.ts)
  const lassos = lassoWatches(props, setup.world0, setup.programs);
  // a lasso needs every step: sleep sets would drop the edges that close it; and a step
  // that commutes with another may cost a preemption in one order and not the other
  const sleepSets = opts.sleepSets === true && whySleepSetsOff(props, opts) === null;

  // to hand the search over: each state's 128-bit hash, as the parallel search makes it
  // (engine/exhaustive-parallel.ts), from the part ids keyOf found last
  let hashes = new Int32Array(strings !== null ? 4 * 1024 : 0);
  const h = new Int32Array(4);
  const monHash =
    strings !== null && stateful ? new MonitorHash(monitors.length, monitorText) : null;
  const hashState = (index: number, mon: readonly unknown[]) => {
    collapser.hash(lastIds, h);
    monHash?.mix(mon, h);
    if (4 * index + 4 > hashes.length) hashes = grown(hashes);
    hashes.set(h, 4 * index);
  };
  let handOver: HandOver | undefined;
  const rule: HandOverRule | null =
    opts.handOver === undefined
      ? null
      : typeof opts.handOver === "number"
        ? { at: opts.handOver }
        : opts.handOver;
  let widest = 0;
  let aheadCalled = false;

  const root = tree.add(-1, 0, 0);
  const mon0 = stateful ? save(monitors) : NO_MONITORS;
  visited.add(keyUnits(), keyOf(setup.world0, mon0), root);
  if (strings !== null) hashState(root, mon0);
  collapser.keep(0);
  collapser.nextLayer();
  let frontier: Node[] = [
    {
      world: setup.world0,
      mon: mon0,
      index: root,
      slot: 0,
      last: -1,
      preemptions: 0,
      sleep: [],
    },
  ];
  let transitions = 0;
  let lastCheck = 0;
  let depth = 0;
  let stoppedBy: ExhaustiveResult["stoppedBy"] = null;
  let atBound = 0;
  let allFound = false;
  let peak = 0;
  // with a shard: the states of the first `at` levels have tree indices below
  // `shardFrom`; those expanded since the shard took its own (`redone`) are not again
  let shardFrom = -1;
  const redone = new Set<number>();

  // has property `id` a counterexample of at most `length` steps already?
  const metBy = (id: string, length: number): boolean => {
    const p = pending.get(id);
    return p !== undefined && (tree.depth[p.node] as number) + (p.choice ? 1 : 0) <= length;
  };
  // the monitor states the monitors hold (null: not known), so that a step from a state
  // whose monitor states are those already held does not load them again
  let loaded: readonly unknown[] | null = null;
  const endCheck = (node: Node, w: World) => {
    load(monitors, node.mon);
    loaded = null;
    const at = tree.depth[node.index] as number;
    for (const [id, message] of endMessages(setup, props, monitors, w, (id) => metBy(id, at)))
      pending.set(id, { node: node.index, choice: null, message });
  };

  search: while (frontier.length > 0) {
    if (depth >= opts.depth) {
      // states at the bound are not expanded, but a quiescent one is still judged
      for (const n of frontier) {
        const enabled = enabledThreads(n.world, setup.programs);
        if (!enabled.some((t) => mayComplete(n.world, t, setup.programs))) endCheck(n, n.world);
        if (enabled.length > 0) atBound++;
      }
      break;
    }
    const next: Node[] = [];
    // a stop leaves the rest of this layer unexpanded: from `k` (the state being
    // expanded, when the stop comes in the middle of it), or from `k + 1`
    for (let k = 0; k < frontier.length; k++) {
      const node = frontier[k] as Node;
      const enabled = enabledThreads(node.world, setup.programs);
      // quiescent: nothing but a new munmap, invalidation or signal could run now; the
      // end-of-run properties are judged here, as after random mode's fair completion
      if (!enabled.some((t) => mayComplete(node.world, t, setup.programs)))
        endCheck(node, node.world);
      if (enabled.length === 0) continue;
      for (const l of lassos)
        if (fairToOthers(l.fair) && l.spec.inLoop(node.world))
          l.graph.setIdle(node.index, idleBits(node.world, l.fair, setup.programs, l.spec));
      // with sleep sets: the threads already expanded here, and their steps, judged
      // (null: a step with a choice, which never sleeps), for the commutation checks
      const done: number[] = sleepSets ? [] : NO_SLEEP_DONE;
      const succ = sleepSets ? new Map<number, Judged | null>() : NO_SUCC;
      // the node's own depth: a state expanded again (for a smaller sleep set, or in a
      // shard) is in a later layer than the one it was first met in
      const at = tree.depth[node.index] as number;
      const expand =
        persistent === null ? enabled : persistent.choose(node.world, node.mon, enabled, at);
      for (const tid of expand) {
        if (sleepSets && (node.sleep.includes(tid) || node.wake?.includes(tid) === false)) continue;
        const preempt = node.last >= 0 && tid !== node.last && enabled.includes(node.last) ? 1 : 0;
        if (opts.preemptions !== undefined && node.preemptions + preempt > opts.preemptions)
          continue;
        let choices = 1;
        for (let pick = 0; pick < choices; pick++) {
          const [w, rec] = stepToKeep(node.world, tid, pick, setup.programs, opts.edges);
          choices = Math.max(1, rec.choices);
          transitions++;
          if (stateful && loaded !== node.mon) {
            load(monitors, node.mon);
            loaded = node.mon;
          }
          const judged = stepMonitors(monitors, node.world, w, rec, at);
          let violations: [string, string][] | null = null;
          for (const [i, msg] of judged ?? []) {
            const id = (props[i] as Property).id;
            if (metBy(id, at + 1)) continue;
            if (violations === null) violations = [];
            violations.push([id, msg]);
          }
          const mon: readonly unknown[] = stateful ? saveOver(monitors, node.mon) : NO_MONITORS;
          loaded = mon;
          // the thread that ran, while it can go on (leaving it then is a preemption)
          const goesOn =
            opts.preemptions !== undefined && isEnabled(w, tid, setup.programs) ? tid : -1;
          let keyLength = keyOf(w, mon, node.preemptions + preempt, goesOn, node);
          const seen = visited.get(keyUnits(), keyLength);
          // sleep set of the child: earlier siblings that commute with this step. A child
          // met before is expanded again only for the threads its sleep set skipped, so
          // only they are tested; the tests write where the key was, so a new child's
          // key is written again
          let sleep = NO_SLEEP;
          if (sleepSets) {
            const here: Judged = { world: w, rec, mon, objected: objectedBy(judged) };
            succ.set(tid, rec.choices <= 1 ? here : null);
            const only = seen === undefined ? null : (sleeps.get(seen) ?? NO_SLEEP);
            if (only === null || only.length > 0)
              sleep = commuting(node, tid, here, done, succ, setup, monitors, at, only);
            loaded = null;
            if (seen === undefined) keyLength = keyAgain(mon, node.preemptions + preempt, goesOn);
          }
          // a tree node for every new state (none for a violation's last step: the tree
          // numbers states in the order they are met, as the parallel search does)
          const index = seen !== undefined ? seen : tree.add(node.index, tid, pick);
          if (violations)
            for (const [id, message] of violations)
              pending.set(id, { node: node.index, choice: { t: tid, p: pick }, message });
          // (a state on a cycle is the target of a cycle edge: the target's condition suffices)
          if (node.again !== true)
            for (const l of lassos)
              if (l.spec.inLoop(w) && l.spec.progress?.(node.world, w) !== true)
                l.graph.add(node.index, seen ?? index, tid, pick);
          const preemptions = node.preemptions + preempt;
          if (seen !== undefined && seen < shardFrom && !redone.has(seen)) {
            // a state of the first levels (another shard's, or one every shard
            // expanded before it took its own), reached again from this shard's own
            // states: expanded here (again), at the depth it was first reached, with
            // every thread (no sleep set)
            redone.add(seen);
            if (sleepSets) sleeps.set(seen, NO_SLEEP);
            collapser.keep(next.length);
            next.push({
              world: w,
              mon,
              index: seen,
              slot: next.length,
              last: tid,
              preemptions,
              sleep: NO_SLEEP,
              again: (tree.depth[seen] as number) < (opts.shard?.at ?? 0),
            });
            continue;
          }
          if (seen !== undefined) {
            if (!sleepSets) continue;
            const seenSleep = sleeps.get(seen) ?? NO_SLEEP;
            // nothing to do unless the earlier sleep set skipped a thread this one does not
            if (seenSleep.every((x) => sleep.includes(x))) continue;
            // reached again with a smaller sleep set: expand the threads the earlier sleep
            // set skipped, with the intersection as the sleep set
            const inter = seenSleep.filter((x) => sleep.includes(x));
            sleeps.set(seen, inter);
            // the ids keyOf just computed are this state's
            collapser.keep(next.length);
            next.push({
              world: w,
              mon,
              index: seen,
              slot: next.length,
              last: tid,
              preemptions,
              sleep: inter,
              wake: seenSleep.filter((x) => !sleep.includes(x)),
            });
            continue;
          }
          visited.add(keyUnits(), keyLength, index);
          if (strings !== null) hashState(index, mon);
          collapser.keep(next.length);
          if (sleepSets) sleeps.set(index, sleep);
          next.push({
            world: w,
            mon,
            index,
            slot: next.length,
            last: tid,
            preemptions,
            sleep,
          });
          if (opts.maxStates !== undefined && visited.size >= opts.maxStates) {
            stoppedBy = "max-states";
            frontier = frontier.slice(k).concat(next);
            break search;
          }
        }
        if (sleepSets) done.push(tid);
      }
      if (transitions - lastCheck >= 4096) {
        lastCheck = transitions;
        const heap = heapBytes();
        if (heap > peak) peak = heap;
        if (opts.maxMemoryMiB !== undefined && heap > opts.maxMemoryMiB * 2 ** 20) {
          stoppedBy = "max-memory";
          frontier = frontier.slice(k + 1).concat(next);
          break search;
        }
        if (opts.onProgress?.({ states: visited.size, transitions, depth })) {
          stoppedBy = "interrupted";
          frontier = frontier.slice(k + 1).concat(next);
          break search;
        }
      }
    }
    frontier = next;
    collapser.nextLayer();
    depth++;
    // the search run again for the shortest counterexamples of what the search with
    // persistent sets found (exploreExhaustive): done once it has every one of them
    if (
      untilFound &&
      props.length > 0 &&
      frontier.length > 0 &&
      props.every((p) => pending.has(p.id))
    ) {
      allFound = true;
      break;
    }
    const shard = opts.shard;
    if (shard !== undefined && depth === shard.at) {
      // (the nodes keep their slots in the collapser's layer)
      frontier = frontier.filter((n) => shard.takes(tree.path(n.index)));
      for (const n of frontier) redone.add(n.index);
      shardFrom = tree.size;
    }
    // (the widest layer so far, this one included; `frontier` is the layer just met)
    const growing = frontier.length >= widest;
    if (growing) widest = frontier.length;
    // the states met reach `share` of a threshold of the rule that applies here
    const reached = (share: number) =>
      rule !== null &&
      (visited.size >= share * rule.at ||
        (growing && visited.size >= share * (rule.growingAt ?? Infinity)));
    const mayHandOver = strings !== null && frontier.length > 0 && depth < opts.depth;
    if (mayHandOver && !aheadCalled && rule?.ahead && reached(rule.ahead.share)) {
      aheadCalled = true;
      rule.ahead.call();
    }
    if (mayHandOver && reached(1)) {
      // (the layer's states are the last ones numbered, in the order they were met)
      if (frontier[0]?.index !== tree.size - frontier.length)
        throw new Error("hand-over: the next layer is not the last states numbered");
      peak = Math.max(peak, heapBytes());
      handOver = {
        states: tree.size,
        strings,
        depth,
        transitions,
        pending,
        lassos,
        peak,
        seed: {
          hashes,
          tree,
          worlds: frontier.map((n) => n.world),
          mons: frontier.map((n) => n.mon),
        },
      };
      break;
    }
  }

  if (handOver === undefined) counterexamplesOf(setup, props, tree, pending, lassos, found);
  const states = visited.size;
  const set = visited.bytes();
  peak = Math.max(peak, heapBytes());
  return {
    memory: {
      arena: set.arena,
      table: set.table,
      parts: collapser.bytes(),
      tree: tree.bytes(),
      lasso: lassos.reduce((n, l) => n + l.graph.bytes(), 0),
      peak,
    },
    states,
    transitions,
    depth,
    complete: handOver === undefined && stoppedBy === null && atBound === 0 && !allFound,
    ...(allFound ? { allViolated: true as const } : {}),
    stoppedBy,
    frontier: atBound + (stoppedBy ? frontier.length : 0),
    ms: performance.now() - t0,
    omissionProbability: opts.hashCompact ? (states * states) / 2 ** 65 : null,
    counterexamples: found,
    ...(handOver ? { handOver } : {}),
  };
}

/** A step taken from a state, with what the monitors made of it. */
interface Judged {
  readonly world: World;
  readonly rec: StepRecord;
  /** the monitors' states after it */
  readonly mon: readonly unknown[];
  /** the monitors that objected to it, as text (monitor indices) */
  readonly objected: string;
}

function objectedBy(judged: [number, string][] | null): string {
  return judged === null ? "" : judged.map(([i]) => i).join(",");
}

/** Thread `tid`'s step (its first pick) from `from`, judged by the monitors in states `mon`. */
function judgedStep(
  from: World,
  mon: readonly unknown[],
  tid: number,
  setup: Setup,
  monitors: Monitor[],
  depth: number,
): Judged {
  const [world, rec] = stepToKeep(from, tid, 0, setup.programs);
  load(monitors, mon);
  const objected = objectedBy(stepMonitors(monitors, from, world, rec, depth));
  return { world, rec, mon: save(monitors), objected };
}

/**
 * Earlier siblings (and inherited sleepers) whose step commutes with `tid`'s (`a`) at
 * this node: either order reaches the same world and the same monitor states, and each
 * step is objected to by the same monitors whichever runs first. The monitors are part
 * of it because a step can leave the world as it found it and still be judged by what
 * another changed (a dereference before or after the VMA is freed). Steps that offer a
 * choice never sleep: only their first pick would have been checked. With `only`, just
 * those threads are tested (the others are left out).
 */
function commuting(
  node: Node,
  tid: number,
  a: Judged,
  earlier: readonly number[],
  succ: Map<number, Judged | null>,
  setup: Setup,
  monitors: Monitor[],
  depth: number,
  only: readonly number[] | null = null,
): number[] {
  const out: number[] = [];
  if (a.rec.choices > 1) return out;
  const programs = setup.programs;
  for (const u of [...node.sleep, ...earlier]) {
    if (u === tid || out.includes(u) || (only !== null && !only.includes(u))) continue;
    let b = succ.get(u);
    if (b === undefined) {
      // an inherited sleeper: its step here was not taken
      const j = judgedStep(node.world, node.mon, u, setup, monitors, depth);
      b = j.rec.choices > 1 ? null : j;
      succ.set(u, b);
    }
    if (b === null) continue;
    if (!isEnabled(a.world, u, programs) || !isEnabled(b.world, tid, programs)) continue;
    const ab = judgedStep(a.world, a.mon, u, setup, monitors, depth + 1);
    const ba = judgedStep(b.world, b.mon, tid, setup, monitors, depth + 1);
    if (ab.rec.choices > 1 || ba.rec.choices > 1) continue;
    if (ab.objected !== b.objected || ba.objected !== a.objected) continue;
    if (!sameKey(ab.world, ba.world)) continue;
    if (ab.mon.some((m, i) => m !== ba.mon[i] && monitorText(m) !== monitorText(ba.mon[i])))
      continue;
    out.push(u);
  }
  return out;
}

/** A violation met by the search: where, and the property's message. */
export interface Pending {
  /** the tree node of the state where it was met (an end-of-run check), or of the state before the step */
  readonly node: number;
  /** the step that violated, from `node`; null: judged at `node` itself */
  readonly choice: Choice | null;
  readonly message: string;
}

/** A liveness property's graph among its loop states (engine/lasso.ts). */
export interface LassoWatch {
  readonly prop: Property;
  readonly spec: NonNullable<Property["lasso"]>;
  readonly fair: Fairness;
  readonly graph: LassoGraph;
}

/** An empty graph for each liveness property, with its weakly fair threads in `world0`. */
export function lassoWatches(
  props: readonly Property[],
  world0: World,
  programs: Programs,
): LassoWatch[] {
  return props.flatMap((p) => {
    const spec = p.lasso;
    if (!spec) return [];
    return [{ prop: p, spec, fair: fairness(spec, world0, programs), graph: new LassoGraph() }];
  });
}

/**
 * The counterexamples of a finished search, into `found`: each violation replayed along
 * its tree path, then the shortest lasso of each liveness property where it is shorter
 * than the end-of-run counterexample found for it.
 */
export function counterexamplesOf(
  setup: Setup,
  props: readonly Property[],
  tree: Tree,
  pending: ReadonlyMap<string, Pending>,
  lassos: readonly LassoWatch[],
  found: Map<string, ExhaustiveCounterexample>,
): void {
  for (const [property, v] of pending) {
    const schedule = v.choice ? [...tree.path(v.node), v.choice] : tree.path(v.node);
    const prop = props.find((p) => p.id === property);
    const run = runSchedule(setup, schedule, prop ? [prop] : [], {
      keepWorlds: true,
      noCompletion: true,
    });
    found.set(property, { property, schedule, loopStart: null, message: v.message, run });
  }
  // the shortest lasso of each liveness property, where it is shorter than the
  // end-of-run counterexample found for it
  for (const l of lassos) {
    const best = shortestLasso(
      l.graph,
      (n) => tree.depth[n] as number,
      fullMask(l.fair),
      (tid) => stepBits(tid, l.fair),
    );
    if (!best) continue;
    const prefix = tree.path(best.state);
    const schedule = [...prefix, ...best.loop.map((e) => ({ t: e.tid, p: e.pick }))];
    const other = found.get(l.prop.id);
    if (other && other.schedule.length <= schedule.length) continue;
    const run = runSchedule(setup, schedule, [], { keepWorlds: true, noCompletion: true });
    found.set(l.prop.id, {
      property: l.prop.id,
      schedule,
      loopStart: prefix.length,
      message: `${l.spec.describe(prefix.length, best.loop.length)} (${fairnessText(l.spec, run.worlds?.[prefix.length] ?? run.final, setup.programs)})`,
      run,
    });
  }
}
