// Time to the first counterexample, the matrix's schedules (independent choices on even
// run indices, lasso-shaped on odd ones: engine/random.ts arbsOfRuns) against PCT (depth 2
// and 3), for every violated row of the random matrix. Each seed stands for a user's
// `--seed`: run r draws from runSeed(pairSeed(seed, ...), r), as `check` and `matrix` do.
// Prints figures; asserts nothing.
import fc from "fast-check";
import { arbsOfRuns, pairSeed, runSeed } from "../engine/random.js";
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
  arbOf: (r: number) => fc.Arbitrary<Choice[]>,
  seed: number,
) {
  const pair = pairSeed(seed, setup.design.id, setup.scenario.id);
  const t0 = performance.now();
  for (let r = 0; r < LIMIT; r++) {
    const [s] = fc.sample(arbOf(r), { seed: runSeed(pair, r), numRuns: 1 });
    if (runSchedule(setup, s ?? [], [prop], { stopOn: prop.id }).violations.length)
      return { ms: performance.now() - t0, runs: r + 1, found: true };
  }
  return { ms: performance.now() - t0, runs: LIMIT, found: false };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const only = process.argv[2];

console.log(
  `time to first counterexample: median over ${SEEDS.length} seeds (ms / schedules), at most ${LIMIT} schedules`,
);
const METHODS = ["matrix", "pct d=2", "pct d=3"] as const;
const table: string[][] = [];
const sums = METHODS.map(() => 0);
const missed = METHODS.map(() => 0);
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
        arbsOfRuns(setup, {}),
        arbsOfRuns(setup, { pct: 2 }),
        arbsOfRuns(setup, { pct: 3 }),
      ].map((arb, m) => {
        const hits = SEEDS.map((seed) => firstHit(setup, prop, arb, seed));
        const miss = hits.filter((h) => !h.found).length;
        const ms = median(hits.map((h) => h.ms));
        sums[m] = (sums[m] ?? 0) + ms;
        if (miss) missed[m] = (missed[m] ?? 0) + 1;
        return `${ms.toFixed(1)}/${median(hits.map((h) => h.runs))}${miss ? ` (${miss} miss)` : ""}`;
      });
      table.push([d.id, s.id, r.property, ...cells]);
    }
  }
const head = ["design", "scenario", "property", ...METHODS];
const widths = head.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]?.length ?? 0)));
const line = (row: readonly string[]) =>
  row.map((c, i) => (i < row.length - 1 ? c.padEnd((widths[i] ?? 0) + 2) : c)).join("");
console.log(line(head));
for (const row of table) console.log(line(row));
console.log(
  `\n${table.length} violated rows; ${METHODS.map((m, i) => `${m}: sum of medians ${(sums[i] ?? 0).toFixed(0)} ms, ${missed[i]} rows missed by some seed`).join("; ")}`,
);
