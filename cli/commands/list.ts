// `lockdrop list`: the designs, scenarios and properties.
import type { Command } from "commander";
import { DESIGNS } from "../../model/designs/index.js";
import { SCENARIOS } from "../../model/scenarios.js";
import { PROPERTIES } from "../../properties/index.js";
import { listJsonText } from "../../reports/list.js";

export function registerList(program: Command): void {
  program
    .command("list")
    .description("list the designs, scenarios and properties")
    .option("--json", "print lockdrop.list/1 JSON")
    .action((o: { json?: boolean }) => {
      if (o.json) {
        console.log(listJsonText(DESIGNS, SCENARIOS, PROPERTIES));
        return;
      }
      console.log("designs:");
      for (const d of DESIGNS) console.log(`  ${d.id.padEnd(24)} ${d.family.padEnd(6)} ${d.title}`);
      console.log("scenarios:");
      for (const s of SCENARIOS) console.log(`  ${s.id.padEnd(24)} ${s.title}`);
      console.log("properties:");
      for (const p of PROPERTIES)
        console.log(`  ${p.id.padEnd(30)} ${p.ref.padEnd(7)} ${p.statement}`);
    });
}
