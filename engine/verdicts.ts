// Verdicts for design x scenario x property, computed by exploration: a property
// holds on a row when no schedule violated it, and is n/a when the scenario cannot
// exercise it. Nothing here knows what any design is expected to do.
import type { Scenario } from "../model/scenarios.js";
import type { Design } from "../model/step.js";
import type { Property } from "../properties/property.js";
import type {
  ExhaustiveOptions,
  ExhaustiveResult,
  HandOverRule,
  PersistentResult,
} from "./exhaustive.js";
import { exploreExhaustive, whyPersistentSetsOff, whySleepSetsOff } from "./exhaustive.js";
import {
  type Crew,
  endCrew,
  exploreParallel,
  PARALLEL_FROM,
  PARALLEL_GROWING_FROM,
  startCrew,
} from "./exhaustive-parallel.js";
import type { ParallelOptions } from "./parallel-options.js";
import type { Counterexample, RandomOptions, ShardSpec } from "./random.js";
import { checkPair } from "./random.js";
import { setupFor } from "./run.js";
import { DEFAULT_SHARD_DEPTH, exploreShard } from "./shard.js";

/**
 * Where, as a share of a hand-over threshold, the other threads of a search that may
 * go on on several start loading the pair: late enough that a search ending well under
 * the threshold does not pay for threads it never uses (one started at half of it cost
 * `anon-uffd`, 280,590 states, 6% of its time), early enough that they are loaded at
 * the hand-over (a thread takes about a second to load; the search meets some 50,000
 * states a second on one thread, so the last fifth of 500,000 leaves it two, and of
 * 300,000 one). For the growing threshold only at the end of a layer that is the widest
 * so far: `anon-uffd`'s layers stop widening at about 150,000 states.
 */
const CREW_AT = 0.8;

/** A row's verdict: `unknown` when a requested search stopped early without a violation. */
export type Verdict = "holds" | "violated" | "unknown" | "n/a";

/**
 * How much a verdict rests on: N random runs; every state up to depth D expanded
 * (`exhaustive-depth`); no state left unexpanded (`exhaustive-complete`, which a
 * hash-compacted search also is, with the probability that a state was wrongly taken
 * for one already seen). A row whose search stopped early says why in `stopped`.
 */
export type Strength =
  | { readonly kind: "random"; readonly runs: number; readonly pct?: number }
  | {
      readonly kind: "exhaustive-depth" | "exhaustive-complete";
      /** the deepest level expanded */
      readonly depth: number;
      readonly states: number;
      /** states reached but not expanded (at the depth bound, or when stopped) */
      readonly frontier: number;
      readonly omissionProbability?: number;
      /**
       * a preemption bound (--preemptions K): the search covered every schedule with at
       * most K preemptions, not every schedule
       */
      readonly preemptions?: number;
      /**
       * the states a search with persistent sets expanded (--persistent-sets): every
       * safety violation is kept, not every state
       */
      readonly reduction?: "persistent-sets";
      /**
       * the search stopped at the end of the layer in which every property was found
       * violated (with persistent sets): every row is violated, none left to prove
       */
      readonly allViolated?: true;
    }
  | { readonly kind: "none" };

/** Why a requested search ended before its bound. */
export type StopReason = "max-states" | "max-memory" | "interrupted" | "time";

/** One row of the verdict matrix: a design, a scenario, a property and its verdict. */
export interface MatrixRow {
  readonly design: string;
  readonly scenario: string;
  readonly property: string;
  readonly verdict: Verdict;
  readonly strength: Strength;
  /** the search stopped before its bound: the reason (the coverage is in `strength`) */
  readonly stopped?: StopReason;
  /** how the verdict was reached: "random", "exhaustive" or "n/a" */
  readonly method: string;
  readonly runs: number;
  /** length of the (shrunk) counterexample for violated rows, else null */
  readonly steps: number | null;
  /** the violation, for violated rows */
  readonly message?: string;
  /** exhaustive rows: the depth explored, the distinct states, whether the space was exhausted */
  readonly depth?: number;
  readonly states?: number;
  readonly complete?: boolean;
  readonly stoppedBy?: StopReason;
  /** exhaustive rows: states reached but not expanded (at the depth bound, or when stopped) */
  readonly frontier?: number;
}

/** The row of a property the scenario cannot exercise: n/a, nothing run. */
function notApplicable(base: Pick<RowResult, "design" | "scenario" | "property">): RowResult {
  return {
    ...base,
    verdict: "n/a",
    strength: { kind: "none" },
    method: "n/a",
    runs: 0,
    steps: null,
    counterexample: null,
  };
}

/** The exit code a judging command (`check`) gives for its rows: 1 violated, 4 unknown, 0. */
export function judgement(rows: readonly { readonly verdict: Verdict }[]): 0 | 1 | 4 {
  if (rows.some((r) => r.verdict === "violated")) return 1;
  if (rows.some((r) => r.verdict === "unknown")) return 4;
  return 0;
}

export interface RowResult extends MatrixRow {
  readonly counterexample: Counterexample | null;
  /** exhaustive rows: how the search ran (for `check`'s summary; not in the JSON reports) */
  readonly search?: SearchFacts;
}

/** How an exhaustive search was run and what it cost, as `check` prints it. */
export interface SearchFacts {
  /** the reductions in force: "none", or e.g. "sleep sets", "hash-compact" */
  readonly reductions: readonly string[];
  /** why sleep sets, though asked for, were not used */
  readonly sleepSetsOff?: string;
  /** why persistent sets, though asked for, were not used */
  readonly persistentSetsOff?: string;
  /** the search with persistent sets, when one ran */
  readonly persistent?: PersistentResult;
  readonly workers: number;
  /** why the search ran on one thread although more were asked for */
  readonly alone?: string;
  /** what the visited set keeps: exact states, or hashes of them */
  readonly visited: string;
  /**
   * searched on one thread first, up to the end of the layer that passed the threshold
   * (PARALLEL_FROM states by default): this many states; then on `workers` from the
   * next layer
   */
  readonly handedOver?: number;
  readonly states: number;
  readonly transitions: number;
  readonly complete: boolean;
  /** it stopped once every property was violated (ExhaustiveResult.allViolated) */
  readonly allViolated?: true;
  readonly depth: number;
  /** the largest heap plus typed arrays seen, in bytes (summed over the threads) */
  readonly peakBytes: number;
  /**
   * the process's peak resident set when the search ended, in bytes: what `time -v`
   * reports, with everything else the process holds (other pairs searched side by side)
   */
  readonly peakRssBytes: number;
  readonly ms: number;
}

/**
 * Breadth-first search up to the length of a random counterexample: a shorter one
 * replaces it, one of the same length proves it shortest. For a liveness property the
 * search also looks for the shortest lasso (prefix plus loop) within that length.
 * Gives up (and leaves the counterexample as it was, not proven) past `maxStates`
 * states.
 */
export function shortestFor(
  setup: ReturnType<typeof setupFor>,
  prop: Property,
  cex: Counterexample,
  maxStates: number,
  onProgress?: ExhaustiveOptions["onProgress"],
): Counterexample {
  const r = exploreExhaustive(setup, [prop], {
    depth: cex.schedule.length,
    maxStates,
    hashCompact: true,
    ...(onProgress ? { onProgress } : {}),
  });
  const c = r.counterexamples.get(prop.id);
  if (!c || c.schedule.length > cex.schedule.length) return cex;
  // a lasso is the shortest only if the whole graph up to that depth was seen (every
  // edge of a lasso no longer than the bound leaves a state above it); a safety
  // violation found by breadth-first search is the shortest wherever the search stopped
  const proven = c.loopStart === null || r.stoppedBy === null;
  if (c.schedule.length === cex.schedule.length && c.loopStart === (cex.loopStart ?? null))
    return { ...cex, provenShortest: proven };
  return {
    ...cex,
    schedule: c.schedule,
    run: c.run,
    message: c.message,
    scheduled: c.schedule.length,
    provenShortest: proven,
    loopStart: c.loopStart,
  };
}

export function verdictRows(
  design: Design,
  scenario: Scenario,
  props: readonly Property[],
  opts: RandomOptions & {
    readonly shortest?: number;
    /** progress of the breadth-first searches of `shortest` (true stops them) */
    readonly onProgress?: ExhaustiveOptions["onProgress"];
  },
): RowResult[] {
  const applicable = props.filter((p) => p.applies(scenario, design));
  const pair = checkPair(design, scenario, applicable, opts);
  const setup = opts.shortest !== undefined ? setupFor(design, scenario) : null;
  return props.map((p): RowResult => {
    const base = { design: design.id, scenario: scenario.id, property: p.id };
    if (!applicable.includes(p)) return notApplicable(base);
    const found = pair.results.get(p.id) ?? null;
    const cex =
      found && setup && opts.shortest !== undefined
        ? shortestFor(setup, p, found, opts.shortest, opts.onProgress)
        : found;
    return {
      ...base,
      verdict: cex ? "violated" : "holds",
      strength: {
        kind: "random",
        runs: pair.runs,
        ...(opts.pct !== undefined ? { pct: opts.pct } : {}),
      },
      method: "random",
      runs: pair.runs,
      steps: cex ? cex.schedule.length : null,
      ...(cex ? { message: cex.message } : {}),
      counterexample: cex,
    };
  });
}

/**
 * The same rows from the exhaustive engine: "holds" then means no violation up to the
 * depth. With `shard`, the rows of that shard of the search (engine/shard.ts), its
 * prefixes `shardDepth` steps long.
 */
export function exhaustiveRows(
  design: Design,
  scenario: Scenario,
  props: readonly Property[],
  opts: ExhaustiveOptions,
  shard?: { readonly spec: ShardSpec; readonly depth?: number },
  parallel?: ParallelOptions,
): RowResult[] {
  const applicable = props.filter((p) => p.applies(scenario, design));
  const setup = setupFor(design, scenario);
  // why sleep sets, if asked for, are not used (engine/exhaustive.ts ignores them then)
  const sleepSetsOff = opts.sleepSets === true ? whySleepSetsOff(applicable, opts) : null;
  const o0: ExhaustiveOptions = sleepSetsOff !== null ? { ...opts, sleepSets: false } : opts;
  // why persistent sets, if asked for, are not used (engine/exhaustive.ts ignores them then)
  const persistentSetsOff =
    o0.persistentSets === true ? whyPersistentSetsOff(applicable, o0, shard !== undefined) : null;
  const o: ExhaustiveOptions = persistentSetsOff !== null ? { ...o0, persistentSets: false } : o0;
  // what keeps a search on one thread (engine/exhaustive-parallel.ts does none of these)
  const alone =
    parallel === undefined || parallel.workers <= 1
      ? null
      : shard
        ? "a shard runs on one thread"
        : o.sleepSets
          ? "sleep sets run on one thread"
          : o.persistentSets
            ? "persistent sets run on one thread"
            : o.preemptions !== undefined
              ? "a preemption bound runs on one thread"
              : o.hashCompact
                ? "hash-compact runs on one thread"
                : o.edges
                  ? "edge coverage runs on one thread"
                  : null;
  // the parallel options, when nothing keeps the search on one thread
  const spread = alone === null ? parallel : undefined;
  const from = spread?.from ?? PARALLEL_FROM;
  const growingFrom = spread?.growingFrom ?? PARALLEL_GROWING_FROM;
  // under this many states a search is never handed over
  const lowest = Math.min(from, growingFrom);
  // the other threads start once the one-thread search passes CREW_AT of a threshold
  // (of the growing one only while its layers still widen), and load the pair while it
  // goes on, so that a search that is handed over finds them ready (a search that never
  // is stops them unused)
  // (a holder: the callback below sets it, which flow analysis would not see in a `let`)
  const crew: { started: Crew | null } = { started: null };
  const rule: HandOverRule = {
    at: from,
    ...(growingFrom < from ? { growingAt: growingFrom } : {}),
    ahead: {
      share: CREW_AT,
      call: () => {
        // (not for a search whose --max-states ends it on one thread anyway)
        if (spread !== undefined && (o.maxStates ?? Infinity) > lowest)
          crew.started ??= startCrew(applicable, spread);
      },
    },
  };
  let r0: ExhaustiveResult;
  let again = false;
  let r: ExhaustiveResult;
  try {
    r0 = shard
      ? exploreShard(setup, applicable, o, shard.spec, shard.depth ?? DEFAULT_SHARD_DEPTH)
      : exploreExhaustive(setup, applicable, spread ? { ...o, handOver: rule } : o);
    // a search that outgrows `from` states on one thread (or `growingFrom` with its
    // layers still widening) is handed over to several at the end of that layer: they go
    // on from the next one (with states kept as hashes)
    again = spread !== undefined && r0.handOver !== undefined;
    const ready = crew.started;
    crew.started = null;
    r =
      again && spread
        ? exploreParallel(setup, applicable, o, spread, ready ?? undefined, r0.handOver)
        : r0;
    if (!again && ready) endCrew(ready);
  } finally {
    if (crew.started) endCrew(crew.started);
  }
  const threads = again ? (spread?.workers ?? 1) : 1;
  // (a search is handed over at the end of the layer that passes `from`, or
  // `growingFrom` if that layer is the widest so far: one that ends within that layer,
  // complete or stopped, stays on one thread too)
  const count = (n: number) => n.toLocaleString("en-US");
  const small =
    spread !== undefined && !again
      ? r0.states < lowest
        ? `under ${count(lowest)} states a search stays on one thread`
        : r0.states < from
          ? `under ${count(from)} states a search stays on one thread unless its breadth-first layers still widen past ${count(growingFrom)} states, and these had stopped widening`
          : `it ended within the layer that passed ${count(from)} states, before the hand-over to the others at its end`
      : null;
  const search: SearchFacts = {
    ...(sleepSetsOff !== null ? { sleepSetsOff } : {}),
    ...(persistentSetsOff !== null ? { persistentSetsOff } : {}),
    ...(r.persistent !== undefined ? { persistent: r.persistent } : {}),
    reductions: [
      ...(o.sleepSets ? ["sleep sets"] : []),
      ...(o.hashCompact ? ["hash-compact"] : []),
      ...(o.preemptions !== undefined ? [`preemption bound ${o.preemptions}`] : []),
    ],
    workers: threads,
    ...(alone !== null ? { alone } : small !== null ? { alone: small } : {}),
    ...(again ? { handedOver: r0.states } : {}),
    visited:
      threads > 1 ? "128-bit state hashes" : o.hashCompact ? "64-bit state hashes" : "exact states",
    states: r.states,
    transitions: r.transitions,
    complete: r.complete,
    ...(r.allViolated ? { allViolated: true as const } : {}),
    depth: r.depth,
    peakBytes: Math.max(r.memory.peak, r0.memory.peak),
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    // the time on one thread before the hand-over counts too
    ms: again ? r0.ms + r.ms : r.ms,
  };
  return props.map((p): RowResult => {
    const base = { design: design.id, scenario: scenario.id, property: p.id };
    if (!applicable.includes(p)) return notApplicable(base);
    const c = r.counterexamples.get(p.id);
    const strength: Strength = {
      kind: r.complete ? "exhaustive-complete" : "exhaustive-depth",
      depth: r.depth,
      states: r.states,
      frontier: r.frontier,
      ...(r.omissionProbability !== null ? { omissionProbability: r.omissionProbability } : {}),
      ...(o.preemptions !== undefined ? { preemptions: o.preemptions } : {}),
      ...(r.persistent !== undefined ? { reduction: "persistent-sets" as const } : {}),
      ...(r.allViolated ? { allViolated: true as const } : {}),
    };
    const coverage = {
      depth: r.depth,
      states: r.states,
      complete: r.complete,
      frontier: r.frontier,
      ...(r.stoppedBy ? { stoppedBy: r.stoppedBy } : {}),
    };
    if (!c)
      return {
        ...base,
        // a search cut short proves nothing about what it did not reach
        verdict: r.stoppedBy ? "unknown" : "holds",
        strength,
        ...(r.stoppedBy ? { stopped: r.stoppedBy } : {}),
        method: "exhaustive",
        runs: 0,
        steps: null,
        ...coverage,
        counterexample: null,
        search,
      };
    // a preemption bound searches only some schedules: a shorter one may need more
    const shortestHere =
      opts.preemptions === undefined &&
      c.notShortest !== true &&
      (c.loopStart === null || (r.stoppedBy === null && c.schedule.length <= opts.depth));
    return {
      ...base,
      verdict: "violated",
      strength,
      method: "exhaustive",
      runs: 0,
      steps: c.schedule.length,
      message: c.message,
      ...coverage,
      search,
      counterexample: {
        design: design.id,
        scenario: scenario.id,
        property: p.id,
        schedule: c.schedule,
        run: c.run,
        message: c.message,
        seed: 0,
        path: "exhaustive",
        lengthBeforeShrink: c.schedule.length,
        lengthAfterFastCheck: c.schedule.length,
        scheduled: c.schedule.length,
        // a lasso no longer than the depth bound lies wholly in the explored graph, where
        // it is the shortest; one found only past a stop is not proven
        // (a shard's is the shortest of its part only: merge takes the shortest of all)
        provenShortest: shard === undefined && shortestHere,
        ...(shard !== undefined && shortestHere ? { shortestOfPart: true } : {}),
        loopStart: c.loopStart,
      },
    };
  });
}
