// `lockdrop matrix`: the verdicts of the built-in designs on every scenario and property.
// Pairs are computed on all cores; each is seeded on its own, so the output is the same
// with one worker or many.
import type { Command } from "commander";
import { runsIn } from "../../model/scenarios.js";
import { rowsInParallel } from "../../properties/parallel.js";
import type { Matrix } from "../../reports/matrix.js";
import { renderMatrix } from "../../reports/matrix.js";
import { withExplorationOptions } from "../exploration.js";
import * as select from "../select.js";
import { fileOfDesign } from "../user-designs.js";

export function registerMatrix(program: Command): void {
  const cmd = program
    .command("matrix")
    .description("verdicts of every built-in design on every scenario and property")
    .option("--json", "print lockdrop.matrix/1 JSON")
    .option("--design <ids...>", "only these designs")
    .option("--scenario <ids...>", "only these scenarios")
    .option("--property <ids...>", "only these properties")
    .option("--strict", "exit 1 when any row is violated");
  withExplorationOptions(cmd).action(async (o) => {
    const props = select.properties(o.property).map((p) => p.id);
    const jobs = select.designs(o.design).flatMap((d) =>
      select
        .scenarios(o.scenario)
        .filter((s) => runsIn(s, d))
        .map((s) => ({
          design: d.id,
          file: fileOfDesign(d.id),
          scenario: s.id,
          properties: props,
          flags: { ...o },
        })),
    );
    const rows = (await rowsInParallel(jobs)).flat();
    const m: Matrix = { schema: "lockdrop.matrix/1", seed: o.seed, rows };
    console.log(o.json ? JSON.stringify(m, null, 1) : renderMatrix(m));
    if (o.strict && rows.some((r) => r.verdict === "violated")) process.exitCode = 1;
  });
}
