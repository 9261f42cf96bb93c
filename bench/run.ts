// npm run bench: throughput of random exploration and time to the first
// counterexample. Prints figures; asserts nothing (speed is never a test).
import fc from "fast-check";
import { scheduleArb } from "../engine/random.js";
import { runSchedule, setupFor } from "../engine/run.js";
import { designById } from "../model/designs/index.js";
import type { Scenario } from "../model/scenarios.js";
import { scenarioById } from "../model/scenarios.js";
import type { Design } from "../model/step.js";
import { PROPERTIES } from "../properties/index.js";
import { median } from "./median.js";

function must<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new Error(`bench: no ${what}`);
  return v;
}

function throughput(d: Design, s: Scenario, runs: number, withProps: boolean) {
  const setup = setupFor(d, s);
  const schedules = fc.sample(scheduleArb(setup.world0.threads.length, 24), {
    seed: 1,
    numRuns: runs,
  });
  const props = withProps ? PROPERTIES.filter((p) => p.applies(s, d)) : [];
  let steps = 0;
  const t0 = performance.now();
  for (const sch of schedules) steps += runSchedule(setup, sch, props).trace.length;
  const ms = performance.now() - t0;
  return { steps, ms, perSec: (steps / ms) * 1000 };
}

function timeToFirstCex(d: Design, s: Scenario, seed: number, only?: string) {
  const setup = setupFor(d, s);
  const props = PROPERTIES.filter(
    (p) => p.applies(s, d) && p.kind === "safety" && (only === undefined || p.id === only),
  );
  const t0 = performance.now();
  let runs = 0;
  const r = fc.check(
    fc.property(scheduleArb(setup.world0.threads.length, 24), (sch) => {
      runs++;
      return runSchedule(setup, sch, props).violations.length === 0;
    }),
    { seed, numRuns: 100_000, endOnFailure: true },
  );
  return { ms: performance.now() - t0, runs, found: r.failed };
}

const v2 = must(designById("v2"), "v2");
const v1drop = must(designById("v1-hugetlb-drop"), "v1-hugetlb-drop");
const twoVmas = must(scenarioById("two-vmas"), "two-vmas");
const hugetlb = must(scenarioById("hugetlb-uffd"), "hugetlb-uffd");

console.log(`lockdrop bench (node ${process.version}, ${process.platform}/${process.arch})\n`);
throughput(v2, twoVmas, 200, true); // warm-up
const bare = throughput(v2, twoVmas, 2000, false);
const full = throughput(v2, twoVmas, 2000, true);
console.log("random exploration, v2 on two-vmas, 2000 schedules:");
console.log(
  `  steps only (baseline)      ${bare.perSec.toFixed(0).padStart(8)} steps/s  (${bare.steps} steps in ${bare.ms.toFixed(0)} ms)`,
);
console.log(
  `  steps + all properties     ${full.perSec.toFixed(0).padStart(8)} steps/s  (ratio to baseline ${(full.perSec / bare.perSec).toFixed(2)})`,
);

for (const only of [undefined, "no-freed-vma-use"]) {
  const times: number[] = [];
  const runsTo: number[] = [];
  for (let seed = 1; seed <= 20; seed++) {
    const r = timeToFirstCex(v1drop, hugetlb, seed, only);
    if (!r.found) console.log(`  seed ${seed}: no counterexample in 100000 runs`);
    times.push(r.ms);
    runsTo.push(r.runs);
  }
  console.log(
    `\ntime to the first counterexample (${only ?? "any safety property"}), v1-hugetlb-drop on hugetlb-uffd, 20 seeds (no shrinking):`,
  );
  console.log(
    `  median ${median(times).toFixed(1)} ms, median ${median(runsTo)} schedules; max ${Math.max(...times).toFixed(1)} ms`,
  );
}
