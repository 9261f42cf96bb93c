// The options that choose how rows are computed, shared by `check` and `matrix`:
// random schedules (default) or the exhaustive breadth-first engine.
import type { Command } from "commander";
import type { Scenario } from "../model/scenarios.js";
import type { Design } from "../model/step.js";
import type { Property } from "../properties/property.js";
import type { RowResult } from "../properties/verdicts.js";
import { exhaustiveRows, verdictRows } from "../properties/verdicts.js";
import { DEFAULT_RUNS, DEFAULT_SEED, parseCount, parseSeed } from "./errors.js";
import { exhaustiveProgress } from "./progress.js";

export const DEFAULT_DEPTH = 60;
export const DEFAULT_SHORTEST_STATES = 100_000;

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
      .option("--no-shortest", "random mode: keep the minimized random counterexample as it is")
      .setOptionValueWithSource("shortest", true, "default");
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
      "exhaustive: longest schedule explored",
      parseCount("--depth"),
      DEFAULT_DEPTH,
    )
    .option(
      "--max-states <n>",
      "exhaustive: stop after this many states and report coverage",
      parseCount("--max-states"),
    )
    .option(
      "--max-memory <mib>",
      "exhaustive: stop when the heap passes this many MiB",
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
    .option("--sleep-sets", "exhaustive: skip steps that commute with ones already explored");
}

export interface ExplorationFlags {
  readonly runs: number;
  readonly seed: number;
  readonly pct?: number;
  /** true (default bound) or a bound on the states of the breadth-first search; false: off */
  readonly shortest?: number | boolean;
  readonly exhaustive?: boolean;
  readonly depth: number;
  readonly maxStates?: number;
  readonly maxMemory?: number;
  readonly hashCompact?: boolean;
  readonly preemptions?: number;
  readonly sleepSets?: boolean;
}

export function rowsFor(
  o: ExplorationFlags,
): (d: Design, s: Scenario, props: readonly Property[]) => RowResult[] {
  const shortest = o.shortest === true ? DEFAULT_SHORTEST_STATES : o.shortest || undefined;
  const progress =
    o.exhaustive || shortest !== undefined ? exhaustiveProgress(process.argv) : undefined;
  if (!o.exhaustive)
    return (d, s, props) =>
      verdictRows(d, s, props, {
        runs: o.runs,
        seed: o.seed,
        ...(o.pct !== undefined ? { pct: o.pct } : {}),
        ...(shortest !== undefined ? { shortest } : {}),
        ...(progress ? { onProgress: progress } : {}),
      });
  return (d, s, props) =>
    exhaustiveRows(d, s, props, {
      depth: o.depth,
      ...(o.maxStates !== undefined ? { maxStates: o.maxStates } : {}),
      ...(o.maxMemory !== undefined ? { maxMemoryMiB: o.maxMemory } : {}),
      ...(o.preemptions !== undefined ? { preemptions: o.preemptions } : {}),
      hashCompact: o.hashCompact === true,
      sleepSets: o.sleepSets === true,
      ...(progress ? { onProgress: progress } : {}),
    });
}
