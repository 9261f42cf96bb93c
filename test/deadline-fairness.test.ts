// Fairness to the clock is fairness to every deadline (engine/lasso.ts `fairness`). The
// kernel has one jiffies counter, which moves every deadline on at once; the model's
// clock moves one per tick. A loop fair to the clock thread alone could tick one
// deadline for ever and never another, which no kernel run does; a loop fair to every
// deadline moves each one still to come on, or passes through a state where it passed.
import { describe, expect, it } from "vitest";
import { runSchedule, setupFor } from "../engine/run.js";
import { exhaustiveRows } from "../engine/verdicts.js";
import { CLOCK } from "../model/actors/clock.js";
import { armDeadline, timeAfter } from "../model/kernel/time.js";
import { set } from "../model/locals.js";
import { type Scenario, scenario } from "../model/scenarios.js";
import type { Design, Steps } from "../model/step.js";
import { liveness } from "../properties/property.js";
import { mini } from "./helpers.js";

const clockOnly: Scenario = scenario({
  id: "test-clock-only",
  families: ["hmm"],
  vmas: [
    { name: "anon", pages: 1, write: true, shared: false, hugetlb: false, uffdMissing: false },
  ],
  actors: [{ actor: CLOCK, budget: null }],
});

const returns = liveness({
  id: "test-returns",
  statement: "T returns, time passing",
  inLoop: (w) => w.threads[0]?.status.kind !== "done",
  fairTo: [CLOCK],
});

function design(id: string, steps: Steps): Design {
  return { ...mini(steps, "init"), id };
}

function row(d: Design) {
  const [r] = exhaustiveRows(d, clockOnly, [returns], {
    depth: Number.POSITIVE_INFINITY,
    maxStates: 100_000,
  });
  if (!r) throw new Error("no row");
  return r;
}

// `deadline` armed once; in every turn a second deadline, `slice`, is armed afresh, and
// the loop ends once `deadline` has passed. A clock that ticks only `slice` keeps the
// loop going for ever, but jiffies would make `deadline` pass.
const armedOnce = design("test-armed-once", {
  init: { op: armDeadline("deadline", 1, { label: "HZ" }), next: "again" },
  again: { op: armDeadline("slice", 1, { label: "HZ / 10" }), next: "check" },
  check: { op: timeAfter("deadline"), on: { yes: "out", no: "again" } },
  out: { op: set({ ret: -16 }, "return -EBUSY"), next: "exit" },
});

// a budget armed afresh in every turn: each turn may take less time than the budget, so
// the loop can run for ever, the clock ticking all along
const perTurn = design("test-per-turn", {
  init: { op: set({ ret: 0 }), next: "again" },
  again: { op: armDeadline("deadline", 1, { label: "HZ" }), next: "check" },
  check: { op: timeAfter("deadline"), on: { yes: "out", no: "again" } },
  out: { op: set({ ret: -16 }, "return -EBUSY"), next: "exit" },
});

// arms a deadline and never looks at it again: spins for ever whatever time does
const spins = design("test-spins", {
  init: { op: armDeadline("deadline", 1, { label: "HZ" }), next: "spin" },
  spin: { op: set({ ret: 0 }, "cpu_relax()"), next: "spin" },
});

function withClock(budget: number | null | "none"): Scenario {
  return scenario({
    id: `test-clock-${String(budget)}`,
    families: ["hmm"],
    vmas: clockOnly.vmas,
    actors: budget === "none" ? [] : [{ actor: CLOCK, budget }],
  });
}

describe("fairness to the clock", () => {
  it("asks nothing of a deadline where time stands still (no clock, or its budget spent)", () => {
    for (const budget of [null, 1, 2, "none"] as const) {
      const [r] = exhaustiveRows(spins, withClock(budget), [returns], {
        depth: Number.POSITIVE_INFINITY,
        maxStates: 100_000,
      });
      expect(r?.verdict, `clock budget ${budget}`).toBe("violated");
    }
  });

  it("is fair to a deadline armed once: a loop that ticks only another one does not count", () => {
    const r = row(armedOnce);
    expect(r.verdict).toBe("holds");
    expect(r.complete).toBe(true);
  });

  it("reports a loop that re-arms its budget in every turn, the clock moving it on", () => {
    const r = row(perTurn);
    expect(r.verdict).toBe("violated");
    const cex = r.counterexample;
    if (!cex) throw new Error("no counterexample");
    expect(cex.message).toContain("fair to every deadline");
    // the loop ticks the deadline: the clock (thread 1) steps in it
    const loopStart = cex.loopStart ?? -1;
    expect(loopStart).toBeGreaterThanOrEqual(0);
    expect(cex.schedule.slice(loopStart).some((c) => c.t === 1)).toBe(true);
    // the random watch, which replay uses, finds the same lasso on the schedule
    const run = runSchedule(setupFor(perTurn, clockOnly), cex.schedule, [returns]);
    expect(run.final.threads[0]?.status.kind).not.toBe("done");
    expect(run.violations.map((v) => v.property)).toContain("test-returns");
  });
});
