// Page tables as declared objects, built from the public pieces (declared locks and
// objects, `op()`): a PTE table page is a declared object whose lifetime is that of the
// pmd entry pointing at it (live: *pmd points at it; detached: the pmd was cleared, the
// page awaits its free; freed); its split page-table lock (pte_lockptr(), a spinlock in
// the table's struct ptdesc) and pmd_lock() are declared spinlocks; RCU is a declared
// lock of kind "rcu".
//
// Mapping a PTE table is a held resource (mm/pgtable-generic.c, read at commit 2c1ed907,
// a v6.13-era tree; the RCU rules date from v6.5, Hugh Dickins' "mm/pgtable: allow
// pte_offset_map[_lock]() to fail" series):
//   - __pte_offset_map() enters rcu_read_lock(), reads the pmd locklessly, and returns
//     NULL (leaving the RCU section) when there is no PTE table there: the caller
//     retries (mm/pagewalk.c walk_pte_range() sets ACTION_AGAIN and walk_pmd_range()
//     looks at the pmd again);
//   - __pte_offset_map_lock() then takes the table's ptl and rechecks pmd_same() against
//     the pmd it mapped: if the table was removed meanwhile it unmaps, unlocks and
//     starts again;
//   - pte_unmap() leaves the RCU section (and kunmap_local()s the table with
//     CONFIG_HIGHPTE): between map and unmap the thread may not sleep.
// A PTE table removed without the mmap lock (khugepaged's retract_page_tables()) stays
// allocated, though disconnected, until an RCU grace period after pte_free_defer():
// that is what lets a walker that mapped it before the removal take its ptl and look.
//
// Every touch of the table through a mapped pointer (its ptl lives in the table's
// struct ptdesc, so spin_lock(ptl) is one) records an `obj-use` marked `pgtable`, which
// `no-pgtable-use-after-free` judges; `no-sleep-with-pte-mapped` judges sleeps inside
// the RCU section.

import type { Ctx, Op, Steps } from "../step.js";
import { op } from "../step.js";
import type { ObjRef, Tid, Val } from "../world.js";
import { isObjRef } from "../world.js";
import {
  acquireLock,
  declaredLock,
  rcuEnter,
  rcuLeave,
  rcuReadersInside,
  releaseLock,
} from "./locks.js";
import { objRefProtected, useObj } from "./objects.js";

/** The names a scenario declares its page-table pieces under. */
export interface PgtableNames {
  /** the PTE table page (declared object) */
  readonly table: string;
  /** its split page-table lock, pte_lockptr() (declared spinlock) */
  readonly ptl: string;
  /** pmd_lock(): the PMD table's split lock, or mm->page_table_lock (declared spinlock) */
  readonly pmdLock: string;
  /** RCU (declared lock of kind "rcu") */
  readonly rcu: string;
}

/** The default names: object `pte_table`, spinlocks `ptl` and `pmd_lock`, RCU `rcu`. */
export const PGTABLE: PgtableNames = {
  table: "pte_table",
  ptl: "ptl",
  pmdLock: "pmd_lock",
  rcu: "rcu",
};

function tableState(k: Ctx, n: PgtableNames) {
  const o = k.w.objects[n.table];
  if (!o)
    throw new Error(
      `no object "${n.table}" in this scenario (it declares: ${Object.keys(k.w.objects).join(", ") || "none"}); declare the PTE table page in the scenario's objects`,
    );
  return o.state;
}

/** Touch the page table through the pointer in local `ref`: an `obj-use` marked pgtable. */
export function usePgtable(k: Ctx, ref: string, what: string): void {
  useObj(k, ref, what, { pgtable: true });
}

/** The PTE tables `tid` has mapped (pointers taken under RCU it has not left since). */
export function mappedPteTables(
  w: Parameters<typeof objRefProtected>[0],
  tid: Tid,
): readonly ObjRef[] {
  const t = w.threads[tid];
  if (!t) return [];
  return Object.values(t.locals).filter(
    (v): v is ObjRef =>
      isObjRef(v) && v.via !== null && w.locks[v.via]?.kind === "rcu" && objRefProtected(w, tid, v),
  );
}

/** walk_pmd_range(): `again: if (pmd_none(*pmd))`: is there a PTE table under the pmd? */
export const pmdNone = (
  n: PgtableNames = PGTABLE,
  name = "walk_pmd_range(): again: pmd_none(*pmd)",
): Op<"none" | "table"> =>
  op({
    name,
    outcomes: ["none", "table"],
    run: (k) => (tableState(k, n) === "live" ? "table" : "none"),
  });

/**
 * __pte_offset_map(pmd, addr, &pmdval): rcu_read_lock(), pmdval = pmdp_get_lockless(pmd);
 * "null" (out of the RCU section again) when no PTE table is there, else the mapped
 * table's pointer in local `into`, protected by the RCU section.
 */
export const pteOffsetMap = (
  into = "pte",
  n: PgtableNames = PGTABLE,
  name = "pte = __pte_offset_map(pmd, addr, &pmdval): rcu_read_lock(); pmdval = pmdp_get_lockless(pmd)",
): Op<"mapped" | "null"> =>
  op({
    name,
    outcomes: ["mapped", "null"],
    run: (k) => {
      rcuEnter(k, n.rcu);
      if (tableState(k, n) !== "live") {
        rcuLeave(k, n.rcu, "__pte_offset_map");
        return "null";
      }
      const ref: ObjRef = {
        obj: n.table,
        via: n.rcu,
        epoch: k.w.ghost.lockEpoch[n.rcu]?.[k.tid] ?? 0,
        at: k.w.clock,
      };
      k.set(into, ref as Val);
      return "mapped";
    },
  });

/** ptl = pte_lockptr(mm, &pmdval); spin_lock(ptl): the lock is in the mapped table's ptdesc. */
export const ptlLock = (ref = "pte", n: PgtableNames = PGTABLE): Op<"ok"> =>
  op({
    name: "ptl = pte_lockptr(mm, &pmdval); spin_lock(ptl)",
    outcomes: ["ok"],
    run: (k) => {
      usePgtable(k, ref, "spin_lock(ptl)");
      acquireLock(k, n.ptl, "write");
      return "ok";
    },
  });

/** __pte_offset_map_lock(): pmd_same(pmdval, pmdp_get_lockless(pmd)) under the ptl. */
export const pmdSameRecheck = (n: PgtableNames = PGTABLE): Op<"same" | "changed"> =>
  op({
    name: "pmd_same(pmdval, pmdp_get_lockless(pmd))",
    outcomes: ["same", "changed"],
    run: (k) => (tableState(k, n) === "live" ? "same" : "changed"),
  });

/** ptent = ptep_get(pte): read an entry of the mapped table. */
export const ptepGet = (ref = "pte"): Op<"ok"> =>
  op({
    name: "ptent = ptep_get(pte)",
    outcomes: ["ok"],
    run: (k) => {
      usePgtable(k, ref, "ptep_get(pte)");
      return "ok";
    },
  });

/** pte_unmap_unlock(pte, ptl): spin_unlock(ptl) (in the table's ptdesc), then pte_unmap(). */
export const pteUnmapUnlock = (
  ref = "pte",
  n: PgtableNames = PGTABLE,
  name = "pte_unmap_unlock(pte, ptl)",
): Op<"ok"> =>
  op({
    name,
    outcomes: ["ok"],
    run: (k) => {
      usePgtable(k, ref, "pte_unmap_unlock(pte, ptl): spin_unlock(ptl)");
      releaseLock(k, n.ptl, "write", "pte_unmap_unlock");
      rcuLeave(k, n.rcu, "pte_unmap_unlock");
      return "ok";
    },
  });

/**
 * pte_offset_map_lock(mm, pmd, addr, &ptl) as steps, the way __pte_offset_map_lock()
 * runs it: at `at`, __pte_offset_map() (to `none` when it returns NULL); then
 * spin_lock(ptl) (`${at}.lock`) and the pmd_same() recheck (`${at}.recheck`), which goes
 * to `locked` with the table mapped and locked, or unmaps, unlocks and starts again
 * (`${at}.retry`). Every step is one the C can be preempted (or spin) between.
 */
export function pteOffsetMapLockSteps(
  at: string,
  to: { readonly locked: string; readonly none: string },
  ref = "pte",
  n: PgtableNames = PGTABLE,
): Steps {
  return {
    [at]: { op: pteOffsetMap(ref, n), on: { mapped: `${at}.lock`, null: to.none } },
    [`${at}.lock`]: { op: ptlLock(ref, n), next: `${at}.recheck` },
    [`${at}.recheck`]: {
      op: pmdSameRecheck(n),
      on: { same: to.locked, changed: `${at}.retry` },
    },
    [`${at}.retry`]: {
      op: pteUnmapUnlock(ref, n, "pte_unmap_unlock(pte, ptl); goto again"),
      next: at,
    },
  };
}

/** pte_unmap(pte): kunmap_local() with CONFIG_HIGHPTE, and rcu_read_unlock(). */
export const pteUnmap = (n: PgtableNames = PGTABLE): Op<"ok"> =>
  op({
    name: "pte_unmap(pte)",
    outcomes: ["ok"],
    run: (k) => {
      rcuLeave(k, n.rcu, "pte_unmap");
      return "ok";
    },
  });

// The remover's side: mm/khugepaged.c retract_page_tables() (read in a 2026 mainline
// tree; its locking is that of v6.6, "mm/khugepaged: retract_page_tables() without mmap
// or vma lock"), and pte_free_defer() in mm/pgtable-generic.c (commit 2c1ed907).

/** pml = pmd_lock(mm, pmd) */
export const pmdLock = (n: PgtableNames = PGTABLE): Op<"ok"> =>
  op({
    name: "pml = pmd_lock(mm, pmd)",
    outcomes: ["ok"],
    run: (k) => {
      acquireLock(k, n.pmdLock, "write");
      return "ok";
    },
  });

/**
 * check_pmd_state(pmd) under pml: "table" when the pmd still points at the PTE table
 * (kept in local `into`, protected by pml), else "none".
 */
export const checkPmdState = (into = "pgt", n: PgtableNames = PGTABLE): Op<"table" | "none"> =>
  op({
    name: "check_pmd_state(pmd)",
    outcomes: ["table", "none"],
    run: (k) => {
      if (tableState(k, n) !== "live") return "none";
      const ref: ObjRef = {
        obj: n.table,
        via: n.pmdLock,
        epoch: k.w.ghost.lockEpoch[n.pmdLock]?.[k.tid] ?? 0,
        at: k.w.clock,
      };
      k.set(into, ref as Val);
      return "table";
    },
  });

/** ptl = pte_lockptr(mm, pmd); spin_lock_nested(ptl, SINGLE_DEPTH_NESTING) */
export const ptlLockNested = (ref = "pgt", n: PgtableNames = PGTABLE): Op<"ok"> =>
  op({
    name: "ptl = pte_lockptr(mm, pmd); spin_lock_nested(ptl, SINGLE_DEPTH_NESTING)",
    outcomes: ["ok"],
    run: (k) => {
      usePgtable(k, ref, "spin_lock_nested(ptl)");
      acquireLock(k, n.ptl, "write");
      return "ok";
    },
  });

/** pgt_pmd = pmdp_collapse_flush(vma, addr, pmd): the pmd is cleared, the table disconnected. */
export const pmdpCollapseFlush = (n: PgtableNames = PGTABLE): Op<"ok"> =>
  op({
    name: "pgt_pmd = pmdp_collapse_flush(vma, addr, pmd)",
    outcomes: ["ok"],
    run: (k) => {
      declaredLock(k, n.ptl, ["spinlock"]);
      const o = k.w.objects[n.table];
      if (!o) throw new Error(`no object "${n.table}" in this scenario`);
      k.w.objects[n.table] = { ...o, state: "detached" };
      k.emit({ k: "obj-state", tid: k.tid, obj: n.table, state: "detached" });
      k.emit({ k: "note", tid: k.tid, text: `clears the pmd: ${n.table} is disconnected` });
      return "ok";
    },
  });

function freeTable(k: Ctx, n: PgtableNames, what: string): void {
  k.w.objects[n.table] = { state: "freed", freedAt: k.w.clock, freedBy: k.tid };
  k.emit({ k: "obj-state", tid: k.tid, obj: n.table, state: "freed" });
  k.emit({ k: "note", tid: k.tid, text: what });
}

/**
 * pte_free_defer(mm, pmd_pgtable(pgt_pmd)): call_rcu(&page->rcu_head, pte_free_now).
 * The readers inside RCU now are those the grace period waits for (local `gp_wait`).
 */
export const pteFreeDefer = (n: PgtableNames = PGTABLE): Op<"ok"> =>
  op({
    name: "pte_free_defer(mm, pmd_pgtable(pgt_pmd)): call_rcu(&page->rcu_head, pte_free_now)",
    outcomes: ["ok"],
    run: (k) => {
      k.set("gp_wait", [...rcuReadersInside(k.w, n.rcu)]);
      k.set("rcu_pending", true);
      return "ok";
    },
  });

/**
 * The RCU callback pte_free_now() -> pte_free(): runs once a grace period has elapsed
 * since pte_free_defer(), i.e. no reader of `gp_wait` is inside RCU any more (a reader
 * that left and came back is waited for too, which only makes the grace period longer,
 * as the kernel may). Nothing to do without a pending callback.
 */
export const pteFreeNow = (n: PgtableNames = PGTABLE): Op<"ok"> =>
  op({
    name: "pte_free_now(): the RCU callback after a grace period: pte_free(pgtable)",
    outcomes: ["ok"],
    run: (k) => {
      if (k.get("rcu_pending") !== true) return "ok";
      const wait = k.get("gp_wait");
      const inside = rcuReadersInside(k.w, n.rcu);
      if (Array.isArray(wait) && wait.some((t) => inside.includes(t))) {
        k.again();
        return "ok";
      }
      freeTable(k, n, `frees ${n.table} (pte_free) after the grace period`);
      k.set("rcu_pending", false);
      k.unset("gp_wait");
      return "ok";
    },
  });

/** pte_free(mm, pgtable) at once: the table's page goes back to the allocator now. */
export const pteFreeNowUnsafe = (n: PgtableNames = PGTABLE): Op<"ok"> =>
  op({
    name: "pte_free(mm, pmd_pgtable(pgt_pmd))",
    outcomes: ["ok"],
    run: (k) => {
      freeTable(k, n, `frees ${n.table} (pte_free) at once, with no grace period`);
      return "ok";
    },
  });
