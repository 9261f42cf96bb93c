// Time to the first counterexample, uniform choices against PCT (depth 2 and 3), for
// every violated row of the random matrix. Prints figures; asserts nothing.
import fc from "fast-check";
import { pctArb } from "../engine/pct.js";
import { scheduleArb } from "../engine/random.js";
import type { Choice, Setup } from "../engine/run.js";
import { runSchedule, setupFor } from "../engine/run.js";
import { verdictRows } from "../engine/verdicts.js";
import { DESIGNS } from "../model/designs/index.js";
import { runsIn, SCENARIOS } from "../model/scenarios.js";
import { PROPERTIES } from "../properties/index.js";

const SEEDS = [1, 2, 3, 4, 5];
const LIMIT = 5_000;

function firstHit(
  setup: Setup,
  prop: (typeof PROPERTIES)[number],
  arb: fc.Arbitrary<Choice[]>,
  seed: number,
) {
  let runs = 0;
  const t0 = performance.now();
  const r = fc.check(
    fc.property(arb, (s) => {
      runs++;
      return !runSchedule(setup, s, [prop], { stopOn: prop.id }).violations.length;
    }),
    { seed, numRuns: LIMIT, endOnFailure: true },
  );
  return { ms: performance.now() - t0, runs, found: r.failed };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const only = process.argv[2];

console.log(
  `time to first counterexample: median over ${SEEDS.length} seeds (ms / schedules), at most ${LIMIT} schedules`,
);
console.log(
  `${"design".padEnd(24)}${"scenario".padEnd(18)}${"property".padEnd(28)}${"uniform".padEnd(16)}${"pct d=2".padEnd(16)}pct d=3`,
);
for (const d of DESIGNS.filter((x) => !only || x.id === only))
  for (const s of SCENARIOS.filter((x) => runsIn(x, d))) {
    // the rows the matrix reports violated (npm start: seed 1, 1000 schedules)
    const rows = verdictRows(d, s, PROPERTIES, { runs: 1000, seed: 1 }).filter(
      (r) => r.verdict === "violated",
    );
    const setup = setupFor(d, s);
    for (const r of rows) {
      const prop = PROPERTIES.find((p) => p.id === r.property);
      if (!prop) continue;
      const cells = [
        scheduleArb(setup.world0.threads.length, 24),
        pctArb(setup, 2, 150),
        pctArb(setup, 3, 150),
      ].map((arb) => {
        const hits = SEEDS.map((seed) => firstHit(setup, prop, arb, seed));
        const miss = hits.filter((h) => !h.found).length;
        return `${median(hits.map((h) => h.ms)).toFixed(1)}/${median(hits.map((h) => h.runs))}${miss ? ` (${miss} miss)` : ""}`;
      });
      console.log(
        `${d.id.padEnd(24)}${s.id.padEnd(18)}${r.property.padEnd(28)}${cells.map((c) => c.padEnd(16)).join("")}`,
      );
    }
  }
