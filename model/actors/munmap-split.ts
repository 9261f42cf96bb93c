// W: munmap(addr, len) of one page of a VMA of two pages or more, so that the VMA is
// split (do_vmi_align_munmap -> vms_gather_munmap_vmas, mm/vma.c at torvalds/linux
// 01c373e9a5ce): under the mmap write lock, __split_vma(vma, start, new_below = 1) when
// the range starts inside the VMA and __split_vma(next, end, new_below = 0) when it
// ends inside it; each split hands the part outside the range to the *new*
// vm_area_struct, so the part unmapped is the original one, which
// vma_start_write() + vma_mark_detached() then take out of the tree. The rest is
// munmap's (model/actors/munmap.ts, vms_complete_munmap_vmas): downgrade, invalidation
// under user_lock, the zap (hugetlb_vma_lock_write for a shared hugetlb VMA), remove_vma
// and mmap_read_unlock. userfaultfd_unmap_prep() (UFFD_FEATURE_EVENT_UNMAP) is not
// modelled, as for munmap.

import { type Actor, actor } from "../actor.js";
import { mmapWriteLock, mmapWriteUnlock } from "../kernel/mmap-lock.js";
import { vmaAt } from "../kernel/vma.js";
import { splitVma, vmaStartWrite } from "../kernel/vma-layout.js";
import { op } from "../step.js";
import type { World } from "../world.js";
import { unmapDetachedSteps } from "./munmap.js";

/** The pages whose munmap splits a VMA: every page of a live VMA of two pages or more. */
function splittable(w: World): string[] {
  const out: string[] = [];
  for (const v of w.vmas)
    if (v.state === "live" && v.end - v.start >= 2)
      for (let p = v.start; p < v.end; p++) out.push(`page ${p}`);
  return out.sort((a, b) => Number(a.slice(5)) - Number(b.slice(5)));
}

const begin = op({
  name: "munmap(addr, PAGE_SIZE)",
  outcomes: ["ok"],
  enabled: (w) => splittable(w).length > 0,
  run: (k) => {
    k.set("addr", Number(k.choose(splittable(k.w as World)).slice(5)));
    return "ok";
  },
});

/**
 * vms_gather_munmap_vmas(): the VMA is looked up again under the lock (do_vmi_munmap's
 * vma_find); vma_start_write() waits for its readers before the first split.
 */
const gather = op({
  name: "vms_gather_munmap_vmas(): __split_vma() at the range edges",
  outcomes: ["ok", "none"],
  run: (k) => {
    const addr = k.num("addr");
    const v = vmaAt(k.w as World, addr);
    // nothing mapped there any more: do_vmi_munmap() returns 0
    if (!v) return "none";
    // __split_vma() write-locks the VMA first; a one-page VMA needs no split, and
    // vma_start_write() in the detach step waits for its readers instead
    if (v.start < addr || addr + 1 < v.end) {
      if (!vmaStartWrite(k, v.id)) return "ok";
      if (v.start < addr) splitVma(k, v.id, addr, true);
      if (addr + 1 < v.end) splitVma(k, v.id, addr + 1, false);
    }
    k.set("target", v.id);
    return "ok";
  },
});

export function munmapSplitActor(): Actor {
  return actor({
    id: "munmap-split",
    lane: "W",
    disruptive: true,
    title: "munmap(2) of one page of a larger VMA: the VMA is split at the range edges",
    start: "idle",
    steps: {
      idle: { op: begin, next: "wlock" },
      wlock: { op: mmapWriteLock(), next: "gather" },
      gather: { op: gather, on: { ok: "detach", none: "wunlock" } },
      wunlock: { op: mmapWriteUnlock(), next: "idle" },
      ...unmapDetachedSteps("idle"),
    },
  });
}
