// `lockdrop check <design>`: verdicts of one design, counterexamples as thread lanes.
import type { Command } from "commander";
import { rowsInParallel } from "../../engine/parallel.js";
import type { RowResult } from "../../engine/verdicts.js";
import { judgement } from "../../engine/verdicts.js";
import { runsIn, SCENARIOS } from "../../model/scenarios.js";
import { checkJsonText, renderCheck } from "../../reports/check.js";
import { cexOfRows, checkOutTarget, WriteError, writeCexFiles } from "../cex-out.js";
import { DEFAULT_WORKER_HEAP_MIB, DESIGN_LOADER } from "../design-loader.js";
import { UsageError } from "../errors.js";
import { rowsFor, withExplorationOptions } from "../exploration.js";
import { ctrlCPressed } from "../progress.js";
import * as select from "../select.js";
import { fileDefaults, fileOfDesign, loadedFiles, moduleOf } from "../user-designs.js";

export function registerCheck(program: Command): void {
  const cmd = program
    .command("check")
    .description("check one design; print each counterexample as thread lanes")
    .argument("<design>", "design id (see `lockdrop list`) or design file (./my-design.ts)")
    .option("--scenario <ids...>", "scenarios (default: all)")
    .option("--property <ids...>", "properties (default: all)")
    .option("--json", "print lockdrop.check/1 JSON")
    .option("--out <file>", "write each counterexample as a lockdrop.cex/1 file (see `replay`)")
    .option("--force", "let --out overwrite existing files");
  withExplorationOptions(cmd, { shortestByDefault: true }).action(async (id: string, o) => {
    const [design] = select.designs([id]);
    if (!design) return;
    // a design file may name its own scenarios and properties for when the command line does not
    const own = fileDefaults(design);
    const props = select.properties(o.property ?? own.properties);
    const scenarios = select.scenarios(o.scenario ?? own.scenarios).filter((s) => {
      if (runsIn(s, design)) return true;
      if (o.scenario)
        throw new UsageError(
          `design "${design.id}" (a ${design.family} caller) does not run in scenario "${s.id}", which is for ${s.families.join(", ")} designs. Pick one of: ${SCENARIOS.filter(
            (x) => runsIn(x, design),
          )
            .map((x) => x.id)
            .join(", ")}.`,
        );
      return false;
    });
    if (o.out)
      checkOutTarget(
        o.out,
        scenarios.flatMap((s) => props.map((p) => ({ scenario: s.id, property: p.id }))),
        o.force === true,
      );
    // a design from a user's file runs on a worker thread under the step watchdog and a
    // heap limit: an endless step is stopped, not the command (built-ins run here)
    const file = fileOfDesign(design.id);
    const rows = file
      ? ((
          await rowsInParallel(
            scenarios.map((s) => ({
              design: design.id,
              file,
              loader: DESIGN_LOADER,
              files: loadedFiles().map((f) => f.file),
              scenario: s.id,
              properties: props.map((p) => p.id),
              flags: { ...o },
            })),
            1,
            undefined,
            {
              stepLimitMs: o.stepTimeout * 1000,
              keepCounterexamples: true,
              heapMiB: o.maxMemory ?? DEFAULT_WORKER_HEAP_MIB,
            },
          )
        ).flat() as RowResult[])
      : scenarios.flatMap((s) => rowsFor(o)(design, s, props));
    const opts = {
      // as typed: a design file's replay line must name the file, not its id
      design: id,
      seed: o.seed,
      runs: o.runs,
      shortest: o.shortest as number | boolean,
      ...(o.pct !== undefined && !o.exhaustive ? { pct: o.pct } : {}),
      ...(o.exhaustive ? { exhaustive: { depth: o.depth } } : {}),
      ...(moduleOf(design.id) ? { module: moduleOf(design.id) } : {}),
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
      } catch (e) {
        if (!(e instanceof WriteError)) throw e;
        console.error(`lockdrop: ${e.message}`);
        process.exitCode = 5;
      }

    // Ctrl-C in a breadth-first search: the random verdicts above are whole, only the
    // search for shorter counterexamples (or the exhaustive search) was cut short
    if (ctrlCPressed()) {
      console.error(
        `lockdrop: interrupted by Ctrl-C during a breadth-first search: ${o.exhaustive ? "the rows it had not finished hold only up to the depth it reached" : "the random verdicts above are complete, but counterexamples not marked (shortest) were not proven shortest"}.`,
      );
      process.exitCode = 130;
    }
  });
}
