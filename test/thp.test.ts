// A PMD-mapped THP and its split (model/kernel/thp.ts, model/actors/thp-split.ts,
// model/designs/follow-pmd.ts), against the kernel's rules as read in mm/huge_memory.c
// __split_huge_pmd / __split_huge_pmd_locked and mm/gup.c follow_pmd_mask (v6.10-6.12):
// MADV_DONTNEED of part of a huge pmd splits it under mmap_read_lock only; the split
// takes pmd_lock, re-checks pmd_trans_huge(*pmd) under it and replaces the huge entry by
// the deposited PTE table (pgtable_trans_huge_withdraw, pmd_populate) inside an mmu
// notifier invalidation; a walker may read the pmd without the lock only to pick a path,
// and re-reads it under pmd_lock before follow_huge_pmd().
import { describe, expect, it } from "vitest";
import { exhaustiveRows } from "../engine/verdicts.js";
import { spinUnlock } from "../model/kernel/locks.js";
import { mmapReadLock, mmapReadUnlock } from "../model/kernel/mmap-lock.js";
import { followPagePte, pmdTransHugeLock, pmdValue, THP, usePmd } from "../model/kernel/thp.js";
import { set } from "../model/locals.js";
import { op } from "../model/step.js";
import type { World } from "../model/world.js";
import { PROPERTIES } from "../properties/index.js";
import { type Bench, bench, design, mini, scenario, tidOf } from "./helpers.js";

const CURRENT = PROPERTIES.filter((p) => p.id === "pmd-decision-current");

/** Run `tid` until its pc is `label` (or it is done); the labels it ran. */
function runUntil(b: Bench, tid: number, label: string): string[] {
  const ran: string[] = [];
  while (b.world.threads[tid]?.pc !== label && b.world.threads[tid]?.status.kind !== "done") {
    ran.push(b.world.threads[tid]?.pc ?? "?");
    b.run(tid);
    if (ran.length > 30) throw new Error(`no ${label} after ${ran.join(", ")}`);
  }
  return ran;
}

const lockOwner = (w: World) => {
  const l = w.locks.pmd_lock;
  return l?.kind === "spinlock" ? l.owner : undefined;
};

describe("split_huge_pmd() from MADV_DONTNEED (mm/huge_memory.c __split_huge_pmd, v6.10-6.12)", () => {
  it("under mmap_read_lock and pmd_lock, replaces the huge pmd by the deposited PTE table inside an invalidation", () => {
    const b = bench(scenario("thp-split"), design("follow-pmd"));
    const h = tidOf(b.world, "H");
    expect(pmdValue(b.world)).toBe("huge");
    expect(b.world.objects.pgtable?.state).toBe("allocated");
    const seq0 = b.world.notifier.mmSeq;
    const ran = runUntil(b, h, "split");
    expect(ran).toEqual(["begin", "pmd", "start", "pmd_lock", "recheck"]);
    // the split runs with the mmap lock held for read only, pmd_lock held, the seq odd
    expect(b.world.mmapLock.readers).toContain(h);
    expect(b.world.mmapLock.writer).toBeNull();
    expect(lockOwner(b.world)).toBe(h);
    expect(b.world.notifier.mmSeq % 2).toBe(1);
    b.run(h);
    expect(pmdValue(b.world)).toBe("table");
    expect(b.world.objects.huge_pmd?.state).toBe("detached");
    expect(b.world.objects.pgtable?.state).toBe("live");
    expect(runUntil(b, h, "begin")).toEqual(["unlock", "end", "zap", "unlock_mm"]);
    // the invalidation ended, pmd_lock and the mmap lock are free, the second page is zapped
    expect(b.world.notifier.mmSeq).toBe(seq0 + 2);
    expect(b.world.notifier.active).toBe(0);
    expect(lockOwner(b.world)).toBeNull();
    expect(b.world.mmapLock.readers).toEqual([]);
    expect(b.world.ptes).toEqual(["rw", "none"]);
  });

  it("waits for pmd_lock while the walker holds it, so the walker's re-read stays current", () => {
    const b = bench(scenario("thp-split"), design("follow-pmd"));
    const h = tidOf(b.world, "H");
    // T: lockless read, pmd_lock, the re-read: it holds pmd_lock at follow_huge_pmd
    expect(runUntil(b, 0, "huge")).toEqual(["start", "lock", "read", "pmd_lock", "reread"]);
    runUntil(b, h, "pmd_lock");
    b.run(h);
    expect(b.world.threads[h]?.status.kind).toBe("blocked");
    expect(pmdValue(b.world)).toBe("huge");
    b.run(0);
    // the walker followed the huge entry the pmd still held, then let the split in
    expect(b.world.threads[0]?.pc).toBe("unlock");
    b.run(0);
    expect(lockOwner(b.world)).toBe(h);
  });

  it("the walker that saw a huge pmd locklessly re-reads a PTE table under pmd_lock after a split", () => {
    const b = bench(scenario("thp-split"), design("follow-pmd"));
    const h = tidOf(b.world, "H");
    runUntil(b, 0, "pmd_lock");
    // the whole MADV_DONTNEED between T's lockless read and its pmd_lock
    b.run(h);
    runUntil(b, h, "begin");
    expect(pmdValue(b.world)).toBe("table");
    expect(runUntil(b, 0, "exit")).toEqual([
      "pmd_lock",
      "reread",
      "unlock_pte",
      "pte",
      "unlock_mm",
    ]);
    expect(b.world.threads[0]?.locals.ret).toBe(0);
  });
});

describe("pmd-decision-current (S28)", () => {
  const rows = (d: string, s: string) =>
    exhaustiveRows(design(d), scenario(s), CURRENT, { depth: Number.POSITIVE_INFINITY })[0];

  it("follow-pmd holds it on thp-split (exhaustive)", () => {
    const ok = rows("follow-pmd", "thp-split");
    expect(ok?.verdict).toBe("holds");
    expect(ok?.complete).toBe(true);
  });

  it("follow-pmd-norecheck violates it: follow_huge_pmd() on the lockless value after a split", () => {
    const bad = rows("follow-pmd-norecheck", "thp-split");
    expect(bad?.verdict).toBe("violated");
    expect(bad?.message).toMatch(
      /T acted on the pmd as a huge pmd entry in follow_huge_pmd\(\).* on a value read with pmdp_get_lockless\(\) that the pmd no longer holds: it now holds a PTE table/,
    );
    const ops = bad?.counterexample?.run.trace.map((t) => t.ops.join("; ")) ?? [];
    const split = ops.findIndex((x) => x.includes("__split_huge_pmd_locked"));
    const read = ops.findIndex((x) => x.includes("pmdp_get_lockless"));
    expect(read).toBeGreaterThanOrEqual(0);
    expect(split).toBeGreaterThan(read);
  });

  it("a split without pmd_lock breaks the walker that re-read under it (thp-split-nolock)", () => {
    const bad = rows("follow-pmd", "thp-split-nolock");
    expect(bad?.verdict).toBe("violated");
    expect(bad?.message).toMatch(/with pmd_lock held, on a value read under pmd_lock/);
  });
});

describe("pmd_trans_huge_lock() (mm/huge_memory.c __pmd_trans_huge_lock, v6.10-6.12)", () => {
  // a zap/mprotect-style walker: act on the huge pmd under the lock, else walk the PTEs
  const walker = mini(
    {
      start: { op: set({ ret: 0 }), next: "lock" },
      lock: { op: mmapReadLock(), next: "thl" },
      ...pmdTransHugeLock("thl", { huge: "huge", none: "pte" }),
      huge: {
        op: op({
          name: "change_huge_pmd(vma, pmd, addr, newprot, cp_flags)",
          outcomes: ["ok"],
          run: (k) => {
            usePmd(k, "pmdval", "huge", "change_huge_pmd()");
            return "ok";
          },
        }),
        next: "unlock",
      },
      unlock: { op: spinUnlock(THP.lock), next: "unlock_mm" },
      pte: { op: followPagePte(), on: { page: "unlock_mm", nomap: "unlock_mm" } },
      unlock_mm: { op: mmapReadUnlock(), next: "exit" },
    },
    "start",
  );

  it("returns NULL, with pmd_lock released, when a split came between its lockless test and the lock", () => {
    const b = bench(scenario("thp-split"), walker);
    const h = tidOf(b.world, "H");
    expect(runUntil(b, 0, "thl.lock")).toEqual(["start", "lock", "thl"]);
    b.run(h);
    runUntil(b, h, "begin");
    expect(runUntil(b, 0, "exit")).toEqual([
      "thl.lock",
      "thl.recheck",
      "thl.unlock",
      "pte",
      "unlock_mm",
    ]);
    expect(lockOwner(b.world)).toBeNull();
  });

  it("keeps pmd-decision-current with the split (exhaustive)", () => {
    const [row] = exhaustiveRows(walker, scenario("thp-split"), CURRENT, {
      depth: Number.POSITIVE_INFINITY,
    });
    expect(row?.verdict).toBe("holds");
    expect(row?.complete).toBe(true);
  });
});
