// Z: madvise(addr, len, MADV_DONTNEED) on one VMA. mm/madvise.c since "mm: use per_vma
// lock for MADV_DONTNEED" (Barry Song, v4, Jun 2025, read in its mail): get_lock_mode()
// asks for MADVISE_VMA_READ_LOCK, and try_vma_read_lock() takes lock_vma_under_rcu();
// when that fails, or the VMA is uffd-armed (userfaultfd_armed), it drops the VMA lock
// and falls back to mmap_read_lock (the *read* lock: DONTNEED changes no VMA).
// madvise_dontneed_single_vma -> zap_page_range_single_batched (mm/memory.c, as quoted
// in the mails of its 2025 refactor): hugetlb_zap_begin (__hugetlb_zap_begin takes
// hugetlb_vma_lock_write for a shared hugetlb VMA), mmu_notifier_invalidate_range_start,
// unmap_single_vma, mmu_notifier_invalidate_range_end, hugetlb_zap_end.
// The userfaultfd_remove() event (UFFD_FEATURE_EVENT_REMOVE) is not modelled.

import { type Actor, actor } from "../actor.js";
import { hugetlbUnlockWrite, hugetlbZapBeginOp } from "../kernel/hugetlb.js";
import { mmapReadLock, mmapReadUnlock } from "../kernel/mmap-lock.js";
import {
  invalidateCallback,
  invalidateEnd,
  invalidateRangeStart,
  userLock,
} from "../kernel/notifier.js";
import { anyLiveVma, chooseLiveVma, vmaAt, zapPtes } from "../kernel/vma.js";
import { vmaEndRead, vmaStartRead } from "../kernel/vma-lock.js";
import type { Ctx } from "../step.js";
import { op } from "../step.js";
import type { World } from "../world.js";

const target = (k: Ctx) => k.num("target");

const begin = op({
  name: "madvise(addr, len, MADV_DONTNEED)",
  outcomes: ["ok"],
  enabled: anyLiveVma,
  run: (k) => {
    k.set("addr", chooseLiveVma(k).start);
    return "ok";
  },
});

/** try_vma_read_lock(): the VMA read-locked, or nothing held and the mmap path next. */
const tryVmaLock = op({
  name: "try_vma_read_lock(): vma = lock_vma_under_rcu(mm, start)",
  outcomes: ["vma", "mmap"],
  run: (k) => {
    const v = vmaAt(k.w as World, k.num("addr"));
    // lock_vma_under_rcu fails on a detached or write-locked VMA; a uffd-armed VMA is
    // unlocked again at once (vma_end_read) and takes the mmap path
    if (!v || v.writeLocked || v.flags.uffdMissing) return "mmap";
    vmaStartRead(k, v.id, "vma");
    k.set("target", v.id);
    k.set("lock_mode", "vma");
    return "vma";
  },
});

const findVma = op({
  name: "vma = find_vma(mm, start)",
  outcomes: ["found", "none"],
  run: (k) => {
    const v = vmaAt(k.w as World, k.num("addr"));
    k.set("lock_mode", "mmap");
    if (!v) return "none";
    k.set("target", v.id);
    return "found";
  },
});

const zapBegin = hugetlbZapBeginOp("zap_page_range_single_batched: hugetlb_zap_begin(vma)");

const zap = op({
  name: "unmap_single_vma(): zap ptes; mmu_notifier_invalidate_range_end()",
  outcomes: ["ok"],
  run: (k) => {
    zapPtes(k, target(k));
    invalidateEnd(k);
    return "ok";
  },
});

const zapEnd = op({
  name: "hugetlb_zap_end: hugetlb_vma_unlock_write(vma)",
  outcomes: ["vma", "mmap"],
  run: (k) => {
    const v = k.w.vmas[target(k)];
    if (v?.flags.hugetlb) hugetlbUnlockWrite(k, v.id);
    return k.get("lock_mode") === "vma" ? "vma" : "mmap";
  },
});

const vmaUnlock = op({
  name: "vma_end_read(vma)",
  outcomes: ["ok"],
  run: (k) => {
    vmaEndRead(k, target(k), "vma_end_read");
    return "ok";
  },
});

export function madviseDontneedActor(): Actor {
  return actor({
    id: "madvise",
    lane: "Z",
    disruptive: true,
    title: "madvise(MADV_DONTNEED) of one VMA: per-VMA lock, else the mmap read lock",
    start: "idle",
    steps: {
      idle: { op: begin, next: "try_vma" },
      try_vma: { op: tryVmaLock, on: { vma: "zap_begin", mmap: "mmap_lock" } },
      mmap_lock: { op: mmapReadLock(), next: "find" },
      find: { op: findVma, on: { found: "zap_begin", none: "mmap_unlock" } },
      zap_begin: { op: zapBegin, next: "inv_start" },
      inv_start: { op: invalidateRangeStart(), next: "inv_lock" },
      inv_lock: { op: userLock(), next: "inv_cb" },
      inv_cb: { op: invalidateCallback(), next: "zap" },
      zap: { op: zap, next: "zap_end" },
      zap_end: { op: zapEnd, on: { vma: "vma_unlock", mmap: "mmap_unlock" } },
      vma_unlock: { op: vmaUnlock, next: "idle" },
      mmap_unlock: { op: mmapReadUnlock(), next: "idle" },
    },
  });
}
