// The hot path copies only what a step may mutate (engine/draft.ts LazyWorld) and shares
// the rest. Running steps on deep-frozen worlds makes any op that writes into a shared
// part throw, so this test keeps LazyWorld honest as ops are added.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { enabledThreads, step } from "../engine/exec.js";
import { scheduleArb } from "../engine/random.js";
import { setupFor } from "../engine/run.js";
import { DESIGNS } from "../model/designs/index.js";
import { runsIn, SCENARIOS } from "../model/scenarios.js";
import type { World } from "../model/world.js";

function deepFreeze<T>(v: T): T {
  if (typeof v === "object" && v !== null && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}

describe("LazyWorld", () => {
  it("copies everything any step of any design or actor mutates", () => {
    let steps = 0;
    for (const d of DESIGNS)
      for (const s of SCENARIOS.filter((x) => runsIn(x, d))) {
        const setup = setupFor(d, s);
        const n = setup.world0.threads.length;
        for (const schedule of fc.sample(scheduleArb(n, 24), { seed: 9, numRuns: 25 })) {
          let w: World = deepFreeze(structuredClone(setup.world0));
          for (const c of schedule)
            for (let i = 0; i < (c.n ?? 1); i++) {
              const tid = c.t % n;
              if (!enabledThreads(w, setup.programs).includes(tid)) break;
              [w] = step(w, tid, c.p, setup.programs);
              deepFreeze(w);
              steps++;
            }
          // and the fair completion's kind of steps: keep going with whoever can run
          for (let i = 0; i < 80; i++) {
            const ready = enabledThreads(w, setup.programs);
            if (ready.length === 0) break;
            [w] = step(w, ready[i % ready.length] as number, 0, setup.programs);
            deepFreeze(w);
            steps++;
          }
        }
      }
    expect(steps).toBeGreaterThan(10_000);
  });
});
