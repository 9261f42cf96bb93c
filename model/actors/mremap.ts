// V: mremap(addr, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, new_addr) of a whole VMA to
// an unmapped address one page past everything mapped (so that nothing merges with the
// copy). do_mremap() -> mremap_to() -> move_vma() (mm/mremap.c at torvalds/linux
// 000c0691ec6a), all under mmap_write_lock_killable():
//   - vma_start_write(vma) ("We don't want racing faults");
//   - copy_vma_and_data(): copy_vma() (mm/vma.c at 01c373e9a5ce: vm_area_dup, vma_link
//     -> vma_start_write(new_vma)), then move_page_tables(): mmu_notifier_invalidate_
//     range_start(MMU_NOTIFY_UNMAP) over the old range, the entries moved, range_end
//     (a hugetlb VMA: move_hugetlb_page_tables() takes hugetlb_vma_lock_write(vma)
//     around the move, as quoted in the Dec 2022 hugetlb_walk() mails);
//     mremap_userfaultfd_prep(new_vma): without UFFD_FEATURE_EVENT_REMAP the new VMA
//     loses its uffd context (userfaultfd_reset_ctx: VM_UFFD_MISSING cleared);
//   - unmap_source_vma() -> do_vmi_munmap(old range, unlock = false): the old
//     vm_area_struct is write-locked, detached, its range invalidated and zapped (its
//     entries are gone already), and freed, all without downgrading the lock;
//   - mmap_write_unlock().
// A VMA pointer kept from before the move points at the freed old VMA. A move of part
// of a VMA (which splits it) is not modelled: the actor moves whole VMAs only.

import { type Actor, actor } from "../actor.js";
import { hugetlbLockWriteOp, hugetlbUnlockWrite } from "../kernel/hugetlb.js";
import { mmapWriteLock, mmapWriteUnlock } from "../kernel/mmap-lock.js";
import {
  invalidateCallback,
  invalidateEnd,
  invalidateRangeStart,
  userLock,
} from "../kernel/notifier.js";
import { vmaAt } from "../kernel/vma.js";
import { copyVma, movePtes, setVmaFlags, vmaStartWrite } from "../kernel/vma-layout.js";
import type { Ctx } from "../step.js";
import { op } from "../step.js";
import type { World } from "../world.js";
import { detach, removeVma, zapBegin, zapEnd } from "./munmap.js";

const target = (k: Ctx) => k.num("target");

const begin = op({
  name: "mremap(addr, len, len, MREMAP_MAYMOVE|MREMAP_FIXED, new_addr)",
  outcomes: ["ok"],
  enabled: (w) => w.vmas.some((v) => v.state === "live"),
  run: (k) => {
    const live = k.w.vmas.filter((v) => v.state === "live").map((v) => `vma#${v.id}`);
    const v = k.w.vmas[Number(k.choose(live).slice(4))];
    k.set("addr", v?.start ?? 0);
    k.set("len", v ? v.end - v.start : 0);
    return "ok";
  },
});

/** vma = vma_lookup(mm, addr) under the lock; -EFAULT if [addr, addr + len) is not within it. */
const lookup = op({
  name: "vma = vma_lookup(mm, addr)",
  outcomes: ["ok", "efault"],
  run: (k) => {
    const addr = k.num("addr");
    const len = k.num("len");
    const v = vmaAt(k.w as World, addr);
    // "We can't remap across vm area boundaries": old_len > vma->vm_end - addr
    if (!v || addr + len > v.end) return "efault";
    if (v.start !== addr || v.end !== addr + len)
      throw new Error(
        `mremap of [${addr},${addr + len}) would move part of vma#${v.id} (a split), which the model does not implement`,
      );
    k.set("target", v.id);
    return "ok";
  },
});

const startWrite = op({
  name: "move_vma(): vma_start_write(vma)",
  outcomes: ["ok"],
  run: (k) => {
    vmaStartWrite(k, target(k));
    return "ok";
  },
});

const copy = op({
  name: "copy_vma(): new_vma = vm_area_dup(vma); vma_link(): vma_start_write(new_vma)",
  outcomes: ["ok", "hugetlb"],
  run: (k) => {
    // one page past the end of the address space the world knows: no neighbour
    const id = copyVma(k, target(k), k.w.ptes.length + 1);
    k.set("new_vma", id);
    return k.w.vmas[target(k)]?.flags.hugetlb ? "hugetlb" : "ok";
  },
});

const mvStart = invalidateRangeStart("move_page_tables()");

/** The entries moved; mremap_userfaultfd_prep(new_vma) without UFFD_FEATURE_EVENT_REMAP. */
function moveAndPrep(k: Ctx): void {
  const to = k.num("new_vma");
  movePtes(k, target(k), to);
  if (k.w.vmas[to]?.flags.uffdMissing) setVmaFlags(k, to, { uffdMissing: false });
}

const mvPtes = op({
  name: "move_ptes(); mmu_notifier_invalidate_range_end(); mremap_userfaultfd_prep(new_vma)",
  outcomes: ["ok"],
  run: (k) => {
    moveAndPrep(k);
    invalidateEnd(k);
    return "ok";
  },
});

const mvHugetlbLock = hugetlbLockWriteOp("move_hugetlb_page_tables(): hugetlb_vma_lock_write(vma)");

const mvHugetlbPtes = op({
  name: "move entries; hugetlb_vma_unlock_write(vma); mmu_notifier_invalidate_range_end(); mremap_userfaultfd_prep(new_vma)",
  outcomes: ["ok"],
  run: (k) => {
    moveAndPrep(k);
    hugetlbUnlockWrite(k, target(k));
    invalidateEnd(k);
    return "ok";
  },
});

export function mremapActor(): Actor {
  return actor({
    id: "mremap",
    lane: "V",
    disruptive: true,
    title:
      "mremap(2) of a whole VMA to a new address (copy_vma + move_page_tables, old VMA unmapped)",
    start: "idle",
    steps: {
      idle: { op: begin, next: "wlock" },
      wlock: { op: mmapWriteLock(), next: "lookup" },
      lookup: { op: lookup, on: { ok: "start_write", efault: "unlock" } },
      start_write: { op: startWrite, next: "copy" },
      copy: { op: copy, on: { ok: "mv_start", hugetlb: "h_mv_start" } },
      mv_start: { op: mvStart, next: "mv_lock" },
      mv_lock: { op: userLock(), next: "mv_cb" },
      // move_page_tables(): MMU_NOTIFY_UNMAP
      mv_cb: { op: invalidateCallback("unmap"), next: "mv_ptes" },
      mv_ptes: { op: mvPtes, next: "detach" },
      h_mv_start: { op: mvStart, next: "h_mv_lock" },
      h_mv_lock: { op: userLock(), next: "h_mv_cb" },
      h_mv_cb: { op: invalidateCallback(), next: "h_mv_hlock" },
      h_mv_hlock: { op: mvHugetlbLock, next: "h_mv_ptes" },
      h_mv_ptes: { op: mvHugetlbPtes, next: "detach" },
      // unmap_source_vma() -> do_vmi_munmap(..., unlock = false): no downgrade
      detach: { op: detach, next: "inv_start" },
      inv_start: { op: invalidateRangeStart(), next: "inv_lock" },
      inv_lock: { op: userLock(), next: "inv_cb" },
      // do_vmi_munmap() -> unmap_vmas(): MMU_NOTIFY_UNMAP
      inv_cb: { op: invalidateCallback("unmap"), next: "zap_begin" },
      zap_begin: { op: zapBegin, next: "zap_end" },
      zap_end: { op: zapEnd, next: "remove" },
      remove: { op: removeVma, next: "unlock" },
      unlock: { op: mmapWriteUnlock(), next: "idle" },
    },
  });
}
