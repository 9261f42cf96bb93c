// The callers the v8 series converts to hmm_range_fault_unlocked_timeout()
// (model/designs/v8-timeout.ts), each as its patch leaves it, with the Jul 14 2026
// fixups where they touch it. What differs is the timeout each passes and the loop
// around the call; the driver lock that invalidate() takes prints as user_lock.
import { EBUSY } from "../errno.js";
import { HMM_PFN_REQ_FAULT, HMM_PFN_REQ_WRITE, hmmCallWithTimeout } from "../kernel/hmm.js";
import { condResched } from "../kernel/sched.js";
import { armDeadline, jiffiesUntil, timeAfter, timeAfterEq } from "../kernel/time.js";
import { exit, set, test } from "../locals.js";
import type { Design, Unreachable } from "../step.js";
import { compose, override } from "../step.js";
import { consumeUnderUserLock } from "./callers.js";
import { unreachable } from "./unreachable.js";
import {
  defaultBudgetNeverZero,
  hmmRangeFaultLockedV8NeverReaches,
  hmmRangeFaultUnlockedTimeout,
  UNLOCKED_TIMEOUT,
} from "./v8-timeout.js";

const MSHV_TIMEOUT_ZERO =
  "mshv_region_range_fault() passes timeout 0 (retry for ever), so hmm_range_fault_unlocked_timeout()'s `if (timeout)` is never taken";
const MSHV_NO_DEADLINE = `only inside hmm_range_fault_unlocked_timeout()'s \`if (timeout)\`, and ${MSHV_TIMEOUT_ZERO}`;

// "[PATCH v8 4/8] mshv: Use hmm_range_fault_unlocked_timeout() for region faults"
// (Jul 10 2026), mshv_region_range_fault(); the patch leaves v7.0's range initialiser,
// which asks for writable pages whatever the VMA (drivers/hv/mshv_regions.c, v7.0):
//
//   struct hmm_range range = {
//           .notifier = &region->mreg_mni,
//           .default_flags = HMM_PFN_REQ_FAULT | HMM_PFN_REQ_WRITE,
//   };
//   ...
//   again:
//           ret = hmm_range_fault_unlocked_timeout(&range, 0);
//           if (ret)
//                   goto out;
//           mutex_lock(&region->mreg_mutex);
//           if (mmu_interval_read_retry(range.notifier, range.notifier_seq)) {
//                   mutex_unlock(&region->mreg_mutex);
//                   cond_resched();
//                   goto again;
//           }
//           ... region->mreg_pages[] from the pfns ...
export const mshvV8: Design = {
  id: "mshv-v8",
  title: "mshv v8: timeout 0, cond_resched() and goto again on a read_retry collision",
  summary:
    "mshv_region_range_fault() calls hmm_range_fault_unlocked_timeout(&range, 0), retrying for ever inside the helper, then takes mreg_mutex; when mmu_interval_read_retry() collides it unlocks, calls cond_resched() and goes round again. The helper checks fatal_signal_pending() on every pass; the outer `goto again` does not.",
  source:
    '"[PATCH v8 4/8] mshv: Use hmm_range_fault_unlocked_timeout() for region faults" (Jul 10 2026)',
  family: "hmm",
  start: "range",
  steps: compose(
    {
      range: {
        op: set(
          { req: HMM_PFN_REQ_FAULT | HMM_PFN_REQ_WRITE },
          "struct hmm_range range = { .default_flags = HMM_PFN_REQ_FAULT | HMM_PFN_REQ_WRITE }",
        ),
        next: "again",
      },
      again: { op: hmmCallWithTimeout(UNLOCKED_TIMEOUT, 0), next: "unlocked.do" },
      "unlocked.return": {
        op: test("ret", (k) => k.num("ret") !== 0),
        on: { yes: "out", no: "take" },
      },
      out: { op: exit() },
      cond_resched: { op: condResched(), next: "again" },
    },
    hmmRangeFaultUnlockedTimeout(),
    consumeUnderUserLock("cond_resched"),
  ),
  unreachable: [
    ...unreachable("unlocked.if_timeout", ["yes"], MSHV_TIMEOUT_ZERO),
    ...unreachable("unlocked.if_unlocked", ["yes", "no"], MSHV_NO_DEADLINE),
    ...unreachable("unlocked.arm", ["ok"], MSHV_NO_DEADLINE),
    ...unreachable("unlocked.time_after", ["yes", "no"], MSHV_NO_DEADLINE),
    ...unreachable("unlocked.ebusy", ["ok"], MSHV_NO_DEADLINE),
    ...hmmRangeFaultLockedV8NeverReaches(),
  ],
};

// "[PATCH v8 5/8] drm/nouveau: Use hmm_range_fault_unlocked_timeout() for SVM faults"
// (Jul 10 2026) with "[PATCH v2 2/4] fixup! drm/nouveau: use
// hmm_range_fault_unlocked_timeout() for SVM faults" (Jul 14 2026), nouveau_range_fault():
//
//   unsigned long timeout = jiffies + msecs_to_jiffies(HMM_RANGE_DEFAULT_TIMEOUT);
//   ...
//   while (true) {
//           long remaining = timeout - jiffies;
//           if (time_after_eq(jiffies, timeout)) {
//                   ret = -EBUSY;
//                   goto out;
//           }
//           ret = hmm_range_fault_unlocked_timeout(&range, remaining);
//           if (ret)
//                   goto out;
//           mutex_lock(&svmm->mutex);
//           if (mmu_interval_read_retry(range.notifier, range.notifier_seq)) {
//                   mutex_unlock(&svmm->mutex);
//                   continue;
//           }
//           break;
//   }
//
// The outer absolute timeout stays "because nouveau faults are handled from a GPU fault
// worker, so userspace fatal signals cannot break an endless stream of invalidations",
// and time_after_eq() makes the remaining timeout passed in "always positive and never
// 0, which would mean retry indefinitely" (the fixup's cover letter). The deadline the
// helper arms after a drop, `jiffies + remaining`, falls on or after `timeout`: the
// remaining budget carries `timeout` with it (model/kernel/time.ts jiffiesUntil), and
// the clock never moves the helper's deadline past the outer one.
export const nouveauV8: Design = {
  id: "nouveau-v8",
  title: "nouveau v8 + fixup v2: an outer absolute deadline, time_after_eq() before each call",
  summary:
    "nouveau_range_fault() arms an absolute deadline once; each turn of its read_retry loop computes remaining = timeout - jiffies, gives up with -EBUSY once time_after_eq(jiffies, timeout), and otherwise passes remaining, always positive, to hmm_range_fault_unlocked_timeout().",
  source:
    '"[PATCH v8 5/8] drm/nouveau: Use hmm_range_fault_unlocked_timeout() for SVM faults" (Jul 10 2026) with "[PATCH v2 2/4] fixup! drm/nouveau: ..." (Jul 14 2026)',
  family: "hmm",
  // "nouveau faults are handled from a GPU fault worker" (the fixup series' cover letter)
  runsFrom: "worker",
  start: "init",
  steps: compose(
    {
      init: {
        op: armDeadline("timeout", 1, {
          label: "msecs_to_jiffies(HMM_RANGE_DEFAULT_TIMEOUT)",
          fn: "nouveau_range_fault",
        }),
        next: "while",
      },
      while: { op: jiffiesUntil("remaining", "timeout"), next: "expired" },
      expired: { op: timeAfterEq("timeout"), on: { yes: "ebusy", no: "call" } },
      ebusy: { op: set({ ret: EBUSY }), next: "out" },
      call: { op: hmmCallWithTimeout(UNLOCKED_TIMEOUT, "remaining"), next: "unlocked.do" },
      "unlocked.return": {
        op: test("ret", (k) => k.num("ret") !== 0),
        on: { yes: "out", no: "take" },
      },
      out: { op: exit() },
    },
    hmmRangeFaultUnlockedTimeout(),
    // mutex_lock(&svmm->mutex); if (read_retry) { unlock; continue; } ... break;
    consumeUnderUserLock("while"),
  ),
  unreachable: [
    ...unreachable(
      "unlocked.if_timeout",
      ["no"],
      "nouveau_range_fault() computes remaining = timeout - jiffies before it tests time_after_eq(jiffies, timeout), and jiffies only grows: once the deadline has fallen (remaining <= 0) the test is true and it returns -EBUSY, so the call gets remaining only while the deadline is ahead, a positive budget, never 0 (the point of fixup 2/4)",
    ),
    ...hmmRangeFaultLockedV8NeverReaches(),
    // nouveau_range_fault()'s one caller is the fault work item, nouveau_svm_fault()
    // (drivers/gpu/drm/nouveau/nouveau_svm.c, v7.0)
    ...noSignalInWorker("nouveau_range_fault()"),
  ],
};

/**
 * The helper's -EINTR edges, which a caller that runs only from a kernel worker never
 * takes: no signal reaches a kworker (kthreadd() ignore_signals() the threads it makes,
 * kernel/kthread.c, v7.0), so fatal_signal_pending() and a killable lock never fail.
 */
function noSignalInWorker(caller: string): Unreachable[] {
  const why = `${caller} runs only from a kernel worker, which takes no signal (kthreadd() ignore_signals() the threads it makes, kernel/kthread.c, v7.0): fatal_signal_pending() is false and mmap_read_lock_killable() never returns -EINTR there`;
  return [
    ...unreachable("unlocked.do", ["yes"], why),
    ...unreachable("unlocked.eintr", ["ok"], why),
    ...unreachable("unlocked.lock", ["eintr"], why),
    ...unreachable("unlocked.lock_err", ["ok"], why),
    ...unreachable("hmm.unlocked", ["yes"], why),
    ...unreachable("hmm.drop_eintr", ["ok"], why),
  ];
}

// The fixup without its time_after_eq() hunk: v8's `if (time_after(jiffies, timeout))`
// kept, and v8's `max(timeout - jiffies, 1L)` gone. On the jiffy the deadline falls on,
// time_after() is false and remaining is 0, which hmm_range_fault_unlocked_timeout()
// takes as "retry for ever".
export const nouveauV8ZeroTimeout: Design = {
  ...nouveauV8,
  id: "nouveau-v8-zero-timeout",
  title: `${nouveauV8.title} (mutant: nouveau-v8-zero-timeout)`,
  summary:
    "nouveau-v8 with time_after() instead of time_after_eq() before the call: on the jiffy the deadline falls on, the remaining budget it passes is 0, which means retry for ever.",
  source:
    'mutant of nouveau-v8 (the hunk of "[PATCH v2 2/4] fixup! drm/nouveau: ..." that replaces time_after() by time_after_eq(), Jul 14 2026, left out)',
  steps: compose(
    nouveauV8.steps,
    override({ expired: { op: timeAfter("timeout"), on: { yes: "ebusy", no: "call" } } }),
  ),
  // the jiffy the deadline falls on passes remaining 0: unlocked.if_timeout/no is reached
  unreachable: [
    ...hmmRangeFaultLockedV8NeverReaches(),
    ...noSignalInWorker("nouveau_range_fault()"),
  ],
};

// "[PATCH v8 6/8] RDMA/umem: Use hmm_range_fault_unlocked_timeout() for ODP faults"
// (Jul 10 2026), ib_umem_odp_map_dma_and_lock():
//
//   timeout = msecs_to_jiffies(HMM_RANGE_DEFAULT_TIMEOUT);
//   retry:
//           ret = hmm_range_fault_unlocked_timeout(&range, timeout);
//           if (unlikely(ret))
//                   goto out_put_mm;
//           ...
//           mutex_lock(&umem_odp->umem_mutex);
//           if (mmu_interval_read_retry(&umem_odp->notifier, range.notifier_seq)) {
//                   mutex_unlock(&umem_odp->umem_mutex);
//                   goto retry;
//           }
//
// A relative budget per call: "ODP keeps using HMM_RANGE_DEFAULT_TIMEOUT for each HMM
// fault attempt, while interval invalidation retries continue to be handled by the
// existing outer loop", which starts each call with a fresh budget.
export const odpV8: Design = {
  id: "odp-v8",
  title:
    "RDMA ODP v8: a relative budget per call, the outer read_retry loop restarting with a fresh one",
  summary:
    "ib_umem_odp_map_dma_and_lock() passes HMM_RANGE_DEFAULT_TIMEOUT as a relative budget to each hmm_range_fault_unlocked_timeout() call and, when mmu_interval_read_retry() collides under umem_mutex, calls it again with a fresh budget.",
  source:
    '"[PATCH v8 6/8] RDMA/umem: Use hmm_range_fault_unlocked_timeout() for ODP faults" (Jul 10 2026)',
  family: "hmm",
  // mlx5's page faults: mlx5_ib_eqe_pf_action(), a work item, -> pagefault_mr() ->
  // pagefault_real_mr() -> ib_umem_odp_map_dma_and_lock() (drivers/infiniband/hw/mlx5/odp.c,
  // v7.0); and from a task, an advise-MR prefetch with IB_UVERBS_ADVISE_MR_FLAG_FLUSH
  // (mlx5_ib_advise_mr_prefetch() -> pagefault_mr(), synchronously)
  runsFrom: "either",
  // mlx5_ib_invalidate_range() (drivers/infiniband/hw/mlx5/odp.c, v7.0) refuses a range
  // that may not block before it takes umem_mutex: `if
  // (!mmu_notifier_range_blockable(range)) return false;`
  invalidateNonblock: "refuse",
  start: "init",
  steps: compose(
    {
      init: {
        op: set({ timeout: 1 }, "timeout = msecs_to_jiffies(HMM_RANGE_DEFAULT_TIMEOUT)"),
        next: "retry",
      },
      retry: { op: hmmCallWithTimeout(UNLOCKED_TIMEOUT, "timeout"), next: "unlocked.do" },
      "unlocked.return": {
        op: test("unlikely(ret)", (k) => k.num("ret") !== 0),
        on: { yes: "out_put_mm", no: "take" },
      },
      out_put_mm: { op: exit() },
    },
    hmmRangeFaultUnlockedTimeout(),
    consumeUnderUserLock("retry"),
  ),
  unreachable: [
    ...defaultBudgetNeverZero("ib_umem_odp_map_dma_and_lock()"),
    ...hmmRangeFaultLockedV8NeverReaches(),
  ],
};
