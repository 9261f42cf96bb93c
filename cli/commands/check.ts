// `lockdrop check <design>`: verdicts of one design, counterexamples as thread lanes.
import type { Command } from "commander";
import { runsIn, SCENARIOS } from "../../model/scenarios.js";
import { judgement } from "../../engine/verdicts.js";
import { checkJson, renderCheck } from "../../reports/check.js";
import { cexOfRows, writeCexFiles } from "../cex-out.js";
import { UsageError } from "../errors.js";
import { rowsFor, withExplorationOptions } from "../exploration.js";
import { ctrlCPressed } from "../progress.js";
import * as select from "../select.js";
import { fileDefaults, moduleOf } from "../user-designs.js";

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
  withExplorationOptions(cmd, { shortestByDefault: true }).action((id: string, o) => {
    const [design] = select.designs([id]);
    if (!design) return;
    // a design file may name its own scenarios and properties for when the command line does not
    const own = fileDefaults(design);
    const props = select.properties(o.property ?? own.properties);
    const rows = select
      .scenarios(o.scenario ?? own.scenarios)
      .filter((s) => {
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
      })
      .flatMap((s) => rowsFor(o)(design, s, props));
    const opts = {
      // as typed: a design file's replay line must name the file, not its id
      design: id,
      seed: o.seed,
      runs: o.runs,
      shortest: o.shortest as number | boolean,
      ...(o.exhaustive ? { exhaustive: { depth: o.depth } } : {}),
      ...(moduleOf(design.id) ? { module: moduleOf(design.id) } : {}),
    };
    const written = o.out
      ? writeCexFiles(cexOfRows(rows, design), o.out, o.force === true, (dir) =>
          moduleOf(design.id, dir),
        )
      : [];
    console.log(o.json ? JSON.stringify(checkJson(rows, opts), null, 1) : renderCheck(rows, opts));
    for (const f of written) console.error(`wrote ${f}`);
    // 1: a violation; 4: some row unknown (a search cut short) and none violated
    process.exitCode = judgement(rows);
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
