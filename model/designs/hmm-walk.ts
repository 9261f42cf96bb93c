// walk_page_range() with hmm_walk_ops, as steps every HMM design shares. Entry label
// "walk". A design supplies the fault callbacks:
//   "pte.fault"     entered with fault_addr/fault_end set, the PTE map released;
//                   ends at "walk.ret" with ret set (the walk returns ret);
//   "hugetlb.fault" entered inside walk_hugetlb_range, hugetlb_vma_lock_read(walk_vma)
//                   held; ends at "hugetlb.unlock_ret", where the *walker* calls
//                   hugetlb_vma_unlock_read(walk_vma) on the same pointer and returns ret.
//   "hugetlb.hole"  the same, where hugetlb_walk() found no PMD table: walk_hugetlb_range()
//                   calls pte_hole, hmm_vma_walk_hole(), whose hmm_vma_fault() runs with
//                   hugetlb_vma_lock_read held (mm/pagewalk.c, mm/hmm.c, v7.0); ends at
//                   "hugetlb.unlock_ret" too. recordFaultInCallbacks(), faultInCallbacks()
//                   and the other fault fragments define it beside "hugetlb.fault".
// and "walk.ret", where the walk's return value lands in hmm_range_fault's loop.
// Read: mm/hmm.c (hmm_vma_walk_pmd/_hole/_hugetlb_entry, hmm_vma_handle_pte,
// hmm_pte_need_fault) at gregkh/linux 5c40cd7db64a, v6.16.2.
import { EFAULT, EPERM } from "../errno.js";
import { hmmWalkEntry, hmmWalkHole } from "../kernel/hmm.js";
import { hugetlbVmaLockRead, hugetlbVmaUnlockRead } from "../kernel/hugetlb.js";
import { walkNextVma, walkPageRange } from "../kernel/pagewalk.js";
import { set } from "../locals.js";
import type { Steps } from "../step.js";

/**
 * The labels hmmWalk() jumps to and the design defines, with what the walk expects
 * there: what a design file's error names when one is missing.
 */
export const WALK_CALLBACKS: Readonly<Record<string, string>> = {
  "pte.fault":
    'a PTE needs a fault: fault_addr and fault_end set, the PTE map released; end at "walk.ret" with ret set',
  "hugetlb.fault":
    'a huge page needs a fault, inside walk_hugetlb_range() with hugetlb_vma_lock_read held; end at "hugetlb.unlock_ret" with ret set',
  "hugetlb.hole":
    'hugetlb_walk() found no PMD table and the walk called pte_hole (hmm_vma_walk_hole), hugetlb_vma_lock_read held; end at "hugetlb.unlock_ret" with ret set',
  "walk.ret": "the walk returned ret to hmm_range_fault()'s loop",
};

const dispatch = {
  hugetlb: "hugetlb.lock",
  pte: "pte.entry",
  hole: "walk.hole",
  done: "walk.done",
} as const;

/**
 * For a range that asks for no fault (.default_flags = 0): a hole is filled and the walk
 * goes on (hmmWalkHole()); compose it after hmmWalk() with override().
 */
export function hmmWalkHoleNoFault(): Steps {
  return {
    "walk.hole": { op: hmmWalkHole(), on: { ...dispatch, efault: "walk.hole.efault" } },
    "walk.hole.efault": { op: set({ ret: EFAULT }), next: "walk.ret" },
  };
}

export function hmmWalk(): Steps {
  return {
    walk: { op: walkPageRange(), on: dispatch },
    "walk.next": { op: walkNextVma(), on: dispatch },
    // hmm_vma_walk_hole: a fault is required in a hole -> -EFAULT
    "walk.hole": { op: set({ ret: EFAULT }), next: "walk.ret" },
    "walk.done": { op: set({ ret: 0 }), next: "walk.ret" },
    "walk.eperm": { op: set({ ret: EPERM }), next: "walk.ret" },
    // hmm_vma_walk_pmd -> hmm_vma_handle_pte, page by page
    "pte.entry": {
      op: hmmWalkEntry("pte"),
      on: { next: "pte.entry", end: "walk.next", fault: "pte.fault", eperm: "walk.eperm" },
    },
    // walk_hugetlb_range: lock, callback per huge page, unlock through the same pointer
    "hugetlb.lock": { op: hugetlbVmaLockRead("walk_vma"), next: "hugetlb.entry" },
    "hugetlb.entry": {
      op: hmmWalkEntry("hugetlb"),
      on: {
        next: "hugetlb.entry",
        end: "hugetlb.unlock",
        fault: "hugetlb.fault",
        hole: "hugetlb.hole",
        eperm: "hugetlb.eperm",
      },
    },
    "hugetlb.eperm": { op: set({ ret: EPERM }), next: "hugetlb.unlock_ret" },
    "hugetlb.unlock": { op: hugetlbVmaUnlockRead("walk_vma"), next: "walk.next" },
    "hugetlb.unlock_ret": { op: hugetlbVmaUnlockRead("walk_vma"), next: "walk.ret" },
  };
}
