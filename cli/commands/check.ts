// `lockdrop check <design>`: verdicts of one design, counterexamples as thread lanes.
import type { Command } from "commander";
import { rowsInParallel, Stopped } from "../../engine/parallel.js";
import { joinRunShards } from "../../engine/shard.js";
import type { RowResult } from "../../engine/verdicts.js";
import { judgement } from "../../engine/verdicts.js";
import type { Scenario } from "../../model/scenarios.js";
import type { Property } from "../../properties/property.js";
import { checkJsonText, renderCheck, type ShardOf } from "../../reports/check.js";
import { cexOfRows, checkOutTarget, WriteError, writeCexFiles } from "../cex-out.js";
import { DESIGN_LOADER, memoryBudget } from "../design-loader.js";
import { parseFileName, UsageError } from "../errors.js";
import { exit } from "../exit-guard.js";
import { withExplorationOptions } from "../exploration.js";
import * as select from "../select.js";
import { checkShardTarget, writeShardOut } from "../shard-out.js";
import {
  SIGNAL_CODE,
  SIGNAL_NAME,
  type StopSignal,
  setStopHandler,
  violationsSoFar,
} from "../signals.js";
import { fileDefaults, fileOfDesign, loadedFiles, moduleOf } from "../user-designs.js";

export function registerCheck(program: Command): void {
  const cmd = program
    .command("check")
    .description("check one design; print each counterexample as thread lanes")
    .argument("<design>", "design id (see `lockdrop list`) or design file (./my-design.ts)")
    .option(
      "--scenario <ids...>",
      "scenarios (default: a design file's own list, else every scenario the design runs in)",
    )
    .option("--property <ids...>", "properties (default: a design file's own list, else all)")
    .option("--json", "print lockdrop.check/1 JSON")
    .option(
      "--out <file>",
      "write each counterexample as a lockdrop.cex/1 file (see `replay`)",
      parseFileName("--out"),
    )
    .option(
      "--force",
      "let --out overwrite existing files, and --shard-out replace an earlier shard file",
    );
  withExplorationOptions(cmd, { shortestByDefault: true }).action(async (id: string, o) => {
    const [design] = select.designs([id]);
    if (!design) return;
    // a design file may name its own scenarios and properties for when the command line does not
    const own = fileDefaults(design);
    const props = select.properties(o.property ?? own.properties);
    const scenarios = select.scenariosOf(design, o.scenario, own.scenarios);
    select.somethingToCheck(design, scenarios, props);
    select.reductionUsed(
      scenarios.map((s) => ({ d: design, s, props })),
      o,
      o.property !== undefined || own.properties !== undefined,
    );
    if (o.out)
      checkOutTarget(
        o.out,
        scenarios.flatMap((s) => props.map((p) => ({ scenario: s.id, property: p.id }))),
        o.force === true,
      );
    if (o.force === true && !o.out && !o.shardOut)
      throw new UsageError(
        "--force lets --out and --shard-out overwrite files, and neither was given, so it would be ignored. Fix: leave --force out.",
      );
    if (o.shardOut) checkShardTarget(o.shardOut, o.force === true);
    // The search runs on a worker thread, under the step watchdog and a heap limit; it
    // draws its progress from there, and this thread answers SIGINT and SIGTERM.
    const file = fileOfDesign(design.id);
    const run = await onWorker(design.id, file, scenarios, props, o);
    const rows = run.rows;
    const opts = {
      // as typed: a design file's replay line must name the file, not its id
      design: id,
      seed: o.seed,
      runs: o.runs,
      shortest: o.shortest as number | boolean,
      ...(o.pct !== undefined && !o.exhaustive ? { pct: o.pct } : {}),
      ...(o.exhaustive
        ? {
            exhaustive: {
              ...(o.depth !== undefined ? { depth: o.depth } : {}),
              ...(o.maxStates !== undefined ? { maxStates: o.maxStates } : {}),
              ...(o.preemptions !== undefined ? { preemptions: o.preemptions } : {}),
              ...(o.sleepSets ? { sleepSets: true } : {}),
              ...(o.persistentSets ? { persistentSets: true } : {}),
              ...(o.hashCompact ? { hashCompact: true } : {}),
            },
          }
        : {}),
      ...(moduleOf(design.id) ? { module: moduleOf(design.id) } : {}),
      ...(o.shard ? { shard: o.shard as ShardOf } : {}),
    };
    // the verdicts first: a file that cannot be written must not lose them (exit 5)
    console.log(o.json ? checkJsonText(rows, opts) : renderCheck(rows, opts));
    process.exitCode = judgement(rows);
    if (o.out)
      try {
        const written = writeCexFiles(cexOfRows(rows, design), o.out, o.force === true, (dir) =>
          moduleOf(design.id, dir),
        );
        for (const f of written) console.error(`wrote ${f}`);
        if (written.length === 0)
          console.error(
            `lockdrop: no row was violated, so --out ${o.out} wrote no counterexample file.`,
          );
      } catch (e) {
        if (!(e instanceof WriteError)) throw e;
        console.error(`lockdrop: ${e.message}`);
        process.exitCode = 5;
      }
    if (
      run.signal === null &&
      !writeShardOut(o, {
        command: "check",
        designs: [design],
        scenarios: scenarios.map((s) => s.id),
        properties: props.map((p) => p.id),
        rows,
      })
    )
      process.exitCode = 5;

    // a signal during a search: the rows above hold only as far as their searches got
    if (run.signal !== null) {
      console.error(
        run.stopped
          ? `lockdrop: ${run.stopped} ${violationsSoFar(rows)}`
          : `lockdrop: interrupted by ${SIGNAL_NAME[run.signal]} during a breadth-first search: ${o.exhaustive ? "the rows it had not finished are unknown, to the depth it reached" : "the random verdicts above are complete, but counterexamples not marked (shortest) were not proven shortest"}. ${violationsSoFar(rows)}`,
      );
      process.exitCode = SIGNAL_CODE[run.signal];
    }
  });
}

/** cli/progress.ts, which the worker draws progress with and polls the stop flag through */
const PROGRESS_MODULE = import.meta.resolve("../progress.js");

interface WorkerRun {
  readonly rows: RowResult[];
  /** the signal that stopped the search, if one did */
  readonly signal: StopSignal | null;
  /** how far a random search got when it was stopped (its rows are not printed) */
  readonly stopped: string | null;
}

/**
 * The rows of each scenario, computed on a worker thread. SIGINT or SIGTERM sets the
 * worker's stop flag: its searches stop at their next poll and report how far they got;
 * a search that does not poll within 3 s is ended with what had finished. A second
 * Ctrl-C exits at once.
 */
async function onWorker(
  design: string,
  file: string | undefined,
  scenarios: readonly Scenario[],
  props: readonly Property[],
  o: Record<string, unknown> & {
    stepTimeout: number;
    maxMemory?: number;
    json?: boolean;
    workers: number;
    runs: number;
    exhaustive?: boolean;
    shard?: unknown;
  },
): Promise<WorkerRun> {
  const finished: RowResult[] = [];
  let done = 0;
  const stopFlag = new Int32Array(new SharedArrayBuffer(4));
  let signal: StopSignal | null = null;
  const onSignal = (sig: StopSignal) => {
    if (signal !== null) {
      if (sig === "SIGINT") exit(130);
      return;
    }
    signal = sig;
    Atomics.store(stopFlag, 0, sig === "SIGINT" ? 1 : 2);
    setTimeout(() => {
      process.stderr.write(
        `lockdrop: interrupted by ${SIGNAL_NAME[sig]} after ${done} of ${jobs.length} search${jobs.length === 1 ? "" : "es"} (${scenarios.length} scenario${scenarios.length === 1 ? "" : "s"}); the rows not finished were not judged. ${violationsSoFar(finished)} Fix: run again with fewer --runs or one --scenario at a time.\n`,
      );
      exit(SIGNAL_CODE[sig]);
    }, 3000).unref();
  };
  const restore = setStopHandler(onSignal);
  // A random search deals each scenario's run indices out among the workers (one shard
  // of the runs each, joined by joinRunShards as the search run whole would give them);
  // an exhaustive one runs each scenario on one worker, the scenarios side by side.
  const split =
    o.exhaustive === true || o.shard !== undefined ? 1 : Math.max(1, Math.min(o.workers, o.runs));
  const threads = Math.max(1, Math.min(o.workers, scenarios.length * split));
  const memory = memoryBudget(o.maxMemory, threads);
  const jobs = scenarios.flatMap((s) =>
    Array.from({ length: split }, (_, i) => ({
      design,
      ...(file ? { file } : {}),
      loader: DESIGN_LOADER,
      files: loadedFiles().map((f) => f.file),
      scenario: s.id,
      properties: props.map((p) => p.id),
      flags: {
        ...o,
        maxMemory: memory.searchMiB,
        ...(split > 1 ? { shard: { index: i + 1, count: split } } : {}),
        // an exhaustive search spreads over the workers the scenarios leave free
        searchWorkers: Math.max(1, Math.floor(o.workers / threads)),
        searchHeapMiB: memory.heapMiB,
      },
    })),
  );
  try {
    const parts = await rowsInParallel(
      jobs,
      threads,
      (n, _total, _i, pairRows) => {
        done = n;
        finished.push(...(pairRows as RowResult[]));
      },
      {
        stepLimitMs: o.stepTimeout * 1000,
        keepCounterexamples: true,
        heapMiB: memory.heapMiB,
        memoryMiB: memory.memoryMiB,
        progress: {
          module: PROGRESS_MODULE,
          tty: process.stderr.isTTY === true,
          argv: process.argv.slice(2),
        },
        stop: stopFlag,
      },
    );
    const rows = scenarios.flatMap((_, k) =>
      split === 1
        ? (parts[k] as RowResult[])
        : joinRunShards(parts.slice(k * split, (k + 1) * split) as RowResult[][]),
    );
    return { rows, signal, stopped: null };
  } catch (e) {
    if (!(e instanceof Stopped)) throw e;
    return { rows: finished, signal: signal ?? "SIGINT", stopped: e.message };
  } finally {
    restore();
  }
}
