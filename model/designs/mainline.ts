// mainline: today's hmm_range_fault() (mm/hmm.c before the seed) and the documented
// caller. The fault runs inside the walk callbacks with FAULT_FLAG_REMOTE only: no
// ALLOW_RETRY, so handle_mm_fault() never drops the mmap lock, and a userfaultfd
// range gets SIGBUS from handle_userfault() -> -EFAULT (seed 000's motivation).
import { EBUSY, EFAULT } from "../errno.js";
import { handleMmFault } from "../kernel/fault.js";
import { hmmCall, hmmFaultFlags, hmmFaultNext, hmmReturn } from "../kernel/hmm.js";
import { hugetlbVmaLockRead, hugetlbVmaUnlockRead } from "../kernel/hugetlb.js";
import { mmuIntervalCheckRetry } from "../kernel/notifier.js";
import { retIs, set, test } from "../locals.js";
import type { Design, Steps } from "../step.js";
import { documentedCaller } from "./callers.js";
import { hmmWalk } from "./hmm-walk.js";

const API = "hmm_range_fault";

/** hmm_range_fault(): do { if (check_retry) return -EBUSY; walk } while (ret == -EBUSY) */
export function hmmRangeFault(): Steps {
  return {
    hmm: { op: hmmCall(API), next: "hmm.top" },
    "hmm.top": { op: mmuIntervalCheckRetry("seq"), on: { busy: "hmm.ebusy", ok: "walk" } },
    "hmm.ebusy": { op: set({ ret: EBUSY }), next: "hmm.ret" },
    "walk.ret": {
      op: test("ret == -EBUSY", retIs(EBUSY)),
      on: { yes: "hmm.top", no: "hmm.ret" },
    },
    "hmm.ret": { op: hmmReturn(API, "held"), next: "hmm.return" },
  };
}

/** hmm_vma_fault(): for each page, handle_mm_fault(REMOTE[|WRITE]); error -> -EFAULT; else -EBUSY. */
export function hmmVmaFaultInCallbacks(): Steps {
  const flags = hmmFaultFlags();
  return {
    "pte.fault": {
      op: handleMmFault("walk_vma", "fault_addr", flags),
      on: {
        ok: "pte.fault_next",
        error: "pte.efault",
        retry: "pte.efault",
        completed: "pte.efault",
      },
    },
    "pte.fault_next": { op: hmmFaultNext(), on: { more: "pte.fault", done: "pte.ebusy" } },
    "pte.ebusy": { op: set({ ret: EBUSY }), next: "walk.ret" },
    "pte.efault": { op: set({ ret: EFAULT }), next: "walk.ret" },
    // hmm_vma_walk_hugetlb_entry: spin_unlock(ptl); hugetlb_vma_unlock_read(vma);
    // hmm_vma_fault(); hugetlb_vma_lock_read(vma); return
    "hugetlb.fault": { op: hugetlbVmaUnlockRead("walk_vma"), next: "hugetlb.fault_one" },
    "hugetlb.fault_one": {
      op: handleMmFault("walk_vma", "fault_addr", flags),
      on: {
        ok: "hugetlb.fault_next",
        error: "hugetlb.efault",
        retry: "hugetlb.efault",
        completed: "hugetlb.efault",
      },
    },
    "hugetlb.fault_next": {
      op: hmmFaultNext(),
      on: { more: "hugetlb.fault_one", done: "hugetlb.ebusy" },
    },
    "hugetlb.ebusy": { op: set({ ret: EBUSY }), next: "hugetlb.relock" },
    "hugetlb.efault": { op: set({ ret: EFAULT }), next: "hugetlb.relock" },
    "hugetlb.relock": { op: hugetlbVmaLockRead("walk_vma"), next: "hugetlb.unlock_ret" },
  };
}

export const mainline: Design = {
  id: "mainline",
  title: "hmm_range_fault() today, with the documented caller",
  summary:
    "The fault runs inside the page-walk callbacks without FAULT_FLAG_ALLOW_RETRY, so the mmap lock is never dropped; a userfaultfd-registered range gets SIGBUS and the call fails with -EFAULT. The caller restarts on -EBUSY and checks mmu_interval_read_retry() under its lock before using the pfns.",
  source: "mm/hmm.c before the seed series; Documentation/mm/hmm.rst",
  family: "hmm",
  start: "again",
  steps: {
    ...documentedCaller(),
    ...hmmRangeFault(),
    ...hmmWalk(),
    ...hmmVmaFaultInCallbacks(),
  },
};
