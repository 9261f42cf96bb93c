// The `lockdrop` command: matrix, check, list.
import { Command, CommanderError } from "commander";
import pc from "picocolors";
import { DESIGNS } from "../model/designs/index.js";
import { runsIn, SCENARIOS } from "../model/scenarios.js";
import { PROPERTIES } from "../properties/index.js";
import { verdictRows } from "../properties/verdicts.js";
import { checkJson, renderCheck } from "../reports/check.js";
import type { Matrix } from "../reports/matrix.js";
import { renderMatrix } from "../reports/matrix.js";
import { parseCount, parseSeed, UsageError } from "./errors.js";
import * as select from "./select.js";

const debug = process.argv.includes("--debug");
const DEFAULT_RUNS = 1000;
const DEFAULT_SEED = 1;

const program = new Command()
  .name("lockdrop")
  .description("model checker for kernel protocols that drop the mmap lock during a page fault")
  .option("--debug", "print stack traces of internal errors")
  .exitOverride()
  .configureOutput({ outputError: () => {} });

program
  .command("matrix")
  .description("verdicts of every built-in design on every scenario and property")
  .option("--json", "print lockdrop.matrix/1 JSON")
  .option(
    "--runs <n>",
    "random schedules per design and scenario",
    parseCount("--runs"),
    DEFAULT_RUNS,
  )
  .option("--seed <n>", "seed of the random exploration", parseSeed, DEFAULT_SEED)
  .option("--design <ids...>", "only these designs")
  .option("--scenario <ids...>", "only these scenarios")
  .option("--property <ids...>", "only these properties")
  .option("--strict", "exit 1 when any row is violated")
  .action((o) => {
    const props = select.properties(o.property);
    const rows = [];
    for (const d of select.designs(o.design))
      for (const s of select.scenarios(o.scenario).filter((x) => runsIn(x, d)))
        for (const r of verdictRows(d, s, props, { runs: o.runs, seed: o.seed })) {
          const { counterexample: _c, ...row } = r;
          rows.push(row);
        }
    const m: Matrix = { schema: "lockdrop.matrix/1", seed: o.seed, rows };
    console.log(o.json ? JSON.stringify(m, null, 1) : renderMatrix(m));
    if (o.strict && rows.some((r) => r.verdict === "violated")) process.exitCode = 1;
  });

program
  .command("check")
  .description("check one design; print each counterexample as thread lanes")
  .argument("<design>", "design id (see `lockdrop list`)")
  .option("--scenario <ids...>", "scenarios (default: all)")
  .option("--property <ids...>", "properties (default: all)")
  .option("--runs <n>", "random schedules per scenario", parseCount("--runs"), DEFAULT_RUNS)
  .option("--seed <n>", "seed of the random exploration", parseSeed, DEFAULT_SEED)
  .option("--json", "print lockdrop.check/1 JSON")
  .action((id: string, o) => {
    const [design] = select.designs([id]);
    if (!design) return;
    const props = select.properties(o.property);
    const rows = select
      .scenarios(o.scenario)
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
      .flatMap((s) => verdictRows(design, s, props, { runs: o.runs, seed: o.seed }));
    const opts = { design: design.id, seed: o.seed, runs: o.runs };
    console.log(o.json ? JSON.stringify(checkJson(rows, opts), null, 1) : renderCheck(rows, opts));
    if (rows.some((r) => r.verdict === "violated")) process.exitCode = 1;
  });

program
  .command("list")
  .description("list the designs, scenarios and properties")
  .action(() => {
    console.log("designs:");
    for (const d of DESIGNS) console.log(`  ${d.id.padEnd(24)} ${d.family.padEnd(6)} ${d.title}`);
    console.log("scenarios:");
    for (const s of SCENARIOS) console.log(`  ${s.id.padEnd(24)} ${s.title}`);
    console.log("properties:");
    for (const p of PROPERTIES)
      console.log(`  ${p.id.padEnd(30)} ${p.ref.padEnd(7)} ${p.statement}`);
  });

try {
  program.parse(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    if (e.code === "commander.helpDisplayed" || e.code === "commander.help" || e.exitCode === 0)
      process.exit(0);
    console.error(
      `lockdrop: ${e.message.replace(/^error: /, "")}. Run \`lockdrop --help\` for usage.`,
    );
    process.exit(2);
  }
  if (e instanceof UsageError) {
    console.error(`lockdrop: ${e.message}`);
    process.exit(2);
  }
  console.error(pc.red(`lockdrop: internal error: ${(e as Error).message}`));
  if (debug) console.error((e as Error).stack);
  else console.error("Run again with --debug for the stack trace, and report it as a bug.");
  process.exit(3);
}
