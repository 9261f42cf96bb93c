// hugetlb_vma_lock (mm/hugetlb.c): an rwsem in vma->vm_private_data for shared hugetlb
// VMAs, freed together with the VMA. Readers (walk_hugetlb_range, hugetlb_fault) keep
// shared PMDs stable; writers (__hugetlb_zap_begin in munmap) unshare them. Taking or
// dropping it goes through a VMA pointer, so it is a VMA use (the seed-v1 UAF).
import { useVma } from "../ghost.js";
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
  const r = k.ref(ref);
  if (!r) throw new Error(`${what}: local "${ref}" holds no VMA pointer`);
  const vma = useVma(k, r, what);
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

/** hugetlb_vma_lock_write() on a VMA the caller owns (munmap's zap): false if it must sleep. */
export function hugetlbLockWrite(k: Ctx, vma: VmaId): boolean {
  const lock = k.w.vmas[vma]?.hugetlbLock;
  if (!lock) return true;
  const granted = rwsem.acquire(lock, k.tid, "write");
  k.emit({ k: "lock", tid: k.tid, lock: lockName(vma), mode: "write", granted });
  if (!granted) k.block({ kind: "rwsem", lock: lockName(vma), killable: false });
  return granted;
}

export function hugetlbUnlockWrite(k: Ctx, vma: VmaId): void {
  const lock = k.w.vmas[vma]?.hugetlbLock;
  if (!lock) return;
  const { held, woken } = rwsem.release(lock, k.tid, "write");
  k.emit({
    k: "unlock",
    tid: k.tid,
    lock: lockName(vma),
    mode: "write",
    held,
    by: "hugetlb_vma_unlock_write",
  });
  k.wake(woken, "hugetlb_vma_unlock_write");
}
