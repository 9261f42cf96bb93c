// Random exploration with fast-check. A schedule is an array of choices; fast-check
// generates them from a seed and shrinks a failing one by deleting and simplifying
// elements. Even run indices draw independent choices, odd ones lasso-shaped
// schedules (a prefix and a repeated segment, lassoArb), which find the liveness
// loops. Run index r of a pair draws its schedule from a seed of its own (runSeed():
// the pair's seed mixed with r), so run r is the same schedule whichever other runs are
// made: a shard of the runs (README "Shards") sees exactly the runs it would in the whole.
// One pass records, per property, the failing run with the lowest index; each violated
// property is then replayed from that run (its seed, fast-check path "0") and shrunk on
// its own.
import fc from "fast-check";
import type { Scenario } from "../model/scenarios.js";
import type { Design } from "../model/step.js";
import type { Property } from "../properties/property.js";
import type { EdgeSink } from "./exec.js";
import { pctArb } from "./pct.js";
import type { Choice, Run, Setup } from "./run.js";
import { runSchedule, setupFor } from "./run.js";
import { minimize } from "./shrink/index.js";

export interface RandomOptions {
  readonly runs: number;
  readonly seed: number;
  /**
   * the most choices an independent schedule draws, and the bound lassoArb's prefix
   * and segment are drawn from (its repeats come on top, as does the fair completion)
   */
  readonly maxSteps?: number;
  /** PCT scheduling with this bug depth instead of uniform choices (engine/pct.ts) */
  readonly pct?: number;
  /** collect the edges the design's threads take (`lockdrop coverage`, engine/coverage.ts) */
  readonly edges?: EdgeSink;
  /** run only the indices r in [0, runs) with r mod count = index - 1 (index is 1-based) */
  readonly shard?: ShardSpec;
}

/** Shard `index` of `count` (1 <= index <= count), as `--shard index/count` names it. */
export interface ShardSpec {
  readonly index: number;
  readonly count: number;
}

/** The run indices of a shard: r in [0, runs) with r mod count = index - 1. */
export function shardRuns(runs: number, shard?: ShardSpec): number {
  if (!shard) return runs;
  const first = shard.index - 1;
  return first >= runs ? 0 : Math.ceil((runs - first) / shard.count);
}

export interface Counterexample {
  readonly design: string;
  readonly scenario: string;
  readonly property: string;
  /** random search: the index of the failing run it was shrunk from (the lowest that failed) */
  readonly runIndex?: number;
  /** the executed schedule up to and including the violating step */
  readonly schedule: readonly Choice[];
  readonly run: Run;
  readonly message: string;
  readonly seed: number;
  /** fast-check path of the shrunk case */
  readonly path: string;
  /** executed steps before fast-check shrank the schedule */
  readonly lengthBeforeShrink: number;
  /** executed steps up to the violation after fast-check's shrinking, before engine/shrink/ */
  readonly lengthAfterFastCheck: number;
  /** the first `scheduled` elements of `schedule` are the schedule; the rest is the fair completion */
  readonly scheduled: number;
  /** breadth-first search established that no shorter counterexample exists */
  readonly provenShortest?: boolean;
  /** a shard's exhaustive search: none shorter in the part of the search it took */
  readonly shortestOfPart?: boolean;
  /** for a lasso (liveness): where the repeating part of `schedule` starts */
  readonly loopStart?: number | null;
}

export interface PairResult {
  readonly design: string;
  readonly scenario: string;
  /** the schedules run: `runs`, or the shard's share of them */
  readonly runs: number;
  readonly seed: number;
  /** per property: its counterexample, or null when it held over `runs` schedules */
  readonly results: ReadonlyMap<string, Counterexample | null>;
}

/**
 * One choice: a thread, a pick, a burst. With `driverFirst`, the driver (thread 0) is
 * chosen about half of the time; otherwise every thread alike.
 */
function choiceArb(threads: number, driverFirst: boolean): fc.Arbitrary<Choice> {
  const any = fc.nat({ max: Math.max(0, threads - 1) });
  const t = driverFirst
    ? fc.oneof({ arbitrary: fc.constant(0), weight: 2 }, { arbitrary: any, weight: 2 })
    : any;
  // a choice runs its thread for a burst of steps, short or long: the long
  // uninterrupted runs (a whole munmap and remap while T sleeps) that uniform
  // interleaving rarely produces. A step that arms or ticks a deadline ends its burst
  // (engine/run.ts endsBurst): a clock choice is one jiffy.
  const n = fc.oneof(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 5, max: 16 }));
  return fc.record({ t, p: fc.nat({ max: 3 }), n });
}

/** Independent choices, up to `maxSteps` of them. */
export function scheduleArb(threads: number, maxSteps: number): fc.Arbitrary<Choice[]> {
  return fc.array(choiceArb(threads, true), { maxLength: maxSteps, size: "max" });
}

/**
 * Lasso-shaped schedules: a prefix of up to `maxSteps / 2` choices, then a segment of up
 * to `5 * maxSteps / 12` choices repeated 2 to 5 times. A liveness counterexample is a
 * lasso, a run that comes back to a state it was in; independent choices rarely repeat
 * the several switches a loop needs (an invalidation that collides with every pass of a
 * retry loop), a repeated segment repeats them by construction. Any list is still a
 * valid schedule (a choice of a blocked thread is skipped), so safety bugs are found
 * on these too. fast-check shrinks the prefix, the segment and the repeats (every copy
 * of the segment at once); engine/shrink/ then works on the flat list.
 */
export function lassoArb(threads: number, maxSteps: number): fc.Arbitrary<Choice[]> {
  return fc
    .tuple(
      fc.array(choiceArb(threads, true), { maxLength: Math.floor(maxSteps / 2), size: "max" }),
      fc.array(choiceArb(threads, false), {
        minLength: 1,
        maxLength: Math.ceil((5 * maxSteps) / 12),
        size: "max",
      }),
      fc.integer({ min: 2, max: 5 }),
    )
    .map(([prefix, segment, k]) => [...prefix, ...Array.from({ length: k }, () => segment).flat()]);
}

/**
 * The schedules each run index draws from, built once for a pair: uniform choices
 * (scheduleArb) for an even index, lasso-shaped ones (lassoArb) for an odd one; with
 * `pct`, PCT's for every index. A property of the index, so a shard, a worker or a
 * replay of run r draws as the whole search did.
 */
export function arbsOfRuns(
  setup: Setup,
  opts: Pick<RandomOptions, "pct" | "maxSteps">,
): (r: number) => fc.Arbitrary<Choice[]> {
  if (opts.pct) {
    const pct = pctArb(setup, opts.pct, opts.maxSteps ?? 150);
    return () => pct;
  }
  const threads = setup.world0.threads.length;
  const plain = scheduleArb(threads, opts.maxSteps ?? 24);
  const lasso = lassoArb(threads, opts.maxSteps ?? 24);
  return (r) => (r % 2 === 1 ? lasso : plain);
}

/** A stable seed per (design, scenario) derived from the user's seed. */
export function pairSeed(seed: number, design: string, scenario: string): number {
  let h = seed | 0;
  for (const c of `${design}/${scenario}`) h = Math.imul(h ^ c.charCodeAt(0), 0x9e3779b1) | 0;
  return h;
}

/** The seed of run index `r` of a pair: the pair's seed mixed with r (murmur3's finalizer). */
export function runSeed(pair: number, r: number): number {
  let h = (pair ^ Math.imul(r + 1, 0x9e3779b1)) | 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 0;
}

function violationOf(run: Run, property: string) {
  return run.violations.find((v) => v.property === property);
}

/** The executed prefix up to the violating step: the counterexample as a plain schedule. */
function trim(run: Run, at: number): Choice[] {
  return run.executed.slice(0, at + 1);
}

export function shrinkOne(
  setup: Setup,
  prop: Property,
  arb: fc.Arbitrary<Choice[]>,
  seed: number,
  path: string,
  /** executed steps of the failing run before fast-check shrank it */
  lengthBeforeShrink: number,
): Counterexample | null {
  const pred = (s: Choice[]) =>
    !violationOf(runSchedule(setup, s, [prop], { stopOn: prop.id }), prop.id);
  const first = fc.check(fc.property(arb, pred), { seed, path, numRuns: 1 });
  if (!first.failed || !first.counterexample) return null;
  const schedule = first.counterexample[0];
  const run = runSchedule(setup, schedule, [prop], { stopOn: prop.id });
  const v = violationOf(run, prop.id);
  if (!v) return null;
  // then the minimization passes (engine/shrink/); replaying their schedule gives the run
  const m = minimize(setup, prop, schedule);
  if (!m) return null;
  const replay = runSchedule(setup, m.schedule, [prop], { stopOn: prop.id, keepWorlds: true });
  const rv = violationOf(replay, prop.id);
  return {
    design: setup.design.id,
    scenario: setup.scenario.id,
    property: prop.id,
    schedule: trim(replay, rv?.at ?? m.at),
    run: replay,
    message: rv?.message ?? v.message,
    seed,
    path: first.counterexamplePath ?? path,
    lengthBeforeShrink,
    lengthAfterFastCheck: m.lengthBefore,
    scheduled: m.schedule.length,
    loopStart: rv?.loopStart ?? null,
  };
}

export function checkPair(
  design: Design,
  scenario: Scenario,
  props: readonly Property[],
  opts: RandomOptions,
): PairResult {
  const setup = setupFor(design, scenario);
  const seed = pairSeed(opts.seed, design.id, scenario.id);
  const arbOf = arbsOfRuns(setup, opts);
  const firstFail = new Map<string, { index: number; length: number }>();
  const count = opts.shard?.count ?? 1;
  const first = (opts.shard?.index ?? 1) - 1;
  const runs = shardRuns(opts.runs, opts.shard);
  let j = 0;
  const runOpts = opts.edges ? { edges: opts.edges } : {};
  // One fast-check run per run index (so that progress and Ctrl-C, cli/progress.ts, see
  // every schedule); each draws its schedule from its own seed, as fast-check's first run
  // with that seed would. The predicate never returns false: a failure here is an
  // exception thrown by a step (a DesignError), which must surface as an error, never
  // read as "holds".
  const explored = fc.check(
    fc.property(fc.constant(null), () => {
      const index = first + j * count;
      j++;
      const [s] = fc.sample(arbOf(index), { seed: runSeed(seed, index), numRuns: 1 });
      const run = runSchedule(setup, s ?? [], props, runOpts);
      for (const v of run.violations)
        if (!firstFail.has(v.property)) firstFail.set(v.property, { index, length: v.at + 1 });
      return true;
    }),
    { seed, numRuns: runs, endOnFailure: true },
  );
  if (explored.failed && explored.errorInstance instanceof Error) {
    const e = explored.errorInstance;
    // a search stopped from outside (Ctrl-C, SIGTERM: cli/progress.ts) keeps what it had
    // found: the properties already violated, not yet minimized
    if (e.constructor.name === "Interrupted" && firstFail.size > 0)
      e.message += ` Before the stop, ${design.id} on ${scenario.id} had violated ${[...firstFail.keys()].join(", ")} (not yet minimized; run that pair again to see the counterexample).`;
    throw e;
  }
  const results = new Map<string, Counterexample | null>();
  for (const p of props) {
    const f = firstFail.get(p.id);
    if (!f) {
      results.set(p.id, null);
      continue;
    }
    const cex = shrinkOne(setup, p, arbOf(f.index), runSeed(seed, f.index), "0", f.length);
    if (!cex)
      throw new Error(`${design.id}/${scenario.id}/${p.id}: the failing run did not replay`);
    results.set(p.id, { ...cex, runIndex: f.index });
  }
  return { design: design.id, scenario: scenario.id, runs, seed, results };
}
