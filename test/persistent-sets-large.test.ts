// The regression corpus's safety entries on the two pairs whose reduced search takes
// about a minute each (test/persistent-sets.test.ts checks every other entry):
// persistent sets must find them too. A file of their own, so that they run beside
// the other tests.
import { describe, expect, it } from "vitest";
import { exploreExhaustive } from "../engine/exhaustive.js";
import { setupFor } from "../engine/run.js";
import { corpusSafetyPairs, LARGE } from "./helpers.js";

describe("persistent sets on the corpus's largest pairs", () => {
  const pairs = corpusSafetyPairs();
  for (const pair of LARGE)
    it(`find every safety entry of the corpus on ${pair}`, () => {
      const entry = pairs.get(pair);
      if (entry === undefined) throw new Error(`no safety entry of the corpus on ${pair}`);
      const ids = entry.props.map((p) => p.id);
      // (the entries these pairs had when this test was written: one gone from the
      // corpus should be seen here)
      expect(ids).toEqual(
        expect.arrayContaining(["no-hugetlb-lock-across-drop", "no-vma-use-after-unlock"]),
      );
      const r = exploreExhaustive(setupFor(entry.design, entry.scenario), entry.props, {
        depth: Number.POSITIVE_INFINITY,
        persistentSets: true,
      });
      expect([...(r.persistent?.violated ?? [])].sort()).toEqual([...ids].sort());
    }, 900_000);
});
