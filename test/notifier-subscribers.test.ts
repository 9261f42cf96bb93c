// Several subscribers on one mm (model/kernel/notifier.ts invalidateStartNonblockHlist,
// model/actors/notifier-subscribers.ts), against mm/mmu_notifier.c
// mn_hlist_invalidate_range_start() as commit c2655835fd8c ("mm/mmu_notifiers: ensure
// range_end() is paired with range_start()", -mm, Mar 2021, v5.13) made it and a v6.x
// tree still has it: every hlist subscriber's start is called even after one failed;
// on a failure the core calls the end of every subscriber that has one (a start that
// can fail may not have an end) and returns -EAGAIN, after which the caller calls no
// end. Before that commit the subscribers that had succeeded (KVM) were left started.
import { describe, expect, it } from "vitest";
import { exhaustiveRows } from "../engine/verdicts.js";
import { KVM_COUNT, RADEON_LOCK } from "../model/actors/notifier-subscribers.js";
import { designById } from "../model/designs/index.js";
import { hlistSubscriber } from "../model/kernel/notifier.js";
import type { LockState, Thread, World } from "../model/world.js";
import { PROPERTIES } from "../properties/index.js";
import { bench, mini, scenario, tidOf } from "./helpers.js";

const PAIRED = PROPERTIES.filter((p) => p.id === "notifier-start-end-paired");

/** The reaper of `scenarioId` ready to run: T has SIGKILL; `holder` holds rmn->lock. */
function reaper(scenarioId: string, holder: number | null) {
  const b = bench(scenario(scenarioId), mini({}));
  const w = b.world;
  const threads = w.threads.map((t): Thread => (t.id === 0 ? { ...t, fatal: true } : t));
  const locks: Record<string, LockState> = {
    ...w.locks,
    [RADEON_LOCK]: { kind: "mutex", owner: holder, waiters: [] },
  };
  b.world = { ...w, threads, locks, ptes: ["rw"] } as World;
  return { b, o: tidOf(b.world, "O") };
}

function runToIdle(b: ReturnType<typeof reaper>["b"], o: number): string[] {
  const labels: string[] = [];
  do {
    labels.push(b.world.threads[o]?.pc ?? "?");
    b.run(o);
  } while (b.world.threads[o]?.pc !== "idle" && labels.length < 20);
  return labels;
}

const kvmCount = (w: World) => {
  const l = w.locks[KVM_COUNT];
  return l?.kind === "refcount" ? l.count : Number.NaN;
};

describe("mn_hlist_invalidate_range_start with KVM and radeon_mn on the hlist", () => {
  it("a failed radeon start backs KVM out and fails with -EAGAIN: no unmap, no end from the caller", () => {
    const { b, o } = reaper("anon-oom-reap-subscribers", 99);
    const labels = runToIdle(b, o);
    expect(labels).toEqual(["idle", "vma", "start", "unlock"]);
    // KVM's start raised its count, the core's back-out lowered it again
    expect(kvmCount(b.world)).toBe(0);
    expect(b.world.ptes[0]).toBe("rw");
    // the interval side is not backed out (__mmu_notifier_invalidate_range_start)
    expect(b.world.notifier.active).toBe(1);
    expect(b.world.notifier.mmSeq % 2).toBe(1);
  });

  it("without the back-out (before c2655835fd8c) KVM is left with its start in flight", () => {
    const { b, o } = reaper("anon-oom-reap-subscribers-no-backout", 99);
    const labels = runToIdle(b, o);
    expect(labels).toEqual(["idle", "vma", "start", "unlock"]);
    expect(kvmCount(b.world)).toBe(1);
  });

  it("with rmn->lock free every start succeeds, the reaper unmaps, and the end reaches KVM", () => {
    const { b, o } = reaper("anon-oom-reap-subscribers", null);
    const labels = runToIdle(b, o);
    expect(labels).toEqual(["idle", "vma", "start", "unmap", "end", "reaped", "skip"]);
    expect(kvmCount(b.world)).toBe(0);
    expect(b.world.notifier.active).toBe(0);
    expect(b.world.ptes[0]).toBe("none");
  });

  it("refuses a subscriber whose start can fail and that has an end (WARN_ON(ops->invalidate_range_end))", () => {
    expect(() => hlistSubscriber({ name: "bad", count: KVM_COUNT, trylock: RADEON_LOCK })).toThrow(
      /may not have an end/,
    );
  });
});

describe("notifier-start-end-paired, per hlist subscriber", () => {
  for (const d of ["gup", "vma-lock-fault"])
    it(`${d}: holds with the back-out, is violated by the core without it`, () => {
      const design = designById(d);
      if (!design) throw new Error(d);
      const [ok] = exhaustiveRows(design, scenario("anon-oom-reap-subscribers"), PAIRED, {
        depth: Number.POSITIVE_INFINITY,
      });
      expect(ok?.verdict).toBe("holds");
      expect(ok?.complete).toBe(true);
      const [bad] = exhaustiveRows(
        design,
        scenario("anon-oom-reap-subscribers-no-backout"),
        PAIRED,
        { depth: Number.POSITIVE_INFINITY },
      );
      expect(bad?.verdict).toBe("violated");
      expect(bad?.message).toMatch(/kvm never gets its invalidate_range_end\(\)/);
      const ops = bad?.counterexample?.run.trace.map((t) => t.ops.join("; ")) ?? [];
      expect(ops.some((x) => x.includes("mutex_lock(rmn->lock)"))).toBe(true);
    });
});
