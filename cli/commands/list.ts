// `lockdrop list`: the designs, scenarios, actors and properties.
import type { Command } from "commander";
import { DESIGNS } from "../../model/designs/index.js";
import { BUILT_IN_ACTORS, SCENARIOS } from "../../model/scenarios.js";
import { PROPERTIES } from "../../properties/index.js";
import { listJsonText, listText } from "../../reports/list.js";

export function registerList(program: Command): void {
  program
    .command("list")
    .description("list the designs, scenarios, actors and properties")
    .option("--json", "print lockdrop.list/1 JSON")
    .action((o: { json?: boolean }) => {
      if (o.json) {
        console.log(listJsonText(DESIGNS, SCENARIOS, PROPERTIES, BUILT_IN_ACTORS));
        return;
      }
      console.log(listText(DESIGNS, SCENARIOS, PROPERTIES, BUILT_IN_ACTORS));
    });
}
