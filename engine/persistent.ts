// Persistent sets for the exhaustive search (`--persistent-sets`): at each state, expand
// only a set E of its enabled threads such that nothing the other threads can do, while
// E's threads stand still, depends on E's steps. Found by exploring, not declared: from
// the state, every state the threads outside E reach on their own is visited, and in
// each, every step of an outside thread must commute with every step of E (both orders
// possible, the same world and the same monitor states either way, and no monitor
// objecting to any of the four steps). An outside thread that breaks this joins E; an
// outside state where the search would judge the end of a run and a property objects,
// or more than OUTSIDE_LIMIT outside states, gives up that candidate (each enabled
// thread seeds one). The smallest set found is expanded, or every enabled thread.
// A set found persistent marks every state visited for it as clean for that set: what
// the outside threads reach from there was all checked (or is a state the search
// expands, whose end it judges itself), so a later state that reaches it need not look
// again. With OUTSIDE_LIMIT raised from 2,000 to 5,000 in the same change, the 4-page
// search of docs/performance-history.md ("partial-order reduction") visited 0.76
// million outside states, not 4.28 million (3.07 million with the higher limit alone,
// 2.10 million with the clean states alone). Those visits still reach 99.2-99.3% of
// the plain search's states (`stats.outsideStates`; README "Exhaustive search"):
// exploring the other threads' futures is what costs, so no cheaper commutation check
// would make this faster than the plain search.
//
// Why the search keeps every violation (Godefroid, "Partial-Order Methods for the
// Verification of Concurrent Systems", 1996, theorem 2.3, with independence checked in
// each state rather than declared): a violating step or end judgement is, for this
// argument, a step into a state with no successors. Take a path from an expanded state
// s to such a state. If no step of it is E's, E's steps stay enabled along it (each
// outside state was checked) and the violation commutes with them, which the check
// refuses; so some step is E's, and the first such one commutes with every outside step
// before it, so it can go first: a path one step shorter from a successor the search
// expands. By induction on the length, the violation is reached. The induction is on
// paths, not on depth, so no cycle proviso is needed, and none that depends on the
// order in which states are met; but a violation may be reached by a longer path, so a
// reduced search proves a row only without a depth bound, and when it finds a
// violation the plain search runs again for the shortest counterexamples of the
// violated properties (engine/exhaustive.ts searchWithPersistentSets). Liveness is not
// kept (a lasso needs every step), so a search with a liveness property runs without
// it.

import type { Tid, World } from "../model/world.js";
import type { Monitor, Property } from "../properties/property.js";
import { Collapser } from "./collapse.js";
import { enabledThreads, isEnabled, stepToKeep } from "./exec.js";
import { endMessages, load, monitorIds, saveOver, stepMonitors } from "./exhaustive.js";
import { extendIds, keyUnits } from "./fingerprint.js";
import { grown } from "./grown.js";
import type { Setup } from "./run.js";
import { mayComplete } from "./run.js";
import { StateSet } from "./stateset.js";

/** Outside states explored for one candidate set before the state is expanded fully. */
export const OUTSIDE_LIMIT = 5000;
/**
 * States remembered (each one's steps and which pairs of them commute) before the
 * caches are cleared: they only save work. They are typed arrays, up to about 200
 * bytes a state with 5 threads (a 4-byte step per thread, a byte per pair of threads,
 * the key), besides the worlds kept (WORLD_LIMIT, which share most of their parts),
 * so the reduction's memory stays bounded however large the search.
 */
const CACHE_LIMIT = 1_000_000;
/** States whose worlds are kept (the others are stepped to again when needed). */
const WORLD_LIMIT = 100_000;

interface PState {
  readonly w: World;
  readonly mon: readonly unknown[];
  /** the world and the monitors' states, interned (`PersistentSets.ids`) */
  readonly id: number;
  /** the world's part ids (engine/collapse.ts), from which a successor's are made */
  readonly parts: Int32Array;
}

export interface PersistentStats {
  /** states expanded with fewer threads than were enabled */
  reduced: number;
  /** states with two or more enabled threads expanded fully */
  full: number;
  /** outside states visited to find the sets */
  outside: number;
  /**
   * distinct states among them (exact while the caches hold every state met, under
   * CACHE_LIMIT; after they are cleared a state met again counts again): how much of
   * the unreduced graph the search for the sets touched
   */
  outsideStates: number;
}

/** the most threads for which `clean` is kept (a byte per state per 8 sets) */
const CLEAN_THREADS = 8;

/** `PersistentSets.succs`: not worked out, not enabled, several steps, one step (+ its value) */
const STEP_UNKNOWN = 0;
const STEP_NONE = 1;
const STEP_MANY = 2;
const STEP_ONE = 3;
/** `PersistentSets.enabled`: set on a mask that was worked out (so for up to 30 threads) */
const ENABLED_KNOWN = 1 << 30;

/** the caches' answers (`commutes`, `ends`) */
const UNKNOWN = 0;
const NO = 1;
const YES = 2;

export class PersistentSets {
  private readonly monitors: Monitor[];
  /**
   * some monitor keeps a state (else the search passes no monitor states, and a step's
   * are not kept either: the same world is then one state however it was reached)
   */
  private readonly stateful: boolean;
  private loaded: readonly unknown[] | null = null;
  /** threads in the scenario */
  private readonly n: number;
  /** the states met: their worlds' part ids and their monitors' state ids */
  private ids = new StateSet(false, 12);
  /** the worlds' parts, interned as the search's own collapser does */
  private collapser = new Collapser();
  /** the monitors' saved states as ids (engine/exhaustive.ts monitorIds) */
  private monitorKey: (mon: readonly unknown[]) => readonly number[];
  /**
   * by state id * n + thread: its steps (`steps`), once worked out: STEP_UNKNOWN,
   * STEP_NONE (not enabled), STEP_MANY (more than one pick: in `many`), or the one
   * step's value plus STEP_ONE
   */
  private succs = new Int32Array(1 << 12);
  /** the steps of the threads whose op offers a choice, by state id * n + thread */
  private many = new Map<number, readonly number[]>();
  /**
   * by state id: the state with its world, for the last WORLD_LIMIT states met (a
   * world takes kilobytes, an id a few bytes: an older one is stepped to again)
   */
  private worlds: (PState | undefined)[] = [];
  private worldCount = 0;
  /** the states the last `stepAgain` reached */
  private lastReached: PState[] = [];
  /** by (state id * n + t) * n + u: do t's and u's steps commute there (UNKNOWN, NO, YES) */
  private commutes = new Uint8Array(1 << 16);
  /** by state id: its enabled threads, as a mask plus ENABLED_KNOWN (0: not worked out) */
  private enabled = new Int32Array(1 << 12);
  /** by state id: does the end of a run judged there object (UNKNOWN, NO, YES) */
  private ends = new Uint8Array(1 << 12);
  /** by state id: the breaker call that visited it last (`gen`) */
  private seen = new Int32Array(1 << 12);
  private gen = 0;
  /**
   * bit (state id << n | set mask): nothing the threads outside the set reach from that
   * state breaks it (a breaker call found no breaker there, an end judged by the search
   * itself aside), so a later one need not look; kept for up to CLEAN_THREADS threads
   */
  private clean = new Uint8Array(1 << 12);
  readonly stats: PersistentStats = { reduced: 0, full: 0, outside: 0, outsideStates: 0 };
  /** by state id: met as an outside state (for `stats.outsideStates`) */
  private met = new Uint8Array(1 << 12);

  constructor(
    private readonly setup: Setup,
    private readonly props: readonly Property[],
  ) {
    this.monitors = props.map((p) => p.monitor());
    this.stateful = this.monitors.some((m) => m.save !== undefined);
    this.n = setup.world0.threads.length;
    this.monitorKey = monitorIds(props.length);
  }

  /** The state of world `w` and monitor states `mon`, reached by one step from `from` if given. */
  private state(w: World, mon: readonly unknown[], from?: PState): PState {
    const parts =
      from === undefined
        ? this.collapser.ids(w, null)
        : this.collapser.idsAfter(w, from.w, from.parts);
    let len = this.collapser.key(parts);
    if (mon.length > 0) len = extendIds(this.monitorKey(mon));
    const units = keyUnits();
    let id = this.ids.get(units, len);
    if (id === undefined) {
      id = this.ids.size;
      this.ids.add(units, len, id);
      const pairs = (id + 1) * this.n * this.n;
      if (pairs > this.commutes.length) this.commutes = grown(this.commutes, pairs);
      if (id >= this.seen.length) {
        this.seen = grown(this.seen);
        this.ends = grown(this.ends);
        this.enabled = grown(this.enabled);
        this.met = grown(this.met);
      }
      if ((id + 1) * this.n > this.succs.length) this.succs = grown(this.succs, (id + 1) * this.n);
      const bytes = ((id + 1) << this.n) >>> 3;
      if (this.n <= CLEAN_THREADS && bytes >= this.clean.length)
        this.clean = grown(this.clean, bytes + 1);
    }
    const known = this.worlds[id];
    if (known !== undefined) return known;
    if (this.worldCount >= WORLD_LIMIT) {
      // (emptied in place: a new array written at a high id would be a sparse one, which
      // V8 keeps as a dictionary, and every look-up after would be a hash look-up)
      this.worlds.fill(undefined);
      this.worldCount = 0;
    }
    const p = { w, mon, id, parts: new Int32Array(parts) };
    this.worlds[id] = p;
    this.worldCount++;
    return p;
  }

  /**
   * The threads to expand at `w` with monitor states `mon` (its enabled threads
   * `enabled`, at depth `at`): one persistent set, the smallest found, or all of them.
   */
  choose(w: World, mon: readonly unknown[], enabled: readonly Tid[], at: number): readonly Tid[] {
    if (enabled.length < 2) return enabled;
    if (this.ids.size >= CACHE_LIMIT) {
      // (ids are reused from here: every cache goes)
      this.ids = new StateSet(false, 12);
      this.collapser = new Collapser();
      this.monitorKey = monitorIds(this.props.length);
      this.succs.fill(STEP_UNKNOWN);
      this.many.clear();
      this.enabled.fill(0);
      this.ends.fill(UNKNOWN);
      this.worlds = [];
      this.worldCount = 0;
      this.commutes.fill(UNKNOWN);
      this.clean.fill(0);
      this.met.fill(0);
    }
    const s = this.state(w, mon);
    let best: readonly Tid[] = enabled;
    for (const seed of enabled) {
      const set = [seed];
      for (;;) {
        const b = this.breaker(s, set, at);
        if (b === null) {
          if (set.length < best.length) best = enabled.filter((t) => set.includes(t));
          break;
        }
        // a thread disabled here cannot join: its later steps are outside steps
        if (b < 0 || !enabled.includes(b) || set.length + 1 >= enabled.length) break;
        set.push(b);
      }
      if (best.length === 1) break;
    }
    if (best.length < enabled.length) this.stats.reduced++;
    else this.stats.full++;
    return best;
  }

  /**
   * An outside thread whose step does not commute with a step of `set` somewhere the
   * outside threads reach from `s`; -1 when the reduction must be given up; null when
   * `set` is persistent.
   */
  private breaker(s: PState, set: readonly Tid[], at: number): Tid | null {
    let mask = 0;
    for (const t of set) mask |= 1 << t;
    if (this.isClean(s.id, mask)) return null;
    const gen = ++this.gen;
    this.seen[s.id] = gen;
    const todo: PState[] = [s];
    const depths: number[] = [0];
    const visited: number[] = [s.id];
    while (todo.length > 0) {
      const x = todo.pop() as PState;
      const d = depths.pop() as number;
      this.stats.outside++;
      if (this.met[x.id] === 0) {
        this.met[x.id] = 1;
        this.stats.outsideStates++;
      }
      const en = this.enabledAt(x);
      // the end of a run judged here, with an objection: a violation outside the set
      if (x !== s && this.endObjects(x)) return -1;
      for (const u of en) {
        if (set.includes(u)) continue;
        for (const t of set) if (!this.commute(x, t, u, at + d)) return u;
        for (const next of this.steps(x, u, at + d) ?? []) {
          const id = next >>> 1;
          if (this.seen[id] === gen) continue;
          this.seen[id] = gen;
          // (what the outside threads reach from a clean state was checked before)
          if (this.isClean(id, mask)) continue;
          if (visited.length >= OUTSIDE_LIMIT) return -1;
          visited.push(id);
          todo.push(this.reached(x, u, id, at + d));
          depths.push(d + 1);
        }
      }
    }
    // Every state visited is clean for this set too: what the outside threads reach
    // from it is among these states or clean states checked before. (The first one
    // may be reached again, and its end judgement was not asked for: the search
    // judges the state it expands itself. It is marked only if that does not object,
    // for a later call that meets it as an outside state.)
    for (let i = 1; i < visited.length; i++) this.markClean(visited[i] as number, mask);
    if (!this.endObjects(s)) this.markClean(s.id, mask);
    return null;
  }

  private isClean(id: number, mask: number): boolean {
    if (this.n > CLEAN_THREADS) return false;
    const bit = (id << this.n) | mask;
    return ((this.clean[bit >>> 3] as number) & (1 << (bit & 7))) !== 0;
  }

  private markClean(id: number, mask: number): void {
    if (this.n > CLEAN_THREADS) return;
    const bit = (id << this.n) | mask;
    this.clean[bit >>> 3] = (this.clean[bit >>> 3] as number) | (1 << (bit & 7));
  }

  /** The threads enabled at `x` (kept per state, for up to 30 threads). */
  private enabledAt(x: PState): readonly Tid[] {
    const known = this.enabled[x.id] as number;
    if (known !== 0) {
      const en: Tid[] = [];
      for (let t = 0; t < this.n; t++) if (known & (1 << t)) en.push(t);
      return en;
    }
    const en = enabledThreads(x.w, this.setup.programs);
    if (this.n <= 30) {
      let mask = ENABLED_KNOWN;
      for (const t of en) mask |= 1 << t;
      this.enabled[x.id] = mask;
    }
    return en;
  }

  /**
   * Is `x` quiescent (nothing but a new munmap, invalidation or signal could run: the
   * search judges the end of a run there) with a property objecting? Kept per state.
   */
  private endObjects(x: PState): boolean {
    const known = this.ends[x.id];
    if (known !== UNKNOWN) return known === YES;
    const programs = this.setup.programs;
    let objects = false;
    if (!this.enabledAt(x).some((t) => mayComplete(x.w, t, programs))) {
      load(this.monitors, x.mon);
      objects = endMessages(this.setup, this.props, this.monitors, x.w, () => false).length > 0;
      // (an end judgement may change a monitor's state: load again before the next step)
      this.loaded = null;
    }
    this.ends[x.id] = objects ? YES : NO;
    return objects;
  }

  /**
   * Thread `tid`'s steps from `x`, one per pick, each as the id of the state it reaches
   * times 2, plus 1 if a monitor objected to it; null if it is not enabled there.
   */
  private steps(x: PState, tid: Tid, at: number): readonly number[] | null {
    const known = this.known(x.id, tid);
    return known !== undefined ? known : this.stepAgain(x, tid, at);
  }

  /** `steps` of thread `tid` from state `id` if worked out (undefined if not). */
  private known(id: number, tid: Tid): readonly number[] | null | undefined {
    const k = id * this.n + tid;
    const v = this.succs[k] as number;
    if (v >= STEP_ONE) return [v - STEP_ONE];
    if (v === STEP_UNKNOWN) return undefined;
    return v === STEP_NONE ? null : this.many.get(k);
  }

  /** `steps`, worked out (again), with the worlds they reach kept for `reached`. */
  private stepAgain(x: PState, tid: Tid, at: number): readonly number[] | null {
    const programs = this.setup.programs;
    let out: number[] | null = null;
    this.lastReached = [];
    if (isEnabled(x.w, tid, programs)) {
      out = [];
      let choices = 1;
      for (let pick = 0; pick < choices; pick++) {
        const [w, rec] = stepToKeep(x.w, tid, pick, programs);
        choices = Math.max(1, rec.choices);
        if (this.loaded !== x.mon) {
          load(this.monitors, x.mon);
          this.loaded = x.mon;
        }
        const judged = stepMonitors(this.monitors, x.w, w, rec, at);
        const mon = this.stateful ? saveOver(this.monitors, x.mon) : x.mon;
        this.loaded = mon;
        const to = this.state(w, mon, x);
        this.lastReached.push(to);
        out.push(2 * to.id + (judged !== null ? 1 : 0));
      }
    }
    const k = x.id * this.n + tid;
    if (out === null) this.succs[k] = STEP_NONE;
    else if (out.length === 1) this.succs[k] = (out[0] as number) + STEP_ONE;
    else {
      this.succs[k] = STEP_MANY;
      this.many.set(k, out);
    }
    return out;
  }

  /** The state of id `id`, which `tid`'s step from `x` reaches (stepped again if its world was dropped). */
  private reached(x: PState, tid: Tid, id: number, at: number): PState {
    const known = this.worlds[id];
    if (known !== undefined) return known;
    this.stepAgain(x, tid, at);
    // (from the states just reached: making them may have dropped the kept worlds)
    const p = this.lastReached.find((y) => y.id === id);
    if (p === undefined) throw new Error("persistent sets: a step no longer reaches its state");
    return p;
  }

  /**
   * Do `t`'s and `u`'s steps commute at `x`: each possible after the other, the same
   * states either way (over all picks), and no monitor objecting to any of them?
   */
  private commute(x: PState, t: Tid, u: Tid, at: number): boolean {
    const k = (x.id * this.n + t) * this.n + u;
    const known = this.commutes[k];
    if (known !== UNKNOWN) return known === YES;
    const tu = this.both(x, t, u, at);
    const ut = tu === null ? null : this.both(x, u, t, at);
    const ok = tu !== null && ut !== null && sameIds(tu, ut);
    this.commutes[k] = ok ? YES : NO;
    // (the same pair the other way round)
    this.commutes[(x.id * this.n + u) * this.n + t] = ok ? YES : NO;
    return ok;
  }

  /** The ids of the states `a` then `b` reach from `x`, or null if one cannot go or a monitor objects. */
  private both(x: PState, a: Tid, b: Tid, at: number): number[] | null {
    const out: number[] = [];
    for (const y of this.steps(x, a, at) ?? []) {
      if (y & 1) return null;
      const id = y >>> 1;
      const known = this.known(id, b);
      const zs =
        known !== undefined ? known : this.stepAgain(this.reached(x, a, id, at), b, at + 1);
      if (zs === null) return null;
      for (const z of zs) {
        if (z & 1) return null;
        if (!out.includes(z >>> 1)) out.push(z >>> 1);
      }
    }
    return out.length === 0 ? null : out;
  }
}

/** The same ids, in any order (each list has no repeats). */
function sameIds(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}
