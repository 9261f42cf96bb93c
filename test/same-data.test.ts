// The exhaustive searches' steps share again the parts a step only read
// (engine/draft.ts LazyWorld.done with `reshare`, engine/same-data.ts): the successor is
// the same state, and a part equal to the input's is the input's object.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { enabledThreads, step } from "../engine/exec.js";
import { stateKey } from "../engine/fingerprint.js";
import { scheduleArb } from "../engine/random.js";
import { setupFor } from "../engine/run.js";
import { sameData } from "../engine/same-data.js";
import { readPart } from "../engine/world-table.js";
import { designById } from "../model/designs/index.js";
import { WORLD_PARTS } from "../model/parts.js";
import type { World } from "../model/world.js";
import { scenario } from "./helpers.js";

describe("sameData", () => {
  it("compares plain data deeply, keys and lengths included", () => {
    const flags = { write: true };
    expect(sameData({ a: [1, "x", null], f: flags }, { f: flags, a: [1, "x", null] })).toBe(true);
    expect(sameData([{ r: [0, 1] }], [{ r: [0, 1] }])).toBe(true);
    expect(sameData([{ r: [0, 1] }], [{ r: [0, 2] }])).toBe(false);
    expect(sameData([1, 2], [1, 2, 3])).toBe(false);
    expect(sameData({ a: 1 }, { a: 1, mm: undefined })).toBe(false);
    expect(sameData({ a: 1, mm: undefined }, { a: 1 })).toBe(false);
    expect(sameData({ 0: 1 }, [1])).toBe(false);
    expect(sameData(null, {})).toBe(false);
    expect(sameData("1", 1)).toBe(false);
  });
});

describe("step with reshare", () => {
  it("reaches the same state, sharing every part equal to the input's and no other", () => {
    const design = designById("v2");
    if (!design) throw new Error("v2");
    const setup = setupFor(design, scenario("two-vmas"));
    const n = setup.world0.threads.length;
    let reshared = 0;
    for (const schedule of fc.sample(scheduleArb(n, 40), { seed: 5, numRuns: 40 })) {
      let w: World = setup.world0;
      for (const c of schedule) {
        const tid = c.t % n;
        if (!enabledThreads(w, setup.programs).includes(tid)) continue;
        const [plain] = step(w, tid, c.p, setup.programs);
        const [shared] = step(w, tid, c.p, setup.programs, undefined, true);
        expect(stateKey(shared)).toBe(stateKey(plain));
        WORLD_PARTS.forEach((_, i) => {
          const read = readPart[i] as (x: World) => unknown;
          const mine = read(shared);
          if (read(plain) !== read(w) && mine === read(w)) reshared++;
          // a part is the input's exactly when the step left it equal
          expect(mine === read(w)).toBe(sameData(read(plain), read(w)));
        });
        w = shared;
      }
    }
    // steps that only read a part (vma_lookup, the zap's walk) are common
    expect(reshared).toBeGreaterThan(50);
  });
});
