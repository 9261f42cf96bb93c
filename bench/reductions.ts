// What each reduction of the exhaustive engine buys, on the scenarios it explores
// completely: states, transitions and wall time with each switch, as ratios to the
// plain search in the same run. Prints figures; asserts nothing.

import type { ExhaustiveOptions } from "../engine/exhaustive.js";
import { exploreExhaustive } from "../engine/exhaustive.js";
import { setupFor } from "../engine/run.js";
import { designById } from "../model/designs/index.js";
import { scenarioById, withPages } from "../model/scenarios.js";
import { PROPERTIES } from "../properties/index.js";
import { porBound } from "./por-bound.js";

const cases: [string, string][] = [
  ["v2", "anon-uffd-1"],
  ["v2", "hugetlb-uffd-1"],
  ["v1-hugetlb-drop", "hugetlb-uffd-1"],
  ["v8", "anon-uffd-1"],
];
const variants: [string, Partial<ExhaustiveOptions>][] = [
  ["plain", {}],
  ["sleep sets", { sleepSets: true }],
  ["hash-compact", { hashCompact: true }],
  ["preemptions<=2", { preemptions: 2 }],
  ["preemptions<=1", { preemptions: 1 }],
];

console.log(
  "exhaustive search, depth 80, the safety properties; ratios are to the plain search of the same case (each variant once untimed first, so the JIT is warm)",
);
for (const [d, s] of cases) {
  const design = designById(d);
  const scenario = scenarioById(s);
  if (!design || !scenario) continue;
  const setup = setupFor(design, scenario);
  // the safety properties: sleep sets are off with a liveness property (a lasso needs
  // every step), so with every property on they would be the plain search
  const props = PROPERTIES.filter((p) => p.applies(scenario, design) && !p.lasso);
  let base: { states: number; transitions: number; ms: number } | null = null;
  console.log(`\n${d} on ${s}`);
  for (const [name, o] of variants) {
    exploreExhaustive(setup, props, { depth: 80, ...o });
    const r = exploreExhaustive(setup, props, { depth: 80, ...o });
    base ??= r;
    const found = [...r.counterexamples.keys()].join(", ") || "none";
    console.log(
      `  ${name.padEnd(16)} ${String(r.states).padStart(8)} states (${(r.states / base.states).toFixed(2)})  ${String(r.transitions).padStart(8)} transitions (${(r.transitions / base.transitions).toFixed(2)})  ${r.ms.toFixed(0).padStart(6)} ms (${(r.ms / base.ms).toFixed(2)})  ${((r.states / r.ms) * 1000).toFixed(0)} states/s  violated: ${found}`,
    );
  }
}

// What a partial-order reduction could remove at best (bench/por-bound.ts): footprints
// learnt from the complete search, no visibility condition.
console.log(
  "\nthe most a partial-order reduction could remove (stubborn sets with each label's footprint learnt from the complete search; optimistic: no visibility condition; refined: per-element writes, lock holders as enabling sets, current steps that commute here left out)",
);
const bounds: [string, string, number][] = [
  ["v2", "anon-uffd-1", 1],
  ["v2", "anon-uffd-1", 2],
  ["v1-hugetlb-drop", "hugetlb-uffd-1", 1],
];
for (const [d, s, pages] of bounds) {
  const design = designById(d);
  const scenario = scenarioById(s);
  if (!design || !scenario) continue;
  const setup = setupFor(design, withPages(scenario, pages));
  const b = porBound(setup);
  const r = porBound(setup, true);
  console.log(
    `  ${d} on ${s}, ${pages} page${pages > 1 ? "s" : ""}: ${b.states} states, stubborn sets keep ${b.reduced} (${(b.reduced / b.states).toFixed(3)}), refined ${r.reduced} (${(r.reduced / r.states).toFixed(3)}); ${b.commuting} of ${b.pairs} pairs of enabled threads commute (${(b.commuting / b.pairs).toFixed(2)})`,
  );
}
