// `lockdrop coverage <design>`: every edge of the design's step table (a label and one
// outcome of its op) and which scenario reaches it, like Spin's list of unreached
// states. A report: 0 when every edge is known to be reached or not (an unreached edge
// that is not listed is reported, not failed), 4 when an unlisted edge is unknown
// because a search was cut short, 1 with --strict when an unlisted edge is unreached or
// a listed one is reached.

import type { Command } from "commander";
import type { CoverageOptions } from "../../engine/coverage.js";
import { COVERAGE_DEFAULTS, coverageExit, designCoverage } from "../../engine/coverage.js";
import { coverageInParallel, DEFAULT_STEP_LIMIT_MS } from "../../engine/parallel.js";
import { validateUnreachable } from "../../model/step.js";
import { type CoverageInfo, coverageJsonText, renderCoverage } from "../../reports/coverage.js";
import { DESIGN_LOADER, memoryBudget } from "../design-loader.js";
import { DEFAULT_RUNS, DEFAULT_SEED, parseCount, parseSeed, UsageError } from "../errors.js";
import { workersOption } from "../exploration.js";
import * as select from "../select.js";
import { onStopSignals } from "../signals.js";
import { fileDefaults, fileOfDesign, loadedFiles, moduleOf } from "../user-designs.js";

export function registerCoverage(program: Command): void {
  program
    .command("coverage")
    .description(
      "every edge (step, outcome) of a design and the scenario that reaches it, or why none can",
    )
    .argument("<design>", "design id (see `lockdrop list`) or design file (./my-design.ts)")
    .option(
      "--scenario <ids...>",
      "scenarios (default: the design file's own, else every scenario its family runs in)",
    )
    .option(
      "--runs <n>",
      "random schedules on each scenario the exhaustive pass does not exhaust",
      parseCount("--runs"),
      DEFAULT_RUNS,
    )
    .option("--seed <n>", "seed of the random search", parseSeed, DEFAULT_SEED)
    .option(
      "--depth <n>",
      `exhaustive pass: longest schedule explored (default ${COVERAGE_DEFAULTS.depth}; with --exhaustive, no bound)`,
      parseCount("--depth"),
    )
    .option(
      "--max-states <n>",
      `exhaustive pass: stop after this many states (default ${COVERAGE_DEFAULTS.maxStates.toLocaleString("en-US")}; with --exhaustive, none); a scenario it did not exhaust is searched at random too`,
      parseCount("--max-states"),
    )
    .option(
      "--max-memory <mib>",
      "exhaustive pass: stop when the heap passes this many MiB",
      parseCount("--max-memory"),
    )
    .option(
      "--exhaustive",
      "exhaustive search only, to completion unless bounded: an edge a pass stopped by --max-states or --max-memory, or left beyond --depth, did not reach is unknown (exit 4)",
    )
    .option(
      "--strict",
      "exit 1 when an edge is unreached but not listed as unreachable, or listed but reached",
    )
    .option("--json", "print lockdrop.coverage/1 JSON")
    .addOption(workersOption("the scenarios are searched side by side on them"))
    .option(
      "--step-timeout <seconds>",
      "a step of a design file that runs longer is stopped: a design error at that step",
      parseCount("--step-timeout"),
      DEFAULT_STEP_LIMIT_MS / 1000,
    )
    .action(async (id: string, o, cmd: Command) => {
      if (o.exhaustive === true)
        for (const flag of ["runs", "seed"] as const)
          if (cmd.getOptionValueSource(flag) === "cli")
            throw new UsageError(
              `--${flag} sets the random search that follows an exhaustive pass that did not exhaust a scenario, and --exhaustive runs no random search, so it would be ignored. Fix: leave --${flag} out, or drop --exhaustive.`,
            );
      const [design] = select.designs([id]);
      if (!design) return;
      const problems = validateUnreachable(design);
      if (problems.length > 0)
        throw new UsageError(
          `design "${design.id}": ${problems[0]}. Fix: list only edges of the step table (a label and an outcome of its op), each once, with a reason.`,
        );
      const own = fileDefaults(design).scenarios;
      const scenarios = select.scenariosOf(design, o.scenario, own);
      if (scenarios.length === 0)
        throw new UsageError(
          `design "${design.id}" runs in none of the scenarios named. Fix: pick a scenario for ${design.family} designs (\`lockdrop list\`).`,
        );
      const exhaustiveOnly = o.exhaustive === true;
      const maxStates: number | undefined =
        o.maxStates ?? (exhaustiveOnly ? undefined : COVERAGE_DEFAULTS.maxStates);
      // each search stops at its budget, below the worker's heap limit (as check's)
      const threads = Math.min(o.workers, scenarios.length);
      const memory = memoryBudget(o.maxMemory, threads);
      const depth: number | undefined =
        o.depth ?? (exhaustiveOnly ? undefined : COVERAGE_DEFAULTS.depth);
      const options: CoverageOptions = {
        depth: depth ?? Number.POSITIVE_INFINITY,
        ...(maxStates !== undefined ? { maxStates } : {}),
        maxMemoryMiB: memory.searchMiB,
        runs: o.runs,
        seed: o.seed,
        exhaustiveOnly,
      };
      // the searches run on worker threads (the step watchdog, and this thread free to
      // answer SIGINT and SIGTERM)
      const tty = process.stderr.isTTY === true && !process.env.CI && !o.json;
      let done = 0;
      const stop = onStopSignals(
        () =>
          `after ${done} of ${scenarios.length} scenarios; the coverage was not printed, because an edge the unfinished searches did not reach may still be reachable. Fix: run again with --scenario to cover fewer scenarios.`,
      );
      const file = fileOfDesign(design.id);
      const computed = await coverageInParallel(
        scenarios.map((s) => ({
          design: design.id,
          ...(file ? { file } : {}),
          loader: DESIGN_LOADER,
          files: loadedFiles().map((f) => f.file),
          scenario: s.id,
          flags: { ...options },
        })),
        threads,
        (n, total) => {
          done = n;
          if (tty)
            process.stderr.write(
              `\r\u001b[2Klockdrop coverage: ${n}/${total} scenarios  Ctrl-C stops`,
            );
        },
        { stepLimitMs: o.stepTimeout * 1000, heapMiB: memory.heapMiB, memoryMiB: memory.memoryMiB },
      );
      stop();
      if (tty) process.stderr.write("\r\u001b[2K");
      const c = designCoverage(design, computed);
      const module = moduleOf(design.id);
      const info: CoverageInfo = {
        design: id,
        ...(module ? { module } : {}),
        depth: depth ?? null,
        maxStates: maxStates ?? null,
        runs: o.runs,
        seed: o.seed,
        exhaustiveOnly,
      };
      console.log(o.json ? coverageJsonText(c, info) : renderCoverage(c, info));
      process.exitCode = coverageExit(c, o.strict === true);
    });
}
