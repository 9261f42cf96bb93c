// drm_gpusvm_scan_mm() (drivers/gpu/drm/drm_gpusvm.c): "Check the migration state of a
// drm_gpusvm_range". It asks HMM for the range without faulting (.default_flags = 0),
// then, under the GPU SVM notifier lock, classifies each pfn. Read in v7.0 and in "[PATCH
// v8 8/8] drm/gpusvm: Use hmm_range_fault_unlocked_timeout() for range faults" (Jul 10
// 2026) with "[PATCH v2 4/4] fixup! drm/gpusvm: ..." (Jul 14 2026).
//
// v7.0:
//
//   retry:
//           hmm_range.notifier_seq = mmu_interval_read_begin(notifier);
//           mmap_read_lock(range->gpusvm->mm);
//           while (true) {
//                   err = hmm_range_fault(&hmm_range);
//                   if (err == -EBUSY) {
//                           if (time_after(jiffies, timeout))
//                                   break;
//                           hmm_range.notifier_seq = mmu_interval_read_begin(notifier);
//                           continue;
//                   }
//                   break;
//           }
//           mmap_read_unlock(range->gpusvm->mm);
//           if (err)
//                   goto err_free;
//           drm_gpusvm_notifier_lock(range->gpusvm);
//           if (mmu_interval_read_retry(notifier, hmm_range.notifier_seq)) {
//                   drm_gpusvm_notifier_unlock(range->gpusvm);
//                   goto retry;
//           }
//           for (i = 0; i < npages;) { ... classify pfns[i] ... }
//   err_free:
//           drm_gpusvm_notifier_unlock(range->gpusvm);
//           kvfree(pfns);
//           return state;
//
// drm_gpusvm_notifier_lock()/_unlock() are down_read()/up_read() of
// gpusvm->notifier_lock (include/drm/drm_gpusvm.h), which the notifier's invalidate()
// takes for write; the model's driver lock is user_lock. On an error from HMM the code
// jumps to err_free, which drops a lock the thread never took. v8 replaces the loop by
// `err = hmm_range_fault_unlocked_timeout(&hmm_range, timeout)` with a relative budget and
// keeps the `goto err_free`, and the helper adds -EINTR (a fatal signal) to the errors
// that reach it.
import { EBUSY } from "../errno.js";
import { hmmCallWithTimeout } from "../kernel/hmm.js";
import { mmapReadLock, mmapReadUnlock } from "../kernel/mmap-lock.js";
import {
  mmuIntervalReadBegin,
  mmuIntervalReadRetry,
  userLock,
  userUnlock,
} from "../kernel/notifier.js";
import { armDeadline, timeAfter } from "../kernel/time.js";
import { exit, retIs, set, test } from "../locals.js";
import type { Design, Steps, Unreachable } from "../step.js";
import { compose, override } from "../step.js";
import { hmmWalk, hmmWalkHoleNoFault } from "./hmm-walk.js";
import { hmmRangeFault, hmmVmaFaultInCallbacks } from "./mainline.js";
import { unreachable, WALK_STARTS_BELOW_END } from "./unreachable.js";
import {
  defaultBudgetNeverZero,
  hmmRangeFaultLockedV8NeverReaches,
  hmmRangeFaultUnlockedTimeout,
  UNLOCKED_TIMEOUT,
} from "./v8-timeout.js";

const NO_FAULT =
  "drm_gpusvm_scan_mm() asks for no fault (.default_flags = 0, no per-pfn request), so hmm_pte_need_fault() never requires one: the walk reports what is mapped and never faults, records a fault or refuses a write (mm/hmm.c, v7.0)";
const ONE_HOLE =
  "hmm_vma_walk_hole() fills a hole up to the next VMA and the walk enters that VMA, so no hole follows a hole";
const NO_FAULT_NO_BUSY = `the walk of hmm_range_fault() returns -EBUSY only where a fault is required (after hmm_vma_fault(), or a migration entry it waited for), and ${NO_FAULT}`;

/** The walk's and the fault path's edges a range without a fault request never takes. */
function noFaultNeverReaches(faultLabels: readonly [string, readonly string[]][]): Unreachable[] {
  return [
    ...unreachable(
      "walk.hole",
      ["efault", "hole"],
      `${ONE_HOLE}; -EFAULT only when a fault is required in the hole: ${NO_FAULT}`,
    ),
    ...unreachable("walk.hole.efault", ["ok"], NO_FAULT),
    ...unreachable("walk.eperm", ["ok"], NO_FAULT),
    ...unreachable("pte.entry", ["fault", "eperm"], NO_FAULT),
    ...unreachable("hugetlb.entry", ["fault", "eperm", "hole"], NO_FAULT),
    ...unreachable("hugetlb.eperm", ["ok"], NO_FAULT),
    ...unreachable("hugetlb.unlock_ret", ["ok"], NO_FAULT),
    ...faultLabels.flatMap(([label, outcomes]) => unreachable(label, outcomes, NO_FAULT)),
  ];
}

const LOCK = "drm_gpusvm_notifier_lock(range->gpusvm)";
const UNLOCK = "drm_gpusvm_notifier_unlock(range->gpusvm)";
/** drm_gpusvm_notifier_lock()/_unlock() as drm_gpusvm_get_pages() calls them */
export const GPUSVM_LOCK = "drm_gpusvm_notifier_lock(gpusvm)";
export const GPUSVM_UNLOCK = "drm_gpusvm_notifier_unlock(gpusvm)";

/**
 * What both versions do once HMM returned (at `at`): `if (err) goto err_free;`, the
 * notifier lock, read_retry, the classification of the pfns, and err_free.
 */
function scanTail(at: string): Steps {
  return {
    [at]: { op: test("err", (k) => k.num("ret") !== 0), on: { yes: "err_free", no: "lock" } },
    lock: { op: userLock(LOCK), next: "read_retry" },
    read_retry: { op: mmuIntervalReadRetry("seq"), on: { retry: "retry_unlock", ok: "scan" } },
    retry_unlock: { op: userUnlock(UNLOCK, "read"), next: "retry" },
    scan: {
      op: set({}, "for (i = 0; i < npages;) state from pfns[i] (HMM_PFN_VALID, page_pgmap())"),
      next: "err_free",
    },
    err_free: { op: userUnlock(UNLOCK, "read"), next: "out" },
    out: { op: set({ ret: 0 }, "kvfree(pfns); return state"), next: "exit" },
    exit: { op: exit() },
  };
}

export const gpusvmScan: Design = {
  id: "gpusvm-scan",
  title: "drm_gpusvm_scan_mm() in v7.0: hmm_range_fault() without faulting, then the notifier lock",
  summary:
    "drm_gpusvm_scan_mm() calls hmm_range_fault() with .default_flags = 0 under the mmap read lock, retrying -EBUSY until an absolute deadline, then classifies the pfns under drm_gpusvm_notifier_lock(); an error from HMM jumps to err_free, which calls drm_gpusvm_notifier_unlock() although the lock was never taken.",
  source: "drivers/gpu/drm/drm_gpusvm.c, v7.0",
  family: "hmm",
  // drm_gpusvm_notifier_invalidate(): `if (!mmu_notifier_range_blockable(mmu_range)) return false;`
  invalidateNonblock: "refuse",
  // xe's GPU page-fault worker: __xe_svm_handle_pagefault() -> xe_svm_alloc_vram() ->
  // drm_gpusvm_scan_mm() (drivers/gpu/drm/xe/xe_svm.c, v7.0), and a VM bind's prefetch
  // from a task (xe_vm.c: xe_svm_alloc_vram()), as for get_pages
  runsFrom: "either",
  start: "init",
  steps: compose(
    {
      init: { op: set({ req: 0 }, "hmm_range.default_flags = 0"), next: "deadline" },
      deadline: {
        op: armDeadline("timeout", 1, {
          label: "msecs_to_jiffies(HMM_RANGE_DEFAULT_TIMEOUT)",
          fn: "drm_gpusvm_scan_mm",
        }),
        next: "retry",
      },
      retry: { op: mmuIntervalReadBegin("seq"), next: "mmap_lock" },
      mmap_lock: { op: mmapReadLock(), next: "hmm" },
      "hmm.return": {
        op: test("err == -EBUSY", retIs(EBUSY)),
        on: { yes: "time_after", no: "mmap_unlock" },
      },
      time_after: { op: timeAfter("timeout"), on: { yes: "mmap_unlock", no: "reseq" } },
      reseq: { op: mmuIntervalReadBegin("seq"), next: "hmm" },
      mmap_unlock: { op: mmapReadUnlock(), next: "if_err" },
    },
    scanTail("if_err"),
    hmmRangeFault(),
    hmmWalk(),
    hmmVmaFaultInCallbacks(),
    override(hmmWalkHoleNoFault()),
  ),
  unreachable: [
    ...unreachable("walk", ["done"], WALK_STARTS_BELOW_END),
    ...unreachable("walk.ret", ["yes"], NO_FAULT_NO_BUSY),
    ...noFaultNeverReaches([
      ["pte.fault", ["ok", "retry", "completed", "error"]],
      ["pte.fault_next", ["more", "done"]],
      ["pte.ebusy", ["ok"]],
      ["pte.efault", ["ok"]],
      ["hugetlb.fault", ["ok"]],
      ["hugetlb.relock", ["ok"]],
      ["hugetlb.fault_one", ["ok", "retry", "completed", "error"]],
      ["hugetlb.fault_next", ["more", "done"]],
      ["hugetlb.ebusy", ["ok"]],
      ["hugetlb.efault", ["ok"]],
      ["hugetlb.hole", ["ok", "retry", "completed", "error"]],
      ["hole.ebusy", ["ok"]],
      ["hole.efault", ["ok"]],
    ]),
  ],
};

export const gpusvmScanV8: Design = {
  id: "gpusvm-scan-v8",
  title:
    "drm_gpusvm_scan_mm() after v8 8/8 and fixup v2 4/4: hmm_range_fault_unlocked_timeout() with a relative budget",
  summary:
    "The v8 series replaces scan_mm's retry loop by hmm_range_fault_unlocked_timeout(&hmm_range, msecs_to_jiffies(HMM_RANGE_DEFAULT_TIMEOUT)) and keeps `if (err) goto err_free`, whose drm_gpusvm_notifier_unlock() drops a lock the thread never took; -EBUSY (the budget spent) and -EINTR (a fatal signal) reach it.",
  source:
    '"[PATCH v8 8/8] drm/gpusvm: Use hmm_range_fault_unlocked_timeout() for range faults" (Jul 10 2026) with "[PATCH v2 4/4] fixup! drm/gpusvm: ..." (Jul 14 2026)',
  family: "hmm",
  invalidateNonblock: "refuse",
  // xe's GPU page-fault worker: __xe_svm_handle_pagefault() -> xe_svm_alloc_vram() ->
  // drm_gpusvm_scan_mm() (drivers/gpu/drm/xe/xe_svm.c, v7.0), and a VM bind's prefetch
  // from a task (xe_vm.c: xe_svm_alloc_vram()), as for get_pages
  runsFrom: "either",
  start: "init",
  steps: compose(
    {
      init: {
        op: set(
          { req: 0, timeout: 1 },
          "hmm_range.default_flags = 0; timeout = msecs_to_jiffies(HMM_RANGE_DEFAULT_TIMEOUT)",
        ),
        next: "retry",
      },
      retry: { op: hmmCallWithTimeout(UNLOCKED_TIMEOUT, "timeout"), next: "unlocked.do" },
    },
    scanTail("unlocked.return"),
    hmmRangeFaultUnlockedTimeout(),
    override(hmmWalkHoleNoFault()),
  ),
  unreachable: [
    ...hmmRangeFaultLockedV8NeverReaches(),
    ...defaultBudgetNeverZero("drm_gpusvm_scan_mm()"),
    ...unreachable("walk.ret", ["yes"], NO_FAULT_NO_BUSY),
    ...unreachable("walk.ret_unlocked", ["yes"], NO_FAULT),
    ...unreachable("walk.ret_sentinel", ["yes"], NO_FAULT),
    ...unreachable("hmm.unlocked", ["yes", "no"], NO_FAULT),
    ...unreachable("hmm.drop_eintr", ["ok"], NO_FAULT),
    ...unreachable("hmm.drop_busy", ["ok"], NO_FAULT),
    ...unreachable(
      "hmm.return",
      ["no"],
      `hmm_range_fault_locked() drops the mmap lock only in a fault, and ${NO_FAULT}`,
    ),
    ...noFaultNeverReaches([
      ["pte.fault", ["ok"]],
      ["hugetlb.fault", ["ok"]],
      ["hugetlb.hole", ["ok"]],
      ["do_fault", ["found"]],
      ["do_fault.perm", ["ok"]],
      ["do_fault.one", ["ok", "retry", "completed", "error"]],
      ["do_fault.next", ["more", "done"]],
      ["do_fault.rewalk", ["ok"]],
      ["do_fault.unlocked", ["ok"]],
      ["do_fault.unlocked_ret", ["ok"]],
      ["do_fault.errno", ["ok"]],
    ]),
  ],
};
