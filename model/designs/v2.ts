// v2 (seed 000, "Changes in v2"): the walk callbacks only record
// the fault (hmm_record_fault -> HMM_FAULT_PENDING) and the walk unwinds normally, so
// walk_hugetlb_range() drops its hugetlb_vma_lock while the mmap lock is still held.
// hmm_do_fault() then runs with only the mmap lock: a fresh vma_lookup(mm, last), the
// VM_WRITE check, handle_mm_fault(ALLOW_RETRY | KILLABLE) per page. A drop sets
// *locked = 0 and returns HMM_FAULT_UNLOCKED, which the outer loop turns into 0; a
// successful fault returns -EBUSY internally so the walk runs again from `last` and
// the faulted pfns land in hmm_pfns. The caller is mshv's loop (seed 002).
import { EBUSY, EFAULT, EPERM, HMM_FAULT_PENDING, HMM_FAULT_UNLOCKED } from "../errno.js";
import { handleMmFault } from "../kernel/fault.js";
import { hmmCheckWrite, hmmFaultFlags, hmmFaultNext } from "../kernel/hmm.js";
import { vmaLookup } from "../kernel/vma.js";
import { retIs, set, test } from "../locals.js";
import type { Design, Steps } from "../step.js";
import { compose } from "../step.js";
import { mshvCaller } from "./callers.js";
import { hmmWalk } from "./hmm-walk.js";
import {
  doFaultNeverReaches,
  MSHV_ONE_VMA,
  MSHV_WRITE_ONLY_IF_VM_WRITE,
  mshvWalkNeverReaches,
  VM_WRITE_CHECKED_UNDER_SAME_HOLD,
  walkNeverReaches,
} from "./unreachable.js";
import { hmmRangeFaultUnlockableV1 } from "./v1.js";

/**
 * Patch 1: callbacks only record the fault; the walk unwinds with HMM_FAULT_PENDING.
 * The cover letter moves handle_mm_fault() out of every walk callback, so the hugetlb
 * hole's (hmm_vma_walk_hole) records the fault too.
 */
export function recordFaultInCallbacks(): Steps {
  return {
    "pte.fault": {
      op: set({ ret: HMM_FAULT_PENDING }, "return hmm_record_fault()"),
      next: "walk.ret",
    },
    "hugetlb.fault": {
      op: set({ ret: HMM_FAULT_PENDING }, "return hmm_record_fault()"),
      next: "hugetlb.unlock_ret",
    },
    // the hole's callback, hmm_vma_walk_hole(), records it the same way (v2 "moves
    // handle_mm_fault() out of the walk callbacks"): the walk unwinds and
    // walk_hugetlb_range() drops its hugetlb_vma_lock before hmm_do_fault() runs
    "hugetlb.hole": {
      op: set({ ret: HMM_FAULT_PENDING }, "return hmm_record_fault()"),
      next: "hugetlb.unlock_ret",
    },
  };
}

/** hmm_do_fault(mm, walk): only the mmap lock held, fresh lookup. */
export function hmmDoFault(): Steps {
  const flags = hmmFaultFlags("ALLOW_RETRY", "KILLABLE");
  return {
    do_fault: {
      op: vmaLookup("last", "fault_vma"),
      on: { found: "do_fault.perm", none: "do_fault.efault" },
    },
    "do_fault.perm": {
      op: hmmCheckWrite("fault_vma"),
      on: { ok: "do_fault.one", eperm: "do_fault.eperm" },
    },
    "do_fault.one": {
      op: handleMmFault("fault_vma", "fault_addr", flags),
      on: {
        ok: "do_fault.next",
        retry: "do_fault.unlocked",
        completed: "do_fault.unlocked",
        error: "do_fault.efault",
      },
    },
    "do_fault.next": { op: hmmFaultNext(), on: { more: "do_fault.one", done: "do_fault.rewalk" } },
    // a successful fault: walk again from last so the new pfns are collected
    "do_fault.rewalk": { op: set({ ret: EBUSY }), next: "walk.ret" },
    "do_fault.unlocked": { op: set({ locked: 0, ret: HMM_FAULT_UNLOCKED }), next: "walk.ret" },
    "do_fault.efault": { op: set({ ret: EFAULT }), next: "walk.ret" },
    "do_fault.eperm": { op: set({ ret: EPERM }), next: "walk.ret" },
  };
}

/** The outer loop of v2: -EBUSY walks again, HMM_FAULT_PENDING faults, UNLOCKED returns 0. */
export function hmmRangeFaultUnlockableV2(api?: string): Steps {
  const v1 = hmmRangeFaultUnlockableV1(api);
  return {
    ...v1,
    "walk.ret_unlocked": {
      op: test("ret == HMM_FAULT_PENDING", retIs(HMM_FAULT_PENDING)),
      on: { yes: "do_fault", no: "walk.ret_sentinel" },
    },
    "walk.ret_sentinel": {
      op: test("ret == HMM_FAULT_UNLOCKED", retIs(HMM_FAULT_UNLOCKED)),
      on: { yes: "hmm.unlocked", no: "hmm.ret" },
    },
  };
}

export const v2: Design = {
  id: "v2",
  title: "v2: fault moved out of the walk (HMM_FAULT_PENDING / HMM_FAULT_UNLOCKED)",
  summary:
    "Walk callbacks only record what needs faulting and unwind, releasing the hugetlb VMA lock through the walker's normal path. hmm_do_fault() looks the VMA up again under the mmap lock and faults with ALLOW_RETRY | KILLABLE; if the lock was dropped it sets *locked = 0 and the API returns 0. After a successful fault the walk runs again from `last`. The caller is mshv's restart loop.",
  source: "seed 000 v2 (patches 1 and 2), caller from seed 002",
  family: "hmm",
  start: "again",
  steps: compose(
    mshvCaller(),
    hmmRangeFaultUnlockableV2(),
    hmmWalk(),
    recordFaultInCallbacks(),
    hmmDoFault(),
  ),
  unreachable: [
    ...walkNeverReaches({ pteSecond: MSHV_ONE_VMA, hugetlbEperm: MSHV_WRITE_ONLY_IF_VM_WRITE }),
    ...mshvWalkNeverReaches({ holes: true }),
    ...doFaultNeverReaches({ sameLock: true, permChecked: VM_WRITE_CHECKED_UNDER_SAME_HOLD }),
  ],
};
