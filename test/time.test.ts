// Abstract time (model/kernel/time.ts, model/actors/clock.ts) against the rules it
// models: include/linux/jiffies.h's time_after(a, b) ("a is after b", strictly) and
// time_after_eq(a, b) ("a is b or after"), `deadline = jiffies + timeout`, and the
// remaining budget `deadline - jiffies` that "[PATCH v2 2/4] fixup! drm/nouveau: use
// hmm_range_fault_unlocked_timeout() for SVM faults" (Jul 14 2026) keeps from being 0 by
// testing time_after_eq() first. No jiffies counter is kept: a loop that re-arms its
// deadline comes back to the same state.
import { describe, expect, it } from "vitest";
import { enabledThreads, isEnabled, step } from "../engine/exec.js";
import { compactKey, stateKey } from "../engine/fingerprint.js";
import { runSchedule, setupFor } from "../engine/run.js";
import { hmmCallWithTimeout } from "../model/kernel/hmm.js";
import {
  armDeadline,
  asUnsignedTimeout,
  jiffiesUntil,
  tickable,
  timeAfter,
  timeAfterEq,
} from "../model/kernel/time.js";
import { set } from "../model/locals.js";
import { scenario } from "../model/scenarios.js";
import type { Steps } from "../model/step.js";
import type { World } from "../model/world.js";
import { traceFingerprint } from "../reports/cex.js";
import { describeStep } from "../reports/lanes.js";
import { bench, mini, tidOf } from "./helpers.js";

const clocked = scenario({
  id: "test-clock",
  families: ["hmm"],
  vmas: [
    { name: "anon", pages: 1, write: true, shared: false, hugetlb: false, uffdMissing: false },
  ],
  actors: [{ actor: "clock", budget: null }],
});

/** T arms `deadline = jiffies + timeout` (timeout = `budget`), then tests it. */
function timed(budget: number, after: Steps = {}) {
  const d = mini({
    init: { op: set({ timeout: budget }), next: "arm" },
    arm: {
      op: armDeadline("deadline", "timeout", { fn: "hmm_range_fault_unlocked_timeout" }),
      next: "after",
    },
    after: { op: timeAfter("deadline"), on: { yes: "exit", no: "after_eq" } },
    after_eq: { op: timeAfterEq("deadline"), on: { yes: "exit", no: "left" } },
    left: { op: jiffiesUntil("left", "deadline"), next: "left_min" },
    left_min: { op: jiffiesUntil("left_min", "deadline", { min: 1 }), next: "exit" },
    ...after,
  });
  const b = bench(clocked, d);
  b.run(); // timeout = budget (a thread-local step, run on its own as the first)
  return { b, clock: tidOf(b.world, "J") };
}

/** Run T's next step with `at` as the deadline's state (the clock moved it there). */
function answers(state: "pending" | "due" | "passed") {
  const { b, clock } = timed(5);
  b.run(); // deadline = jiffies + timeout
  const ticks = state === "pending" ? 0 : state === "due" ? 1 : 2;
  for (let i = 0; i < ticks; i++) b.run(clock);
  const t = () => b.world.threads[0];
  b.run(); // time_after
  const after = t()?.pc === "exit";
  let afterEq = after;
  if (!after) {
    b.run(); // time_after_eq
    afterEq = t()?.pc === "exit";
  }
  if (!afterEq) {
    b.run(); // left = deadline - jiffies
    b.run(); // left_min = max(deadline - jiffies, 1L)
  }
  return { after, afterEq, left: t()?.locals.left, leftMin: t()?.locals.left_min, b };
}

describe("deadlines in abstract time", () => {
  it("arms a pending deadline for a positive budget, in a world part keyed by local and lane", () => {
    const { b } = timed(5);
    b.run();
    expect(b.world.deadlines).toEqual({
      "deadline@T": { owner: 0, name: "deadline", state: "pending" },
    });
    expect(b.world.threads[0]?.locals.deadline).toBe("deadline@T");
    // a budget of 0 arms a deadline that falls on this very jiffy
    const zero = timed(0);
    zero.b.run();
    expect(zero.b.world.deadlines["deadline@T"]?.state).toBe("due");
  });

  it("answers time_after, time_after_eq and deadline - jiffies as jiffies.h does", () => {
    // pending: jiffies < deadline
    expect(answers("pending")).toMatchObject({ after: false, afterEq: false, left: 1, leftMin: 1 });
    // due: jiffies == deadline: time_after_eq() is true, time_after() is not
    expect(answers("due")).toMatchObject({ after: false, afterEq: true });
    // passed: jiffies > deadline
    expect(answers("passed")).toMatchObject({ after: true, afterEq: true });
  });

  it("computes the remaining budget as 0 on the jiffy the deadline falls on, unless clamped", () => {
    // the same program without the two tests: left = deadline - jiffies at each state
    const left = (ticks: number) => {
      const { b, clock } = timed(5, { after: { op: set({}), next: "left" } });
      b.run();
      for (let i = 0; i < ticks; i++) b.run(clock);
      b.run(); // set{} is local, then left and left_min
      b.run();
      const t = b.world.threads[0];
      return [t?.locals.left, t?.locals.left_min];
    };
    expect(left(0)).toEqual([1, 1]);
    // v8's nouveau: max(timeout - jiffies, 1L) is never 0; the fixup's plain
    // `timeout - jiffies` is 0 on the expiry jiffy
    expect(left(1)).toEqual([0, 1]);
    expect(left(2)).toEqual([-1, 1]);
    // a negative long passed as an unsigned long timeout wraps above LONG_MAX: jiffies +
    // timeout lies in the past, a budget already spent
    expect(asUnsignedTimeout(-1)).toBe(-1);
    expect(asUnsignedTimeout(3)).toBe(3);
    expect(asUnsignedTimeout(0)).toBe(0);
  });
});

describe("the clock actor", () => {
  it("is enabled only while some running thread's deadline has not passed", () => {
    const { b, clock } = timed(5);
    expect(isEnabled(b.world, clock, b.programs)).toBe(false);
    b.run();
    expect(isEnabled(b.world, clock, b.programs)).toBe(true);
    b.run(clock);
    expect(b.world.deadlines["deadline@T"]?.state).toBe("due");
    b.run(clock);
    expect(b.world.deadlines["deadline@T"]?.state).toBe("passed");
    expect(isEnabled(b.world, clock, b.programs)).toBe(false);
  });

  it("moves on the deadline the schedule picks, one jiffy at a time", () => {
    const d = mini({
      a: {
        op: armDeadline("timeout", 1, { label: "msecs_to_jiffies(HMM_RANGE_DEFAULT_TIMEOUT)" }),
        next: "b",
      },
      b: { op: armDeadline("deadline", 1), next: "exit" },
    });
    const b = bench(clocked, d);
    b.run();
    b.run();
    const clock = tidOf(b.world, "J");
    b.run(clock, 1); // the second of [deadline@T, timeout@T]
    expect(b.world.deadlines["timeout@T"]?.state).toBe("due");
    expect(b.world.deadlines["deadline@T"]?.state).toBe("pending");
    expect(b.world.threads[clock]?.pc).toBe("tick");
  });

  it("keeps no counter: re-arming after the deadline passed comes back to the same state", () => {
    const d = mini(
      {
        arm: { op: armDeadline("deadline", 1), next: "check" },
        check: { op: timeAfter("deadline"), on: { yes: "arm", no: "check" } },
      },
      "arm",
    );
    const b = bench(clocked, d);
    const clock = tidOf(b.world, "J");
    const round = () => {
      b.run(clock);
      b.run(clock);
      b.run(); // time_after: yes
      b.run(); // arm again
      return b.world;
    };
    b.run(); // arm
    // the first round marks the run disturbed (the clock is disruptive); from then on
    // every round comes back to the same state
    const armed: World = round();
    round();
    expect(b.world.clock).toBeGreaterThan(armed.clock);
    expect(compactKey(b.world)).toBe(compactKey(armed));
    expect(stateKey(b.world)).toBe(stateKey(armed));
  });

  it("leaves the per-step fingerprint of a world without deadlines as it was", () => {
    const { b } = timed(5);
    const w0 = b.world;
    const { deadlines: _d, ...before } = w0;
    // what traceFingerprint hashed before deadlines existed: the world without them
    expect(traceFingerprint(w0)).toBe(traceFingerprint({ ...(before as World), deadlines: {} }));
    b.run();
    expect(traceFingerprint(b.world)).not.toBe(traceFingerprint({ ...b.world, deadlines: {} }));
  });
});

describe("random schedules around time", () => {
  it("end a burst after a step that arms or ticks a deadline", () => {
    // T: timeout = budget; deadline = jiffies + timeout; then its tests of the time
    const d = mini({
      init: { op: set({ timeout: 5 }), next: "arm" },
      arm: { op: armDeadline("deadline", "timeout"), next: "after" },
      after: { op: timeAfter("deadline"), on: { yes: "exit", no: "left" } },
      left: { op: jiffiesUntil("left", "deadline"), next: "exit" },
    });
    const setup = setupFor(d, clocked);
    const clock = tidOf(setup.world0, "J");
    // a burst of 8 of T stops at the arming, one of 8 of the clock after one jiffy
    const run = runSchedule(
      setup,
      [
        { t: 0, p: 0, n: 8 },
        { t: clock, p: 0, n: 8 },
        { t: 0, p: 0, n: 8 },
      ],
      [],
      { noCompletion: true },
    );
    expect(run.trace.map((r) => [r.tid, r.ops[0]])).toEqual([
      [0, "timeout = 5"],
      [0, "deadline = jiffies + timeout"],
      [clock, "jiffies++"],
      [0, "if (time_after(jiffies, deadline))"],
      [0, "left = deadline - jiffies"],
      [0, "return ret"],
    ]);
    // T read the time on the jiffy its deadline fell on
    expect(run.trace[2]?.events).toContainEqual(
      expect.objectContaining({ k: "deadline", state: "due" }),
    );
  });
});

describe("a deadline armed from the time left to another", () => {
  // nouveau_range_fault() in v8: remaining = timeout - jiffies, passed to
  // hmm_range_fault_unlocked_timeout(), which arms deadline = jiffies + remaining after a
  // drop: jiffies only grow, so deadline falls on or after timeout
  const nested = (rearm: boolean) =>
    mini({
      outer: {
        op: armDeadline("timeout", 1, { label: "msecs_to_jiffies(HMM_RANGE_DEFAULT_TIMEOUT)" }),
        next: "left",
      },
      left: { op: jiffiesUntil("remaining", "timeout"), next: "call" },
      call: {
        op: hmmCallWithTimeout("hmm_range_fault_unlocked_timeout", "remaining"),
        next: "arm",
      },
      arm: { op: armDeadline("deadline", "hmm_timeout", { label: "timeout" }), next: "again" },
      again: rearm
        ? { op: armDeadline("timeout", 1, { label: "msecs_to_jiffies(1)" }), next: "exit" }
        : { op: set({}, "cpu_relax()"), next: "exit" },
    });

  it("falls on or after it: the clock moves it on only while it is behind", () => {
    const b = bench(clocked, nested(false));
    for (let i = 0; i < 3; i++) b.run(); // timeout armed; remaining; call + deadline armed
    expect(b.world.deadlines["deadline@T"]).toMatchObject({
      state: "pending",
      notBefore: "timeout@T",
    });
    // both pending: only timeout may move first
    expect(tickable(b.world)).toEqual(["timeout@T"]);
    const clock = tidOf(b.world, "J");
    b.run(clock); // timeout due
    expect(tickable(b.world)).toEqual(["deadline@T", "timeout@T"]);
    b.run(clock, 0); // deadline due, on the same jiffy
    expect(tickable(b.world)).toEqual(["timeout@T"]);
    b.run(clock); // timeout passed: deadline is free
    expect(tickable(b.world)).toEqual(["deadline@T"]);
  });

  it("falls strictly after it when jiffies moved on between the read and the arming", () => {
    const b = bench(clocked, nested(false));
    b.run(); // timeout armed
    b.run(); // remaining = timeout - jiffies, read while pending; the call
    const clock = tidOf(b.world, "J");
    b.run(clock); // timeout due: jiffies moved on
    b.run(); // deadline = jiffies + remaining: at least one jiffy after timeout
    expect(b.world.deadlines["deadline@T"]).toMatchObject({
      state: "pending",
      notBefore: "timeout@T",
      strictlyAfter: true,
    });
    // it is not due on timeout's jiffy
    expect(tickable(b.world)).toEqual(["timeout@T"]);
    b.run(clock); // timeout passed
    expect(tickable(b.world)).toEqual(["deadline@T"]);
  });

  it("falls strictly after it where max() raised the budget (nouveau v8 before the fixup)", () => {
    const d = mini({
      outer: { op: armDeadline("timeout", 0), next: "left" }, // due at once
      left: { op: jiffiesUntil("remaining", "timeout", { min: 1 }), next: "arm" },
      arm: { op: armDeadline("deadline", "remaining"), next: "exit" },
    });
    const b = bench(clocked, d);
    while (b.world.deadlines["deadline@T"] === undefined) b.run();
    expect(b.world.deadlines["deadline@T"]).toMatchObject({
      state: "pending",
      notBefore: "timeout@T",
      strictlyAfter: true,
    });
    expect(tickable(b.world)).toEqual(["timeout@T"]);
  });

  it("says so where it is armed", () => {
    const setup = setupFor(nested(false), clocked);
    // three choices: an arming ends a burst
    const t0 = { t: 0, p: 0 };
    const run = runSchedule(setup, [t0, t0, t0], [], { noCompletion: true });
    const arm = run.trace.find((r) => r.ops[0] === "deadline = jiffies + timeout");
    expect(arm?.events).toContainEqual(
      expect.objectContaining({ k: "deadline", key: "deadline@T", notBefore: "timeout@T" }),
    );
    expect(arm && describeStep(arm, run.final)).toContain(
      "{arms deadline: pending, on or after timeout@T}",
    );
  });

  it("is a new deadline once the other is re-armed, with no order to it", () => {
    const b = bench(clocked, nested(true));
    for (let i = 0; i < 4; i++) b.run();
    expect(b.world.deadlines["deadline@T"]?.notBefore).toBeUndefined();
    expect(tickable(b.world)).toEqual(["deadline@T", "timeout@T"]);
  });

  it("keeps no order once the budget is written anew, or its deadline re-armed", () => {
    const arm = { op: armDeadline("deadline", "remaining"), next: "exit" };
    const left = (next: string) => ({ op: jiffiesUntil("remaining", "timeout"), next });
    // remaining = timeout - jiffies; remaining = 1; deadline = jiffies + remaining
    const rewritten = mini({
      outer: { op: armDeadline("timeout", 1), next: "left" },
      left: left("write"),
      write: { op: set({ remaining: 1 }), next: "arm" },
      arm,
    });
    // remaining = timeout - jiffies; timeout re-armed; deadline = jiffies + remaining
    const rearmed = mini({
      outer: { op: armDeadline("timeout", 1), next: "left" },
      left: left("again"),
      again: { op: armDeadline("timeout", 1), next: "arm" },
      arm,
    });
    for (const d of [rewritten, rearmed]) {
      const b = bench(clocked, d);
      while (b.world.deadlines["deadline@T"] === undefined) b.run();
      expect(b.world.deadlines["deadline@T"]).toEqual({
        owner: 0,
        name: "deadline",
        state: "pending",
      });
      expect(tickable(b.world)).toEqual(["deadline@T", "timeout@T"]);
    }
  });

  it("keeps no order where the budget is a constant", () => {
    const d = mini({
      outer: { op: armDeadline("timeout", 1), next: "call" },
      call: { op: hmmCallWithTimeout("hmm_range_fault_unlocked_timeout", 1), next: "arm" },
      arm: { op: armDeadline("deadline", "hmm_timeout"), next: "exit" },
    });
    const b = bench(clocked, d);
    for (let i = 0; i < 2; i++) b.run();
    expect(b.world.deadlines["deadline@T"]?.notBefore).toBeUndefined();
    expect(tickable(b.world)).toEqual(["deadline@T", "timeout@T"]);
  });
});

describe("deadlines armed one after the other from the same constant", () => {
  // include/linux/jiffies.h: one jiffies counter, which only grows, so `jiffies + C`
  // armed after another `jiffies + C`, in any thread, falls on or after it (two GPU
  // fault workers of nouveau_range_fault() in v8, each arming
  // msecs_to_jiffies(HMM_RANGE_DEFAULT_TIMEOUT))
  const twoDrivers = scenario({
    id: "test-clock-two-drivers",
    families: ["hmm"],
    vmas: [
      { name: "anon", pages: 1, write: true, shared: false, hugetlb: false, uffdMissing: false },
    ],
    drivers: 2,
    actors: [{ actor: "clock", budget: null }],
  });
  const C = "msecs_to_jiffies(HMM_RANGE_DEFAULT_TIMEOUT)";
  /** arm `timeout = jiffies + label` (or another constant for T2), then wait for it */
  const waiter = mini({
    arm: { op: armDeadline("timeout", 1, { label: C }), next: "wait" },
    wait: { op: timeAfter("timeout"), on: { yes: "exit", no: "wait" } },
  });
  const T1 = 0;
  const T2 = 1;

  it("keeps the later one on or after the earlier", () => {
    const b = bench(twoDrivers, waiter);
    const clock = tidOf(b.world, "J");
    b.run(T1);
    b.run(T2);
    expect(b.world.deadlines["timeout@T1"]).toEqual({
      owner: T1,
      name: "timeout",
      state: "pending",
      from: C,
    });
    expect(b.world.deadlines["timeout@T2"]).toEqual({
      owner: T2,
      name: "timeout",
      state: "pending",
      notBefore: "timeout@T1",
      from: C,
    });
    // both pending: only T1's may move first; then T2's may fall on the same jiffy
    expect(tickable(b.world)).toEqual(["timeout@T1"]);
    b.run(clock);
    expect(tickable(b.world)).toEqual(["timeout@T1", "timeout@T2"]);
  });

  it("strictly after, where jiffies moved on between the two armings", () => {
    const b = bench(twoDrivers, waiter);
    const clock = tidOf(b.world, "J");
    b.run(T1);
    b.run(clock); // T1's deadline due: jiffies moved on
    b.run(T2);
    expect(b.world.deadlines["timeout@T2"]).toMatchObject({
      notBefore: "timeout@T1",
      strictlyAfter: true,
    });
    expect(tickable(b.world)).toEqual(["timeout@T1"]);
    b.run(clock); // T1's passed: T2's is free
    expect(tickable(b.world)).toEqual(["timeout@T2"]);
  });

  it("keeps no order between different constants, or after one that has passed", () => {
    // T2 runs another caller, whose constant is another
    const other = {
      ...mini({
        arm: { op: armDeadline("timeout", 1, { label: "msecs_to_jiffies(1)" }), next: "exit" },
      }),
      id: "other-caller",
    };
    const mixed = bench(
      scenario({ ...twoDrivers, id: "test-clock-mixed", drivers: 1, alongside: [other] }),
      waiter,
    );
    mixed.run(T1);
    mixed.run(T2);
    expect(mixed.world.threads[T2]?.program).toBe("other-caller");
    expect(mixed.world.deadlines["timeout@T2"]).toEqual({
      owner: T2,
      name: "timeout",
      state: "pending",
      from: "msecs_to_jiffies(1)",
    });
    expect(tickable(mixed.world)).toEqual(["timeout@T1", "timeout@T2"]);
    // T1's deadline passed before T2 armed its own: nothing left to keep it behind
    const b = bench(twoDrivers, waiter);
    const clock = tidOf(b.world, "J");
    b.run(T1);
    b.run(clock);
    b.run(clock);
    b.run(T2);
    expect(b.world.deadlines["timeout@T2"]?.notBefore).toBeUndefined();
  });

  it("never lets the later one pass the earlier, on any schedule", () => {
    // every state two waiters and the clock reach, with the order the two armed in
    // (which the world does not keep): while both wait, the later one is never further
    // on than the earlier
    const setup = setupFor(waiter, twoDrivers);
    const rank = { pending: 0, due: 1, passed: 2 } as const;
    const seen = new Set<string>();
    let todo: [World, string][] = [[setup.world0, ""]];
    let states = 0;
    let bothArmed = 0;
    while (todo.length > 0) {
      const next: [World, string][] = [];
      for (const [w, order] of todo) {
        const key = `${compactKey(w)}|${order}`;
        if (seen.has(key)) continue;
        seen.add(key);
        states++;
        const [first, later] = order.split(",");
        const a = first === undefined ? undefined : w.deadlines[first];
        const b = later === undefined ? undefined : w.deadlines[later];
        if (a !== undefined && b !== undefined) {
          bothArmed++;
          const waiting = (d: typeof a) => w.threads[d.owner]?.status.kind !== "done";
          if (waiting(a) && waiting(b)) expect(rank[b.state]).toBeLessThanOrEqual(rank[a.state]);
        }
        for (const tid of enabledThreads(w, setup.programs)) {
          let choices = 1;
          for (let pick = 0; pick < choices; pick++) {
            const [n, rec] = step(w, tid, pick, setup.programs);
            choices = Math.max(1, rec.choices);
            const armed = rec.events.flatMap((e) =>
              e.k === "deadline" && e.tid === e.owner ? [e.key] : [],
            );
            next.push([n, [order, ...armed].filter((x) => x !== "").join(",")]);
          }
        }
      }
      todo = next;
    }
    // both armed in either order, and the clock had room to move each on
    expect(bothArmed).toBeGreaterThan(20);
    expect(states).toBeGreaterThan(bothArmed);
  });
});
