// svm, first attempt: the range lock taken around the whole fault loop.
//
//   mutex_lock(&prange->lock);
//   again: range.notifier_seq = mmu_interval_read_begin(&sub);
//          locked = 1;
//          mmap_read_lock(mm);
//          ret = hmm_range_fault_unlockable(&range, &locked);
//          if (locked) mmap_read_unlock(mm);
//          if (ret == -EBUSY) goto again;
//          if (ret) goto out;
//          if (!locked) goto again;
//          mutex_lock(&svms->lock); if (mmu_interval_read_retry(...)) { unlock; goto again; }
//          ... program the GPU ...; mutex_unlock(&svms->lock);
//   out:   mutex_unlock(&prange->lock);
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
  id: "svm-first",
  family: "hmm",
  title: "svm: prange->lock held across hmm_range_fault_unlockable()",
  start: "range_lock",
  steps: compose(
    { range_lock: { op: mutexLock(RANGE_LOCK), next: "again" } },
    unlockableCaller(),
    unlockableApi,
    override({
      check_err: {
        op: test("ret", (k) => k.num("ret") !== 0),
        on: { yes: "out", no: "check_locked" },
      },
      release: { op: userUnlock(), next: "out" },
    }),
    { out: { op: mutexUnlock(RANGE_LOCK), next: "exit" } },
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
