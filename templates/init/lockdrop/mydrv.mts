// mydrv: a design, the driver's fault loop as labelled steps, each one kernel primitive.
// Edit: the steps to your driver's loop, and the scenarios and properties it lists
// (lockdrop/scenario.mts, lockdrop/property.mts). `npx lockdrop check lockdrop/mydrv.mts`
// checks it, and lockdrop/mydrv.test.mts keeps the verdicts in `npm test`. The guide to
// steps, primitives and counterexamples: node_modules/lockdrop/docs/writing-a-design.md.
//
// This one faults a user range in with hmm_range_fault_unlockable(), which may drop the
// mmap lock (then *locked is 0, and a 0 return means "start again"), and commits the
// pages under its own mrange->lock, taken only once the mmap lock is released:
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
//          mutex_lock(&mrange->lock);         // after the mmap lock is released
//          mutex_lock(&drv->lock);
//          if (mmu_interval_read_retry(&sub, range.notifier_seq)) {
//                  mutex_unlock(&drv->lock);
//                  mutex_unlock(&mrange->lock);
//                  goto again;
//          }
//          ... program the device from hmm_pfns ...;
//          mutex_unlock(&drv->lock);
//          mutex_unlock(&mrange->lock);
//
// (.mts, not .ts: an ES module whether or not package.json says "type": "module".)
import {
  compose,
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
  mutexLock,
  mutexUnlock,
  override,
  recordFaultInCallbacks,
  retIs,
  set,
  test,
  userUnlock,
} from "lockdrop/model";
import { RANGE_LOCK } from "./locks.mjs";
import { noMmapLockUnderRangeLock } from "./property.mjs";
import { anonUffd, hugetlbUffd, twoThreads } from "./scenario.mjs";

export default design({
  id: "mydrv",
  family: "hmm",
  title: "mydrv: hmm_range_fault_unlockable(), killable retry, mrange->lock around the commit",
  start: "again",
  // compose() joins fragments into one step table and refuses a label defined twice,
  // unless the later fragment is marked override(...)
  steps: compose(
    {
      again: { op: mmuIntervalReadBegin("seq"), next: "init" },
      init: { op: set({ locked: 1 }), next: "lock" },
      lock: { op: mmapReadLock(), next: "hmm" },
    },
    // hmm_range_fault_unlockable() as v2 of the series posted it: enters at "hmm",
    // returns to "hmm.return" with ret and locked set
    hmmRangeFaultUnlockableV2(),
    hmmWalk(),
    recordFaultInCallbacks(),
    hmmDoFault(),
    {
      "hmm.return": {
        op: test("locked", (k) => k.num("locked") === 1),
        on: { yes: "unlock", no: "check" },
      },
      unlock: { op: mmapReadUnlock(), next: "check" },
      check: { op: test("ret == -EBUSY", retIs(EBUSY)), on: { yes: "again", no: "check_err" } },
      check_err: {
        op: test("ret", (k) => k.num("ret") !== 0),
        on: { yes: "exit", no: "relock" },
      },
      relock: {
        op: test("!locked", (k) => k.num("locked") === 0),
        on: { yes: "killed", no: "range_lock" },
      },
      killed: { op: fatalSignalPending(), on: { yes: "eintr", no: "again" } },
      eintr: { op: set({ ret: EINTR }), next: "exit" },
      range_lock: { op: mutexLock(RANGE_LOCK), next: "take" },
    },
    // take: mutex_lock(&drv->lock) ("user_lock" in the lanes), read_retry, then either
    // collision (unlock, goto again) or consume and release (unlock, return); both
    // unlocks are replaced to go on to mutex_unlock(&mrange->lock)
    consumeUnderUserLock("again"),
    override({
      collision: { op: userUnlock(), next: "collision.range" },
      release: { op: userUnlock(), next: "range_unlock" },
    }),
    {
      "collision.range": { op: mutexUnlock(RANGE_LOCK), next: "again" },
      range_unlock: { op: mutexUnlock(RANGE_LOCK), next: "exit" },
    },
  ),
  // what `lockdrop check` and checkDesign() run when they are not told: scenarios and
  // properties declared in this folder, or the ids of built-in ones (`npx lockdrop list`)
  scenarios: [twoThreads, anonUffd, hugetlbUffd],
  // the team's property and the built-in ones that bear on this loop; those that follow
  // a driver's calls (walk-restarts-on-ebusy, zero-unlocked-not-success, the liveness of
  // uffd-fault-completes) follow each of two driver threads on its own. mydrv.test.mts
  // checks every built-in property on the one-thread scenarios as well
  properties: [
    noMmapLockUnderRangeLock,
    "no-deadlock",
    "lock-balance",
    "no-vma-use-after-unlock",
    "no-freed-vma-use",
    "pfns-under-valid-seq",
    "walk-restarts-on-ebusy",
    "zero-unlocked-not-success",
    "fatal-signal-ends-loop",
    "uffd-fault-completes",
  ],
});
