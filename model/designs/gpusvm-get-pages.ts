// drm_gpusvm_get_pages() (drivers/gpu/drm/drm_gpusvm.c): "Get pages and populate GPU
// SVM pages struct", the range fault of drm_gpusvm, which xe calls from its GPU page-fault
// worker (xe_svm_handle_pagefault() -> xe_svm_range_get_pages()). Read in v7.0 and in
// "[PATCH v8 8/8] drm/gpusvm: Use hmm_range_fault_unlocked_timeout() for range faults"
// (Jul 10 2026) with "[PATCH v2 4/4] fixup! drm/gpusvm: ..." (Jul 14 2026).
//
// v7.0:
//
//   unsigned long timeout = jiffies + msecs_to_jiffies(HMM_RANGE_DEFAULT_TIMEOUT);
//   retry:
//           if (time_after(jiffies, timeout))
//                   return -EBUSY;
//           hmm_range.notifier_seq = mmu_interval_read_begin(notifier);
//           if (drm_gpusvm_pages_valid_unlocked(gpusvm, svm_pages))
//                   goto set_seqno;
//           pfns = kvmalloc_array(npages, sizeof(*pfns), GFP_KERNEL);
//           if (!mmget_not_zero(mm)) { err = -EFAULT; goto err_free; }
//           hmm_range.hmm_pfns = pfns;
//           while (true) {
//                   mmap_read_lock(mm);
//                   err = hmm_range_fault(&hmm_range);
//                   mmap_read_unlock(mm);
//                   if (err == -EBUSY) {
//                           if (time_after(jiffies, timeout))
//                                   break;
//                           hmm_range.notifier_seq = mmu_interval_read_begin(notifier);
//                           continue;
//                   }
//                   break;
//           }
//           mmput(mm);
//           if (err)
//                   goto err_free;
//   map_pages:
//           drm_gpusvm_notifier_lock(gpusvm);
//           flags.__flags = svm_pages->flags.__flags;
//           if (flags.unmapped) {
//                   drm_gpusvm_notifier_unlock(gpusvm);
//                   err = -EFAULT;
//                   goto err_free;
//           }
//           if (mmu_interval_read_retry(notifier, hmm_range.notifier_seq)) {
//                   drm_gpusvm_notifier_unlock(gpusvm);
//                   kvfree(pfns);
//                   goto retry;
//           }
//           if (!svm_pages->dma_addr) {
//                   /* Unlock and restart mapping to allocate memory. */
//                   drm_gpusvm_notifier_unlock(gpusvm);
//                   svm_pages->dma_addr = kvmalloc_objs(*svm_pages->dma_addr, npages);
//                   goto map_pages;
//           }
//           for (i = 0, j = 0; i < npages; ++j) { ... dma_map_page() ... }
//           WRITE_ONCE(svm_pages->flags.__flags, flags.__flags);
//           drm_gpusvm_notifier_unlock(gpusvm);
//           kvfree(pfns);
//   set_seqno:
//           svm_pages->notifier_seq = hmm_range.notifier_seq;
//           return 0;
//   err_free:
//           kvfree(pfns);
//           if (err == -EAGAIN)
//                   goto retry;
//           return err;
//
// v8 8/8 replaces the while (true) loop by hmm_range_fault_unlocked_timeout(), and fixup
// 4/4 makes its timeout a relative budget (msecs_to_jiffies(HMM_RANGE_DEFAULT_TIMEOUT),
// not jiffies + ...) and removes `if (time_after(jiffies, timeout)) return -EBUSY;` at
// retry:. Each `goto retry` after a read_retry collision then calls the helper with a
// fresh budget, and nothing bounds the number of collisions: the case for which the same
// fixup series keeps nouveau's outer deadline ("nouveau faults are handled from a GPU
// fault worker, so userspace fatal signals cannot break an endless stream of
// invalidations"), and xe's faults come from a GPU page-fault worker too.
//
// Not modelled: allocation failures (-ENOMEM), mmget_not_zero() failing (the mm exiting),
// and the DMA-mapping loop's errors (-EOPNOTSUPP for mixed pagemaps, -EFAULT for a mapping
// error, -EAGAIN for a device page without a drm_pagemap, a race "hmm_range_fault()
// should've" prevented): the scenarios map system pages only. svm_pages starts without a
// dma_addr array and without a DMA mapping; a pass that allocated the array and then met
// an invalidation begins the next with one, and drm_gpusvm_pages_valid_unlocked() frees
// it (the pages are not valid: none was mapped yet), so it is false in every pass.
import { EBUSY, EFAULT } from "../errno.js";
import { consumePfns, hmmCallWithTimeout } from "../kernel/hmm.js";
import { mmapReadLock, mmapReadUnlock } from "../kernel/mmap-lock.js";
import {
  mmuIntervalReadBegin,
  mmuIntervalReadRetry,
  notifierUnmapped,
  userLock,
  userUnlock,
} from "../kernel/notifier.js";
import { armDeadline, timeAfter } from "../kernel/time.js";
import { exit, retIs, set, test } from "../locals.js";
import type { Design, Steps } from "../step.js";
import { compose, op } from "../step.js";
import { GPUSVM_LOCK, GPUSVM_UNLOCK } from "./gpusvm.js";
import { hmmWalk } from "./hmm-walk.js";
import { hmmRangeFault, hmmVmaFaultInCallbacks, mainlineUnreachable } from "./mainline.js";
import {
  defaultBudgetNeverZero,
  hmmRangeFaultLockedV8NeverReaches,
  hmmRangeFaultUnlockedTimeout,
  UNLOCKED_TIMEOUT,
} from "./v8-timeout.js";

const TIMEOUT = "msecs_to_jiffies(HMM_RANGE_DEFAULT_TIMEOUT)";

/**
 * From `hmm_range.notifier_seq = mmu_interval_read_begin(notifier)` to the HMM call at
 * `call`: the pages_valid fast path (false here: see the file's comment) and the pfns.
 */
function beforeFault(at: string, call: string): Steps {
  return {
    [at]: { op: mmuIntervalReadBegin("seq"), next: "pages_valid" },
    pages_valid: {
      op: test("drm_gpusvm_pages_valid_unlocked(): if (!svm_pages->dma_addr)", (k) =>
        k.num("dma_addr") === 0),
      on: { yes: "pfns", no: "valid_lock" },
    },
    valid_lock: { op: userLock(GPUSVM_LOCK), next: "valid_free" },
    valid_free: {
      op: set(
        { dma_addr: 0 },
        "pages_valid = drm_gpusvm_pages_valid(gpusvm, svm_pages): false (no DMA mapping yet); __drm_gpusvm_free_pages(gpusvm, svm_pages)",
      ),
      next: "valid_unlock",
    },
    valid_unlock: { op: userUnlock(GPUSVM_UNLOCK, "read"), next: "pfns" },
    pfns: {
      op: set(
        {},
        "pfns = kvmalloc_array(npages, sizeof(*pfns), GFP_KERNEL); mmget_not_zero(mm); hmm_range.hmm_pfns = pfns",
      ),
      next: call,
    },
  };
}

/** From `mmput(mm); if (err) goto err_free;` (at `at`) to the return: map_pages and err_free. */
function mapPages(at: string): Steps {
  return {
    [at]: { op: set({}, "mmput(mm)"), next: "if_err" },
    if_err: {
      op: test("err", (k) => k.num("ret") !== 0),
      on: { yes: "err_free", no: "map_pages" },
    },
    map_pages: { op: userLock(GPUSVM_LOCK), next: "unmapped" },
    unmapped: {
      op: notifierUnmapped("flags.__flags = svm_pages->flags.__flags; if (flags.unmapped)"),
      on: { yes: "unmapped_unlock", no: "read_retry" },
    },
    unmapped_unlock: { op: userUnlock(GPUSVM_UNLOCK, "read"), next: "efault" },
    efault: { op: set({ ret: EFAULT }, "err = -EFAULT"), next: "err_free" },
    read_retry: {
      op: mmuIntervalReadRetry("seq"),
      on: { retry: "retry_unlock", ok: "dma_addr" },
    },
    retry_unlock: { op: userUnlock(GPUSVM_UNLOCK, "read"), next: "retry_free" },
    retry_free: { op: set({}, "kvfree(pfns); goto retry"), next: "retry" },
    dma_addr: {
      op: test("!svm_pages->dma_addr", (k) => k.num("dma_addr") === 0),
      on: { yes: "alloc_unlock", no: "map" },
    },
    alloc_unlock: { op: userUnlock(GPUSVM_UNLOCK, "read"), next: "alloc" },
    alloc: {
      op: set(
        { dma_addr: 1 },
        "svm_pages->dma_addr = kvmalloc_objs(*svm_pages->dma_addr, npages); goto map_pages",
      ),
      next: "map_pages",
    },
    map: {
      op: op({
        ...consumePfns(),
        name: "for (i = 0, j = 0; i < npages; ++j) svm_pages->dma_addr[j] = dma_map_page(hmm_pfn_to_page(pfns[i]))",
      }),
      next: "flags",
    },
    flags: {
      op: set(
        {},
        "flags.has_dma_mapping = true; WRITE_ONCE(svm_pages->flags.__flags, flags.__flags)",
      ),
      next: "unlock",
    },
    unlock: { op: userUnlock(GPUSVM_UNLOCK, "read"), next: "set_seqno" },
    set_seqno: {
      op: set(
        { ret: 0 },
        "kvfree(pfns); svm_pages->notifier_seq = hmm_range.notifier_seq; return 0",
      ),
      next: "exit",
    },
    err_free: {
      op: set({}, "kvfree(pfns); if (err == -EAGAIN) goto retry; return err"),
      next: "exit",
    },
    exit: { op: exit() },
  };
}

/**
 * What both versions share about the driver: drm_gpusvm_notifier_invalidate() refuses a
 * range that may not block (`if (!mmu_notifier_range_blockable(mmu_range)) return
 * false;`), xe's invalidate() marks its range unmapped on MMU_NOTIFY_UNMAP, and xe calls
 * get_pages from its GPU page-fault worker and from a VM bind's prefetch, in the task
 * (drivers/gpu/drm/xe/xe_vm.c, v7.0: xe_svm_range_get_pages()).
 */
const XE_GET_PAGES = {
  family: "hmm",
  invalidateNonblock: "refuse",
  marksUnmapped: true,
  runsFrom: "either",
  start: "init",
} as const satisfies Partial<Design>;

export const gpusvmGetPages: Design = {
  id: "gpusvm-get-pages",
  title:
    "drm_gpusvm_get_pages() in v7.0: an absolute deadline at retry:, hmm_range_fault() under the mmap read lock",
  summary:
    "drm_gpusvm_get_pages() arms an absolute deadline once, checks it at every retry:, faults the range with hmm_range_fault() under the mmap read lock (retrying -EBUSY until the deadline), then maps the pages for DMA under drm_gpusvm_notifier_lock(), going back to retry: when mmu_interval_read_retry() reports an invalidation and failing with -EFAULT when the driver marked the range unmapped.",
  source: "drivers/gpu/drm/drm_gpusvm.c, v7.0",
  ...XE_GET_PAGES,
  steps: compose(
    {
      init: {
        op: set(
          { dma_addr: 0 },
          "hmm_range.default_flags = HMM_PFN_REQ_FAULT | (ctx->read_only ? 0 : HMM_PFN_REQ_WRITE)",
        ),
        next: "deadline",
      },
      deadline: {
        op: armDeadline("timeout", 1, { label: TIMEOUT, fn: "drm_gpusvm_get_pages" }),
        next: "retry",
      },
      retry: { op: timeAfter("timeout"), on: { yes: "ebusy", no: "read_begin" } },
      ebusy: { op: set({ ret: EBUSY }, "return -EBUSY"), next: "exit" },
      mmap_lock: { op: mmapReadLock(), next: "hmm" },
      "hmm.return": { op: mmapReadUnlock(), next: "if_ebusy" },
      if_ebusy: {
        op: test("err == -EBUSY", retIs(EBUSY)),
        on: { yes: "time_after", no: "mmput" },
      },
      time_after: { op: timeAfter("timeout"), on: { yes: "mmput", no: "reseq" } },
      reseq: { op: mmuIntervalReadBegin("seq"), next: "mmap_lock" },
    },
    beforeFault("read_begin", "mmap_lock"),
    mapPages("mmput"),
    hmmRangeFault(),
    hmmWalk(),
    hmmVmaFaultInCallbacks(),
  ),
  unreachable: mainlineUnreachable(),
};

export const gpusvmGetPagesV8: Design = {
  id: "gpusvm-get-pages-v8",
  title:
    "drm_gpusvm_get_pages() after v8 8/8 and fixup v2 4/4: a relative budget per call, no deadline at retry:",
  summary:
    "The v8 series replaces get_pages' hmm_range_fault() loop by hmm_range_fault_unlocked_timeout(&hmm_range, msecs_to_jiffies(HMM_RANGE_DEFAULT_TIMEOUT)), and the fixup removes the deadline check at retry:, so every read_retry collision under drm_gpusvm_notifier_lock() calls the helper again with a fresh budget.",
  source:
    '"[PATCH v8 8/8] drm/gpusvm: Use hmm_range_fault_unlocked_timeout() for range faults" (Jul 10 2026) with "[PATCH v2 4/4] fixup! drm/gpusvm: ..." (Jul 14 2026)',
  ...XE_GET_PAGES,
  steps: compose(
    {
      init: {
        op: set(
          { dma_addr: 0, timeout: 1 },
          `hmm_range.default_flags = HMM_PFN_REQ_FAULT | (ctx->read_only ? 0 : HMM_PFN_REQ_WRITE); timeout = ${TIMEOUT}`,
        ),
        next: "retry",
      },
      call: { op: hmmCallWithTimeout(UNLOCKED_TIMEOUT, "timeout"), next: "unlocked.do" },
    },
    beforeFault("retry", "call"),
    mapPages("unlocked.return"),
    hmmRangeFaultUnlockedTimeout(),
  ),
  unreachable: [
    ...hmmRangeFaultLockedV8NeverReaches(),
    ...defaultBudgetNeverZero("drm_gpusvm_get_pages()"),
  ],
};
