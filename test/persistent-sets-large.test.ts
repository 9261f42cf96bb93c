// The regression corpus's safety entries on the two pairs whose reduced search takes
// about a minute each (test/persistent-sets.test.ts checks every other entry):
// persistent sets must find them too. A file of their own, so that they run beside
// the other tests.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { exploreExhaustive } from "../engine/exhaustive.js";
import { setupFor } from "../engine/run.js";
import { designById } from "../model/designs/index.js";
import { scenarioById } from "../model/scenarios.js";
import { propertyById } from "../properties/index.js";
import type { Property } from "../properties/property.js";
import { LARGE } from "./helpers.js";

describe("persistent sets on the corpus's largest pairs", () => {
  for (const pair of LARGE)
    it(`find every safety entry of the corpus on ${pair}`, () => {
      const [did, sid] = pair.split(" ") as [string, string];
      const ids = readdirSync(join(import.meta.dirname, "..", "corpus", did))
        .filter((f) => f.startsWith(`${sid}.`))
        .map((f) => f.replace(/\.json$/, "").split(".")[1] as string)
        .filter((id) => {
          const p = propertyById(id);
          return p !== undefined && !p.lasso;
        });
      // (the entries these pairs had when this test was written: one gone from the
      // corpus should be seen here)
      expect(ids).toEqual(
        expect.arrayContaining(["no-hugetlb-lock-across-drop", "no-vma-use-after-unlock"]),
      );
      const d = designById(did);
      const s = scenarioById(sid);
      if (!d || !s) throw new Error(`corpus/${did}: unknown design or scenario ${sid}`);
      const props = ids.map((id) => propertyById(id) as Property);
      const r = exploreExhaustive(setupFor(d, s), props, {
        depth: Number.POSITIVE_INFINITY,
        persistentSets: true,
      });
      expect([...(r.persistent?.violated ?? [])].sort()).toEqual([...ids].sort());
    }, 900_000);
});
