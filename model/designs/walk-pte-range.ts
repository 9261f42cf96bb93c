// walk-pte-range: a page-table walker of the family "pgwalk" (it runs only in the
// page-table scenarios, which list that family): walk_page_range() under
// mmap_read_lock(), whose walk_pmd_range() and walk_pte_range() (mm/pagewalk.c, v6.5
// and later: "mm/pagewalk: walk_pte_range() allow for pte_offset_map()") map the PTE
// table with pte_offset_map_lock() (mm/pgtable-generic.c __pte_offset_map_lock, read at
// commit 2c1ed907): __pte_offset_map() under rcu_read_lock(), spin_lock() of the
// table's ptl, and the pmd_same() recheck that starts again when the table was removed
// meanwhile; a NULL map makes walk_pte_range() set ACTION_AGAIN, and walk_pmd_range()
// looks at the pmd again (pmd_none: the range is a hole). The pmd_entry callbacks that
// map the table themselves do the same ("if (!pte) { walk->action = ACTION_AGAIN;
// return 0; }" in mm/mincore.c mincore_pte_range() and fs/proc/task_mmu.c
// pagemap_scan_pmd_entry(), as the 2023-2024 mails that patch them quote them). hmm_vma_walk_pmd() (mm/hmm.c)
// maps the same way with pte_offset_map(), without the ptl.
//
// hmm-vma-walk-pmd: the same walk as mm/hmm.c hmm_vma_walk_pmd() does it (v6.5 and
// later): pte_offset_map() without the ptl (a NULL map goes back to again:), the entry
// read locklessly, pte_unmap(). A table retracted meanwhile is still readable (empty and
// disconnected) until pte_unmap(), because it is freed after a grace period.
//
// walk-pte-range-sleep-mapped: the mutant that drops only the ptl (spin_unlock()) and
// calls cond_resched(), which may sleep, before pte_unmap(): the table is still mapped
// and the thread still inside RCU (since v6.5 pte_unmap() is not a no-op any more).

import { releaseLock } from "../kernel/locks.js";
import { mmapReadLock, mmapReadUnlock } from "../kernel/mmap-lock.js";
import {
  PGTABLE,
  pmdNone,
  pteOffsetMap,
  pteOffsetMapLockSteps,
  ptepGet,
  pteUnmap,
  pteUnmapUnlock,
} from "../kernel/pgtable.js";
import { COND_RESCHED } from "../kernel/sched.js";
import { exit, set } from "../locals.js";
import type { Design, Steps } from "../step.js";
import { op } from "../step.js";

const walk = (entry: Steps): Steps => ({
  start: { op: mmapReadLock(), next: "pmd" },
  pmd: { op: pmdNone(), on: { none: "hole", table: "map" } },
  // walk_pte_range(): pte = pte_offset_map_lock(walk->mm, pmd, addr, &ptl)
  ...pteOffsetMapLockSteps("map", { locked: "entry", none: "again" }, "pte"),
  again: {
    op: set({}, "if (!pte) walk->action = ACTION_AGAIN: walk_pmd_range() goes back to again:"),
    next: "pmd",
  },
  hole: { op: set({}, "ops->pte_hole(addr, next, depth, walk)"), next: "unlock" },
  ...entry,
  unlock: { op: mmapReadUnlock(), next: "exit" },
  exit: { op: exit() },
});

export const walkPteRange: Design = {
  id: "walk-pte-range",
  title: "walk_page_range() under mmap_read_lock: pte_offset_map_lock, ptep_get, pte_unmap_unlock",
  summary:
    "A page-table walker as mm/pagewalk.c has it since v6.5: under mmap_read_lock() it maps the PTE table with pte_offset_map_lock() (RCU, the ptl, and the pmd_same() recheck that retries when khugepaged removed the table meanwhile), reads the entry, and pte_unmap_unlock()s; a table that is gone is a hole.",
  source: "mm/pagewalk.c walk_pte_range(), mm/pgtable-generic.c __pte_offset_map_lock() (v6.5+)",
  family: "pgwalk",
  start: "start",
  steps: walk({
    entry: { op: ptepGet("pte"), next: "unmap" },
    unmap: { op: pteUnmapUnlock("pte"), next: "unlock" },
  }),
};

/** cond_resched() as a sleeping call: it calls might_sleep (__might_resched) first. */
const condReschedMightSleep = op({
  name: COND_RESCHED,
  outcomes: ["ok"],
  mightSleep: true,
  run: () => "ok",
});

export const walkPteRangeSleepMapped: Design = {
  id: "walk-pte-range-sleep-mapped",
  title: "mutant of walk-pte-range: spin_unlock(ptl); cond_resched(); pte_unmap(pte)",
  summary:
    "Mutant: after reading the entry it drops only the ptl and calls cond_resched() with the PTE table still mapped, then pte_unmap()s: a sleep inside the RCU read-side section that pte_offset_map() entered (and, with CONFIG_HIGHPTE, inside kmap_local).",
  source: "mutant of walk-pte-range (the pte_unmap_unlock() split in two, the sleep between)",
  family: "pgwalk",
  start: "start",
  steps: walk({
    entry: { op: ptepGet("pte"), next: "unlock_ptl" },
    unlock_ptl: {
      op: op({
        name: "spin_unlock(ptl)",
        outcomes: ["ok"],
        run: (k) => {
          releaseLock(k, PGTABLE.ptl, "write", "spin_unlock");
          return "ok";
        },
      }),
      next: "resched",
    },
    resched: { op: condReschedMightSleep, next: "unmap" },
    unmap: { op: pteUnmap(), next: "unlock" },
  }),
};

export const hmmVmaWalkPmd: Design = {
  id: "hmm-vma-walk-pmd",
  title: "hmm_vma_walk_pmd()'s PTE loop: pte_offset_map, ptep_get, pte_unmap (no ptl)",
  summary:
    "The PTE level of hmm_range_fault()'s walk as mm/hmm.c has it since v6.5, under mmap_read_lock(): pte_offset_map() (RCU, no ptl; NULL sends it back to again:), the entry read locklessly, pte_unmap(). A table khugepaged retracts meanwhile stays readable until pte_unmap(), since it is freed only after a grace period.",
  source: "mm/hmm.c hmm_vma_walk_pmd() (v6.5+)",
  family: "pgwalk",
  start: "start",
  steps: {
    start: { op: mmapReadLock(), next: "pmd" },
    pmd: {
      op: pmdNone(PGTABLE, "again: pmd = pmdp_get_lockless(pmdp); pmd_none(pmd)"),
      on: { none: "hole", table: "map" },
    },
    map: {
      op: pteOffsetMap("pte", PGTABLE, "ptep = pte_offset_map(pmdp, addr)"),
      on: { mapped: "entry", null: "again" },
    },
    again: { op: set({}, "if (!ptep) goto again"), next: "pmd" },
    hole: { op: set({}, "hmm_vma_walk_hole(start, end, -1, walk)"), next: "unlock" },
    entry: { op: ptepGet("pte"), next: "unmap" },
    unmap: { op: pteUnmap(), next: "unlock" },
    unlock: { op: mmapReadUnlock(), next: "exit" },
    exit: { op: exit() },
  },
};
