// `lockdrop matrix`: the verdicts of the built-in designs on every scenario and property.
// Pairs are computed on all cores; each is seeded on its own, so the output is the same
// with one worker or many.

import type { Command } from "commander";
import { rowsInParallel } from "../../engine/parallel.js";
import type { MatrixRow, RowResult } from "../../engine/verdicts.js";
import { runsIn, scenarioRegistry } from "../../model/scenarios.js";
import { type ShardOf, shardNotice } from "../../reports/check.js";
import type { Matrix } from "../../reports/matrix.js";
import { matrixJsonText, renderMatrix } from "../../reports/matrix.js";
import { DESIGN_LOADER, memoryBudget } from "../design-loader.js";
import { UsageError } from "../errors.js";
import { withExplorationOptions } from "../exploration.js";
import * as select from "../select.js";
import { checkShardTarget, writeShardOut } from "../shard-out.js";
import { onStopSignals, pairsSoFar } from "../signals.js";
import { fileDefaults, fileOfDesign, loadedFiles } from "../user-designs.js";

export function registerMatrix(program: Command): void {
  const cmd = program
    .command("matrix")
    .description(
      "verdicts of every built-in design (or those --design names, design files included) on every scenario and property",
    )
    .option("--json", "print lockdrop.matrix/1 JSON")
    .option("--design <ids...>", "only these designs")
    .option("--scenario <ids...>", "only these scenarios")
    .option("--property <ids...>", "only these properties")
    .option("--strict", "exit 1 when any row is violated")
    .option("--force", "let --shard-out replace an earlier shard file");
  withExplorationOptions(cmd).action(async (o) => {
    if (o.force === true && !o.shardOut)
      throw new UsageError(
        "--force lets --shard-out replace an earlier shard file, and no --shard-out was given, so it would be ignored. Fix: leave --force out.",
      );
    if (o.shardOut) checkShardTarget(o.shardOut, o.force === true);
    // (a design, scenario or property named twice is one column, row or pair)
    const designs = [...new Set(select.designs(o.design))];
    // a design file may name its own scenarios and properties, for when the command
    // line does not (as in check); a built-in design runs on every one
    const pairs = designs.flatMap((d) => {
      const own = fileDefaults(d);
      const props = select.properties(o.property ?? own.properties);
      return select
        .scenarios(o.scenario ?? own.scenarios)
        .filter((s) => runsIn(s, d))
        .map((s) => ({ d, s, props }));
    });
    select.somethingInMatrix(designs, pairs, o.scenario !== undefined || o.property !== undefined);
    select.checkDeclaredNames(pairs);
    select.reductionUsed(pairs, o, o.property !== undefined);
    const threads = Math.min(o.workers, Math.max(1, pairs.length));
    const memory = memoryBudget(o.maxMemory, threads);
    const files = loadedFiles().map((f) => f.file);
    const jobs = pairs.map(({ d, s, props }) => ({
      design: d.id,
      file: fileOfDesign(d.id),
      loader: DESIGN_LOADER,
      files,
      scenario: s.id,
      properties: props.map((p) => p.id),
      flags: {
        ...o,
        maxMemory: memory.searchMiB,
        // an exhaustive search spreads over the workers the pairs leave free
        searchWorkers: Math.max(1, Math.floor(o.workers / threads)),
        searchHeapMiB: memory.heapMiB,
      },
    }));
    // the pairs run on worker threads, so this thread is free to draw progress and to
    // take Ctrl-C: it reports how many pairs were done and prints no verdicts
    const tty = process.stderr.isTTY === true && !process.env.CI && !o.json;
    const soFar = pairsSoFar(jobs);
    const stopSignals = onStopSignals(
      () =>
        `${soFar.count()}; the matrix was not printed, because a partial matrix proves nothing about the rows it did not reach. ${soFar.found()} Fix: run again with --design or --scenario to cover fewer pairs.`,
    );
    const results = (
      await rowsInParallel(
        jobs,
        threads,
        (n, total, i, pairRows) => {
          soFar.took(i, pairRows);
          if (tty)
            process.stderr.write(`\r\u001b[2Klockdrop matrix: ${n}/${total} pairs  Ctrl-C stops`);
        },
        {
          stepLimitMs: o.stepTimeout * 1000,
          heapMiB: memory.heapMiB,
          memoryMiB: memory.memoryMiB,
          // a shard file records each counterexample's schedule
          ...(o.shardOut ? { keepCounterexamples: true } : {}),
        },
      )
    ).flat();
    // the report's rows: without the counterexamples kept for the shard file
    const rows: MatrixRow[] = results.map((r) => {
      const { counterexample: _c, search: _s, ...row } = r as Partial<RowResult> & MatrixRow;
      return row;
    });
    stopSignals();
    if (tty) process.stderr.write("\r\u001b[2K");
    const m: Matrix = { schema: "lockdrop.matrix/1", seed: o.seed, rows };
    const notice = o.shard
      ? `${shardNotice(o.shard as ShardOf, o.exhaustive === true, o.runs)}\n\n`
      : "";
    console.log(
      o.json
        ? matrixJsonText(m)
        : `${notice}${renderMatrix(
            m,
            scenarioRegistry.all().map((s) => s.id),
          )}`,
    );
    // a report: 0 when every row has a verdict, 4 when some row is unknown, 1 only with --strict
    if (o.strict && rows.some((r) => r.verdict === "violated")) process.exitCode = 1;
    else if (rows.some((r) => r.verdict === "unknown")) process.exitCode = 4;
    if (
      !writeShardOut(o, {
        command: "matrix",
        designs,
        scenarios: scenarioRegistry
          .all()
          .map((s) => s.id)
          .filter((id) => pairs.some((p) => p.s.id === id)),
        properties: [...new Set(pairs.flatMap((p) => p.props.map((x) => x.id)))],
        rows: results as RowResult[],
      })
    )
      process.exitCode = 5;
  });
}
