// The hugetlb hole: a hugetlb VMA that no PMD table covers yet (scenario hugetlb-hole).
// walk_hugetlb_range() calls pte_hole there with hugetlb_vma_lock_read held
// (mm/pagewalk.c, v7.0), and the first hugetlb_fault() allocates the table
// (huge_pte_alloc), after which the walk finds the entry.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { declareScenario } from "../api/declarations.js";
import { loadCorpusFile, replayOn } from "../corpus/golden.js";
import { COVERAGE_DEFAULTS, edgeKey, scenarioCoverage } from "../engine/coverage.js";
import { exploreExhaustive } from "../engine/exhaustive.js";
import { setupFor } from "../engine/run.js";
import { faultInHole } from "../model/designs/v1.js";
import type { Scenario, VmaSpec } from "../model/scenarios.js";
import type { Design, StepRecord } from "../model/step.js";
import { renderMermaid } from "../reports/replay-render.js";
import { design, exited, prop, runAlone, scenario } from "./helpers.js";

describe("the hugetlb hole", () => {
  it("starts without a PMD table, which the first fault allocates; the next walk finds the entry", () => {
    const setup = setupFor(design("v2"), scenario("hugetlb-hole"));
    expect(setup.world0.vmas[0]?.noPmdTable).toBe(true);
    const r = runAlone(setup.programs, setup.world0, 0, exited, 80);
    const entries = r.recs
      .filter((rec) => rec.labels[0] === "hugetlb.entry")
      .map((rec) => rec.outcome);
    // the first walk meets the hole and records the fault; hmm_do_fault's fault
    // allocates the table, and the walk after it reports the page
    expect(entries[0]).toBe("hole");
    expect(entries.slice(1)).toContain("next");
    expect(entries.slice(1)).not.toContain("hole");
    expect(r.world.vmas[0]?.noPmdTable).toBeUndefined();
    expect(r.world.ptes[0]).toBe("rw");
    const notes = r.recs.flatMap((rec) => rec.events).filter((e) => e.k === "note");
    expect(notes.map((e) => (e.k === "note" ? e.text : ""))).toContain(
      "huge_pte_alloc(): a PMD table now covers the VMA",
    );
  });

  it("is where mainline's fault runs with the hugetlb VMA lock held: its hole edges are reached", () => {
    const c = scenarioCoverage(design("mainline"), scenario("hugetlb-hole"), COVERAGE_DEFAULTS);
    expect(c.reached).toContain(edgeKey("hugetlb.entry", "hole"));
    expect(c.reached).toContain(edgeKey("hugetlb.hole", "ok"));
    // the same scenario with the table present: the entry callback, never the hole
    const withTable = scenarioCoverage(
      design("mainline"),
      scenario("hugetlb-zap"),
      COVERAGE_DEFAULTS,
    );
    expect(withTable.reached).toContain(edgeKey("hugetlb.entry", "fault"));
    expect(withTable.reached).not.toContain(edgeKey("hugetlb.entry", "hole"));
  });

  it("decides v1's verdicts by where v1 refuses: a refusal in the entry callback alone leaves the hole faulting with the lock held", () => {
    const verdict = (d: Design, scen: string, id: string) => {
      const r = exploreExhaustive(setupFor(d, scenario(scen)), [prop(id)], { depth: 200 });
      expect(r.complete).toBe(true);
      return r.counterexamples.has(id) ? "violated" : "holds";
    };
    // the built-in v1 refuses the hole's fault too (its cover letter: hugetlb faults on
    // the unlockable path are not supported)
    const v1 = design("v1");
    expect(verdict(v1, "hugetlb-hole", "no-deadlock")).toBe("holds");
    expect(verdict(v1, "hugetlb-uffd-hole", "no-hugetlb-lock-across-drop")).toBe("holds");
    // v1 with the -EFAULT short-circuit in hmm_vma_walk_hugetlb_entry() alone: the
    // hole's hmm_vma_fault() is v1's droppable one, with hugetlb_vma_lock_read held
    const entryOnly: Design = {
      ...v1,
      id: "v1-refuse-entry-only",
      steps: { ...v1.steps, ...faultInHole(true) },
    };
    expect(verdict(entryOnly, "hugetlb-hole", "no-deadlock")).toBe("violated");
    expect(verdict(entryOnly, "hugetlb-uffd-hole", "no-hugetlb-lock-across-drop")).toBe("violated");
  });

  it("the sequence diagram of mainline's deadlock says the walk called pte_hole", () => {
    const root = join(import.meta.dirname, "..", "corpus");
    const r = replayOn(loadCorpusFile(root, "mainline/hugetlb-hole.no-deadlock.json"));
    const lines = renderMermaid(r).split("\n");
    const at = lines.findIndex((l) => /hmm_vma_walk_hugetlb_entry\(addr\) → hole/.test(l));
    expect(at).toBeGreaterThan(0);
    expect(lines[at + 1]).toMatch(
      /Note over T: hugetlb_walk\(\) found no PMD table: walk_hugetlb_range\(\) calls pte_hole, hmm_vma_walk_hole\(\)/,
    );
    // and the fault after it waits behind Z's writer
    expect(lines.slice(at + 2).join("\n")).toMatch(/Note over T: waits for hugetlb_vma_lock/);
  });

  it("stays a hole in both parts of a split: they cover the same addresses", () => {
    const s = scenario("hugetlb-split");
    const holed: Scenario = {
      ...s,
      id: "hugetlb-split-hole",
      vmas: [{ ...(s.vmas[0] as VmaSpec), noPmdTable: true }],
    };
    const setup = setupFor(design("v2"), holed);
    // thread 1 is munmap-split (the scenario's first actor), T has not run
    const done = (rec: StepRecord) => rec.ops.includes("mmap_read_unlock(mm)");
    const r = runAlone(setup.programs, setup.world0, 1, done, 40);
    const parts = r.world.vmas.filter((v) => v.state === "live");
    expect(r.world.vmas.length).toBeGreaterThan(1);
    expect(parts.length).toBe(1);
    expect(r.world.vmas.map((v) => v.noPmdTable)).toEqual(r.world.vmas.map(() => true));
  });

  it("is refused on a VMA that is not hugetlb, in one paragraph naming the fix", () => {
    const s = scenario("anon-plain");
    const bad = { ...s, id: "my-hole", vmas: [{ ...s.vmas[0], noPmdTable: true }] };
    expect(() => declareScenario(bad, "my.ts")).toThrow(
      /vmas\.0\.noPmdTable: noPmdTable is for a hugetlb VMA .* Fix: drop noPmdTable/,
    );
    expect(() => declareScenario(scenario("hugetlb-hole"), "my.ts")).not.toThrow();
  });
});
