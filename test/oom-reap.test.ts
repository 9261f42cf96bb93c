// The OOM reaper (model/actors/oom-reap.ts) and non-blocking invalidations
// (model/kernel/notifier.ts invalidateStartNonblock), against the rule of
// mm/mmu_notifier.c mn_itree_invalidate (read at commit c2818c9a, about v5.8-5.11, and
// unchanged on that point in the 2021 and 2026 mails that quote it): a driver's
// invalidate callback on a non-blockable range that cannot take its lock without
// sleeping returns false; the core then ends the invalidation itself
// (mn_itree_inv_end) and the start fails with -EAGAIN, after which "the non-blocking
// caller is not allowed to call invalidate_range_end()". The reaper then skips the VMA
// (mm/oom_kill.c __oom_reap_task_mm: "ret = false; continue").
import { describe, expect, it } from "vitest";
import { isEnabled } from "../engine/exec.js";
import { setupFor } from "../engine/run.js";
import { exhaustiveRows } from "../engine/verdicts.js";
import { designById } from "../model/designs/index.js";
import type { Thread, World } from "../model/world.js";
import { PROPERTIES } from "../properties/index.js";
import { bench, calls, mini, runAlone, scenario, tidOf } from "./helpers.js";

const PAIRED = PROPERTIES.filter((p) => p.id === "notifier-start-end-paired");

/** The reaper of `scenarioId` ready to run: T has SIGKILL pending; `holder` holds user_lock. */
function reaper(scenarioId: string, holder: number | null) {
  const b = bench(scenario(scenarioId), mini({}));
  const w = b.world;
  const threads = w.threads.map((t): Thread => (t.id === 0 ? { ...t, fatal: true } : t));
  const notifier = { ...w.notifier, userLock: { owner: holder, waiters: [] } };
  b.world = { ...w, threads, notifier, ptes: ["rw"] } as World;
  return { b, o: tidOf(b.world, "O") };
}

/** Run the reaper's steps until it is back at its entry; the labels it ran. */
function runToIdle(b: ReturnType<typeof reaper>["b"], o: number) {
  const labels: string[] = [];
  do {
    labels.push(b.world.threads[o]?.pc ?? "?");
    b.run(o);
  } while (b.world.threads[o]?.pc !== "idle" && labels.length < 20);
  return { labels };
}

describe("the OOM reaper's non-blocking invalidation", () => {
  it("fails with -EAGAIN while the driver holds user_lock, ends it in the core, and skips the VMA", () => {
    const { b, o } = reaper("anon-oom-reap", 0);
    const seq0 = b.world.notifier.mmSeq;
    const sub0 = b.world.notifier.subSeq;
    const { labels } = runToIdle(b, o);
    // trylock, pick the VMA, the failed start, unlock: no unmap, no end
    expect(labels).toEqual(["idle", "vma", "start", "unlock"]);
    const n = b.world.notifier;
    expect(n.active).toBe(0);
    expect(n.invalidators).toEqual([]);
    // mn_itree_inv_end made the seq even again, past the odd value the start set
    expect(n.mmSeq % 2).toBe(0);
    expect(n.mmSeq).toBe(seq0 + 2);
    // the driver's callback returned false before mmu_interval_set_seq()
    expect(n.subSeq).toBe(sub0);
    expect(b.world.ptes[0]).toBe("rw");
    expect(b.world.mmapLock.readers).toEqual([]);
    // a failed pass is tried again (oom_reap_task()'s retries): no MMF_OOM_SKIP yet
    expect(b.world.mm.oomSkip).not.toBe(true);
    expect(isEnabled(b.world, o, b.programs)).toBe(true);
  });

  it("with user_lock free, sets the subscription's seq, unmaps and calls the end", () => {
    const { b, o } = reaper("anon-oom-reap", null);
    const seq0 = b.world.notifier.mmSeq;
    const { labels } = runToIdle(b, o);
    expect(labels).toEqual(["idle", "vma", "start", "unmap", "end", "reaped", "skip"]);
    // a pass that succeeded is the last: MMF_OOM_SKIP, and the reaper's entry is closed
    expect(b.world.mm.oomSkip).toBe(true);
    expect(isEnabled(b.world, o, b.programs)).toBe(false);
    const n = b.world.notifier;
    expect(n.subSeq).toBe(seq0 + 1);
    expect(n.mmSeq).toBe(seq0 + 2);
    expect(n.active).toBe(0);
    expect(b.world.ptes[0]).toBe("none");
    expect(n.userLock.owner).toBeNull();
  });

  it("does not start before the OOM killer's SIGKILL", () => {
    const b = bench(scenario("anon-oom-reap"), mini({}));
    const o = tidOf(b.world, "O");
    // the entry is guarded by the victim's pending SIGKILL (the OOM killer sends it first)
    expect(isEnabled(b.world, o, b.programs)).toBe(false);
    const killed = reaper("anon-oom-reap", null);
    expect(isEnabled(killed.b.world, killed.o, killed.b.programs)).toBe(true);
  });
});

describe("notifier-start-end-paired", () => {
  for (const d of ["v2", "v8"])
    it(`${d}: holds with the reaper, is violated by the mutant that ends a failed start`, () => {
      const design = designById(d);
      if (!design) throw new Error(d);
      const [ok] = exhaustiveRows(design, scenario("anon-oom-reap"), PAIRED, {
        depth: Number.POSITIVE_INFINITY,
      });
      expect(ok?.verdict).toBe("holds");
      expect(ok?.complete).toBe(true);
      const [bad] = exhaustiveRows(design, scenario("anon-oom-reap-end-after-eagain"), PAIRED, {
        depth: Number.POSITIVE_INFINITY,
      });
      expect(bad?.verdict).toBe("violated");
      expect(bad?.message).toMatch(
        /O called mmu_notifier_invalidate_range_end\(\) without a successful invalidate_range_start\(\)/,
      );
      // the failed start is in the counterexample, right before the end
      const ops = bad?.counterexample?.run.trace.map((t) => t.ops.join("; ")) ?? [];
      const at = ops.findIndex((x) => x.includes("range_start_nonblock"));
      expect(at).toBeGreaterThanOrEqual(0);
      expect(ops[at + 1]).toMatch(/mmu_notifier_invalidate_range_end/);
    });
});

describe("MMF_UNSTABLE", () => {
  it("is set by the reaper before its VMA loop, and a fault on the private page then gets VM_FAULT_SIGBUS", () => {
    const { b, o } = reaper("anon-oom-reap", null);
    expect(b.world.mm.unstable).toBe(false);
    runToIdle(b, o);
    expect(b.world.mm.unstable).toBe(true);
    // mainline's driver faults the missing page of an mm marked unstable
    const d = designById("mainline");
    if (!d) throw new Error("mainline");
    const setup = setupFor(d, scenario("anon-oom-reap"));
    const unstable: World = { ...setup.world0, mm: { unstable: true } };
    const fault = calls("handle_mm_fault");
    const { world, recs } = runAlone(setup.programs, unstable, 0, fault);
    expect(recs.filter(fault).map((r) => r.outcome)).toEqual(["error"]);
    expect(world.ptes[0]).toBe("none");
  });
});
