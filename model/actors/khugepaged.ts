// C: khugepaged retracting the PTE table of a file/shmem range it has just collapsed
// into a THP in the page cache (mm/khugepaged.c collapse_file() -> retract_page_tables(),
// read in a 2026 mainline tree; the locking is that of v6.6, Hugh Dickins'
// "mm/khugepaged: retract_page_tables() without mmap or vma lock"). It walks the
// file's i_mmap under i_mmap_lock_read() and does NOT take the mmap lock of the mm it
// retracts from (nor any VMA lock): for each VMA it takes pmd_lock(), checks the pmd
// still points at a PTE table, takes the table's ptl nested inside, clears the pmd with
// pmdp_collapse_flush(), drops both locks, and frees the table with pte_free_defer(),
// i.e. after an RCU grace period, because a walker that mapped the table with
// pte_offset_map() before the pmd was cleared may still look at it (and take its ptl).
// Contrast: anonymous collapse (collapse_huge_page()) takes mmap_write_lock() and
// write-locks the VMA before it touches the pmd; this actor models only the file path.
// Not modelled: the mmu_notifier_invalidate_range_start/end around the pmd clear, and
// the THP that a later fault maps at PMD level (the pmd stays none here).
//
// `pteFree` is the mistake the RCU rule prevents: freeing the table with pte_free() at
// once, as retract_page_tables() could when it still held the mmap write lock (before
// v6.6); without it, a walker that mapped the table under RCU touches freed memory.

import { type Actor, actor } from "../actor.js";
import { iMmapLockRead, iMmapUnlockRead } from "../kernel/i-mmap.js";
import { releaseLock } from "../kernel/locks.js";
import {
  checkPmdState,
  PGTABLE,
  type PgtableNames,
  pmdLock,
  pmdpCollapseFlush,
  pteFreeDefer,
  pteFreeNow,
  pteFreeNowUnsafe,
  ptlLockNested,
} from "../kernel/pgtable.js";
import { op } from "../step.js";
import type { Tid, World } from "../world.js";

const unlock = (lock: string, what: string) =>
  op({
    name: `spin_unlock(${what})`,
    outcomes: ["ok"],
    run: (k) => {
      releaseLock(k, lock, "write", "spin_unlock");
      return "ok";
    },
  });

export function khugepagedRetractActor(
  o: { readonly pteFree?: boolean; readonly names?: PgtableNames } = {},
): Actor {
  const n = o.names ?? PGTABLE;
  /**
   * a PTE table is there to retract, in a VMA without an anon_vma (retract_page_tables()
   * skips one: its private COW pages are not the file's)
   */
  const guard = (w: World, _tid: Tid) =>
    w.objects[n.table]?.state === "live" && !w.vmas.some((v) => v.anonVma === true);
  return actor({
    id: o.pteFree ? "khugepaged-retract-pte-free" : "khugepaged-retract",
    lane: "C",
    disruptive: true,
    ...(o.pteFree
      ? {
          mutant:
            "it frees the retracted PTE table with pte_free() at once, where retract_page_tables() defers it past an RCU grace period (pte_free_defer())",
        }
      : {}),
    title: o.pteFree
      ? "khugepaged's retract_page_tables(), mutated to free the PTE table with pte_free() at once"
      : "khugepaged's retract_page_tables(): a shmem PTE table removed under i_mmap_lock_read, no mmap lock, freed after RCU",
    start: "idle",
    guard,
    steps: {
      idle: { op: iMmapLockRead(), next: "pml" },
      pml: { op: pmdLock(n), next: "check" },
      check: { op: checkPmdState("pgt", n), on: { table: "ptl", none: "drop_pml" } },
      ptl: { op: ptlLockNested("pgt", n), next: "clear" },
      clear: { op: pmdpCollapseFlush(n), next: "unlock_ptl" },
      unlock_ptl: { op: unlock(n.ptl, "ptl"), next: "unlock_pml" },
      unlock_pml: { op: unlock(n.pmdLock, "pml"), next: "free" },
      drop_pml: { op: unlock(n.pmdLock, "pml"), next: "unlock_immap" },
      free: { op: o.pteFree ? pteFreeNowUnsafe(n) : pteFreeDefer(n), next: "unlock_immap" },
      unlock_immap: { op: iMmapUnlockRead(), next: o.pteFree ? "idle" : "rcu" },
      // the RCU callback, run (by the RCU core, here on this lane) after a grace period
      rcu: { op: pteFreeNow(n), next: "idle" },
    },
  });
}
