// S7: the hugetlb VMA lock never spans a drop of the mmap lock. Three forms: no
// hugetlb_vma_lock held by a thread that holds neither the mmap lock nor that VMA's
// per-VMA read lock (UFFDIO_COPY's mfill_atomic_hugetlb() takes it under the VMA lock
// alone, from uffd_mfill_lock(): mm/userfaultfd.c, v7.0); no droppable fault entered
// with a hugetlb_vma_lock held; no hugetlb_vma_(un)lock through a VMA pointer obtained
// before a drop.
import { hugetlbLocksHeld } from "../model/kernel/hugetlb.js";
import { hasHugetlb } from "../model/scenarios.js";
import type { Property } from "./property.js";
import { who } from "./property.js";

export const noHugetlbLockAcrossDrop: Property = {
  id: "no-hugetlb-lock-across-drop",
  ref: "S7",
  statement:
    "no hugetlb_vma_lock is held while the mmap lock is dropped (unless the VMA itself is read-locked), and none is taken or released through a VMA pointer obtained before a drop",
  kind: "safety",
  applies: (s) => hasHugetlb(s),
  monitor: () => ({
    step: ({ after, rec }) => {
      const t = after.threads[rec.tid];
      if (t?.role !== "driver") return null;
      for (const e of rec.events) {
        if (e.k === "vma-use" && !e.protected && e.what.startsWith("hugetlb_vma_")) {
          const drop = after.ghost.lastDrop[e.tid];
          return `${who(after, e.tid)} called ${e.what} on vma#${e.ref.vma} through a pointer looked up at step ${e.ref.at}${
            drop ? `, before ${drop.what} dropped the mmap lock at step ${drop.at}` : ""
          }.`;
        }
        if (e.k === "fault" && e.hugetlbHeld.length > 0 && e.flags.includes("ALLOW_RETRY"))
          return `${who(after, e.tid)} entered handle_mm_fault(${e.flags.join("|")}), which may drop the mmap lock and sleep, while holding hugetlb_vma_lock of vma#${e.hugetlbHeld.join(", vma#")}.`;
      }
      const mmap = after.mmapLock.readers.includes(rec.tid) || after.mmapLock.writer === rec.tid;
      // a VMA this thread holds read-locked cannot go away under it either
      const held = hugetlbLocksHeld(after, rec.tid).filter(
        (v) => !after.vmas[v]?.readers.includes(rec.tid),
      );
      if (held.length > 0 && !mmap) {
        const drop = after.ghost.lastDrop[rec.tid];
        return `${who(after, rec.tid)} holds hugetlb_vma_lock of vma#${held.join(", vma#")} without the mmap lock${
          drop ? ` (dropped by ${drop.what} at step ${drop.at})` : ""
        }.`;
      }
      return null;
    },
  }),
};
