// mydrv, first attempt: the driver's hmm_range_fault() loop switched to
// hmm_range_fault_unlockable(&range, &locked), otherwise unchanged:
//
//   again: range.notifier_seq = mmu_interval_read_begin(&sub);
//          locked = 1;
//          mmap_read_lock(mm);
//          ret = hmm_range_fault_unlockable(&range, &locked);
//          mmap_read_unlock(mm);
//          if (ret == -EBUSY) goto again;
//          if (ret) return ret;
//          mutex_lock(&drv->lock);
//          if (mmu_interval_read_retry(&sub, range.notifier_seq)) { unlock; goto again; }
//          ... program the device from hmm_pfns ...; mutex_unlock(&drv->lock);
import {
  consumeUnderUserLock,
  design,
  EBUSY,
  hmmDoFault,
  hmmRangeFaultUnlockableV2,
  hmmWalk,
  mmapReadLock,
  mmapReadUnlock,
  mmuIntervalReadBegin,
  recordFaultInCallbacks,
  retIs,
  set,
  test,
} from "lockdrop/model";

/** hmm_range_fault_unlockable() as v2 of the series posted it: enters at "hmm", returns to "hmm.return". */
export const unlockableApi = {
  ...hmmRangeFaultUnlockableV2(),
  ...hmmWalk(),
  ...recordFaultInCallbacks(),
  ...hmmDoFault(),
};

export default design({
  id: "mydrv-first",
  family: "hmm",
  title: "mydrv: the hmm_range_fault() loop moved to hmm_range_fault_unlockable()",
  start: "again",
  steps: {
    again: { op: mmuIntervalReadBegin("seq"), next: "init" },
    init: { op: set({ locked: 1 }), next: "lock" },
    lock: { op: mmapReadLock(), next: "hmm" },
    ...unlockableApi,
    "hmm.return": { op: mmapReadUnlock(), next: "check" },
    check: { op: test("ret == -EBUSY", retIs(EBUSY)), on: { yes: "again", no: "check_err" } },
    check_err: { op: test("ret", (k) => k.num("ret") !== 0), on: { yes: "exit", no: "take" } },
    // mutex_lock; if (read_retry) { unlock; goto again; }; consume; mutex_unlock; return
    ...consumeUnderUserLock("again"),
  },
});
