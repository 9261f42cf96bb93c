// Minimization quality (issue 6): for every violated row of the matrix (seed 1, 1000
// random schedules), the trace length fast-check's shrinking gives and the length after
// engine/shrink/, with the median ratio; with --exhaustive, also the shortest length that
// breadth-first search finds within --depth; with --shortest, breadth-first search up
// to each minimized counterexample's length (at most 2,000,000 states, hash-compact),
// which proves it shortest or finds the shortest (about 4 minutes; what the corpus
// does). Not part of `npm test`.
//   npx tsx bench/shrink.ts [--exhaustive [--depth 30] | --shortest]

import { setupFor } from "../engine/run.js";
import { exhaustiveRows, shortestFor, verdictRows } from "../engine/verdicts.js";
import { DESIGNS } from "../model/designs/index.js";
import { runsIn, SCENARIOS } from "../model/scenarios.js";
import { PROPERTIES } from "../properties/index.js";

const args = process.argv.slice(2);
const exhaustive = args.includes("--exhaustive");
const shortest = args.includes("--shortest");
const depth = Number(args[args.indexOf("--depth") + 1] ?? 30) || 30;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0
    ? Number.NaN
    : s.length % 2
      ? (s[m] as number)
      : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

const ratios: number[] = [];
const vsShortest: number[] = [];
console.log(
  `${"design".padEnd(24)} ${"scenario".padEnd(16)} ${"property".padEnd(28)} fast-check  minimized${exhaustive || shortest ? "  shortest" : ""}`,
);
for (const design of DESIGNS)
  for (const scenario of SCENARIOS) {
    if (!runsIn(scenario, design)) continue;
    const rows = verdictRows(design, scenario, PROPERTIES, { runs: 1000, seed: 1 });
    const bfs =
      exhaustive && rows.some((r) => r.counterexample)
        ? exhaustiveRows(design, scenario, PROPERTIES, { depth })
        : [];
    for (const r of rows) {
      const c = r.counterexample;
      if (!c) continue;
      const fc = c.lengthAfterFastCheck;
      const min = c.schedule.length;
      ratios.push(min / fc);
      const prop = PROPERTIES.find((p) => p.id === r.property);
      const s = shortest
        ? prop && shortestFor(setupFor(design, scenario), prop, c, 2_000_000).schedule.length
        : bfs.find((x) => x.property === r.property)?.counterexample?.schedule.length;
      if (s !== undefined) vsShortest.push(min / s);
      console.log(
        `${design.id.padEnd(24)} ${scenario.id.padEnd(16)} ${r.property.padEnd(28)} ${String(fc).padStart(10)} ${String(min).padStart(10)}${exhaustive || shortest ? String(s ?? "-").padStart(10) : ""}`,
      );
    }
  }
console.log(
  `\n${ratios.length} violated rows; median minimized/fast-check ${median(ratios).toFixed(2)}, max ${Math.max(...ratios).toFixed(2)}`,
);
if (exhaustive || shortest)
  console.log(
    `median minimized/shortest ${median(vsShortest).toFixed(2)} over ${vsShortest.length} rows the search reached`,
  );
