// v1-hugetlb-hold: the tempting alternative to the drop/retake dance: keep
// hugetlb_vma_lock_read held across a fault that may sleep in handle_userfault.
// munmap (after its downgrade) then waits in hugetlb_vma_lock_write for T, a second
// VMA writer queues for the mmap write lock behind munmap's read hold, and by writer
// fairness the monitor's mmap_read_lock waits behind it: T waits for the monitor, the
// monitor for the writer, the writer for munmap, munmap for T.
import type { Design } from "../step.js";
import { droppableFaultNeverReaches, walkNeverReaches } from "./unreachable.js";
import { v1Steps } from "./v1.js";

export const v1HugetlbHold: Design = {
  id: "v1-hugetlb-hold",
  title: "unlockable API, hugetlb_vma_lock_read held across the droppable fault",
  summary:
    "Like v1-hugetlb-drop, but the hugetlb callback keeps hugetlb_vma_lock_read held while handle_mm_fault() may drop the mmap lock and sleep in handle_userfault(). No stale pointer is used; instead munmap's hugetlb_vma_lock_write waits for the sleeping thread.",
  source: "a design alternative to seed 000 v1: keep the hugetlb VMA lock across the fault",
  family: "hmm",
  start: "again",
  steps: v1Steps("hold"),
  unreachable: [...walkNeverReaches(), ...droppableFaultNeverReaches("hold")],
};
