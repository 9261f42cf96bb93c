// Regenerates the regression corpus: one minimized counterexample file per violated
// row of the verdict matrix (seed 1, 1000 random schedules per row, as `npm start`),
// at corpus/<design>/<scenario>.<property>.json, and the golden replay outputs under
// corpus/golden/, and the JSON Schema of the file format (reports/cex.schema.json). A row of a buggy design is marked `fixedBy` the designs that fix it
// (FIXES below) when its schedule does not reproduce the violation there, so the
// corpus test also checks that the fix stays a fix. Run: npm run corpus
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { setupFor } from "../engine/run.js";
import { verdictRows } from "../engine/verdicts.js";
import { DESIGNS, designById } from "../model/designs/index.js";
import { runsIn, SCENARIOS } from "../model/scenarios.js";
import { PROPERTIES, propertyById } from "../properties/index.js";
import type { Cex } from "../reports/cex.js";
import { cexJsonSchema, cexOfCounterexample, cexText } from "../reports/cex.js";
import { replayCex } from "../reports/replay.js";
import { GOLDEN, goldenOutputs } from "./golden.js";

const here = dirname(fileURLToPath(import.meta.url));

/** Which designs are meant to fix which: candidates for `fixedBy`. */
const FIXES: Readonly<Record<string, readonly string[]>> = {
  rfc: ["v2", "v5"],
  v1: ["v5"],
  "v1-hugetlb-drop": ["v2", "v5"],
  "v1-hugetlb-hold": ["v2", "v5"],
  mshv: ["v5"],
  v2: ["v5"],
  v8: ["v5"],
  "mfill-copy-norevalidate": ["mfill-copy"],
  "v2-ignores-locked": ["v2"],
  "mainline-no-read-retry": ["mainline"],
  "v2-unlock-after-drop": ["v2"],
  "vma-lock-nowait": ["vma-lock-fault"],
};

function fixedBy(cex: Cex): string[] {
  const out: string[] = [];
  const property = propertyById(cex.property);
  const scenario = SCENARIOS.find((s) => s.id === cex.scenario);
  if (!property || !scenario) return out;
  for (const id of FIXES[cex.design] ?? []) {
    const d = designById(id);
    if (!d || !runsIn(scenario, d) || !property.applies(scenario, d)) continue;
    if (!replayCex(cex, d, scenario, property).violation) out.push(id);
  }
  return out;
}

for (const entry of readdirSync(here, { withFileTypes: true }))
  if (entry.isDirectory()) rmSync(join(here, entry.name), { recursive: true });

let n = 0;
for (const design of DESIGNS)
  for (const scenario of SCENARIOS) {
    if (!runsIn(scenario, design)) continue;
    // breadth-first search proves each counterexample shortest, or finds a shorter one,
    // where it fits in 2,000,000 states
    const rows = verdictRows(design, scenario, PROPERTIES, {
      runs: 1000,
      seed: 1,
      shortest: 2_000_000,
    });
    for (const row of rows) {
      const c = row.counterexample;
      const property = propertyById(row.property);
      if (!c || !property) continue;
      const cex = cexOfCounterexample(c, setupFor(design, scenario), property);
      if (!cex) {
        console.error(`${design.id}/${scenario.id}/${row.property}: the schedule does not replay`);
        continue;
      }
      const fix = fixedBy(cex);
      const file = join(here, design.id, `${scenario.id}.${row.property}.json`);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, cexText(fix.length ? { ...cex, fixedBy: fix } : cex));
      n++;
    }
  }
mkdirSync(join(here, "golden"), { recursive: true });
for (const g of GOLDEN)
  for (const [name, text] of goldenOutputs(here, g))
    writeFileSync(join(here, "golden", name), text);
writeFileSync(
  join(here, "..", "reports", "cex.schema.json"),
  `${JSON.stringify(cexJsonSchema(), null, 2)}\n`,
);
console.log(`wrote ${n} counterexamples and ${GOLDEN.length} golden replays under corpus/`);
