// A transparent huge page mapped at PMD level, built from a scenario's declared objects
// and locks (model/kernel/objects.ts, locks.ts), as a user could write it:
//   - `huge_pmd`: the huge pmd entry that maps the THP (pmd_trans_huge(*pmd)); live while
//     the pmd holds it, detached once a split replaced it (the folio stays mapped, by
//     PTEs);
//   - `pgtable`: the PTE table page deposited with the huge pmd when it was mapped
//     (pgtable_trans_huge_deposit, mm/huge_memory.c __do_huge_pmd_anonymous_page):
//     allocated while deposited, live once a split installed it (pmd_populate);
//   - `pmd_lock`: the spinlock pmd_lock(mm, pmd) takes (the split PMD ptlock).
// The pmd's value is which of the two is live: huge, a PTE table, or none. While the
// pmd is huge the per-page PTEs of the world (`ptes`) are not consulted (they read none);
// the split writes them.
//
// A walker keeps the value it decided on as a pointer to that object (a local holding an
// ObjRef), read locklessly (pmdp_get_lockless) or under pmd_lock; acting on it as a huge
// entry or as a PTE table emits a `pmd-use` event that `pmd-decision-current` judges:
// the entry must still be the one the pmd holds. The kernel's rule (mm/gup.c
// follow_pmd_mask, v6.10-6.12; mm/huge_memory.c __pmd_trans_huge_lock): a value read
// without pmd_lock only chooses the path; the walker then takes pmd_lock and reads the
// pmd again before it uses a huge entry, and pte_offset_map_lock() re-reads the pmd
// before it maps a PTE table.
import type { Ctx, Op, Steps } from "../step.js";
import { op } from "../step.js";
import type { ObjRef, Val, World } from "../world.js";
import { isObjRef } from "../world.js";
import { holdsLock, spinLock, spinUnlock } from "./locks.js";
import { useObj } from "./objects.js";
import { setPte } from "./pte.js";

/** The declared names a THP scenario uses. */
export const THP = {
  /** the huge pmd entry mapping the THP */
  huge: "huge_pmd",
  /** the deposited PTE table */
  table: "pgtable",
  /** pmd_lock(mm, pmd) */
  lock: "pmd_lock",
} as const;

export type PmdValue = "huge" | "table" | "none";

/** What the pmd holds now: the live one of the huge entry and the PTE table. */
export function pmdValue(w: World): PmdValue {
  if (w.objects[THP.huge]?.state === "live") return "huge";
  if (w.objects[THP.table]?.state === "live") return "table";
  return "none";
}

function readPmd(k: Ctx, into: string, via: string | null): PmdValue {
  const v = pmdValue(k.w as World);
  if (v === "none") {
    k.unset(into);
    return v;
  }
  const epoch = via === null ? 0 : (k.w.ghost.lockEpoch[via]?.[k.tid] ?? 0);
  const ref: ObjRef = { obj: v === "huge" ? THP.huge : THP.table, via, epoch, at: k.w.clock };
  k.set(into, ref as Val);
  return v;
}

/**
 * `pmdval = pmdp_get_lockless(pmd)`: the value, read without pmd_lock, kept in local
 * `into` (a pointer to the huge entry or the PTE table); "none" when the pmd is empty.
 */
export const pmdpGetLockless = (into = "pmdval"): Op<PmdValue> =>
  op({
    name: `${into} = pmdp_get_lockless(pmd)`,
    outcomes: ["huge", "table", "none"],
    run: (k) => readPmd(k, into, null),
  });

/** `pmdval = *pmd` with pmd_lock held: the re-read of follow_pmd_mask / __pmd_trans_huge_lock. */
export const pmdReadLocked = (into = "pmdval"): Op<PmdValue> =>
  op({
    name: `${into} = *pmd`,
    outcomes: ["huge", "table", "none"],
    run: (k) => readPmd(k, into, THP.lock),
  });

/**
 * Act on the pmd value in local `ref` as `as` (a huge entry, or a PTE table): records
 * the use of the object (obj-use) and a `pmd-use` with what the pmd holds now.
 */
export function usePmd(k: Ctx, ref: string, as: "huge" | "table", what: string): void {
  const r = k.get(ref);
  if (!isObjRef(r)) throw new Error(`local "${ref}" holds no pmd value`);
  const o = useObj(k, ref, what);
  k.emit({
    k: "pmd-use",
    tid: k.tid,
    as,
    entry: r.obj,
    state: o.state,
    now: pmdValue(k.w as World),
    lockHeld: holdsLock(k.w as World, THP.lock, k.tid),
    readLocked: r.via === THP.lock,
    what,
  });
}

/**
 * follow_huge_pmd(vma, address, pmd, flags, ctx) (mm/gup.c, v6.10-6.12; called with
 * pmd_lock held, it asserts so in follow_trans_huge_pmd before v6.10): the page is the
 * huge entry's pfn plus the offset; the reference is taken on the THP (try_grab_folio).
 */
export const followHugePmd = (ref = "pmdval"): Op<"page"> =>
  op({
    name: "page = follow_huge_pmd(vma, address, pmd, flags, ctx)",
    outcomes: ["page"],
    run: (k) => {
      usePmd(k, ref, "huge", "follow_huge_pmd(): pmd_pfn(pmdval) + offset, try_grab_folio()");
      return "page";
    },
  });

/**
 * follow_page_pte() -> pte_offset_map_lock(mm, pmd, address, &ptl) (mm/pgtable-generic.c
 * __pte_offset_map_lock, v6.5+): re-reads the pmd itself, maps the PTE table only when the
 * pmd still points to one, takes its ptl and checks pmd_same() again: it acts on the value
 * it read itself, never on the caller's. "nomap" when the pmd no longer holds a table
 * (follow_page_pte returns no_page_table()).
 */
export const followPagePte = (into = "pmdval"): Op<"page" | "nomap"> =>
  op({
    name: "follow_page_pte(): ptep = pte_offset_map_lock(mm, pmd, address, &ptl); pte = ptep_get(ptep)",
    outcomes: ["page", "nomap"],
    run: (k) => {
      if (readPmd(k, into, null) !== "table") return "nomap";
      usePmd(k, into, "table", "pte_offset_map_lock(): the PTE table the pmd points to");
      return "page";
    },
  });

/** pmd_trans_huge(*pmd), read by a thread that holds pmd_lock (or, in a mutant, not). */
export const pmdTransHuge = (): Op<"yes" | "no"> =>
  op({
    name: "if (pmd_trans_huge(*pmd))",
    outcomes: ["yes", "no"],
    run: (k) => (pmdValue(k.w as World) === "huge" ? "yes" : "no"),
  });

/**
 * `ptl = pmd_trans_huge_lock(pmd, vma)` (include/linux/huge_mm.h and mm/huge_memory.c
 * __pmd_trans_huge_lock, v6.10-6.12), the form zap, mprotect, madvise and smaps walkers
 * use: a lockless pmd_trans_huge(*pmd) test, then pmd_lock() and the test again under
 * it; on a huge pmd it returns with pmd_lock held (the value, re-read under the lock, in
 * local `into`), otherwise it unlocks and returns NULL and the caller walks the PTE
 * table. Steps at `at`, `at.lock`, `at.recheck` and `at.unlock`, going on to `huge` or
 * `none`.
 */
export function pmdTransHugeLock(
  at: string,
  to: { readonly huge: string; readonly none: string },
  into = "pmdval",
): Steps {
  return {
    [at]: { op: pmdTransHuge(), on: { yes: `${at}.lock`, no: to.none } },
    [`${at}.lock`]: { op: spinLock(THP.lock), next: `${at}.recheck` },
    [`${at}.recheck`]: {
      op: pmdReadLocked(into),
      on: { huge: to.huge, table: `${at}.unlock`, none: `${at}.unlock` },
    },
    [`${at}.unlock`]: { op: spinUnlock(THP.lock), next: to.none },
  };
}

function setObj(k: Ctx, obj: string, state: "live" | "detached", text: string): void {
  const o = k.w.objects[obj];
  if (!o)
    throw new Error(`no object "${obj}" in this scenario; declare ${THP.huge} and ${THP.table}`);
  // object records are replaced, never mutated (model/parts.ts)
  k.w.objects[obj] = { ...o, state };
  k.emit({ k: "obj-state", tid: k.tid, obj, state });
  k.emit({ k: "note", tid: k.tid, text });
}

/**
 * __split_huge_pmd_locked(vma, pmd, haddr, freeze) (mm/huge_memory.c, v6.10-6.12), with
 * pmd_lock held by its caller: pmdp_invalidate() the huge entry, withdraw the deposited
 * table (pgtable_trans_huge_withdraw), write one PTE per page with the huge entry's
 * protection, then pmd_populate(mm, pmd, pgtable). One step: the intermediate
 * invalidated entry still reads as pmd_trans_huge to a lockless reader.
 */
export const splitHugePmdLocked = (): Op<"ok"> =>
  op({
    name: "__split_huge_pmd_locked(): pmdp_invalidate(); pgtable_trans_huge_withdraw(); set_ptes(); pmd_populate()",
    outcomes: ["ok"],
    run: (k) => {
      setObj(k, THP.huge, "detached", "the huge pmd is replaced by the deposited PTE table");
      setObj(k, THP.table, "live", "pmd_populate() installs the PTE table");
      // the THP maps the whole modelled range (the scenario's one VMA)
      const pte = k.w.vmas.some((v) => v.flags.write) ? "rw" : "ro";
      for (let p = 0; p < k.w.ptes.length; p++) {
        setPte(k, p, pte);
      }
      return "ok";
    },
  });

/** zap_pte_range() for page `page` of the split range, under the PTE table's lock. */
export const zapPte = (page: number): Op<"ok"> =>
  op({
    name: `zap_pte_range(): ptep_get_and_clear_full(mm, addr + ${page} * PAGE_SIZE, pte)`,
    outcomes: ["ok"],
    run: (k) => {
      if (pmdValue(k.w as World) !== "table" || k.w.ptes[page] === "none") return "ok";
      setPte(k, page, "none");
      return "ok";
    },
  });
