// mydrv, fixed: after hmm_range_fault_unlockable() the mmap lock is held only if
// *locked is still 1, and a 0 return with *locked == 0 means "start again":
//
//   again: range.notifier_seq = mmu_interval_read_begin(&sub);
//          locked = 1;
//          mmap_read_lock(mm);
//          ret = hmm_range_fault_unlockable(&range, &locked);
//          if (locked) mmap_read_unlock(mm);
//          if (ret == -EBUSY) goto again;
//          if (ret) return ret;
//          if (!locked) goto again;
//          mutex_lock(&drv->lock); ... as before
import {
  consumeUnderUserLock,
  design,
  EBUSY,
  mmapReadLock,
  mmapReadUnlock,
  mmuIntervalReadBegin,
  retIs,
  set,
  test,
} from "lockdrop/model";
import { unlockableApi } from "./mydrv-first.js";

export default design({
  id: "mydrv",
  family: "hmm",
  title: "mydrv: hmm_range_fault_unlockable() with *locked checked",
  start: "again",
  steps: {
    again: { op: mmuIntervalReadBegin("seq"), next: "init" },
    init: { op: set({ locked: 1 }), next: "lock" },
    lock: { op: mmapReadLock(), next: "hmm" },
    ...unlockableApi,
    "hmm.return": {
      op: test("locked", (k) => k.num("locked") === 1),
      on: { yes: "unlock", no: "check" },
    },
    unlock: { op: mmapReadUnlock(), next: "check" },
    check: { op: test("ret == -EBUSY", retIs(EBUSY)), on: { yes: "again", no: "check_err" } },
    check_err: { op: test("ret", (k) => k.num("ret") !== 0), on: { yes: "exit", no: "relock" } },
    relock: { op: test("!locked", (k) => k.num("locked") === 0), on: { yes: "again", no: "take" } },
    ...consumeUnderUserLock("again"),
  },
});
