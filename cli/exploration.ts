// The options that choose how rows are computed, shared by `check` and `matrix`:
// random schedules (default) or the exhaustive breadth-first engine.
import { availableParallelism } from "node:os";
import { type Command, Option } from "commander";
import { DEFAULT_STEP_LIMIT_MS } from "../engine/parallel.js";
import type { ExplorationFlags } from "../engine/rows.js";
import { DEFAULT_SHORTEST_STATES, rowsFor as engineRowsFor } from "../engine/rows.js";
import { DEFAULT_SHARD_DEPTH } from "../engine/shard.js";
import type { RowResult } from "../engine/verdicts.js";
import type { Scenario } from "../model/scenarios.js";
import type { Design } from "../model/step.js";
import type { Property } from "../properties/property.js";
import {
  DEFAULT_RUNS,
  DEFAULT_SEED,
  parseCount,
  parseFileName,
  parseSeed,
  parseShard,
  UsageError,
} from "./errors.js";
import { exhaustiveProgress } from "./progress.js";

/**
 * `--workers <n>`, as every command that searches on worker threads takes it: one per
 * core by default; `what` says what runs on them.
 */
export function workersOption(what: string): Option {
  return new Option(
    "--workers <n>",
    `worker threads, one per core by default (the default below is this machine's count): ${what}; the verdicts and counterexamples do not depend on n (an exhaustive search handed over to several threads keeps states as 128-bit hashes, and its strength gives the chance that one was missed)`,
  )
    .argParser(parseCount("--workers"))
    .default(availableParallelism());
}

/**
 * `shortestByDefault` (check): the breadth-first pass after random search runs unless
 * `--no-shortest`; a kernel developer reading one counterexample wants the shortest.
 */
export function withExplorationOptions(
  cmd: Command,
  o: { readonly shortestByDefault?: boolean } = {},
): Command {
  if (o.shortestByDefault)
    cmd
      .option(
        "--shortest [max-states]",
        `random mode, on by default: search breadth-first, up to ${DEFAULT_SHORTEST_STATES.toLocaleString("en-US")} states or max-states, for a shorter counterexample, and prove it shortest if there is none`,
        (v: string): number | boolean => parseCount("--shortest")(v),
      )
      .option(
        "--no-shortest",
        "random mode: keep the minimized random counterexample as it is (accepted with --exhaustive, whose counterexamples are shortest anyway)",
      )
      .setOptionValueWithSource("shortest", true, "default")
      .on("option:shortest", () => flagsOf(cmd).add("--shortest"))
      .on("option:no-shortest", () => flagsOf(cmd).add("--no-shortest"));
  else
    cmd.option(
      "--shortest [max-states]",
      "random mode: search breadth-first for a shorter counterexample (proves it shortest if none)",
      parseCount("--shortest"),
    );
  return cmd
    .option(
      "--runs <n>",
      "random schedules per design and scenario",
      parseCount("--runs"),
      DEFAULT_RUNS,
    )
    .option("--seed <n>", "seed of the random exploration", parseSeed, DEFAULT_SEED)
    .option(
      "--pct <d>",
      "random mode: PCT priority scheduling for bugs of depth d",
      parseCount("--pct"),
    )
    .option(
      "--exhaustive",
      "breadth-first search of every schedule up to --depth (shortest counterexamples)",
    )
    .option(
      "--depth <n>",
      "exhaustive: longest schedule explored (default: no bound, the search runs to completion or to --max-memory)",
      parseCount("--depth"),
    )
    .option(
      "--max-states <n>",
      "exhaustive: stop after this many states and report coverage",
      parseCount("--max-states"),
    )
    .option(
      "--max-memory <mib>",
      "exhaustive: stop, with the rows unknown, when the search's memory passes this many MiB (default: 60% of the machine's memory, shared among the workers)",
      parseCount("--max-memory"),
    )
    .option(
      "--hash-compact",
      "exhaustive: keep 64-bit state hashes only (reports the chance of a missed state)",
    )
    .option(
      "--preemptions <k>",
      "exhaustive: at most k preemptions per schedule (CHESS)",
      parseCount("--preemptions"),
    )
    .option(
      "--sleep-sets",
      "exhaustive: skip steps that commute with ones already explored (safety properties only: off when a liveness property is checked, choose properties with --property; not with --preemptions)",
    )
    .option(
      "--persistent-sets",
      'exhaustive: expand at each state only threads nothing else depends on, found by exploring the other threads\' steps; keeps every safety violation, stores fewer states, costs more time (off with a liveness property; not with --depth, --preemptions, --sleep-sets or --shard; README "Exhaustive search")',
    )
    .option(
      "--shard <i/n>",
      'search only shard i of n (1 <= i <= n): random, the run indices r with r mod n = i-1; exhaustive, the schedule prefixes of --shard-depth steps that hash to i-1 mod n (README "Shards")',
      parseShard,
    )
    .option(
      "--shard-depth <k>",
      `exhaustive shards: length of the prefixes dealt out to the shards (default ${DEFAULT_SHARD_DEPTH})`,
      parseCount("--shard-depth"),
    )
    .option(
      "--shard-out <file>",
      "write the rows as a lockdrop.shard/1 file for `lockdrop merge` (shard 1/1 without --shard)",
      parseFileName("--shard-out"),
    )
    .addOption(
      workersOption(
        "pairs run side by side, check deals one pair's random run indices out among them, and an exhaustive search runs on the workers the scenarios or pairs leave free",
      ),
    )
    .option(
      "--step-timeout <seconds>",
      "a step of a design file that runs longer is stopped: a design error at that step",
      parseCount("--step-timeout"),
      DEFAULT_STEP_LIMIT_MS / 1000,
    )
    .hook("preAction", (command) => refuseIgnoredOptions(command));
}

export type { ExplorationFlags };

/** Flags that share one option value, as given on the command line (the last one wins). */
const flagsGiven = new WeakMap<Command, Set<string>>();
function flagsOf(cmd: Command): Set<string> {
  let set = flagsGiven.get(cmd);
  if (set === undefined) {
    set = new Set();
    flagsGiven.set(cmd, set);
  }
  return set;
}

/**
 * Reductions the exhaustive search turns off with another option: given together, the
 * reduction would be ignored. (The one that depends on the properties, a liveness
 * property turning both off, is said in the search summary.)
 */
const REDUCTION_CONFLICTS = [
  [
    "persistentSets",
    "--persistent-sets",
    "depth",
    "--depth",
    "a reduced search may reach a violation only by a longer path, past the bound",
  ],
  [
    "persistentSets",
    "--persistent-sets",
    "preemptions",
    "--preemptions",
    "a preemption bound cuts schedules the persistent sets count on",
  ],
  [
    "persistentSets",
    "--persistent-sets",
    "sleepSets",
    "--sleep-sets",
    "the two reductions are not combined",
  ],
  [
    "persistentSets",
    "--persistent-sets",
    "shard",
    "--shard",
    "a shard searches below schedule prefixes the sets would prune",
  ],
  [
    "sleepSets",
    "--sleep-sets",
    "preemptions",
    "--preemptions",
    "a step that commutes with another may cost a preemption in one order only",
  ],
] as const;

/** Options that bound or shape the exhaustive search: with random search they would be ignored. */
const EXHAUSTIVE_ONLY = [
  ["depth", "--depth", "bounds the exhaustive search"],
  ["maxStates", "--max-states", "bounds the exhaustive search"],
  ["hashCompact", "--hash-compact", "changes how the exhaustive search keeps states"],
  ["preemptions", "--preemptions", "bounds the exhaustive search"],
  ["sleepSets", "--sleep-sets", "is a reduction of the exhaustive search"],
  ["persistentSets", "--persistent-sets", "is a reduction of the exhaustive search"],
] as const;
/** Options of random search: an exhaustive search runs every schedule, and would ignore them. */
const RANDOM_ONLY = [
  ["runs", "--runs"],
  ["seed", "--seed"],
  ["pct", "--pct"],
  ["shortest", "--shortest"],
] as const;

/**
 * Refuse an option the chosen search would ignore (exit 2): a user who asks for a bound,
 * a reduction or a scheduler must get it, or be told, never a different search that
 * looks like the one asked for.
 */
export function refuseIgnoredOptions(cmd: Command): void {
  const o = cmd.opts() as Record<string, unknown>;
  const given = (key: string) => cmd.getOptionValueSource(key) === "cli";
  if (o.exhaustive !== true) {
    for (const [key, flag, what] of EXHAUSTIVE_ONLY)
      if (given(key))
        throw new UsageError(
          `${flag} ${what}, and this run is random (no --exhaustive), so it would be ignored. Fix: add --exhaustive, or leave ${flag} out.`,
        );
  } else {
    for (const [key, flag] of RANDOM_ONLY)
      if (given(key) && o[key] !== false)
        throw new UsageError(
          `${flag} is an option of random search, and --exhaustive searches every schedule, so it would be ignored. Fix: leave ${flag} out, or drop --exhaustive for a random search.`,
        );
    for (const [key, flag, other, otherFlag, why] of REDUCTION_CONFLICTS)
      if (given(key) && given(other))
        throw new UsageError(
          `${flag} is off with ${otherFlag} (${why}), so it would be ignored. Fix: leave out ${otherFlag} or ${flag}.`,
        );
  }
  const both = flagsGiven.get(cmd);
  if (both?.has("--shortest") && both.has("--no-shortest"))
    throw new UsageError(
      "--shortest and --no-shortest were both given, and only the last would count. Fix: leave out one of them (--shortest is on by default).",
    );
  const shard = o.shard as { index: number; count: number } | undefined;
  if (
    shard !== undefined &&
    o.exhaustive !== true &&
    typeof o.runs === "number" &&
    o.runs < shard.count
  )
    throw new UsageError(
      `--shard ${shard.index}/${shard.count} deals the ${o.runs} run indices of --runs out among ${shard.count} shards (shard i runs the indices r with r mod n = i - 1), so ${shard.count - o.runs === 1 ? "one shard" : `${shard.count - o.runs} shards`} would run no schedule at all and prove nothing. Fix: give --runs at least ${shard.count}, or split into fewer shards.`,
    );
  if (given("shardDepth") && (o.shard === undefined || o.exhaustive !== true))
    throw new UsageError(
      `--shard-depth sets the length of the schedule prefixes an exhaustive search deals out to its shards, and ${o.exhaustive === true ? "no --shard i/n was given" : "this run is random (no --exhaustive): random shards split run indices"}, so it would be ignored. Fix: ${o.exhaustive === true ? "add --shard i/n" : "add --exhaustive"}, or leave --shard-depth out.`,
    );
}

/** The rows of each pair under these flags, with the progress bar on a terminal. */
export function rowsFor(
  o: ExplorationFlags,
): (d: Design, s: Scenario, props: readonly Property[]) => RowResult[] {
  return engineRowsFor(o, exhaustiveProgress(process.argv));
}
