// "[PATCH v8 2/8] mm/hmm: add hmm_range_fault_unlocked_timeout() for mmap lock-drop
// support" (Jul 10 2026), with "[PATCH v2 1/4] fixup! mm/hmm: add
// hmm_range_fault_unlocked_timeout() for mmap lock-drop support" (Jul 14 2026: the
// hmm.rst example checks read_retry on range.notifier). The helper, as posted:
//
//   int hmm_range_fault_unlocked_timeout(struct hmm_range *range, unsigned long timeout)
//   {
//           unsigned long deadline = 0;
//           bool locked = false;
//           do {
//                   if (fatal_signal_pending(current))
//                           return -EINTR;
//                   if (timeout) {
//                           if (!locked)
//                                   deadline = jiffies + timeout;
//                           if (time_after(jiffies, deadline))
//                                   return -EBUSY;
//                   }
//                   range->notifier_seq = mmu_interval_read_begin(range->notifier);
//                   ret = mmap_read_lock_killable(mm);
//                   if (ret)
//                           return ret;
//                   locked = true;
//                   ret = hmm_range_fault_locked(range, &locked);
//                   if (locked)
//                           mmap_read_unlock(mm);
//           } while (ret == -EBUSY);
//           return ret;
//   }
//
// hmm_range_fault_locked() is v2's loop (walk, HMM_FAULT_PENDING -> hmm_do_fault()),
// with HMM_FAULT_UNLOCKED turned into -EINTR (fatal signal pending) or -EBUSY;
// hmm_do_fault() sets ALLOW_RETRY | KILLABLE only when hmm_vma_walk->locked is set,
// never TRIED, and on RETRY or COMPLETED writes `*hmm_vma_walk->locked = false`
// unconditionally. hmm_range_fault() is hmm_range_fault_locked(range, NULL).
import { EBUSY, EFAULT, EINTR, EPERM, HMM_FAULT_UNLOCKED } from "../errno.js";
import { handleMmFault } from "../kernel/fault.js";
import {
  hmmCallWithTimeout,
  hmmCheckWrite,
  hmmFaultFlags,
  hmmFaultNext,
  hmmReturn,
  writeThroughLocked,
} from "../kernel/hmm.js";
import { mmapReadLockKillable, mmapReadUnlock } from "../kernel/mmap-lock.js";
import { mmuIntervalReadBegin } from "../kernel/notifier.js";
import { fatalSignalPending } from "../kernel/signal.js";
import { armDeadline, timeAfter } from "../kernel/time.js";
import { vmaLookup } from "../kernel/vma.js";
import { exit, retIs, set, test } from "../locals.js";
import type { Ctx, Design, Steps, Unreachable } from "../step.js";
import { compose, override } from "../step.js";
import { consumeUnderUserLock, documentedCaller } from "./callers.js";
import { hmmWalk } from "./hmm-walk.js";
import {
  doFaultNeverReaches,
  forbiddenWithoutAllowRetry,
  unreachable,
  VM_WRITE_CHECKED_UNDER_SAME_HOLD,
  walkNeverReaches,
} from "./unreachable.js";
import { hmmRangeFaultUnlockableV2, recordFaultInCallbacks } from "./v2.js";

/** The v8 API. */
export const UNLOCKED_TIMEOUT = "hmm_range_fault_unlocked_timeout";
const LOCKED = "hmm_range_fault_locked";

const allowRetry = hmmFaultFlags("ALLOW_RETRY", "KILLABLE");
const noRetry = hmmFaultFlags();
/** `if (hmm_vma_walk->locked) fault_flags |= FAULT_FLAG_ALLOW_RETRY | FAULT_FLAG_KILLABLE;` */
const v8FaultFlags = (k: Ctx) => (k.get("locked_ptr") === "&locked" ? allowRetry(k) : noRetry(k));

/** hmm_do_fault() of v8 patch 2: entered at "do_fault", ends at "walk.ret" with ret. */
export function hmmDoFaultV8(): Steps {
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
      op: handleMmFault("fault_vma", "fault_addr", v8FaultFlags),
      on: {
        ok: "do_fault.next",
        retry: "do_fault.unlocked",
        completed: "do_fault.unlocked",
        error: "do_fault.errno",
      },
    },
    "do_fault.next": { op: hmmFaultNext(), on: { more: "do_fault.one", done: "do_fault.rewalk" } },
    // all pages faulted: walk again from last so the new pfns are collected
    "do_fault.rewalk": { op: set({ ret: EBUSY }, "return -EBUSY"), next: "walk.ret" },
    // if (ret & (VM_FAULT_COMPLETED | VM_FAULT_RETRY)) { *hmm_vma_walk->locked = false; ...
    "do_fault.unlocked": { op: writeThroughLocked(), next: "do_fault.unlocked_ret" },
    "do_fault.unlocked_ret": {
      op: set({ ret: HMM_FAULT_UNLOCKED }, "return HMM_FAULT_UNLOCKED"),
      next: "walk.ret",
    },
    // vm_fault_to_errno(): SIGBUS and SIGSEGV are -EFAULT
    "do_fault.errno": {
      op: set({ ret: EFAULT }, "return vm_fault_to_errno(ret, 0)"),
      next: "walk.ret",
    },
    "do_fault.efault": { op: set({ ret: EFAULT }), next: "walk.ret" },
    "do_fault.eperm": { op: set({ ret: EPERM }), next: "walk.ret" },
  };
}

/**
 * hmm_range_fault_locked(range, locked) of v8, entered at "hmm" and back at "hmm.return":
 * `api` and `contract` say which caller it serves (hmm_range_fault(): the lock held on
 * return; the helper's own call: held exactly when `locked`).
 */
export function hmmRangeFaultLockedV8(api = LOCKED, contract: "held" | "locked" = "locked"): Steps {
  return compose(
    hmmRangeFaultUnlockableV2(api),
    override({
      // if (ret == HMM_FAULT_UNLOCKED) { if (fatal_signal_pending(current)) return -EINTR; return -EBUSY; }
      "hmm.unlocked": {
        op: fatalSignalPending(),
        on: { yes: "hmm.drop_eintr", no: "hmm.drop_busy" },
      },
      "hmm.ret": { op: hmmReturn(api, contract), next: "hmm.return" },
    }),
    {
      "hmm.drop_eintr": { op: set({ ret: EINTR }), next: "hmm.ret" },
      "hmm.drop_busy": { op: set({ ret: EBUSY }), next: "hmm.ret" },
    },
    hmmWalk(),
    recordFaultInCallbacks(),
    hmmDoFaultV8(),
  );
}

/**
 * The edges of hmmRangeFaultLockedV8() no scenario reaches, whoever calls it: the walk
 * never starts at the end, and hmm_do_fault() runs under the lock hold the walk ran
 * under (the VMA is still there, with the VM_WRITE the walk checked). `walk`: the walk's
 * edges a caller does not reach besides (walkNeverReaches()).
 */
export function hmmRangeFaultLockedV8NeverReaches(
  walk: Parameters<typeof walkNeverReaches>[0] = {},
): Unreachable[] {
  return [
    ...walkNeverReaches(walk),
    ...doFaultNeverReaches({
      sameLock: true,
      efaultOnlyAfterLookup: true,
      permChecked: VM_WRITE_CHECKED_UNDER_SAME_HOLD,
    }),
  ];
}

/**
 * hmm_range_fault_unlocked_timeout() of v8: the caller enters at "unlocked.do" after
 * `hmmCallWithTimeout(UNLOCKED_TIMEOUT, arg)` and is back at "unlocked.return" with ret.
 */
export function hmmRangeFaultUnlockedTimeout(): Steps {
  return {
    "unlocked.do": {
      op: fatalSignalPending(),
      on: { yes: "unlocked.eintr", no: "unlocked.if_timeout" },
    },
    "unlocked.eintr": { op: set({ ret: EINTR }, "return -EINTR"), next: "unlocked.ret" },
    "unlocked.if_timeout": {
      op: test("timeout", (k) => k.num("hmm_timeout") !== 0),
      on: { yes: "unlocked.if_unlocked", no: "unlocked.read_begin" },
    },
    "unlocked.if_unlocked": {
      op: test("!locked", (k) => k.num("locked") === 0),
      on: { yes: "unlocked.arm", no: "unlocked.time_after" },
    },
    "unlocked.arm": {
      op: armDeadline("deadline", "hmm_timeout", { label: "timeout", fn: UNLOCKED_TIMEOUT }),
      next: "unlocked.time_after",
    },
    "unlocked.time_after": {
      op: timeAfter("deadline"),
      on: { yes: "unlocked.ebusy", no: "unlocked.read_begin" },
    },
    "unlocked.ebusy": { op: set({ ret: EBUSY }, "return -EBUSY"), next: "unlocked.ret" },
    "unlocked.read_begin": { op: mmuIntervalReadBegin("seq"), next: "unlocked.lock" },
    "unlocked.lock": {
      op: mmapReadLockKillable(),
      on: { ok: "unlocked.locked", eintr: "unlocked.lock_err" },
    },
    "unlocked.lock_err": { op: set({ ret: EINTR }, "return ret"), next: "unlocked.ret" },
    // locked = true; ret = hmm_range_fault_locked(range, &locked);
    "unlocked.locked": {
      op: set({ locked: 1, locked_ptr: "&locked", start: (k) => k.num("rstart") }, "locked = true"),
      next: "hmm",
    },
    ...hmmRangeFaultLockedV8(),
    "hmm.return": {
      op: test("locked", (k) => k.num("locked") !== 0),
      on: { yes: "unlocked.unlock", no: "unlocked.while" },
    },
    "unlocked.unlock": { op: mmapReadUnlock(), next: "unlocked.while" },
    "unlocked.while": {
      op: test("ret == -EBUSY", retIs(EBUSY)),
      on: { yes: "unlocked.do", no: "unlocked.ret" },
    },
    "unlocked.ret": { op: hmmReturn(UNLOCKED_TIMEOUT, "none"), next: "unlocked.return" },
  };
}

/**
 * The helper's `if (timeout)` edge that a caller passing the relative default budget
 * never takes: `caller` names it (hmm.rst's caller, ODP, gpusvm).
 */
export function defaultBudgetNeverZero(caller: string): Unreachable[] {
  return unreachable(
    "unlocked.if_timeout",
    ["no"],
    `${caller} passes timeout = msecs_to_jiffies(HMM_RANGE_DEFAULT_TIMEOUT) to every call, never 0 (HMM_RANGE_DEFAULT_TIMEOUT is 1000 ms; the model's budget is one jiffy), so hmm_range_fault_unlocked_timeout()'s \`if (timeout)\` is always taken`,
  );
}

const HMM_RST_CALLER = "hmm.rst's caller";

// The documented caller (hmm.rst of v8, with fixup 1/4):
//
//   timeout = msecs_to_jiffies(HMM_RANGE_DEFAULT_TIMEOUT);
//   again:
//       ret = hmm_range_fault_unlocked_timeout(&range, timeout);
//       if (ret)
//           goto out_put;
//       take_lock(driver->update);
//       if (mmu_interval_read_retry(range.notifier, range.notifier_seq)) {
//           release_lock(driver->update);
//           goto again;
//       }
//       ... use the pfns ...; release_lock(driver->update);
export const v8Timeout: Design = {
  id: "v8-timeout",
  title:
    "v8 + Jul 14 fixups: hmm_range_fault_unlocked_timeout() with a relative timeout, hmm.rst's caller",
  summary:
    "The helper takes mmap_read_lock_killable() itself and retries internally with a fresh notifier seq. A non-zero timeout arms `deadline = jiffies + timeout` on the first pass and again after a pass whose fault dropped the lock, and the helper returns -EBUSY once time_after(jiffies, deadline); ordinary -EBUSY retries keep the deadline. The fault sets ALLOW_RETRY | KILLABLE, never TRIED. The caller passes HMM_RANGE_DEFAULT_TIMEOUT and goes round again with a fresh budget when read_retry collides under its lock.",
  source:
    '"[PATCH v8 2/8] mm/hmm: add hmm_range_fault_unlocked_timeout() for mmap lock-drop support" (Jul 10 2026) and its fixup 1/4 (v2, Jul 14 2026)',
  family: "hmm",
  start: "init",
  steps: compose(
    {
      init: {
        op: set({ timeout: 1 }, "timeout = msecs_to_jiffies(HMM_RANGE_DEFAULT_TIMEOUT)"),
        next: "again",
      },
      again: { op: hmmCallWithTimeout(UNLOCKED_TIMEOUT, "timeout"), next: "unlocked.do" },
      "unlocked.return": {
        op: test("ret", (k) => k.num("ret") !== 0),
        on: { yes: "out_put", no: "take" },
      },
      out_put: { op: exit() },
    },
    hmmRangeFaultUnlockedTimeout(),
    consumeUnderUserLock("again"),
  ),
  unreachable: [...defaultBudgetNeverZero(HMM_RST_CALLER), ...hmmRangeFaultLockedV8NeverReaches()],
};

// The mutant Andrew Morton's nit on patch 2 invites ("`locked` could be loop-local",
// Jul 10 2026), which Stanislav Kinsburskii declined: "its value carries across
// iterations and drives the deadline reset". Moved into the loop, `bool locked = false;`
// re-arms the deadline on every pass, so the timeout never bounds the notifier retries.
export const v8TimeoutLocalLocked: Design = {
  ...v8Timeout,
  id: "v8-timeout-local-locked",
  title: `${v8Timeout.title} (mutant: v8-timeout-local-locked)`,
  summary:
    "v8-timeout with `bool locked = false;` declared inside the do-while loop: every pass re-arms the deadline, so a stream of notifier retries never times out.",
  source: "mutant of v8-timeout (Andrew Morton's review of patch 2, Jul 10 2026)",
  steps: compose(
    v8Timeout.steps,
    override({
      "unlocked.while": {
        op: test("ret == -EBUSY", retIs(EBUSY)),
        on: { yes: "unlocked.local", no: "unlocked.ret" },
      },
    }),
    {
      "unlocked.local": {
        op: set({ locked: 0 }, "bool locked = false;  /* loop-local */"),
        next: "unlocked.do",
      },
    },
  ),
  unreachable: [
    ...defaultBudgetNeverZero(HMM_RST_CALLER),
    ...unreachable(
      "unlocked.if_unlocked",
      ["no"],
      "the mutant declares `bool locked = false;` inside the do-while loop (unlocked.local), and the call starts with it false too, so `if (!locked)` is always taken and every pass re-arms the deadline: the mutation itself",
    ),
    ...hmmRangeFaultLockedV8NeverReaches(),
  ],
};

const LEGACY_FIRST_VMA =
  "v8's hmm_range_fault() faults without FAULT_FLAG_ALLOW_RETRY, so a missing page of a userfaultfd-registered VMA fails it with -EFAULT (handle_userfault() returns VM_FAULT_SIGBUS), and no other thread faults one in; the scenarios whose range holds more than one VMA (two-vmas, and anon-uffd-split, anon-mprotect-ro and hugetlb-split after their split) have such pages, a hole or a VMA without VM_WRITE first, and the caller holds the mmap lock across the call, so the layout cannot change under the walk";
const LEGACY_NULL_LOCKED =
  "entered only after do_fault.one returned VM_FAULT_RETRY or VM_FAULT_COMPLETED to a fault without FAULT_FLAG_ALLOW_RETRY, which only a handler breaking handle_mm_fault()'s contract does (misbehaving-handler); then `*hmm_vma_walk->locked = false` writes through the NULL `locked` of hmm_range_fault_locked(range, NULL) and the task dies in the oops (make_task_dead) before the step ends: v8's bug, which the property retry-only-with-allow-retry reports";
const LEGACY_AFTER_UNLOCKED = `reached only through do_fault.unlocked (HMM_FAULT_UNLOCKED), which never completes: ${LEGACY_NULL_LOCKED}`;

// The legacy path of the same patch: hmm_range_fault() is hmm_range_fault_locked(range,
// NULL), called as hmm.rst's "Holding the mmap lock across HMM faults" allows
// (drm_gpusvm_check_pages() stays on it): mmap_read_lock(); hmm_range_fault();
// mmap_read_unlock(). Without ALLOW_RETRY a fault never returns RETRY or COMPLETED from
// a handler that keeps the contract; from one that does not, hmm_do_fault() writes
// through the NULL `locked`.
export const v8Legacy: Design = {
  id: "v8-legacy",
  title:
    "v8: hmm_range_fault() as hmm_range_fault_locked(range, NULL), with the documented locked caller",
  summary:
    "The caller holds mmap_read_lock across hmm_range_fault(), which v8 turns into hmm_range_fault_locked(range, NULL): faults without ALLOW_RETRY, and on a RETRY or COMPLETED hmm_do_fault() writes *hmm_vma_walk->locked = false although locked is NULL.",
  source:
    '"[PATCH v8 2/8] mm/hmm: add hmm_range_fault_unlocked_timeout() for mmap lock-drop support" (Jul 10 2026)',
  family: "hmm",
  start: "again",
  steps: compose(documentedCaller(), hmmRangeFaultLockedV8("hmm_range_fault", "held")),
  unreachable: [
    ...hmmRangeFaultLockedV8NeverReaches({ pteSecond: LEGACY_FIRST_VMA }),
    ...unreachable("walk.next", ["hugetlb", "hole"], LEGACY_FIRST_VMA),
    ...forbiddenWithoutAllowRetry("do_fault.one"),
    ...unreachable("do_fault.unlocked", ["ok"], LEGACY_NULL_LOCKED),
    ...unreachable("do_fault.unlocked_ret", ["ok"], LEGACY_AFTER_UNLOCKED),
    ...unreachable("walk.ret_sentinel", ["yes"], LEGACY_AFTER_UNLOCKED),
    ...unreachable("hmm.unlocked", ["yes", "no"], LEGACY_AFTER_UNLOCKED),
    ...unreachable("hmm.drop_eintr", ["ok"], LEGACY_AFTER_UNLOCKED),
    ...unreachable("hmm.drop_busy", ["ok"], LEGACY_AFTER_UNLOCKED),
  ],
};
