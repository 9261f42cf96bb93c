// The v8 series with its Jul 14 2026 fixups (model/designs/v8-timeout.ts,
// v8-callers.ts) against the properties of properties/time.ts, each checked on the rule
// it models and shown able to fail:
//   - caller-deadline-bounds-call: "[PATCH v2 2/4] fixup! drm/nouveau: use
//     hmm_range_fault_unlocked_timeout() for SVM faults" (Jul 14 2026) tests
//     time_after_eq() before the call "so the remaining timeout passed to HMM is always
//     positive", as 0 "means retry indefinitely";
//   - timeout-bounds-notifier-retries: "[PATCH v8 2/8] mm/hmm: add
//     hmm_range_fault_unlocked_timeout() for mmap lock-drop support" (Jul 10 2026):
//     "If the lock was dropped, the retry deadline is also restarted ... Ordinary -EBUSY
//     retries keep the existing deadline";
//   - cond-resched-terminates(-rt): Andrew Morton on "[PATCH v8 4/8] mshv: ..." (Jul 10
//     2026), the realtime/uniprocessor case; mmu_interval_read_begin() (mm/mmu_notifier.c)
//     sleeps in wait_event() until mn_itree_inv_end() while the subscription is being
//     invalidated;
//   - retry-only-with-allow-retry: v8 patch 2's hmm_do_fault() writes
//     `*hmm_vma_walk->locked = false` on RETRY or COMPLETED, and hmm_range_fault() passes
//     locked = NULL (sashiko-bot on v6, Jul 6 2026).
import { describe, expect, it } from "vitest";
import { exhaustiveRows, verdictRows } from "../engine/verdicts.js";
import {
  hmmRangeFaultUnlockedTimeout,
  UNLOCKED_TIMEOUT,
  v8Timeout,
} from "../model/designs/v8-timeout.js";
import { EBUSY, EPERM } from "../model/errno.js";
import { hmmCallWithTimeout } from "../model/kernel/hmm.js";
import { condResched } from "../model/kernel/sched.js";
import { armDeadline, timeAfter } from "../model/kernel/time.js";
import { exit, retIs, set, test } from "../model/locals.js";
import { type Scenario, scenario } from "../model/scenarios.js";
import type { Design } from "../model/step.js";
import { compose, op, override } from "../model/step.js";
import type { Property } from "../properties/property.js";
import { liveness } from "../properties/property.js";
import { bench, scenario as builtIn, design, prop, runAlone } from "./helpers.js";

function random(d: Design, s: Scenario, p: Property, runs = 1000, seed = 3) {
  const [row] = verdictRows(d, s, [p], { runs, seed });
  if (!row) throw new Error("no row");
  return row;
}

function exhaustive(d: Design, s: Scenario, p: Property, depth = 80) {
  const [row] = exhaustiveRows(d, s, [p], { depth, maxStates: 400_000 });
  if (!row) throw new Error("no row");
  return row;
}

/** One anonymous page, one invalidation, the clock: small enough to search exhaustively. */
const small = scenario({
  id: "test-anon-clock",
  families: ["hmm"],
  vmas: [
    { name: "anon", pages: 1, write: true, shared: false, hugetlb: false, uffdMissing: false },
  ],
  actors: [
    { actor: "invalidate", budget: 1 },
    { actor: "clock", budget: null },
  ],
});
/** The same with a uffd page and the monitor: faults drop the lock. */
const smallUffd = scenario({
  id: "test-anon-uffd-clock",
  families: ["hmm"],
  vmas: [
    { name: "anon-uffd", pages: 1, write: true, shared: false, hugetlb: false, uffdMissing: true },
  ],
  actors: [
    { actor: "invalidate", budget: 1 },
    { actor: "monitor", budget: null },
    { actor: "clock", budget: null },
  ],
});

describe("caller-deadline-bounds-call (T1)", () => {
  const p = prop("caller-deadline-bounds-call");

  it("holds for nouveau-v8, whose time_after_eq() keeps the remaining budget positive", () => {
    const r = exhaustive(design("nouveau-v8"), small, p);
    expect(r.verdict).toBe("holds");
    expect(random(design("nouveau-v8"), builtIn("invalidate-storm"), p).verdict).toBe("holds");
  });

  it("is violated by the mutant without it: on the expiry jiffy it passes 0, retry for ever", () => {
    const r = exhaustive(design("nouveau-v8-zero-timeout"), small, p);
    expect(r.verdict).toBe("violated");
    expect(r.message).toMatch(
      /timeout 0, "retry for ever", although its own deadline timeout has come \(due/,
    );
    // the shortest: arm, one tick (due), remaining = 0, time_after() false, the call, read_begin
    expect(r.steps).toBeLessThanOrEqual(6);
    expect(random(design("nouveau-v8-zero-timeout"), builtIn("anon-uffd-clock"), p).verdict).toBe(
      "violated",
    );
  });

  it("is n/a for callers that keep no deadline of their own, and without the clock", () => {
    for (const d of ["odp-v8", "v8-timeout", "mshv-v8", "v8"])
      expect(p.applies(builtIn("anon-uffd-clock"), design(d)), d).toBe(false);
    expect(p.applies(builtIn("anon-uffd"), design("nouveau-v8"))).toBe(false);
  });
});

describe("timeout-bounds-notifier-retries (T2)", () => {
  const p = prop("timeout-bounds-notifier-retries");

  it("holds for the helper as posted, whoever calls it with a budget", () => {
    for (const d of ["v8-timeout", "odp-v8", "nouveau-v8"]) {
      expect(exhaustive(design(d), small, p).verdict, `${d} on ${small.id}`).toBe("holds");
      expect(exhaustive(design(d), smallUffd, p, 60).verdict, `${d} on ${smallUffd.id}`).not.toBe(
        "violated",
      );
    }
  });

  it("catches Andrew's loop-local `locked`: every pass re-arms, the notifier retries never time out", () => {
    const r = exhaustive(design("v8-timeout-local-locked"), small, p);
    expect(r.verdict).toBe("violated");
    expect(r.message).toMatch(/re-armed its deadline after a pass that kept the mmap lock/);
  });

  it("catches a helper that never checks the time, and one that does not re-arm after a drop", () => {
    const noCheck: Design = {
      ...v8Timeout,
      id: "test-no-time-check",
      steps: compose(
        v8Timeout.steps,
        override({
          "unlocked.time_after": { op: timeAfter("deadline"), next: "unlocked.read_begin" },
        }),
      ),
    };
    const r = exhaustive(noCheck, small, p);
    expect(r.verdict).toBe("violated");
    expect(r.message).toMatch(/began a second pass after its deadline had passed/);

    // `if (!locked)` dropped: the deadline is armed once per call, like nouveau's before v8
    const armOnce: Design = {
      ...v8Timeout,
      id: "test-arm-once",
      steps: compose(
        v8Timeout.steps,
        override({
          "unlocked.if_unlocked": {
            op: test("!deadline", (k) => k.get("deadline") === null),
            on: { yes: "unlocked.arm", no: "unlocked.time_after" },
          },
        }),
      ),
    };
    const u = exhaustive(armOnce, smallUffd, p, 60);
    expect(u.verdict).toBe("violated");
    expect(u.message).toMatch(/deadline armed before the last pass dropped the mmap lock/);
  });
});

describe("cond-resched-terminates and -rt (T3)", () => {
  const fair = prop("cond-resched-terminates");
  const rt = prop("cond-resched-terminates-rt");

  it("hold for mshv-v8 with and without fairness for the invalidator: read_begin sleeps", () => {
    for (const s of [builtIn("anon-uffd-1"), builtIn("anon-plain")]) {
      expect(exhaustive(design("mshv-v8"), s, fair, 60).verdict).toBe("holds");
      expect(exhaustive(design("mshv-v8"), s, rt, 60).verdict).toBe("holds");
    }
  });

  it("are violated for mshv-v8 under an endless stream of invalidations, shortest", () => {
    // a fresh madvise(MADV_DONTNEED) collides with every pass of the timeout-0 helper
    // before it reaches the page, so no fault drops the lock in the loop
    for (const [id, steps] of [
      ["invalidate-storm", 25],
      ["uffd-invalidate-storm", 29],
    ] as const) {
      for (const p of [fair, rt]) {
        const r = exhaustive(design("mshv-v8"), builtIn(id), p, 200);
        expect([id, p.id, r.verdict, r.complete, r.steps]).toEqual([
          id,
          p.id,
          "violated",
          true,
          steps,
        ]);
        expect(r.message).toMatch(/never returns/);
      }
    }
  });

  // A loop that waits for the invalidation to end by polling with cond_resched() instead
  // of sleeping in mmu_interval_read_begin(): what Andrew's mail fears.
  const poll: Design = {
    id: "test-poll",
    family: "hmm",
    title: "cond_resched() until no invalidation is in progress",
    summary: "",
    source: "test",
    start: "poll",
    steps: {
      poll: {
        op: op({
          name: "if (READ_ONCE(subscriptions->invalidate_seq) & 1)",
          outcomes: ["yes", "no"],
          run: (k) => (k.w.notifier.mmSeq % 2 === 1 ? "yes" : "no"),
        }),
        on: { yes: "cond_resched", no: "exit" },
      },
      cond_resched: { op: condResched(), next: "poll" },
      exit: { op: exit() },
    },
  };

  // the poll faults nothing in: its pages start mapped, for reclaim's rmap unmap to find
  const plain = builtIn("anon-plain");
  const mapped: Scenario = {
    ...plain,
    id: "test-anon-plain-mapped",
    vmas: plain.vmas.map((v) => ({ ...v, mapped: true })),
  };

  it("tell a polling loop apart: it ends only if the preempted invalidator gets to run", () => {
    const withFairness = exhaustive(poll, mapped, fair, 40);
    expect(withFairness.verdict).toBe("holds");
    const realtime = exhaustive(poll, mapped, rt, 40);
    expect(realtime.verdict).toBe("violated");
    // the report says which variant it is and whom the loop is not fair to
    expect(realtime.message).toMatch(/realtime or uniprocessor/);
    expect(realtime.message).toMatch(/not fair to I \(invalidate\)/);
    expect(random(poll, mapped, rt).verdict).toBe("violated");
  });
});

describe("worker-uffd-wait-ends: a kernel worker asleep on a silent monitor", () => {
  const p = prop("worker-uffd-wait-ends");
  const silent = builtIn("uffd-silent-worker");

  it("is violated wherever v8 lets a worker's fault sleep in handle_userfault()", () => {
    for (const [id, steps] of [
      ["nouveau-v8", 14],
      ["odp-v8", 12],
      ["gpusvm-get-pages-v8", 13],
    ] as const) {
      const r = exhaustive(design(id), silent, p);
      expect([id, r.verdict, r.steps]).toEqual([id, "violated", steps]);
      expect(r.message).toMatch(/^T sleeps in handle_userfault\(\) for ever/);
      expect(r.message).toMatch(/the deadline it armed does not wake it/);
    }
    // nouveau's worker gets no signal, so a scenario that sends one judges it too
    expect(exhaustive(design("nouveau-v8"), builtIn("anon-uffd-silent"), p).verdict).toBe(
      "violated",
    );
  });

  it("holds where the fault cannot sleep there: v7.0's SIGBUS, a scan that faults nothing", () => {
    for (const id of ["gpusvm-get-pages", "gpusvm-scan", "gpusvm-scan-v8"]) {
      const r = exhaustive(design(id), silent, p);
      expect([id, r.verdict, r.complete]).toEqual([id, "holds", true]);
    }
  });

  it("leaves out callers a signal reaches: a task's, or a worker's where a signal is sent", () => {
    expect(p.applies(silent, design("mshv-v8"))).toBe(false);
    expect(p.applies(builtIn("anon-uffd-silent"), design("odp-v8"))).toBe(false);
    expect(p.applies(builtIn("anon-uffd"), design("nouveau-v8"))).toBe(false);
  });
});

describe("retry-only-with-allow-retry (T4)", () => {
  const p = prop("retry-only-with-allow-retry");
  const s = builtIn("misbehaving-handler");

  it("is violated by v8's legacy path: the misbehaving handler's RETRY meets a NULL locked", () => {
    const r = exhaustive(design("v8-legacy"), s, p);
    expect(r.verdict).toBe("violated");
    expect(r.message).toMatch(/wrote through a NULL pointer/);
    expect(r.message).toMatch(/without FAULT_FLAG_ALLOW_RETRY at step \d+/);
  });

  it("holds for mainline (RETRY is no error to it) and for the helper (it passes ALLOW_RETRY)", () => {
    expect(exhaustive(design("mainline"), s, p, 40).verdict).not.toBe("violated");
    expect(exhaustive(design("v8-timeout"), s, p, 40).verdict).not.toBe("violated");
    expect(random(design("v8-timeout"), s, p).verdict).toBe("holds");
  });

  it("applies only where a handler can break the contract", () => {
    expect(p.applies(builtIn("anon-uffd"), design("v8-legacy"))).toBe(false);
  });
});

describe("the clock is weakly fair only where a property says so", () => {
  // T waits for its deadline by polling: it ends only if the clock ticks
  const waits: Design = {
    id: "test-wait-deadline",
    family: "hmm",
    title: "cond_resched() until time_after(jiffies, deadline)",
    summary: "",
    source: "test",
    start: "arm",
    steps: {
      arm: { op: armDeadline("deadline", 1), next: "wait" },
      wait: { op: timeAfter("deadline"), on: { yes: "exit", no: "cond_resched" } },
      cond_resched: { op: condResched(), next: "wait" },
      exit: { op: exit() },
    },
  };
  const returns = (fairTo?: readonly string[]) =>
    liveness({
      id: `test-returns-${fairTo ? "fair" : "unfair"}`,
      statement: "T returns",
      inLoop: (w) => w.threads[0]?.status.kind !== "done",
      ...(fairTo ? { fairTo } : {}),
    });

  it("an idle clock may stay idle; named, it must tick, and the deadline passes", () => {
    expect(exhaustive(waits, small, returns(), 30).verdict).toBe("violated");
    expect(exhaustive(waits, small, returns(["clock"]), 30).verdict).toBe("holds");
  });

  it("ends a retry loop that re-arms on each pass, for a property fair to the clock, only by a return", () => {
    // re-arming closes the loop into a lasso even though the clock ticks in it
    const rearms: Design = {
      ...waits,
      id: "test-rearm",
      steps: {
        ...waits.steps,
        wait: { op: timeAfter("deadline"), on: { yes: "again", no: "cond_resched" } },
        again: { op: set({ ret: EBUSY }), next: "retry" },
        retry: { op: test("ret == -EBUSY", retIs(EBUSY)), on: { yes: "arm", no: "exit" } },
      },
    };
    const r = exhaustive(rearms, small, returns(["clock"]), 30);
    expect(r.verdict).toBe("violated");
    expect(r.message).toMatch(/fair to .*J/);
  });
});

describe("mshv-v8's range asks for writable pages", () => {
  // drivers/hv/mshv_regions.c (v7.0; [PATCH v8 4/8] leaves the initialiser):
  // .default_flags = HMM_PFN_REQ_FAULT | HMM_PFN_REQ_WRITE, whatever the request and the
  // VMA; the walk refuses a write request on a VMA without VM_WRITE with -EPERM.
  const readOnly = scenario({
    id: "test-anon-ro-read",
    families: ["hmm"],
    vmas: [
      {
        name: "anon-ro",
        pages: 1,
        write: false,
        shared: false,
        hugetlb: false,
        uffdMissing: false,
      },
    ],
    write: false,
    actors: [],
  });

  it("so a read-only VMA fails the call with -EPERM, although the scenario asks for reads", () => {
    const b = bench(readOnly, design("mshv-v8"));
    const r = runAlone(b.programs, b.world, 0, () => false, 60);
    const t = r.world.threads[0];
    expect(t?.status.kind).toBe("done");
    expect(t?.locals.ret).toBe(EPERM);
    // the documented caller asks for what the scenario asks for: a read fault succeeds
    const doc = bench(readOnly, design("v8-timeout"));
    const ok = runAlone(doc.programs, doc.world, 0, () => false, 60);
    expect(ok.world.threads[0]?.status.kind).toBe("done");
    expect(ok.world.threads[0]?.locals.ret).toBe(0);
  });
});

describe("a negative long passed as hmm_range_fault_unlocked_timeout()'s timeout", () => {
  // include/linux/jiffies.h: time_after(a, b) is (long)((b) - (a)) < 0, so with timeout =
  // (unsigned long)-1, deadline = jiffies + timeout is one jiffy in the past
  const caller = (t: number): Design => ({
    ...design("mshv-v8"),
    id: `test-timeout-${t}`,
    start: "t",
    steps: compose(
      {
        t: { op: set({ t }), next: "call" },
        call: { op: hmmCallWithTimeout(UNLOCKED_TIMEOUT, "t"), next: "unlocked.do" },
        "unlocked.return": { op: exit() },
      },
      hmmRangeFaultUnlockedTimeout(),
    ),
  });

  it("is a deadline already passed: -EBUSY before any walk, not a long budget", () => {
    const run = (t: number) => {
      const b = bench(builtIn("anon-plain"), caller(t));
      return runAlone(b.programs, b.world, 0, () => false, 60);
    };
    const neg = run(-1);
    expect(neg.world.threads[0]?.status.kind).toBe("done");
    expect(neg.world.threads[0]?.locals.ret).toBe(EBUSY);
    expect(neg.recs.some((r) => r.ops.some((o) => o.startsWith("walk_page_range")))).toBe(false);
    // a positive budget walks and faults the page in
    const pos = run(5);
    expect(pos.world.threads[0]?.locals.ret).toBe(0);
    expect(pos.recs.some((r) => r.ops.some((o) => o.startsWith("walk_page_range")))).toBe(true);
  });
});
