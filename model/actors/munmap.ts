// W: munmap(2) of one VMA, in the order of do_vmi_align_munmap ->
// vms_complete_munmap_vmas (mm/vma.c, v6.12): mmap_write_lock; vma_find() of the range
// the caller picked (a live VMA's, before the lock); vma_start_write +
// vma_mark_detached + removal from the tree; mmap_write_downgrade; unmap_region
// (invalidate_range_start -> invalidate() under user_lock; __hugetlb_zap_begin takes
// hugetlb_vma_lock_write; zap; __hugetlb_zap_end frees the hugetlb VMA lock;
// invalidate_range_end); remove_vma (vm_ops->close, vm_area_free); mmap_read_unlock.
// Optionally maps a new VMA at the same address afterwards (mmap under the write lock).

import type { Actor } from "../actor.js";
import { actor } from "../actor.js";
import { hugetlbUnlockWriteFree, hugetlbZapBeginOp } from "../kernel/hugetlb.js";
import {
  mmapReadUnlock,
  mmapWriteDowngrade,
  mmapWriteLock,
  mmapWriteUnlock,
} from "../kernel/mmap-lock.js";
import {
  invalidateCallback,
  invalidateEnd,
  invalidateRangeStart,
  userLock,
} from "../kernel/notifier.js";
import { anyLiveVma, chooseLiveVma, firstVmaAbove, newVma, zapPtes } from "../kernel/vma.js";
import type { Ctx, Steps } from "../step.js";
import { op } from "../step.js";
import type { VmaFlags, World } from "../world.js";

const target = (k: Ctx) => k.num("target");

const begin = op({
  name: "munmap(addr, len)",
  outcomes: ["ok"],
  enabled: anyLiveVma,
  run: (k) => {
    k.set("target", chooseLiveVma(k).id);
    return "ok";
  },
});

/** The VMA in local `target`: write-locked, marked detached and taken out of the tree. */
function detachTarget(k: Ctx): void {
  const v = k.w.vmas[target(k)];
  if (!v) return;
  v.writeLocked = true;
  // vma_mark_detached waits for transient readers (lock_vma_under_rcu holders)
  if (v.readers.length > 0) {
    k.block({ kind: "vma-readers", vma: v.id }, undefined, { again: true });
    return;
  }
  v.state = "detached";
  k.emit({ k: "detach", tid: k.tid, vma: target(k) });
}

export const detach = op({
  name: "vma_start_write(vma); vma_mark_detached(vma); remove from tree",
  outcomes: ["ok"],
  run: (k) => {
    detachTarget(k);
    return "ok";
  },
});

/**
 * do_vmi_munmap(): under the write lock, vma_find(vmi, end) looks the range up again. The
 * range is that of the VMA picked before the lock; another actor may have removed it
 * since (nothing there: munmap returns 0) or mapped a VMA of the same range in its
 * place, which is the one unmapped. A VMA that covers the range only in part would be
 * split (vms_gather_munmap_vmas), which this actor does not do: munmap-split does.
 */
const findAndDetach = op({
  name: "vma = vma_find(&vmi, end); vma_start_write(vma); vma_mark_detached(vma); remove from tree",
  outcomes: ["ok", "none"],
  run: (k) => {
    const picked = k.w.vmas[target(k)];
    if (!picked) return "none";
    // find_vma(): the VMA containing the start, else the first above it
    const v = firstVmaAbove(k.w as World, picked.start);
    if (!v || v.start >= picked.end) return "none";
    if (v.start !== picked.start || v.end !== picked.end)
      throw new Error(
        `munmap of pages ${picked.start}-${picked.end - 1} now meets vma#${v.id} (pages ${v.start}-${v.end - 1}), which it would split; the munmap actor unmaps whole VMAs only: use munmap-split for a part of one`,
      );
    if (v.id !== picked.id) k.set("target", v.id);
    detachTarget(k);
    return "ok";
  },
});

/** unmap_region() -> unmap_vmas(): hugetlb_zap_begin(), a lock only for a hugetlb VMA. */
export const zapBegin = hugetlbZapBeginOp("hugetlb_zap_begin(vma)");

/**
 * The zap of `target`'s range (unmap_vmas with ZAP_FLAG_UNMAP, mm/memory.c), then
 * hugetlb_zap_end(): for a hugetlb VMA, __hugetlb_zap_end() frees its hugetlb_vma_lock
 * (model/kernel/hugetlb.ts hugetlbUnlockWriteFree); then invalidate_range_end.
 */
export const zapEnd = op({
  name: "zap ptes; hugetlb_zap_end(vma); mmu_notifier_invalidate_range_end()",
  outcomes: ["ok"],
  run: (k) => {
    const v = k.w.vmas[target(k)];
    if (v) {
      zapPtes(k, v.id);
      if (v.flags.hugetlb) hugetlbUnlockWriteFree(k, v.id);
    }
    invalidateEnd(k);
    return "ok";
  },
});

/**
 * remove_vma(): `target` is freed. Its hugetlb_vma_lock, if it had one, was freed at the
 * zap's end, so vm_ops->close (hugetlb_vm_op_close -> hugetlb_vma_lock_free) finds none.
 */
export const removeVma = op({
  name: "remove_vma(vma): vm_ops->close(vma); vm_area_free(vma)",
  outcomes: ["ok"],
  run: (k) => {
    const v = k.w.vmas[target(k)];
    if (v) {
      v.state = "freed";
      v.freedAt = k.w.clock;
      v.freedBy = k.tid;
    }
    k.emit({ k: "free", tid: k.tid, vma: target(k), hugetlb: v?.hugetlbLock != null });
    return "ok";
  },
});

/**
 * mmap(2) at the unmapped address, with `flags` (the remap). __mmap_new_vma() (mm/vma.c,
 * read in the hunks of 2024-2025 mm mails) write-locks the new VMA (vma_start_write)
 * before it is stored in the tree, so lock_vma_under_rcu() fails on it until
 * mmap_write_unlock().
 */
const mapNew = (flags: VmaFlags) =>
  op({
    name: "mmap(addr, len): a new VMA at the same address",
    outcomes: ["ok"],
    run: (k) => {
      const old = k.w.vmas[target(k)];
      if (!old) return "ok";
      const id = k.w.vmas.length;
      k.w.vmas.push(newVma(id, old.start, old.end, { ...flags }, true));
      k.emit({ k: "map", tid: k.tid, vma: id });
      return "ok";
    },
  });

/**
 * From the detach under the write lock to the free under the read lock
 * (vms_complete_munmap_vmas: downgrade, unmap_region's invalidation and zap,
 * remove_vma), then `next`: the steps munmap and munmap-split share.
 */
export function unmapDetachedSteps(next: string): Steps {
  return {
    detach: { op: detach, next: "downgrade" },
    downgrade: { op: mmapWriteDowngrade(), next: "inv_start" },
    inv_start: { op: invalidateRangeStart(), next: "inv_lock" },
    inv_lock: { op: userLock(), next: "inv_cb" },
    // unmap_region() -> unmap_vmas(): MMU_NOTIFY_UNMAP
    inv_cb: { op: invalidateCallback("unmap"), next: "zap_begin" },
    zap_begin: { op: zapBegin, next: "zap_end" },
    zap_end: { op: zapEnd, next: "remove" },
    remove: { op: removeVma, next: "runlock" },
    runlock: { op: mmapReadUnlock(), next },
  };
}

export function munmapActor(remap: VmaFlags | null = null): Actor {
  return actor({
    id: "munmap",
    lane: "W",
    disruptive: true,
    title: "munmap(2) of one VMA (do_vmi_align_munmap)",
    start: "idle",
    steps: {
      idle: { op: begin, next: "wlock" },
      wlock: { op: mmapWriteLock(), next: "detach" },
      ...unmapDetachedSteps(remap ? "remap_lock" : "idle"),
      detach: { op: findAndDetach, on: { ok: "downgrade", none: "gone" } },
      gone: { op: mmapWriteUnlock(), next: "idle" },
      ...(remap
        ? {
            remap_lock: { op: mmapWriteLock(), next: "remap" },
            remap: { op: mapNew(remap), next: "remap_unlock" },
            remap_unlock: { op: mmapWriteUnlock(), next: "idle" },
          }
        : {}),
    },
  });
}
