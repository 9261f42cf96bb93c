// hugetlb_vma_lock (mm/hugetlb.c): an rwsem in vma->vm_private_data for shared hugetlb
// VMAs, with a lifetime of its own (since v6.1, "hugetlb: add vma based lock for pmd
// sharing" and its fixes, Mike Kravetz, Oct 2022): hugetlb_vma_lock_alloc() at mmap and
// in hugetlb_vm_op_open() (a split or copied VMA gets a lock of its own), freed by the
// final unmap's __hugetlb_zap_end() (__hugetlb_vma_unlock_write_free), before
// remove_vma(); madvise's zap only unlocks it ("hugetlb: don't delete vma_lock in
// hugetlb MADV_DONTNEED processing", Nov 2022). Once freed, hugetlb_vma_lock_read() and
// friends on the VMA are no-ops (__vma_shareable_lock: no vm_private_data). Readers
// (walk_hugetlb_range, hugetlb_fault) keep shared PMDs stable; writers (the zaps)
// unshare them. Taking or dropping it goes through a VMA pointer, so it is a VMA use
// (the seed-v1 UAF).
import { useVmaIn } from "../ghost.js";
import * as rwsem from "../rwsem.js";
import type { Ctx, Op } from "../step.js";
import { op } from "../step.js";
import type { Tid, VmaId, World } from "../world.js";

const lockName = (vma: VmaId) => ({ kind: "hugetlb", vma }) as const;

/** hugetlb VMA locks `tid` holds (read or write). */
export function hugetlbLocksHeld(w: World, tid: Tid): VmaId[] {
  return w.vmas.filter((v) => v.hugetlbLock && rwsem.holds(v.hugetlbLock, tid)).map((v) => v.id);
}

function sem(k: Ctx, ref: string, what: string) {
  const vma = useVmaIn(k, ref, what);
  return { vma, lock: vma.hugetlbLock };
}

/** hugetlb_vma_lock_read(vma) */
export const hugetlbVmaLockRead = (ref: string): Op<"ok"> =>
  op({
    name: `hugetlb_vma_lock_read(${ref})`,
    outcomes: ["ok"],
    run: (k) => {
      const { vma, lock } = sem(k, ref, "hugetlb_vma_lock_read");
      if (!lock) return "ok";
      // down_read() and its might_sleep() only when the VMA has a lock (mm/hugetlb.c, v7.0)
      k.emit({ k: "might-sleep", tid: k.tid, what: `hugetlb_vma_lock_read(${ref})` });
      const granted = rwsem.acquire(lock, k.tid, "read");
      k.emit({ k: "lock", tid: k.tid, lock: lockName(vma.id), mode: "read", granted });
      if (!granted) k.block({ kind: "rwsem", lock: lockName(vma.id), killable: false });
      return "ok";
    },
  });

/** hugetlb_vma_unlock_read(vma) */
export const hugetlbVmaUnlockRead = (ref: string): Op<"ok"> =>
  op({
    name: `hugetlb_vma_unlock_read(${ref})`,
    outcomes: ["ok"],
    run: (k) => {
      const { vma, lock } = sem(k, ref, "hugetlb_vma_unlock_read");
      if (!lock) return "ok";
      const { held, woken } = rwsem.release(lock, k.tid, "read");
      k.emit({
        k: "unlock",
        tid: k.tid,
        lock: lockName(vma.id),
        mode: "read",
        held,
        by: "hugetlb_vma_unlock_read",
      });
      k.wake(woken, "hugetlb_vma_unlock_read");
      return "ok";
    },
  });

/** A thread queued in hugetlb_fault() for its own read hold: set while it waits. */
const FAULT_QUEUED = "hugetlb_fault.queued";

/**
 * hugetlb_fault() (mm/hugetlb.c, read in the hunks quoted by mails of 2022-2024: "mm:
 * hugetlb: fix UAF in hugetlb_handle_userfault", Liu Shixin, Sep 2022, and the 2024
 * conversion to hugetlb_no_page(mapping, &vmf)): it takes the fault mutex and then
 * hugetlb_vma_lock_read(vma) itself, before huge_pte_alloc, and holds both to the end
 * of the fault; "hugetlb_no_page will drop vma lock and hugetlb fault mutex
 * internally" (hugetlb_handle_userfault) before handle_userfault(), which takes the
 * read lock again around userfaultfd_huge_must_wait.
 *
 * The fault is one atomic step here, so only the first acquisition can wait: when a
 * writer holds the lock or is queued on it (an rwsem reader never passes a queued
 * writer, kernel/locking/rwsem.c rwsem_down_read_slowpath), the thread queues as a
 * reader and the step runs again once it is granted. A caller that already holds the
 * lock for read (a walker that keeps it across the fault) then waits behind a writer
 * that waits for the caller: the recursive-read deadlock mainline avoids by dropping
 * the lock first (mm/hmm.c hmm_vma_walk_hugetlb_entry). Once granted, the hold and its
 * release (and handle_userfault's take and release) fall inside the atomic step, so
 * they are not printed. The fault mutex is not a separate lock: the atomic step
 * already serialises two faults on one huge page, and nothing waits while holding it
 * except on the hugetlb VMA lock, which is modelled.
 *
 * Returns false when the thread queued (the caller stops the fault there).
 */
export function hugetlbFaultLock(k: Ctx, vma: VmaId): boolean {
  const lock = k.w.vmas[vma]?.hugetlbLock;
  if (!lock) return true;
  if (k.get(FAULT_QUEUED) === 1) {
    // woken with the read hold granted (rwsem grant): drop it, the fault goes on
    k.unset(FAULT_QUEUED);
  } else if (!rwsem.acquire(lock, k.tid, "read")) {
    k.emit({ k: "lock", tid: k.tid, lock: lockName(vma), mode: "read", granted: false });
    k.set(FAULT_QUEUED, 1);
    k.block({ kind: "rwsem", lock: lockName(vma), killable: false }, undefined, {
      again: true,
    });
    return false;
  }
  k.wake(rwsem.release(lock, k.tid, "read").woken, "hugetlb_fault: hugetlb_vma_unlock_read");
  return true;
}

/**
 * huge_pte_alloc() (mm/hugetlb.c, v7.0), from hugetlb_fault() right after its
 * hugetlb_vma_lock_read() and from mfill_atomic_hugetlb(): where no PMD table covers the
 * VMA, one is allocated (or shared), so hugetlb_walk() finds an entry from now on.
 */
export function hugePteAlloc(k: Ctx, vma: VmaId): void {
  const v = k.w.vmas[vma];
  if (v?.noPmdTable !== true) return;
  delete v.noPmdTable;
  k.emit({ k: "note", tid: k.tid, text: "huge_pte_alloc(): a PMD table now covers the VMA" });
}

/** hugetlb_vma_lock_write() on a VMA the caller owns (munmap's zap): false if it must sleep. */
export function hugetlbLockWrite(k: Ctx, vma: VmaId): boolean {
  const lock = k.w.vmas[vma]?.hugetlbLock;
  if (!lock) return true;
  const granted = rwsem.acquire(lock, k.tid, "write");
  k.emit({ k: "lock", tid: k.tid, lock: lockName(vma), mode: "write", granted });
  if (!granted) k.block({ kind: "rwsem", lock: lockName(vma), killable: false });
  return granted;
}

/**
 * `hugetlb_vma_lock_write(vma)` as an actor's step, on the VMA in its local `vma`
 * (munmap's and madvise's zap, mprotect, mremap), named after its caller; a no-op on a
 * VMA without the lock (not hugetlb, or private).
 */
export const hugetlbLockWriteOp = (name: string, vma = "target"): Op<"ok"> =>
  op({
    name,
    outcomes: ["ok"],
    run: (k) => {
      hugetlbLockWrite(k, k.num(vma));
      return "ok";
    },
  });

/**
 * hugetlb_zap_begin(vma) as an actor's step (include/linux/hugetlb.h, v6.7 and later),
 * named after its caller: the inline that unmap_vmas() and zap_page_range_single() call
 * for every VMA, which goes on to __hugetlb_zap_begin() -> hugetlb_vma_lock_write() only
 * for a hugetlb VMA. The lanes say so where it does; on any other VMA the step does
 * nothing.
 */
export const hugetlbZapBeginOp = (name: string): Op<"ok"> =>
  op({
    name,
    outcomes: ["ok"],
    run: (k) => {
      const v = k.w.vmas[k.num("target")];
      if (!v?.flags.hugetlb) return "ok";
      k.emit({
        k: "note",
        tid: k.tid,
        text: "is_vm_hugetlb_page: __hugetlb_zap_begin(): hugetlb_vma_lock_write(vma)",
      });
      hugetlbLockWrite(k, v.id);
      return "ok";
    },
  });

/** up_write() on `vma`'s hugetlb VMA lock, printed as `by`: the threads it woke, or null without a lock. */
function releaseWrite(k: Ctx, vma: VmaId, by: string): Tid[] | null {
  const lock = k.w.vmas[vma]?.hugetlbLock;
  if (!lock) return null;
  const { held, woken } = rwsem.release(lock, k.tid, "write");
  k.emit({ k: "unlock", tid: k.tid, lock: lockName(vma), mode: "write", held, by });
  return woken;
}

export function hugetlbUnlockWrite(k: Ctx, vma: VmaId): void {
  const woken = releaseWrite(k, vma, "hugetlb_vma_unlock_write");
  if (woken) k.wake(woken, "hugetlb_vma_unlock_write");
}

/**
 * __hugetlb_vma_unlock_write_free(vma), from the final unmap's __hugetlb_zap_end()
 * (ZAP_FLAG_UNMAP; mm/hugetlb.c, "hugetlbfs: close race between MADV_DONTNEED and page
 * fault", Rik van Riel, Oct 2023, v6.7): vma->vm_private_data and the lock's back
 * pointer are cleared, up_write() runs and the last reference is put, so the lock is
 * freed here. A thread that up_write() wakes would run on the freed lock (nothing but
 * hugetlb_unmap_file_folio takes a reference, and it is not modelled).
 */
export function hugetlbUnlockWriteFree(k: Ctx, vma: VmaId): void {
  const v = k.w.vmas[vma];
  const woken = releaseWrite(k, vma, "__hugetlb_vma_unlock_write_free");
  if (!v || !woken) return;
  v.hugetlbLock = null;
  k.emit({ k: "hugetlb-lock-free", tid: k.tid, vma, woken });
  k.wake(woken, "__hugetlb_vma_unlock_write_free");
}
