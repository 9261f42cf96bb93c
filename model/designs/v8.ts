// v8 (Jul 10 2026): hmm_range_fault_unlocked_timeout() takes
// and releases the mmap lock itself. Each pass: fatal_signal_pending -> -EINTR;
// seq = read_begin; mmap_read_lock_killable; hmm_range_fault_locked(range, &locked)
// (v2's body; on HMM_FAULT_UNLOCKED: -EINTR if a fatal signal is pending, else
// -EBUSY); unlock if still locked; repeat while -EBUSY. The fault never carries
// FAULT_FLAG_TRIED, so every attempt after a RETRY is a "first" attempt again (L4).
// Modelled with timeout 0 (wait forever), as mshv uses it.
import { EBUSY, EINTR } from "../errno.js";
import { apiEnter, hmmReturn } from "../kernel/hmm.js";
import { mmapReadLockKillable, mmapReadUnlock } from "../kernel/mmap-lock.js";
import { mmuIntervalReadBegin } from "../kernel/notifier.js";
import { fatalSignalPending } from "../kernel/signal.js";
import { retIs, set, test } from "../locals.js";
import type { Design } from "../step.js";
import { consumeUnderUserLock } from "./callers.js";
import { hmmWalk } from "./hmm-walk.js";
import {
  doFaultNeverReaches,
  VM_WRITE_CHECKED_UNDER_SAME_HOLD,
  walkNeverReaches,
} from "./unreachable.js";
import { hmmDoFault, hmmRangeFaultUnlockableV2, recordFaultInCallbacks } from "./v2.js";

const API = "hmm_range_fault_unlocked_timeout";
const LOCKED = "hmm_range_fault_locked";

export const v8: Design = {
  id: "v8",
  title: "v8: hmm_range_fault_unlocked_timeout() takes the lock itself, killable, -EINTR",
  summary:
    "The API takes the mmap lock itself (killable), checks fatal_signal_pending() before every pass, and restarts from a fresh mmu_interval_read_begin() whenever the lock was dropped or the notifier collided; the caller only checks read_retry under its lock. It never sets FAULT_FLAG_TRIED.",
  source: "v8 of the series, patch 2",
  family: "hmm",
  start: "again",
  steps: {
    again: { op: apiEnter(API), next: "v8.start" },
    "v8.start": { op: set({ locked: 0 }, "locked = false"), next: "v8.loop" },
    "v8.loop": { op: fatalSignalPending(), on: { yes: "v8.eintr", no: "v8.seq" } },
    "v8.eintr": { op: set({ ret: EINTR }), next: "v8.ret" },
    "v8.seq": { op: mmuIntervalReadBegin("seq"), next: "v8.lock" },
    "v8.lock": { op: mmapReadLockKillable(), on: { ok: "v8.locked", eintr: "v8.eintr" } },
    "v8.locked": { op: set({ locked: 1, start: (k) => k.num("rstart") }), next: "hmm" },
    ...hmmRangeFaultUnlockableV2(LOCKED),
    // hmm_range_fault_locked: a drop is -EINTR with a fatal signal pending, else -EBUSY
    "hmm.unlocked": { op: fatalSignalPending(), on: { yes: "v8.drop_eintr", no: "v8.drop_busy" } },
    "v8.drop_eintr": { op: set({ ret: EINTR }), next: "hmm.ret" },
    "v8.drop_busy": { op: set({ ret: EBUSY }), next: "hmm.ret" },
    ...hmmWalk(),
    ...recordFaultInCallbacks(),
    ...hmmDoFault(),
    "hmm.return": {
      op: test("locked", (k) => k.num("locked") !== 0),
      on: { yes: "v8.unlock", no: "v8.busy" },
    },
    "v8.unlock": { op: mmapReadUnlock(), next: "v8.busy" },
    "v8.busy": { op: test("ret == -EBUSY", retIs(EBUSY)), on: { yes: "v8.loop", no: "v8.ret" } },
    "v8.ret": { op: hmmReturn(API, "none"), next: "check_err" },
    check_err: { op: test("ret", (k) => k.num("ret") !== 0), on: { yes: "exit", no: "take" } },
    ...consumeUnderUserLock("again"),
  },
  unreachable: [
    ...walkNeverReaches(),
    ...doFaultNeverReaches({ sameLock: true, permChecked: VM_WRITE_CHECKED_UNDER_SAME_HOLD }),
  ],
};
