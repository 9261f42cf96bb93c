// `lockdrop matrix`: the verdicts of the built-in designs on every scenario and property.
import type { Command } from "commander";
import { runsIn } from "../../model/scenarios.js";
import type { Matrix, MatrixRow } from "../../reports/matrix.js";
import { renderMatrix } from "../../reports/matrix.js";
import { rowsFor, withExplorationOptions } from "../exploration.js";
import * as select from "../select.js";

export function registerMatrix(program: Command): void {
  const cmd = program
    .command("matrix")
    .description("verdicts of every built-in design on every scenario and property")
    .option("--json", "print lockdrop.matrix/1 JSON")
    .option("--design <ids...>", "only these designs")
    .option("--scenario <ids...>", "only these scenarios")
    .option("--property <ids...>", "only these properties")
    .option("--strict", "exit 1 when any row is violated");
  withExplorationOptions(cmd).action((o) => {
    const props = select.properties(o.property);
    const rows: MatrixRow[] = [];
    const compute = rowsFor(o);
    for (const d of select.designs(o.design))
      for (const s of select.scenarios(o.scenario).filter((x) => runsIn(x, d)))
        for (const r of compute(d, s, props)) {
          const { counterexample: _c, ...row } = r;
          rows.push(row);
        }
    const m: Matrix = { schema: "lockdrop.matrix/1", seed: o.seed, rows };
    console.log(o.json ? JSON.stringify(m, null, 1) : renderMatrix(m));
    if (o.strict && rows.some((r) => r.verdict === "violated")) process.exitCode = 1;
  });
}
