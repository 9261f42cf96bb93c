// The monitors' save/load contract (properties/property.ts, Monitor): a saved value is
// never mutated afterwards, and a step that leaves a monitor's state as it was saves
// the very same value. The exhaustive searches rely on it: they share unchanged
// monitor states by identity and do not load them again (engine/exhaustive.ts
// saveOver). Every built-in monitor is held to it here: with its saved values deep-frozen
// (an edit in place would throw), and against a search that cannot share (each save a
// fresh copy, so every step loads), the verdicts, counts and counterexamples are the same.
import { describe, expect, it } from "vitest";
import { exploreExhaustive } from "../engine/exhaustive.js";
import { setupFor } from "../engine/run.js";
import { designById } from "../model/designs/index.js";
import { PROPERTIES } from "../properties/index.js";
import type { Monitor, Property } from "../properties/property.js";
import { searchFacts as facts, scenario } from "./helpers.js";

function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === "object" && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}

/** The property with its monitor's saved values passed through `wrap`. */
function withSaved(p: Property, wrap: (v: unknown) => unknown): Property {
  return {
    ...p,
    monitor: (): Monitor => {
      const m = p.monitor();
      const save = m.save;
      if (!save) return m;
      return { ...m, save: () => wrap(save()) };
    },
  };
}

const PAIRS: [string, string][] = [
  ["v2", "anon-uffd-1"],
  ["v1-hugetlb-drop", "hugetlb-uffd-1"],
  // the time monitors (per-thread deadline views) and the v8 API's returns
  ["v8", "invalidate-storm"],
  ["v8", "anon-uffd-clock"],
];

describe("monitor save/load contract", () => {
  for (const [d, s] of PAIRS)
    it(`holds for every built-in monitor on ${d} / ${s}`, () => {
      const design = designById(d);
      if (!design) throw new Error(d);
      const sc = scenario(s);
      const props = PROPERTIES.filter((p) => p.applies(sc, design));
      const stateful = props.filter((p) => p.monitor().save !== undefined);
      // the pair exercises monitors that keep state
      expect(stateful.length).toBeGreaterThan(0);
      const opts = { depth: 120, maxStates: 60_000 };
      const run = (ps: readonly Property[]) =>
        facts(exploreExhaustive(setupFor(design, sc), ps, opts));
      const plain = run(props);
      expect(run(props.map((p) => withSaved(p, deepFreeze)))).toEqual(plain);
      expect(run(props.map((p) => withSaved(p, (v) => structuredClone(v))))).toEqual(plain);
    });

  it("catches a monitor that edits a saved value in place", () => {
    const design = designById("v2");
    if (!design) throw new Error("v2");
    const sc = scenario("anon-uffd-1");
    // counts its steps in an array it edits in place: the contract's first rule broken
    const editsInPlace: Property = {
      id: "edits-in-place",
      ref: "test",
      statement: "counts steps in place",
      kind: "safety",
      applies: () => true,
      monitor: () => {
        let seen: number[] = [0];
        return {
          save: () => seen,
          load: (s) => {
            seen = s as number[];
          },
          step: () => {
            seen[0] = (seen[0] ?? 0) + 1;
            return null;
          },
        };
      },
    };
    const frozen = withSaved(editsInPlace, deepFreeze);
    expect(() => exploreExhaustive(setupFor(design, sc), [frozen], { depth: 5 })).toThrow(
      TypeError,
    );
  });
});
