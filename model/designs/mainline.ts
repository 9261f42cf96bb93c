// mainline: today's hmm_range_fault() (mm/hmm.c before the seed) and the documented
// caller. The fault runs inside the walk callbacks with FAULT_FLAG_REMOTE only: no
// ALLOW_RETRY, so handle_mm_fault() never drops the mmap lock, and a userfaultfd
// range gets SIGBUS from handle_userfault() -> -EFAULT (seed 000's motivation).
// Read: mm/hmm.c (hmm_range_fault, hmm_vma_fault) at gregkh/linux 5c40cd7db64a, v6.16.2;
// the caller from Documentation/mm/hmm.rst at torvalds/linux 9c66f50477e2 (pre-v6.15).
import { EBUSY } from "../errno.js";
import { hmmCall, hmmReturn } from "../kernel/hmm.js";
import { mmuIntervalCheckRetry } from "../kernel/notifier.js";
import { retIs, set, test } from "../locals.js";
import type { Design, Steps, Unreachable } from "../step.js";
import { compose } from "../step.js";
import { documentedCaller } from "./callers.js";
import { hmmWalk } from "./hmm-walk.js";
import {
  forbiddenWithoutAllowRetry,
  HUGETLB_ONE_PAGE_PER_CALLBACK,
  unreachable,
  walkNeverReaches,
} from "./unreachable.js";
import { faultInCallbacks } from "./v1.js";

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

/** hmm_vma_fault() as today: REMOTE[|WRITE] only, hugetlb lock dropped and re-taken around it. */
export function hmmVmaFaultInCallbacks(): Steps {
  return faultInCallbacks(false, "drop-retake");
}

export const mainline: Design = {
  id: "mainline",
  title: "hmm_range_fault() today, with the documented caller",
  summary:
    "The fault runs inside the page-walk callbacks without FAULT_FLAG_ALLOW_RETRY, so the mmap lock is never dropped; a userfaultfd-registered range gets SIGBUS and the call fails with -EFAULT. The caller restarts on -EBUSY and checks mmu_interval_read_retry() under its lock before using the pfns.",
  source: "mm/hmm.c before the seed series; Documentation/mm/hmm.rst",
  family: "hmm",
  start: "again",
  steps: compose(documentedCaller(), hmmRangeFault(), hmmWalk(), hmmVmaFaultInCallbacks()),
  unreachable: mainlineUnreachable(),
};

/** The edges of mainline (and of its mutants) that no scenario reaches, and why. */
export function mainlineUnreachable(): Unreachable[] {
  const firstVma =
    "mainline never gets past the first VMA of a range with several (two-vmas, and the split, mremap and fork scenarios once the layout changed): in each the first VMA's pages are registered for userfaultfd and missing, and the fault on them fails without FAULT_FLAG_ALLOW_RETRY (handle_userfault() returns VM_FAULT_SIGBUS, the call -EFAULT)";
  return [
    ...walkNeverReaches({
      pteSecond:
        "mainline fails with -EFAULT at the first missing userfaultfd page (no FAULT_FLAG_ALLOW_RETRY: handle_userfault() returns VM_FAULT_SIGBUS), and every scenario with a PTE-mapped VMA after another has such pages in the first",
    }),
    ...unreachable("walk.next", ["hugetlb", "hole"], firstVma),
    ...forbiddenWithoutAllowRetry("pte.fault"),
    ...forbiddenWithoutAllowRetry("hugetlb.fault_one"),
    ...forbiddenWithoutAllowRetry("hugetlb.hole"),
    ...unreachable("hugetlb.fault_next", ["more"], HUGETLB_ONE_PAGE_PER_CALLBACK),
  ];
}
