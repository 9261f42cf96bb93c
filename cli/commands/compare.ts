// `lockdrop compare <a> <b> [...]`: the same scenarios and properties on each design,
// side by side, with the counterexample that separates each cell where they differ.
// A report: exits 0 when it ran to completion, 2 on bad input.

import type { Command } from "commander";
import { Option } from "commander";
import { DEFAULT_STEP_LIMIT_MS, rowsInParallel } from "../../engine/parallel.js";
import type { RowResult } from "../../engine/verdicts.js";
import { runsIn } from "../../model/scenarios.js";
import { compareDesigns, comparisonJsonText, renderComparison } from "../../reports/compare.js";
import { DESIGN_LOADER, memoryBudget } from "../design-loader.js";
import { DEFAULT_RUNS, DEFAULT_SEED, parseCount, parseSeed, UsageError } from "../errors.js";
import { workersOption } from "../exploration.js";
import * as select from "../select.js";
import { onStopSignals, pairsSoFar } from "../signals.js";
import { fileOfDesign, filesDefaults, loadedFiles } from "../user-designs.js";

export function registerCompare(program: Command): void {
  program
    .command("compare")
    .description("compare designs side by side; show the counterexample behind each difference")
    .argument("<designs...>", "two or more design ids or design files (./my-design.ts)")
    .option("--scenario <ids...>", "scenarios (default: every scenario one of the designs runs in)")
    .option("--property <ids...>", "properties (default: all)")
    .option("--runs <n>", "random schedules per scenario", parseCount("--runs"), DEFAULT_RUNS)
    .option("--seed <n>", "seed of the random exploration", parseSeed, DEFAULT_SEED)
    .addOption(
      new Option("--format <format>", "text for a mailing-list reply, markdown for GitHub")
        .choices(["text", "markdown"])
        .default("text"),
    )
    .option("--all", "also list the rows where every design holds")
    .option("--strict", "exit 1 when any design violates any row")
    .option("--json", "print lockdrop.compare/1 JSON")
    .addOption(workersOption("the design and scenario pairs run side by side on them"))
    .option(
      "--step-timeout <seconds>",
      "a step of a design file that runs longer is stopped: a design error at that step",
      parseCount("--step-timeout"),
      DEFAULT_STEP_LIMIT_MS / 1000,
    )
    .action(async (ids: string[], o, cmd: Command) => {
      if (o.json === true && cmd.getOptionValueSource("format") === "cli")
        throw new UsageError(
          `--json prints lockdrop.compare/1 JSON, so --format ${o.format} would be ignored. Fix: leave --format out with --json, or drop --json for the ${o.format} report.`,
        );
      if (ids.length < 2)
        throw new UsageError(
          `compare needs at least two designs, got ${ids.length}. Example: lockdrop compare v1-hugetlb-drop v2.`,
        );
      const designs = select.designs(ids);
      const seen = new Set<string>();
      for (const d of designs) {
        if (seen.has(d.id))
          throw new UsageError(
            `design "${d.id}" is named twice. Fix: compare different designs (a design file needs an id of its own).`,
          );
        seen.add(d.id);
      }
      // design files may name their own scenarios and properties, for when the command
      // line does not: every design runs on the union of those the files name
      const own = filesDefaults(designs);
      const scenarios = select
        .scenarios(o.scenario ?? own.scenarios)
        .filter((s) => designs.some((d) => runsIn(s, d)));
      if (scenarios.length === 0)
        throw new UsageError(
          `none of the designs runs in ${o.scenario ? `scenario ${o.scenario.join(", ")}` : "any scenario"}. Fix: pick a scenario for their family (\`lockdrop list\`).`,
        );
      const props = select.properties(o.property ?? own.properties);
      // the searches run on worker threads (the step watchdog, and this thread free to
      // answer SIGINT and SIGTERM); the separating replays after them run here
      const pairs = designs.flatMap((d) =>
        scenarios.filter((s) => runsIn(s, d)).map((s) => ({ d, s })),
      );
      // (every row n/a is refused, as check and matrix refuse it)
      select.somethingInMatrix(
        designs,
        pairs.map((x) => ({ ...x, props })),
        o.scenario !== undefined || o.property !== undefined,
      );
      select.checkDeclaredNames(pairs);
      const jobs = pairs.map(({ d, s }) => ({
        design: d.id,
        ...(fileOfDesign(d.id) ? { file: fileOfDesign(d.id) as string } : {}),
        loader: DESIGN_LOADER,
        files: loadedFiles().map((f) => f.file),
        scenario: s.id,
        properties: props.map((p) => p.id),
        flags: { runs: o.runs, seed: o.seed, shortest: false, depth: 1 },
      }));
      const soFar = pairsSoFar(jobs);
      const stop = onStopSignals(
        () =>
          `${soFar.count()}; the comparison was not printed. ${soFar.found()} Fix: compare fewer scenarios (--scenario) or with fewer --runs.`,
      );
      const threads = Math.min(o.workers, Math.max(1, pairs.length));
      const computed = await rowsInParallel(
        jobs,
        threads,
        (_n, _total, i, pairRows) => soFar.took(i, pairRows),
        {
          stepLimitMs: o.stepTimeout * 1000,
          keepCounterexamples: true,
          heapMiB: memoryBudget(undefined, threads).heapMiB,
        },
      );
      stop();
      const byPair = new Map(
        pairs.map(({ d, s }, i) => [`${d.id}\u0000${s.id}`, computed[i] as RowResult[]]),
      );
      const c = compareDesigns(
        designs,
        scenarios,
        props,
        { runs: o.runs, seed: o.seed },
        (d, s) => byPair.get(`${d.id}\u0000${s.id}`) ?? [],
      );
      console.log(o.json ? comparisonJsonText(c) : renderComparison(c, o.format, { all: o.all }));
      // a report: 0 when every row has a verdict, 4 when some row is unknown, 1 only with --strict
      const cells = c.rows.flatMap((r) => r.cells.map((x) => x?.verdict));
      if (o.strict && cells.includes("violated")) process.exitCode = 1;
      else if (cells.includes("unknown")) process.exitCode = 4;
    });
}
