// The file side of a shared hugetlbfs mapping, built from declared locks and objects
// (the public API; model/scenarios.ts hugetlbfsWorld declares them), beside the
// built-in hugetlb VMA lock of model/kernel/hugetlb.ts, which the hmm designs use and
// which stays as it is. Names a scenario declares:
//   - lock I_MMAP_RWSEM (rwsem): mapping->i_mmap_rwsem;
//   - lock "vma_lock" (rwsem) and object "vma_lock": the struct hugetlb_vma_lock of the
//     driver's VMA (vma->vm_private_data, mm/hugetlb.c), its rw_sema and its lifetime:
//     live while attached to the VMA (vma_lock->vma set), detached once
//     __hugetlb_vma_unlock_write_put() cleared vma_lock->vma, freed by
//     hugetlb_vma_lock_release() when its last reference is put;
//   - lock "vma_lock.refs" (refcount): vma_lock->refs, 1 for the VMA's own reference;
//   - object "vma_A": the driver's vm_area_struct, live until munmap removes it (the
//     fault's find_vma no longer finds it); its vm_private_data always points to
//     "vma_lock", which may be freed under it (the split mutant);
//   - in the split scenarios, lock, object and refcount "vma_lock.new": the lock
//     hugetlb_vm_op_open() allocates for the VMA a split creates (allocated until then);
//   - object "pmd": a PMD page table page of another process B, shareable because B maps
//     the same file at the same offset in a PUD-aligned range (x86-64 with
//     CONFIG_HUGETLB_PMD_PAGE_TABLE_SHARING, formerly CONFIG_ARCH_WANT_HUGE_PMD_SHARE);
//   - lock "pmd.sharers" (refcount): how many page tables point to it, i.e.
//     ptdesc_pmd_pts_count() + 1 (mm/hugetlb.c since "mm: hugetlb: independent PMD page
//     table shared count", Dec 2024; page_count() before);
//   - object "A.pmd_share": allocated until the driver's PUD points to "pmd"
//     (huge_pmd_share's pud_populate), live while it does, detached once unshared.
// Read in torvalds/linux: mm/hugetlb.c (hugetlb_vma_trylock_write,
// __hugetlb_vma_unlock_write_put, hugetlb_vma_lock_release, huge_pmd_share,
// huge_pmd_unshare; a v6.13+ tree with ptdesc_pmd_pts_*), fs/hugetlbfs/inode.c
// (hugetlb_vmtruncate, hugetlb_vmdelete_list, remove_inode_hugepages,
// hugetlb_unmap_file_folio; a v6.12+ tree with hugetlb_vma_maps_pfn), and mm/rmap.c's
// lock order for hugetlbfs: hugetlb_fault_mutex, then vma_lock, then i_mmap_rwsem,
// then the folio lock.
import type { Ctx, Op } from "../step.js";
import { op } from "../step.js";
import type { World } from "../world.js";
import { I_MMAP_RWSEM } from "./i-mmap.js";
import {
  acquireLock,
  refcountGet,
  refcountOf,
  refcountPut,
  releaseLock,
  tryAcquireLock,
} from "./locks.js";
import { lookupObj, objState, pinObjRef, setObjState, useObj } from "./objects.js";
import { zapPtes } from "./vma.js";

/** The driver's VMA (the built-in VMA 0, the shared hugetlbfs mapping of process A). */
const VMA_A = 0;

/** Is the driver's hugetlb VMA lock still attached to its VMA (vma->vm_private_data)? */
export const vmaLockAttached = (w: World): boolean => w.objects.vma_lock?.state === "live";

/**
 * hugetlb_vma_trylock_write(vma) (mm/hugetlb.c): down_write_trylock on the VMA's lock.
 * "none" when the VMA no longer has its lock (closed: vm_private_data is NULL and its
 * pages were unmapped by the same zap), which the callers skip like a VMA that maps
 * nothing. `cond` narrows "the VMA is there" (hugetlb_vma_maps_pfn).
 */
export const hugetlbVmaTrylockWrite = (
  name: string,
  cond: (k: Ctx) => boolean = () => true,
): Op<"locked" | "busy" | "none"> =>
  op({
    name,
    outcomes: ["locked", "busy", "none"],
    run: (k) => {
      if (!vmaLockAttached(k.w as World) || !cond(k)) return "none";
      return tryAcquireLock(k, "vma_lock", "write") ? "locked" : "busy";
    },
  });

/**
 * hugetlb_vma_lock_write(vma): a sleeping down_write on the VMA's lock. The truncation
 * path must not call it while holding i_mmap_rwsem (the lock order above); the mutant
 * truncation does.
 */
export const hugetlbVmaLockWriteSleeping = (name: string): Op<"locked" | "none"> =>
  op({
    name,
    outcomes: ["locked", "none"],
    mightSleep: true,
    run: (k) => {
      if (!vmaLockAttached(k.w as World)) return "none";
      acquireLock(k, "vma_lock", "write");
      return "locked";
    },
  });

/** hugetlb_vma_unlock_write(vma) */
export const hugetlbVmaUnlockWrite = (): Op<"ok"> =>
  op({
    name: "hugetlb_vma_unlock_write(vma)",
    outcomes: ["ok"],
    run: (k) => {
      releaseLock(k, "vma_lock", "write", "hugetlb_vma_unlock_write");
      return "ok";
    },
  });

/**
 * unmap_hugepage_range() on the driver's VMA (mm/hugetlb.c __unmap_hugepage_range): with
 * i_mmap_rwsem held for write and the VMA's lock held for write (huge_pmd_unshare
 * asserts both: i_mmap_assert_write_locked, hugetlb_vma_assert_locked), a PUD that
 * points to a PMD page other page tables share is cleared and the share count dropped
 * (huge_pmd_unshare returns 1); a PMD page nobody else uses stays, and its entry is
 * cleared. Either way the VMA maps nothing afterwards.
 */
export function unmapHugepageRange(k: Ctx): void {
  if (objState(k, "A.pmd_share") === "live" && refcountOf(k, "pmd.sharers") > 1) {
    setObjState(k, "A.pmd_share", "detached", "huge_pmd_unshare(): pud_clear(pud)");
    refcountPut(k, "pmd.sharers");
  }
  zapPtes(k, VMA_A);
}

export const unmapHugepageRangeOp = (name: string): Op<"ok"> =>
  op({
    name,
    outcomes: ["ok"],
    run: (k) => {
      unmapHugepageRange(k);
      return "ok";
    },
  });

/**
 * hugetlb_unmap_file_folio() when the trylock failed: `vma_lock = vma->vm_private_data`,
 * read under i_mmap_rwsem, then kref_get(&vma_lock->refs) so that the lock "will not go
 * away when dropping immap_sema" (the kernel's comment). Without `kref` (the mutant) the
 * pointer stays one that only i_mmap_rwsem protects.
 */
export const vmaLockGetRef = (kref: boolean): Op<"ok"> =>
  op({
    name: kref
      ? "vma_lock = vma->vm_private_data; kref_get(&vma_lock->refs)"
      : "vma_lock = vma->vm_private_data",
    outcomes: ["ok"],
    run: (k) => {
      lookupObj("vma_lock", "lock", I_MMAP_RWSEM).run(k);
      if (kref) {
        useObj(k, "lock", "kref_get(&vma_lock->refs)");
        refcountGet(k, "vma_lock.refs");
        pinObjRef(k, "lock");
      }
      return "ok";
    },
  });

/** down_write / up_write on the struct through the pointer in local `lock` (open-coded). */
export const vmaLockPtrWrite = (up: boolean): Op<"ok"> =>
  op({
    name: up ? "up_write(&vma_lock->rw_sema)" : "down_write(&vma_lock->rw_sema)",
    outcomes: ["ok"],
    mightSleep: !up,
    run: (k) => {
      const what = up ? "up_write(&vma_lock->rw_sema)" : "down_write(&vma_lock->rw_sema)";
      useObj(k, "lock", what);
      if (up) releaseLock(k, "vma_lock", "write", "up_write");
      else acquireLock(k, "vma_lock", "write");
      return "ok";
    },
  });

/** `vma = vma_lock->vma`: "attached" while the lock still belongs to the VMA. */
export const vmaLockAttachedOp = (): Op<"attached" | "detached"> =>
  op({
    name: "vma = vma_lock->vma",
    outcomes: ["attached", "detached"],
    run: (k) => {
      const o = useObj(k, "lock", "vma_lock->vma");
      return o.state === "live" ? "attached" : "detached";
    },
  });

/**
 * kref_put(&vma_lock->refs, hugetlb_vma_lock_release): the last put kfree()s the lock.
 */
export const vmaLockPut = (): Op<"ok"> =>
  op({
    name: "kref_put(&vma_lock->refs, hugetlb_vma_lock_release)",
    outcomes: ["ok"],
    run: (k) => {
      useObj(k, "lock", "kref_put(&vma_lock->refs)");
      if (refcountPut(k, "vma_lock.refs"))
        setObjState(k, "vma_lock", "freed", "hugetlb_vma_lock_release(): kfree(vma_lock)");
      k.unset("lock");
      return "ok";
    },
  });

/**
 * __hugetlb_vma_unlock_write_free(vma) from the final unmap's __hugetlb_zap_end()
 * (ZAP_FLAG_UNMAP): __hugetlb_vma_unlock_write_put() clears vma_lock->vma and
 * vma->vm_private_data, up_write()s, and puts the VMA's reference; the lock is freed
 * here unless someone (hugetlb_unmap_file_folio) holds a reference.
 */
export const hugetlbVmaUnlockWriteFree = (lock = "vma_lock", vma = "vma"): Op<"ok"> =>
  op({
    name: `__hugetlb_zap_end(): __hugetlb_vma_unlock_write_free(${vma})`,
    outcomes: ["ok"],
    run: (k) => {
      useObj(k, "own", "__hugetlb_vma_unlock_write_put(vma_lock)");
      setObjState(k, lock, "detached", `vma_lock->vma = NULL; ${vma}->vm_private_data = NULL`);
      releaseLock(k, lock, "write", "__hugetlb_vma_unlock_write_put");
      if (refcountPut(k, `${lock}.refs`))
        setObjState(k, lock, "freed", "hugetlb_vma_lock_release(): kfree(vma_lock)");
      k.unset("own");
      return "ok";
    },
  });
