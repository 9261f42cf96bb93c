// K: fork() of the process: dup_mm() -> dup_mmap(mm, oldmm), kernel/fork.c as quoted in
// the mails of "fork: lock VMAs of the parent process when forking" (Suren
// Baghdasaryan, Jul 2023, in 6.5 and the 6.4 stable tree) and of the __mt_dup()
// conversion (2023), and mm/memory.c copy_page_range() as quoted from v6.18:
//   - mmap_write_lock_killable(oldmm), held across the whole copy (the child's lock,
//     mmap_write_lock_nested(mm), is not modelled: nothing else can see the child);
//   - for_each_vma(vmi, mpnt): vma_start_write(mpnt), which waits for the VMA's readers
//     and makes lock_vma_under_rcu() fail on it until the end; tmp = vm_area_dup(mpnt);
//     dup_userfaultfd(tmp): without UFFD_FEATURE_EVENT_FORK the child's copy loses its
//     uffd context; then copy_page_range(tmp, mpnt), which does nothing unless
//     vma_needs_copy() (vma->anon_vma is set, even if its pages were all zapped; a VMA
//     without one is refilled by faults), and for a COW mapping runs
//     mmu_notifier_invalidate_range_start(MMU_NOTIFY_PROTECTION_PAGE) on the parent,
//     write-protects the parent's writable entries (copy_present_pte ->
//     ptep_set_wrprotect), leaves every anonymous page shared with the child (a write
//     copies it: Pte "cow") and ends the invalidation;
//   - mmap_write_unlock(mm); mmap_write_unlock(oldmm): every VMA write lock ends.
// The child mm is a minimal object in the world (World.childMms: the VMAs copied).
// UFFD_EVENT_FORK and mmap_changing are not modelled (no scenario enables the feature).

import { type Actor, actor } from "../actor.js";
import { mmapWriteLock, mmapWriteUnlock } from "../kernel/mmap-lock.js";
import { invalidateCallback, invalidateRangeStart, userLock } from "../kernel/notifier.js";
import { vmaStartWrite, wrprotectRangeEnd } from "../kernel/vma-layout.js";
import type { Ctx } from "../step.js";
import { op } from "../step.js";

const _target = (k: Ctx) => k.num("target");

const begin = op({
  name: "fork(): dup_mm() -> dup_mmap(mm, oldmm)",
  outcomes: ["ok"],
  enabled: (w) => w.vmas.some((v) => v.state === "live"),
  run: (k) => {
    // the child mm exists (allocate_mm, mm_init) before dup_mmap() takes any lock
    k.set("child", k.w.childMms.length);
    k.w.childMms.push({ vmas: [] });
    k.set("cursor", 0);
    return "ok";
  },
});

/** The next VMA of the parent in address order, from `cursor` on. */
const dup = op({
  name: "for_each_vma: vma_start_write(mpnt); tmp = vm_area_dup(mpnt); dup_userfaultfd(tmp)",
  outcomes: ["ok", "cow", "done"],
  run: (k) => {
    const cursor = k.num("cursor");
    let v: (typeof k.w.vmas)[number] | null = null;
    for (const x of k.w.vmas)
      if (x.state === "live" && x.start >= cursor && (v === null || x.start < v.start)) v = x;
    if (v === null) return "done";
    if (!vmaStartWrite(k, v.id)) return "ok";
    const child = k.num("child");
    const mm = k.w.childMms[child];
    if (!mm) throw new Error(`fork: no child mm #${child}`);
    // child records are replaced, never mutated (model/parts.ts childMms)
    k.w.childMms[child] = {
      vmas: [...mm.vmas, { start: v.start, end: v.end, flags: { ...v.flags, uffdMissing: false } }],
    };
    k.emit({
      k: "vma-change",
      tid: k.tid,
      vma: v.id,
      text: `copies vma#${v.id} [${v.start},${v.end}) into the child mm`,
    });
    k.set("cursor", v.end);
    k.set("target", v.id);
    // vma_needs_copy(): src_vma->anon_vma; is_cow_mapping(): a private VMA
    return !v.flags.shared && v.anonVma ? "cow" : "ok";
  },
});

const cowStart = invalidateRangeStart("copy_page_range()");

const cowEnd = wrprotectRangeEnd(
  "copy_pte_range(): ptep_set_wrprotect() on the parent; mmu_notifier_invalidate_range_end()",
  "target",
  true,
);

export function forkActor(): Actor {
  return actor({
    id: "fork",
    lane: "K",
    disruptive: true,
    title: "fork(2): dup_mmap() under the parent's mmap write lock, each parent VMA write-locked",
    start: "idle",
    steps: {
      idle: { op: begin, next: "wlock" },
      wlock: { op: mmapWriteLock(), next: "dup" },
      dup: { op: dup, on: { cow: "cow_start", ok: "dup", done: "unlock" } },
      cow_start: { op: cowStart, next: "cow_lock" },
      cow_lock: { op: userLock(), next: "cow_cb" },
      cow_cb: { op: invalidateCallback(), next: "cow_end" },
      cow_end: { op: cowEnd, next: "dup" },
      unlock: { op: mmapWriteUnlock(), next: "idle" },
    },
  });
}
