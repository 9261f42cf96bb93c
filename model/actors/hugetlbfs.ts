// The file side of a shared hugetlbfs mapping (model/kernel/hugetlbfs.ts has the names
// the scenario declares and what was read):
//
// F, truncate(2) to 0 (fs/hugetlbfs/inode.c hugetlb_vmtruncate, v6.12+ tree): with
// i_mmap_rwsem held for write and no mmap lock, hugetlb_vmdelete_list() visits each VMA
// of the file and hugetlb_vma_trylock_write()s it, *skipping* the VMA when that fails
// (taking it would invert the order vma_lock -> i_mmap_rwsem of mm/rmap.c). Then
// remove_inode_hugepages() finds the folio still mapped and calls
// hugetlb_unmap_file_folio(), which must unmap it: when the trylock fails again it
// takes a reference on the vma lock (kref_get(&vma_lock->refs)) under i_mmap_rwsem,
// drops i_mmap_rwsem, down_write()s the lock itself, retakes i_mmap_rwsem and checks
// vma_lock->vma: NULL means the VMA was closed meanwhile (up_write, kref_put, retry);
// otherwise it unmaps, puts the reference, unlocks and retries. Hole punch
// (hugetlbfs_punch_hole) runs the same two passes over the hole.
//   - `blocking` (mutant): hugetlb_vmdelete_list takes hugetlb_vma_lock_write() while
//     holding i_mmap_rwsem: a fault holds the vma lock for read and waits for
//     i_mmap_rwsem in huge_pmd_share (no-deadlock);
//   - `noKref` (mutant): hugetlb_unmap_file_folio keeps vma->vm_private_data across
//     i_mmap_unlock_write without a reference: munmap's final zap frees the lock in
//     between (no-freed-vma-use, no-vma-use-after-unlock).
//
// U, munmap() of the driver's hugetlb VMA in its own mm: under the mmap write lock,
// __hugetlb_zap_begin() takes hugetlb_vma_lock_write then i_mmap_lock_write, the zap
// unshares or clears, and __hugetlb_zap_end() -> __hugetlb_vma_unlock_write_free()
// detaches and puts the lock (mm/hugetlb.c; "hugetlbfs: close race between
// MADV_DONTNEED and page fault", v6.7). Removing the VMA from the interval tree
// (unlink_file_vma) comes after and is not a separate step: a VMA without its lock maps
// nothing, and the file side skips it.
//
// B, the exit of process B, whose PMD page the driver's VMA shares: exit_mmap ->
// unmap_vmas -> __hugetlb_zap_begin takes i_mmap_rwsem for write (and B's own vma lock,
// which nothing else here takes); huge_pmd_unshare drops B's share when another page
// table shares the page, otherwise the zap only clears B's entries; and
// __hugetlb_zap_end() -> __hugetlb_vma_unlock_write_free() frees B's vma lock and
// clears B's vm_private_data before it drops i_mmap_rwsem. Then free_pgtables() takes
// i_mmap_rwsem for write again to unlink B's VMA from the file's i_mmap
// (unlink_file_vma), and frees a page that was B's alone (pmd_free). Between the two
// holds B's VMA is still in i_mmap with its PMD page, but no fault can share that page:
// huge_pmd_share's page_table_shareable() requires svma->vm_private_data, the vma lock
// ("vma_lock (vm_private_data) is required for sharing", mm/hugetlb.c since v6.1; Mike
// Kravetz on linux-mm, Oct 2022: the unmapped VMA stays in the interval tree, so
// "the sharing could later be initiated by another process" without it). B's vma lock
// is the declared object "B.vma_lock". The file side's walk of B's VMA is not modelled.

import { type Actor, actor } from "../actor.js";
import {
  hugetlbVmaLockWriteSleeping,
  hugetlbVmaTrylockWrite,
  hugetlbVmaUnlockWrite,
  hugetlbVmaUnlockWriteFree,
  unmapHugepageRangeOp,
  vmaLockAttached,
  vmaLockAttachedOp,
  vmaLockGetRef,
  vmaLockPtrWrite,
  vmaLockPut,
} from "../kernel/hugetlbfs.js";
import { iMmapLockWrite, iMmapUnlockWrite } from "../kernel/i-mmap.js";
import { acquireLock, refcountOf, refcountPut } from "../kernel/locks.js";
import { mmapWriteLock, mmapWriteUnlock } from "../kernel/mmap-lock.js";
import { lookupObj, setObjState } from "../kernel/objects.js";
import { setPte } from "../kernel/pte.js";
import { op } from "../step.js";
import type { World } from "../world.js";

const maps = (w: World) => w.ptes[0] !== undefined && w.ptes[0] !== "none";

const finished = op({ name: "return 0", outcomes: ["ok"], run: () => "ok" });

export function hugetlbTruncateActor(
  o: { readonly blocking?: boolean; readonly noKref?: boolean } = {},
): Actor {
  const id = o.blocking
    ? "hugetlb-truncate-blocking"
    : o.noKref
      ? "hugetlb-truncate-no-kref"
      : "hugetlb-truncate";
  const kref = !o.noKref;
  return actor({
    id,
    lane: "F",
    disruptive: true,
    ...(o.blocking
      ? {
          mutant:
            "it takes hugetlb_vma_lock_write() (sleeping) under i_mmap_rwsem, where hugetlb_vmdelete_list() only trylocks",
        }
      : o.noKref
        ? {
            mutant:
              "hugetlb_unmap_file_folio() keeps vma->vm_private_data across i_mmap_unlock_write() without the kref_get(&vma_lock->refs) it takes in the kernel",
          }
        : {}),
    title: o.blocking
      ? "truncate of the hugetlbfs file, mutated to take hugetlb_vma_lock_write (sleeping) under i_mmap_rwsem"
      : o.noKref
        ? "truncate of the hugetlbfs file, mutated to keep vma_lock across i_mmap_unlock_write without kref_get"
        : "truncate of the hugetlbfs file (hugetlb_vmtruncate): i_mmap_rwsem, trylocked VMA locks, the kref",
    start: "start",
    steps: {
      start: { op: iMmapLockWrite("hugetlb_vmtruncate(): i_size_write(inode, 0); "), next: "del" },
      del: o.blocking
        ? {
            op: hugetlbVmaLockWriteSleeping("hugetlb_vmdelete_list(): hugetlb_vma_lock_write(vma)"),
            on: { locked: "del.zap", none: "del.unlock" },
          }
        : {
            op: hugetlbVmaTrylockWrite("hugetlb_vmdelete_list(): hugetlb_vma_trylock_write(vma)"),
            on: { locked: "del.zap", busy: "del.unlock", none: "del.unlock" },
          },
      "del.zap": {
        op: unmapHugepageRangeOp("hugetlb_vmdelete_list(): unmap_hugepage_range(vma)"),
        next: "del.vunlock",
      },
      "del.vunlock": { op: hugetlbVmaUnlockWrite(), next: "del.unlock" },
      "del.unlock": { op: iMmapUnlockWrite(), next: "mapped" },
      mapped: {
        op: op({
          name: "remove_inode_hugepages(): folio_mapped(folio)",
          outcomes: ["yes", "no"],
          run: (k) => (maps(k.w as World) ? "yes" : "no"),
        }),
        on: { yes: "u.lock", no: "remove" },
      },
      "u.lock": { op: iMmapLockWrite("hugetlb_unmap_file_folio(): "), next: "u.walk" },
      "u.walk": {
        op: hugetlbVmaTrylockWrite(
          "vma_interval_tree_foreach: hugetlb_vma_maps_pfn(vma) && hugetlb_vma_trylock_write(vma)",
          (k) => maps(k.w as World),
        ),
        on: { locked: "u.zap", busy: "u.ref", none: "u.unlock" },
      },
      "u.zap": {
        op: unmapHugepageRangeOp("unmap_hugepage_range(vma)"),
        next: "u.vunlock",
      },
      "u.vunlock": { op: hugetlbVmaUnlockWrite(), next: "u.walk" },
      "u.ref": { op: vmaLockGetRef(kref), next: "u.drop" },
      "u.drop": { op: iMmapUnlockWrite(), next: "u.wait" },
      "u.wait": { op: vmaLockPtrWrite(false), next: "u.relock" },
      "u.relock": { op: iMmapLockWrite(), next: "u.attached" },
      "u.attached": {
        op: vmaLockAttachedOp(),
        on: { attached: "u.zap2", detached: "u.gone" },
      },
      "u.gone": { op: vmaLockPtrWrite(true), next: kref ? "u.put" : "u.walk" },
      "u.put": { op: vmaLockPut(), next: "u.walk" },
      "u.zap2": {
        op: unmapHugepageRangeOp("if (hugetlb_vma_maps_pfn(vma)) unmap_hugepage_range(vma)"),
        next: kref ? "u.put2" : "u.vunlock2",
      },
      "u.put2": { op: vmaLockPut(), next: "u.vunlock2" },
      "u.vunlock2": { op: hugetlbVmaUnlockWrite(), next: "u.walk" },
      "u.unlock": { op: iMmapUnlockWrite(), next: "remove" },
      remove: {
        op: op({
          name: "remove_inode_single_folio(): hugetlb_delete_from_page_cache(folio)",
          outcomes: ["ok"],
          run: () => "ok",
        }),
        next: "done",
      },
      done: { op: finished, next: "start" },
    },
  });
}

export function hugetlbMunmapActor(): Actor {
  return actor({
    id: "hugetlb-munmap",
    lane: "U",
    disruptive: true,
    title: "munmap of the shared hugetlb VMA: the final zap frees its hugetlb_vma_lock",
    start: "start",
    guard: (w) => vmaLockAttached(w),
    steps: {
      start: { op: mmapWriteLock(), next: "begin" },
      begin: {
        op: op({
          name: "__hugetlb_zap_begin(): hugetlb_vma_lock_write(vma)",
          outcomes: ["ok", "none"],
          mightSleep: true,
          run: (k) => {
            if (lookupObj("vma_lock", "own", null).run(k) === "none") return "none";
            acquireLock(k, "vma_lock", "write");
            return "ok";
          },
        }),
        on: { ok: "imap", none: "unlock" },
      },
      imap: { op: iMmapLockWrite("__hugetlb_zap_begin(): "), next: "zap" },
      zap: { op: unmapHugepageRangeOp("__unmap_hugepage_range(vma)"), next: "free" },
      free: { op: hugetlbVmaUnlockWriteFree(), next: "iunlock" },
      iunlock: { op: iMmapUnlockWrite(), next: "remove" },
      remove: {
        op: op({
          name: "remove_vma(vma): vm_area_free(vma)",
          outcomes: ["ok"],
          run: (k) => {
            setObjState(k, "vma_A", "freed", "frees the VMA");
            return "ok";
          },
        }),
        next: "unlock",
      },
      unlock: { op: mmapWriteUnlock(), next: "start" },
    },
  });
}

/**
 * S, munmap() of the second huge page of the driver's 2-page VMA: __split_vma() makes
 * `new` for that page (vm_area_dup copies vm_private_data) and calls
 * hugetlb_vm_op_open(new), which clears the copied pointer and allocates `new` a lock
 * of its own ("vma_lock structure for sharable mappings is vma specific", mm/hugetlb.c
 * since the Oct 2022 fixes to "hugetlb: add vma based lock for pmd sharing"); the final
 * zap of `new` then frees that lock. `keepsLock` (mutant): hugetlb_vm_op_open keeps the
 * copied pointer, so both VMAs point to the original VMA's lock and the zap of `new`
 * frees the lock the original VMA still points to.
 */
export function hugetlbMunmapSplitActor(o: { readonly keepsLock?: boolean } = {}): Actor {
  const lock = o.keepsLock ? "vma_lock" : "vma_lock.new";
  return actor({
    id: o.keepsLock ? "hugetlb-munmap-split-keeps-lock" : "hugetlb-munmap-split",
    lane: "S",
    disruptive: true,
    ...(o.keepsLock
      ? {
          mutant:
            "hugetlb_vm_op_open() keeps the vm_private_data copied from the old VMA instead of allocating a lock for the new one",
        }
      : {}),
    title: o.keepsLock
      ? "munmap of one huge page, mutated so that hugetlb_vm_op_open keeps the copied vm_private_data"
      : "munmap of one huge page of the shared hugetlb VMA: split, a new hugetlb_vma_lock for the new VMA, its final zap",
    start: "start",
    steps: {
      start: { op: mmapWriteLock(), next: "split" },
      split: {
        op: op({
          name: "__split_vma(): new = vm_area_dup(vma); hugetlb_vm_op_open(new)",
          outcomes: ["ok"],
          run: (k) => {
            if (o.keepsLock)
              k.emit({
                k: "note",
                tid: k.tid,
                text: "new->vm_private_data is vma's lock (copied, kept)",
              });
            else
              setObjState(
                k,
                "vma_lock.new",
                "live",
                "new->vm_private_data = NULL; hugetlb_vma_lock_alloc(new)",
              );
            return "ok";
          },
        }),
        next: "begin",
      },
      begin: {
        op: op({
          name: "__hugetlb_zap_begin(): hugetlb_vma_lock_write(new)",
          outcomes: ["ok"],
          mightSleep: true,
          run: (k) => {
            lookupObj(lock, "own", null).run(k);
            acquireLock(k, lock, "write");
            return "ok";
          },
        }),
        next: "imap",
      },
      imap: { op: iMmapLockWrite("__hugetlb_zap_begin(): "), next: "zap" },
      zap: {
        op: op({
          name: "__unmap_hugepage_range(new)",
          outcomes: ["ok"],
          run: (k) => {
            if (k.w.ptes[1] !== undefined && k.w.ptes[1] !== "none") {
              setPte(k, 1, "none");
            }
            return "ok";
          },
        }),
        next: "free",
      },
      free: { op: hugetlbVmaUnlockWriteFree(lock, "new"), next: "iunlock" },
      iunlock: { op: iMmapUnlockWrite(), next: "unlock" },
      unlock: { op: mmapWriteUnlock(), next: "start" },
    },
  });
}

/** __hugetlb_zap_end(B's vma): B's vma lock freed and vm_private_data cleared, under i_mmap_rwsem. */
const zapEndB = op({
  name: "__hugetlb_zap_end(B's vma): __hugetlb_vma_unlock_write_free(): vm_private_data = NULL",
  outcomes: ["ok"],
  run: (k) => {
    setObjState(k, "B.vma_lock", "freed", "frees B's hugetlb vma lock");
    return "ok";
  },
});

export function pmdSharerExitActor(): Actor {
  return actor({
    id: "pmd-sharer-exit",
    lane: "B",
    disruptive: true,
    title: "exit of process B, whose PMD page table page the driver's VMA shares",
    start: "start",
    guard: (w) => w.objects.pmd?.state === "live",
    steps: {
      start: { op: iMmapLockWrite("exit_mmap(B): __hugetlb_zap_begin(): "), next: "unshare" },
      unshare: {
        op: op({
          name: "__unmap_hugepage_range(B's vma): huge_pmd_unshare() if another page table shares the page",
          outcomes: ["unshared", "own"],
          run: (k) => {
            if (refcountOf(k, "pmd.sharers") <= 1) return "own";
            refcountPut(k, "pmd.sharers");
            return "unshared";
          },
        }),
        on: { unshared: "zap_end", own: "zap_end.own" },
      },
      zap_end: { op: zapEndB, next: "unlock" },
      "zap_end.own": { op: zapEndB, next: "unlock.own" },
      unlock: { op: iMmapUnlockWrite(), next: "done" },
      "unlock.own": { op: iMmapUnlockWrite(), next: "unlink" },
      unlink: { op: iMmapLockWrite("free_pgtables(B): "), next: "unlink_file_vma" },
      unlink_file_vma: {
        op: op({
          name: "unlink_file_vma(B's vma): B's VMA leaves i_mmap",
          outcomes: ["ok"],
          run: (k) => {
            setObjState(k, "pmd", "detached", "unlink_file_vma(): B's VMA leaves i_mmap");
            return "ok";
          },
        }),
        next: "unlock.unlink",
      },
      "unlock.unlink": { op: iMmapUnlockWrite(), next: "free" },
      free: {
        op: op({
          name: "free_pgtables(): pmd_free(mm, pmd)",
          outcomes: ["ok"],
          run: (k) => {
            refcountPut(k, "pmd.sharers");
            setObjState(k, "pmd", "freed", "frees the PMD page table page");
            return "ok";
          },
        }),
        next: "done",
      },
      done: { op: finished, next: "start" },
    },
  });
}
