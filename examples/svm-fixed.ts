// svm, fixed: prange->lock only around the commit, after the mmap lock is released,
// nested outside svms->lock as the invalidate callback nests it.
//
//   again: range.notifier_seq = mmu_interval_read_begin(&sub);
//          locked = 1;
//          mmap_read_lock(mm);
//          ret = hmm_range_fault_unlockable(&range, &locked);
//          if (locked) mmap_read_unlock(mm);
//          if (ret == -EBUSY) goto again;
//          if (ret) return ret;
//          if (!locked) goto again;
//          mutex_lock(&prange->lock);
//          mutex_lock(&svms->lock);
//          if (mmu_interval_read_retry(...)) { unlock both; goto again; }
//          ... program the GPU ...; mutex_unlock(&svms->lock);
//          mutex_unlock(&prange->lock);
import {
  compose,
  design,
  mutexLock,
  mutexUnlock,
  override,
  test,
  unlockableCaller,
  userUnlock,
} from "lockdrop/model";
import { unlockableApi } from "./mydrv-first.js";
import { RANGE_LOCK } from "./svm-invalidate.js";
import { noRangeLockAcrossFault } from "./svm-property.js";
import { twoQueues } from "./svm-scenario.js";

export default design({
  id: "svm-fixed",
  family: "hmm",
  title: "svm: prange->lock only around the commit",
  start: "again",
  steps: compose(
    unlockableCaller(),
    unlockableApi,
    override({
      check_locked: {
        op: test("!locked", (k) => k.num("locked") === 0),
        on: { yes: "again", no: "range_lock" },
      },
      collision: { op: userUnlock(), next: "collision.range" },
      release: { op: userUnlock(), next: "range_unlock" },
    }),
    {
      range_lock: { op: mutexLock(RANGE_LOCK), next: "take" },
      "collision.range": { op: mutexUnlock(RANGE_LOCK), next: "again" },
      range_unlock: { op: mutexUnlock(RANGE_LOCK), next: "exit" },
    },
  ),
  scenarios: [twoQueues],
  properties: [
    noRangeLockAcrossFault,
    "no-deadlock",
    "lock-balance",
    "no-vma-use-after-unlock",
    "no-freed-vma-use",
  ],
});
