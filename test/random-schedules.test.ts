// The random search's schedules (engine/random.ts): independent choices on even run
// indices, lasso-shaped ones (a prefix and a segment repeated 2 to 5 times) on odd ones,
// and what the lasso-shaped runs find that independent choices missed.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { arbsOfRuns, lassoArb, scheduleArb } from "../engine/random.js";
import type { Choice } from "../engine/run.js";
import { setupFor } from "../engine/run.js";
import { verdictRows } from "../engine/verdicts.js";
import { design, prop, scenario } from "./helpers.js";

/** The shortest segment the list ends with, repeated k >= 2 times: its length, or 0. */
function repeatedTail(s: readonly Choice[]): number {
  for (let len = 1; 2 * len <= s.length; len++) {
    const tail = JSON.stringify(s.slice(s.length - len));
    if (JSON.stringify(s.slice(s.length - 2 * len, s.length - len)) === tail) return len;
  }
  return 0;
}

describe("random schedules", () => {
  const setup = setupFor(design("v2"), scenario("anon-uffd-1"));
  const n = setup.world0.threads.length;

  it("even run indices draw the independent choices, odd ones lasso-shaped schedules", () => {
    const arbOf = arbsOfRuns(setup, {});
    for (let r = 0; r < 40; r++) {
      const [got] = fc.sample(arbOf(r), { seed: 100 + r, numRuns: 1 });
      const arb = r % 2 === 0 ? scheduleArb(n, 24) : lassoArb(n, 24);
      const [want] = fc.sample(arb, { seed: 100 + r, numRuns: 1 });
      expect(got, `run ${r}`).toEqual(want);
    }
  });

  it("a lasso-shaped schedule ends with a segment repeated at least twice", () => {
    const samples = fc.sample(lassoArb(n, 24), { seed: 7, numRuns: 200 });
    for (const s of samples) {
      expect(repeatedTail(s), JSON.stringify(s)).toBeGreaterThan(0);
      expect(s.length).toBeLessThanOrEqual(12 + 5 * 10);
    }
    // and independent choices mostly do not
    const plain = fc.sample(scheduleArb(n, 24), { seed: 7, numRuns: 200 });
    expect(plain.filter((s) => repeatedTail(s) > 0).length).toBeLessThan(20);
  });

  it("finds mshv-v8's loop under an endless stream of invalidations in 1000 runs", () => {
    // 29 steps at the shortest (test/v8-series.test.ts holds it exhaustively): T's
    // notifier retries, each collided with by a fresh madvise(MADV_DONTNEED). 1000
    // independent choices with the matrix's seed missed it; the lasso-shaped runs
    // repeat the collision
    const [row] = verdictRows(
      design("mshv-v8"),
      scenario("uffd-invalidate-storm"),
      [prop("cond-resched-terminates")],
      { runs: 1000, seed: 1 },
    );
    expect(row?.verdict).toBe("violated");
    expect(row?.counterexample?.message).toMatch(/never returns/);
    expect((row?.counterexample?.runIndex ?? 0) % 2).toBe(1);
  });
});
