// The exhaustive engine: complete proofs on the small scenarios, agreement with random
// mode, shortest counterexamples, lassos, and the bounds that stop it cleanly.
import { describe, expect, it } from "vitest";
import { enabledThreads, step } from "../engine/exec.js";
import { exploreExhaustive } from "../engine/exhaustive.js";
import { compactKey, stateKey } from "../engine/fingerprint.js";
import { setupFor } from "../engine/run.js";
import { exhaustiveRows, verdictRows } from "../engine/verdicts.js";
import { mmapReadLock, mmapReadUnlock } from "../model/kernel/mmap-lock.js";
import { canonicalWorld } from "../model/parts.js";
import { runsIn } from "../model/scenarios.js";
import type { World } from "../model/world.js";
import { PROPERTIES, propertyById } from "../properties/index.js";
import type { Property } from "../properties/property.js";
import { design, mini, scenario } from "./helpers.js";

const SMALL = ["anon-uffd-1", "hugetlb-uffd-1"];
// where the two searches also meet on folio-lock retries (L4 lassos with an unbounded
// folio holder) and their fatal-signal loops
const AGREE = [...SMALL, "anon-swap", "anon-swap-contended"];

describe("exhaustive search", () => {
  for (const s of SMALL)
    it(`proves every safety property of v2 on ${s} (complete: munmap, invalidation, monitor, signal)`, () => {
      const rows = exhaustiveRows(design("v2"), scenario(s), PROPERTIES, { depth: 80 });
      for (const r of rows.filter((x) => propertyById(x.property)?.kind === "safety")) {
        if (r.verdict === "n/a") continue;
        expect([r.property, r.verdict, r.message]).toEqual([r.property, "holds", undefined]);
        expect(r.complete).toBe(true);
      }
    });

  for (const id of [
    "mainline",
    "rfc",
    "v1-hugetlb-drop",
    "v1-hugetlb-hold",
    "v2",
    "v5",
    "v8",
    "gup",
  ])
    it(`agrees with random mode on every row for ${id}`, () => {
      for (const s of AGREE.filter((x) => runsIn(scenario(x), design(id)))) {
        const ex = exhaustiveRows(design(id), scenario(s), PROPERTIES, { depth: 80 });
        const rnd = verdictRows(design(id), scenario(s), PROPERTIES, { runs: 1000, seed: 11 });
        expect(ex.map((r) => [s, r.property, r.verdict])).toEqual(
          rnd.map((r) => [s, r.property, r.verdict]),
        );
      }
    });

  it("returns the shortest use-after-free for v1-hugetlb-drop, never longer than random's", () => {
    const [ex] = exhaustiveRows(
      design("v1-hugetlb-drop"),
      scenario("hugetlb-uffd-1"),
      [propertyById("no-freed-vma-use") as (typeof PROPERTIES)[number]],
      { depth: 40 },
    );
    expect(ex?.verdict).toBe("violated");
    expect(ex?.steps).toBe(20);
    expect(ex?.counterexample?.provenShortest).toBe(true);
    const [rnd] = verdictRows(
      design("v1-hugetlb-drop"),
      scenario("hugetlb-uffd-1"),
      [propertyById("no-freed-vma-use") as (typeof PROPERTIES)[number]],
      { runs: 1000, seed: 11 },
    );
    expect(rnd?.steps).toBeGreaterThanOrEqual(20);
  });

  it("finds the fatal-signal loop of v2's caller as a lasso, and none for v8", () => {
    const prop = propertyById("fatal-signal-ends-loop") as (typeof PROPERTIES)[number];
    const [v2] = exhaustiveRows(design("v2"), scenario("anon-uffd-1"), [prop], { depth: 80 });
    expect(v2?.verdict).toBe("violated");
    const c = v2?.counterexample;
    expect(c?.loopStart).toBeGreaterThan(0);
    // the loop comes back to the state it started from
    const worlds = c?.run.worlds ?? [];
    const at = (i: number) => worlds[i] as World;
    expect(stateKey(at(c?.loopStart ?? 0))).toBe(stateKey(at(worlds.length - 1)));
    const [v8] = exhaustiveRows(design("v8"), scenario("anon-uffd-1"), [prop], { depth: 80 });
    expect(v8?.verdict).toBe("holds");
  });

  it("stops at --max-states on the largest scenario with a coverage report", () => {
    const r = exploreExhaustive(setupFor(design("v2"), scenario("two-vmas")), PROPERTIES, {
      depth: 200,
      maxStates: 5000,
    });
    expect(r.stoppedBy).toBe("max-states");
    expect(r.states).toBe(5000);
    expect(r.complete).toBe(false);
    expect(r.frontier).toBeGreaterThan(0);
  });

  it("counts the rest of the layer it was expanding among the states left unexplored", () => {
    const setup = setupFor(design("v2"), scenario("anon-uffd-1"));
    const upTo = (depth: number) => exploreExhaustive(setup, [], { depth }).states;
    // stopped at the first new state of depth 16, met while expanding the first state of
    // layer 15: every state of layer 15 is left (the first one half expanded), and it
    const layer15 = upTo(15) - upTo(14);
    const r = exploreExhaustive(setup, [], { depth: 1000, maxStates: upTo(15) + 1 });
    expect(r.stoppedBy).toBe("max-states");
    expect(r.frontier).toBe(layer15 + 1);
  });

  it("gives the same verdicts with hash compaction, sleep sets and a preemption bound", () => {
    const setup = setupFor(design("v1-hugetlb-drop"), scenario("hugetlb-uffd-1"));
    const base = exploreExhaustive(setup, PROPERTIES, { depth: 80 });
    const hc = exploreExhaustive(setup, PROPERTIES, { depth: 80, hashCompact: true });
    // sleep sets: the safety properties (test/sleep-sets.test.ts has every small pair)
    const safety = PROPERTIES.filter((p) => !p.lasso);
    const plain = exploreExhaustive(setup, safety, { depth: 80 });
    const ss = exploreExhaustive(setup, safety, { depth: 80, sleepSets: true });
    const keys = (r: typeof base) =>
      [...r.counterexamples].map(([id, c]) => `${id}: ${c.schedule.length}`).sort();
    expect(keys(hc)).toEqual(keys(base));
    expect(hc.states).toBe(base.states);
    expect(hc.omissionProbability).toBeLessThan(1e-9);
    expect(keys(ss)).toEqual(keys(plain));
    expect(ss.states).toBe(plain.states);
    expect(ss.transitions).toBeLessThan(plain.transitions);
    // states there are a world, the preemptions used and the thread that ran last while
    // it can go on (what the next steps cost): more of them, but fewer steps
    const pb = exploreExhaustive(setup, PROPERTIES, { depth: 80, preemptions: 2 });
    expect(pb.transitions).toBeLessThan(base.transitions);
    expect(pb.counterexamples.has("no-freed-vma-use")).toBe(true);
  });
});

describe("--shortest", () => {
  it("replaces a random counterexample by the breadth-first shortest one, marked proven", () => {
    const prop = propertyById("no-freed-vma-use") as (typeof PROPERTIES)[number];
    const [plain] = verdictRows(design("v1-hugetlb-drop"), scenario("hugetlb-uffd-1"), [prop], {
      runs: 500,
      seed: 5,
    });
    const [best] = verdictRows(design("v1-hugetlb-drop"), scenario("hugetlb-uffd-1"), [prop], {
      runs: 500,
      seed: 5,
      shortest: 200_000,
    });
    expect(plain?.counterexample?.provenShortest).not.toBe(true);
    expect(best?.counterexample?.provenShortest).toBe(true);
    expect(best?.steps).toBe(20);
    expect(best?.message).toMatch(/freed vma#0's hugetlb_vma_lock/);
  });
});

describe("L2 as a lasso", () => {
  it("reports a call that spins forever with nothing against it, and not v2", () => {
    const spin = mini(
      {
        again: { op: mmapReadLock(), next: "unlock" },
        unlock: { op: mmapReadUnlock(), next: "again" },
      },
      "again",
    );
    const prop = propertyById("uffd-fault-completes") as (typeof PROPERTIES)[number];
    const [bad] = exhaustiveRows(spin, scenario("anon-uffd-1"), [prop], { depth: 40 });
    expect(bad?.verdict).toBe("violated");
    expect(bad?.counterexample?.loopStart).not.toBeNull();
    expect(bad?.message).toMatch(/monitor answering, T enters a loop/);
    const [good] = exhaustiveRows(design("v2"), scenario("anon-uffd-1"), [prop], { depth: 80 });
    expect(good?.verdict).toBe("holds");
  });
});

describe("--preemptions", () => {
  it("never calls a counterexample shortest: a shorter one may need more preemptions", () => {
    const uaf = [propertyById("no-freed-vma-use") as Property];
    const pair = [design("v1-hugetlb-drop"), scenario("hugetlb-uffd-1")] as const;
    const [bounded] = exhaustiveRows(...pair, uaf, { depth: 80, preemptions: 0 });
    const [all] = exhaustiveRows(...pair, uaf, { depth: 80 });
    expect(bounded?.verdict).toBe("violated");
    expect(bounded?.counterexample?.provenShortest).toBe(false);
    expect(all?.counterexample?.provenShortest).toBe(true);
    expect(all?.steps).toBeLessThan(bounded?.steps ?? 0);
  });

  it("covers every world that some schedule with at most K preemptions reaches", () => {
    const setup = setupFor(design("v2"), scenario("anon-uffd-1"));
    const reached = new Set<string>([compactKey(setup.world0)]);
    const recorder: Property = {
      id: "record",
      ref: "-",
      statement: "records every world the search steps to",
      kind: "safety",
      applies: () => true,
      monitor: () => ({
        step: (v) => {
          reached.add(compactKey(v.after));
          return null;
        },
      }),
    };
    const r = exploreExhaustive(setup, [recorder], {
      depth: Number.POSITIVE_INFINITY,
      preemptions: 1,
    });
    expect(r.complete).toBe(true);
    // the oracle: (world, preemptions used, thread that ran last), a switch away from a
    // thread that could go on costing one
    const oracle = new Set<string>([compactKey(setup.world0)]);
    const met = new Set<string>();
    let layer: [World, number, number][] = [[setup.world0, 0, -1]];
    while (layer.length > 0) {
      const next: [World, number, number][] = [];
      for (const [w, used, last] of layer) {
        const enabled = enabledThreads(w, setup.programs);
        for (const tid of enabled) {
          const cost = last >= 0 && tid !== last && enabled.includes(last) ? 1 : 0;
          if (used + cost > 1) continue;
          let choices = 1;
          for (let pick = 0; pick < choices; pick++) {
            const [n, rec] = step(w, tid, pick, setup.programs);
            choices = Math.max(1, rec.choices);
            // the search keeps each world in canonical form (model/parts.ts canonicalWorld);
            // the oracle steps the worlds as they are and compares their canonical forms
            const key = compactKey(n);
            oracle.add(compactKey(canonicalWorld(n)));
            const state = `${key}|${used + cost}|${tid}`;
            if (met.has(state)) continue;
            met.add(state);
            next.push([n, used + cost, tid]);
          }
        }
      }
      layer = next;
    }
    expect(reached.size).toBe(oracle.size);
    expect([...oracle].every((k) => reached.has(k))).toBe(true);
  });
});
