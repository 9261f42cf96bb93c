// v1-hugetlb-drop: hmm_range_fault_unlockable(range, &locked) with the fault still run
// inside the walk callbacks, now with FAULT_FLAG_ALLOW_RETRY | KILLABLE. In the hugetlb
// callback it keeps the drop/retake dance around the fault:
//   hugetlb_vma_unlock_read(vma); handle_mm_fault(); hugetlb_vma_lock_read(vma);
// and walk_hugetlb_range() then calls hugetlb_vma_unlock_read(vma) on the same
// pointer. When the fault dropped the mmap lock, both calls go through a VMA that
// munmap may have freed together with its hugetlb_vma_lock: the use-after-free that
// made v1 refuse hugetlb faults (seed 000, first paragraph; kernel-semantics 7.3).
import { EBUSY, EFAULT, HMM_FAULT_UNLOCKED } from "../errno.js";
import { handleMmFault } from "../kernel/fault.js";
import { hmmCall, hmmFaultFlags, hmmFaultNext, hmmReturn } from "../kernel/hmm.js";
import { hugetlbVmaLockRead, hugetlbVmaUnlockRead } from "../kernel/hugetlb.js";
import { mmuIntervalCheckRetry } from "../kernel/notifier.js";
import { retIs, set, test } from "../locals.js";
import type { Design, Steps } from "../step.js";
import { mshvCaller } from "./callers.js";
import { hmmWalk } from "./hmm-walk.js";

export const UNLOCKABLE = "hmm_range_fault_unlockable";

/**
 * hmm_range_fault_unlockable() of v1: the hmm_range_fault() loop, except that a walk
 * ending in HMM_FAULT_UNLOCKED returns 0 with *locked = 0.
 */
export function hmmRangeFaultUnlockableV1(): Steps {
  return {
    hmm: { op: hmmCall(UNLOCKABLE), next: "hmm.top" },
    "hmm.top": { op: mmuIntervalCheckRetry("seq"), on: { busy: "hmm.ebusy", ok: "walk" } },
    "hmm.ebusy": { op: set({ ret: EBUSY }), next: "hmm.ret" },
    "walk.ret": {
      op: test("ret == -EBUSY", retIs(EBUSY)),
      on: { yes: "hmm.top", no: "walk.ret_unlocked" },
    },
    "walk.ret_unlocked": {
      op: test("ret == HMM_FAULT_UNLOCKED", retIs(HMM_FAULT_UNLOCKED)),
      on: { yes: "hmm.unlocked", no: "hmm.ret" },
    },
    "hmm.unlocked": { op: set({ ret: 0 }), next: "hmm.ret" },
    "hmm.ret": { op: hmmReturn(UNLOCKABLE, true), next: "hmm.return" },
  };
}

/** hmm_vma_fault() with ALLOW_RETRY: RETRY/COMPLETED -> *locked = 0, HMM_FAULT_UNLOCKED. */
export function droppableFaultInCallbacks(hugetlb: "drop-retake" | "hold"): Steps {
  const flags = hmmFaultFlags("ALLOW_RETRY", "KILLABLE");
  const dropped = { locked: 0, ret: HMM_FAULT_UNLOCKED };
  const hugetlbSteps: Steps =
    hugetlb === "drop-retake"
      ? {
          "hugetlb.fault": { op: hugetlbVmaUnlockRead("walk_vma"), next: "hugetlb.fault_one" },
          "hugetlb.relock": { op: hugetlbVmaLockRead("walk_vma"), next: "hugetlb.unlock_ret" },
        }
      : {
          "hugetlb.fault": {
            op: set({}, "keep hugetlb_vma_lock_read held"),
            next: "hugetlb.fault_one",
          },
          "hugetlb.relock": { op: set({}, "(lock still held)"), next: "hugetlb.unlock_ret" },
        };
  return {
    "pte.fault": {
      op: handleMmFault("walk_vma", "fault_addr", flags),
      on: {
        ok: "pte.fault_next",
        error: "pte.efault",
        retry: "pte.dropped",
        completed: "pte.dropped",
      },
    },
    "pte.fault_next": { op: hmmFaultNext(), on: { more: "pte.fault", done: "pte.ebusy" } },
    "pte.ebusy": { op: set({ ret: EBUSY }), next: "walk.ret" },
    "pte.efault": { op: set({ ret: EFAULT }), next: "walk.ret" },
    "pte.dropped": { op: set(dropped), next: "walk.ret" },
    ...hugetlbSteps,
    "hugetlb.fault_one": {
      op: handleMmFault("walk_vma", "fault_addr", flags),
      on: {
        ok: "hugetlb.fault_next",
        error: "hugetlb.efault",
        retry: "hugetlb.dropped",
        completed: "hugetlb.dropped",
      },
    },
    "hugetlb.fault_next": {
      op: hmmFaultNext(),
      on: { more: "hugetlb.fault_one", done: "hugetlb.ebusy" },
    },
    "hugetlb.ebusy": { op: set({ ret: EBUSY }), next: "hugetlb.relock" },
    "hugetlb.efault": { op: set({ ret: EFAULT }), next: "hugetlb.relock" },
    "hugetlb.dropped": { op: set(dropped), next: "hugetlb.relock" },
  };
}

export const v1HugetlbDrop: Design = {
  id: "v1-hugetlb-drop",
  title: "unlockable API, hugetlb fault inside walk_hugetlb_range with the lock drop/retake",
  summary:
    "hmm_range_fault_unlockable() faults inside the walk callbacks with ALLOW_RETRY. The hugetlb callback drops hugetlb_vma_lock_read around the fault and re-takes it afterwards through the same VMA pointer, and walk_hugetlb_range() unlocks through it again. When the fault dropped the mmap lock, munmap can free the VMA and its lock in between. The caller is mshv's restart loop.",
  source: "seed 000 (first paragraph) and seed 001's hugetlb path",
  family: "hmm",
  start: "again",
  steps: {
    ...mshvCaller(),
    ...hmmRangeFaultUnlockableV1(),
    ...hmmWalk(),
    ...droppableFaultInCallbacks("drop-retake"),
  },
};
