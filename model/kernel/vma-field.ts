// Decisions about VMA fields, and the lock each field needs for them
// (include/linux/mm_types.h, the comments on struct vm_area_struct, v6.15-v7.0, and the
// functions that assert them):
//   - vm_start, vm_end, vm_flags: written under the mmap write lock with the VMA
//     write-locked (vma_start_write: __split_vma, vm_flags_reset, vma_set_range); read
//     under the mmap lock or the VMA's read lock (lock_vma_under_rcu's range check,
//     access_error);
//   - vm_mm: stable only while the VMA cannot be freed: a reference taken by
//     vma_start_read() (vm_refcnt), or the mmap lock. Under RCU alone a freed slot of
//     the SLAB_TYPESAFE_BY_RCU vm_area_struct cache may already hold another mm's VMA;
//   - anon_vma ("Serialized by page_table_lock"): read under the mmap lock or the VMA
//     lock; written by __anon_vma_prepare() (mm/rmap.c), which asserts the mmap lock
//     (mmap_assert_locked: find_mergeable_anon_vma() reads the neighbouring VMAs) and
//     sets it under mm->page_table_lock, or under the mmap write lock with the VMA
//     write-locked (anon_vma_clone() in __split_vma, vma_expand()).
// An op that decides calls vmaFieldDecision(); the property vma-field-under-lock judges
// the event against VMA_FIELD_RULES.
import type { FieldLocks, VmaField } from "../events.js";
import type { Ctx } from "../step.js";
import type { Tid, VmaId, World } from "../world.js";
import { holdsLock } from "./locks.js";

/** mm->page_table_lock, as a scenario declares it (a spinlock). */
export const PAGE_TABLE_LOCK = "mm->page_table_lock";

/** The locks that protect `vma`'s fields, as `tid` holds them in `w`. */
export function fieldLocks(w: World, tid: Tid, vma: VmaId): FieldLocks {
  const mmap =
    w.mmapLock.writer === tid ? "write" : w.mmapLock.readers.includes(tid) ? "read" : null;
  const v = w.vmas[vma];
  // a VMA is write-locked by the holder of the mmap write lock (vma_start_write)
  const vmaLock =
    v?.writeLocked && mmap === "write" ? "write" : v?.readers.includes(tid) ? "read" : null;
  return { mmap, vma: vmaLock, pageTableLock: holdsLock(w, PAGE_TABLE_LOCK, tid) };
}

export interface FieldRule {
  /** may the field be read to decide something with these locks held? */
  readonly read: (h: FieldLocks) => boolean;
  readonly write: (h: FieldLocks) => boolean;
  /** the rule in words, for the property's message */
  readonly readText: string;
  readonly writeText: string;
}

const mmapOrVma = (h: FieldLocks) => h.mmap !== null || h.vma !== null;
const writer = (h: FieldLocks) => h.mmap === "write" && h.vma === "write";

/** Which lock protects which VMA field, for reads that decide and for writes. */
export const VMA_FIELD_RULES: Readonly<Record<VmaField, FieldRule>> = {
  "vm_start/vm_end": {
    read: mmapOrVma,
    write: writer,
    readText: "the mmap lock or the VMA's read lock",
    writeText: "the mmap write lock with the VMA write-locked (vma_start_write)",
  },
  vm_flags: {
    read: mmapOrVma,
    write: writer,
    readText: "the mmap lock or the VMA's read lock",
    writeText: "the mmap write lock with the VMA write-locked (vma_start_write)",
  },
  vm_mm: {
    read: mmapOrVma,
    write: writer,
    readText:
      "a reference on the VMA (vma_start_read's vm_refcnt) or the mmap lock: under RCU alone the slot may hold another mm's VMA (SLAB_TYPESAFE_BY_RCU)",
    writeText: "the mmap write lock with the VMA write-locked",
  },
  anon_vma: {
    read: mmapOrVma,
    write: (h) => (h.mmap !== null && h.pageTableLock) || writer(h),
    readText: "the mmap lock or the VMA's read lock",
    writeText:
      "the mmap lock (read is enough; __anon_vma_prepare's mmap_assert_locked, since find_mergeable_anon_vma reads the neighbouring VMAs) and mm->page_table_lock, or the mmap write lock with the VMA write-locked",
  },
};

/** Record that `k.tid` read (to decide) or wrote `field` of `vma`, with the locks it holds. */
export function vmaFieldDecision(
  k: Ctx,
  vma: VmaId,
  field: VmaField,
  access: "read" | "write",
  what: string,
): void {
  k.emit({
    k: "vma-field",
    tid: k.tid,
    vma,
    field,
    access,
    what,
    held: fieldLocks(k.w as World, k.tid, vma),
  });
}
