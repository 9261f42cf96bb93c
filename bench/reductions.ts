// What each reduction of the exhaustive engine buys, on the scenarios it explores
// completely: states, transitions and wall time with each switch, as ratios to the
// plain search in the same run. Prints figures; asserts nothing.

import type { ExhaustiveOptions, ExhaustiveResult } from "../engine/exhaustive.js";
import { exploreExhaustive } from "../engine/exhaustive.js";
import { setupFor } from "../engine/run.js";
import { designById } from "../model/designs/index.js";
import { scenarioById, withPages } from "../model/scenarios.js";
import { PROPERTIES } from "../properties/index.js";
import { porBound } from "./por-bound.js";

const depth = Number.POSITIVE_INFINITY;
const cases: [string, string][] = [
  ["v2", "anon-uffd-1"],
  ["v2", "hugetlb-uffd-1"],
  ["v1-hugetlb-drop", "hugetlb-uffd-1"],
  ["v8", "anon-uffd-1"],
];
const variants: [string, Partial<ExhaustiveOptions>][] = [
  ["plain", {}],
  ["sleep sets", { sleepSets: true }],
  ["persistent sets", { persistentSets: true }],
  ["hash-compact", { hashCompact: true }],
  ["preemptions<=2", { preemptions: 2 }],
  ["preemptions<=1", { preemptions: 1 }],
];

console.log(
  "exhaustive search to completion (no depth bound), the safety properties; ratios are to the plain search of the same case (each variant once untimed first, so the JIT is warm)",
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
    exploreExhaustive(setup, props, { depth, ...o });
    const r = exploreExhaustive(setup, props, { depth, ...o });
    base ??= r;
    const found = [...r.counterexamples.keys()].join(", ") || "none";
    console.log(
      `  ${name.padEnd(16)} ${String(r.states).padStart(8)} states (${(r.states / base.states).toFixed(2)})  ${String(r.transitions).padStart(8)} transitions (${(r.transitions / base.transitions).toFixed(2)})  ${r.ms.toFixed(0).padStart(6)} ms (${(r.ms / base.ms).toFixed(2)})  ${((r.states / r.ms) * 1000).toFixed(0)} states/s  violated: ${found}`,
    );
  }
}

// The target case: v2 on anon-uffd-1 with 4 pages, the safety properties,
// persistent sets against the plain search (both once untimed first)
{
  const design = designById("v2");
  const scenario = scenarioById("anon-uffd-1");
  if (design && scenario) {
    const four = withPages(scenario, 4);
    const setup = setupFor(design, four);
    const props = PROPERTIES.filter((p) => p.applies(four, design) && !p.lasso);
    const runs = [false, true].map((persistentSets) => {
      exploreExhaustive(setup, props, { depth, persistentSets });
      return exploreExhaustive(setup, props, { depth, persistentSets });
    });
    const [plain, reduced] = runs as [ExhaustiveResult, ExhaustiveResult];
    const p = reduced.persistent;
    console.log(
      `\nv2 on anon-uffd-1 with 4 pages: plain ${plain.states} states, ${plain.ms.toFixed(0)} ms; persistent sets ${reduced.states} states (${(reduced.states / plain.states).toFixed(3)} of them, a factor of ${(plain.states / reduced.states).toFixed(2)}), ${reduced.ms.toFixed(0)} ms (${(reduced.ms / plain.ms).toFixed(2)}x), ${p?.outside ?? 0} visits to ${p?.outsideStates ?? 0} distinct states of the other threads to find the sets (${(((p?.outsideStates ?? 0) / plain.states) * 100).toFixed(1)}% of the plain search's states); violated: ${[...reduced.counterexamples.keys()].join(", ") || "none"} (plain: ${[...plain.counterexamples.keys()].join(", ") || "none"})`,
    );
  }
}

// What a static partial-order reduction could remove at best (bench/por-bound.ts):
// footprints learnt from the complete search, no visibility condition.
console.log(
  "\nthe most a static, footprint-based partial-order reduction could remove (stubborn sets with each label's footprint learnt from the complete search; optimistic: no visibility condition; refined: per-element writes, lock holders as enabling sets, current steps that commute here left out)",
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
