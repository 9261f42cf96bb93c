// mydrv: a driver that faults a user range in with hmm_range_fault_unlockable(), which
// may drop the mmap lock (then *locked is 0, and a 0 return means "start again"). This
// is a design: the driver's loop as labelled steps, each one kernel primitive. Change the
// steps to your driver's loop; `npx lockdrop check lockdrop/mydrv.mts` checks it, and
// lockdrop/mydrv.test.mts keeps the verdicts in `npm test`. The guide to steps,
// primitives and counterexamples: node_modules/lockdrop/docs/writing-a-design.md.
//
//   again: range.notifier_seq = mmu_interval_read_begin(&sub);
//          locked = 1;
//          mmap_read_lock(mm);
//          ret = hmm_range_fault_unlockable(&range, &locked);
//          if (locked) mmap_read_unlock(mm);
//          if (ret == -EBUSY) goto again;
//          if (ret) return ret;
//          if (!locked) {
//                  if (fatal_signal_pending(current)) return -EINTR;
//                  goto again;
//          }
//          mutex_lock(&drv->lock);
//          if (mmu_interval_read_retry(&sub, range.notifier_seq)) { unlock; goto again; }
//          ... program the device from hmm_pfns ...; mutex_unlock(&drv->lock);
//
// (.mts, not .ts: an ES module whether or not package.json says "type": "module".)
import {
  consumeUnderUserLock,
  design,
  EBUSY,
  EINTR,
  fatalSignalPending,
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

export default design({
  id: "mydrv",
  family: "hmm",
  title: "mydrv: hmm_range_fault_unlockable() with *locked checked and a killable retry",
  start: "again",
  // what `lockdrop check` and checkDesign() run when they are not told (`npx lockdrop list`)
  scenarios: ["anon-uffd", "hugetlb-uffd"],
  steps: {
    again: { op: mmuIntervalReadBegin("seq"), next: "init" },
    init: { op: set({ locked: 1 }), next: "lock" },
    lock: { op: mmapReadLock(), next: "hmm" },
    // hmm_range_fault_unlockable() as v2 of the series posted it: enters at "hmm",
    // returns to "hmm.return" with ret and locked set
    ...hmmRangeFaultUnlockableV2(),
    ...hmmWalk(),
    ...recordFaultInCallbacks(),
    ...hmmDoFault(),
    "hmm.return": {
      op: test("locked", (k) => k.num("locked") === 1),
      on: { yes: "unlock", no: "check" },
    },
    unlock: { op: mmapReadUnlock(), next: "check" },
    check: { op: test("ret == -EBUSY", retIs(EBUSY)), on: { yes: "again", no: "check_err" } },
    check_err: { op: test("ret", (k) => k.num("ret") !== 0), on: { yes: "exit", no: "relock" } },
    relock: {
      op: test("!locked", (k) => k.num("locked") === 0),
      on: { yes: "killed", no: "take" },
    },
    killed: { op: fatalSignalPending(), on: { yes: "eintr", no: "again" } },
    eintr: { op: set({ ret: EINTR }), next: "exit" },
    // mutex_lock; if (read_retry) { unlock; goto again; }; consume; mutex_unlock; return
    ...consumeUnderUserLock("again"),
  },
});
