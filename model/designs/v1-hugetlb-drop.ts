// v1-hugetlb-drop: v1 without the hugetlb refusal. The hugetlb callback keeps
// mainline's drop/retake dance around a fault that may now drop the mmap lock:
//   hugetlb_vma_unlock_read(vma); handle_mm_fault(ALLOW_RETRY); hugetlb_vma_lock_read(vma);
// and walk_hugetlb_range() then calls hugetlb_vma_unlock_read(vma) on the same
// pointer. After a drop, munmap may have freed the VMA and its hugetlb_vma_lock in
// between: the use-after-free that made v1 refuse hugetlb.
import type { Design } from "../step.js";
import { droppableFaultNeverReaches, walkNeverReaches } from "./unreachable.js";
import { v1Steps } from "./v1.js";

export const v1HugetlbDrop: Design = {
  id: "v1-hugetlb-drop",
  title: "unlockable API, hugetlb fault inside walk_hugetlb_range with the lock drop/retake",
  summary:
    "hmm_range_fault_unlockable() faults inside the walk callbacks with ALLOW_RETRY. The hugetlb callback drops hugetlb_vma_lock_read around the fault and re-takes it afterwards through the same VMA pointer, and walk_hugetlb_range() unlocks through it again. When the fault dropped the mmap lock, munmap can free the VMA and its lock in between.",
  source: "seed 000 (first paragraph) and seed 001's hugetlb path",
  family: "hmm",
  start: "again",
  steps: v1Steps("drop-retake"),
  unreachable: [...walkNeverReaches(), ...droppableFaultNeverReaches("drop-retake")],
};
