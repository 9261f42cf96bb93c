// mydrv's invalidate callback, as an actor: a thread beside the driver threads that lockdrop
// schedules in every order against it. Edit: the steps to what your callback does, with
// the locks it takes in the order it takes them (lockdrop/locks.mts declares them).
//
//   static bool mydrv_invalidate(struct mmu_interval_notifier *mni,
//                                const struct mmu_notifier_range *range,
//                                unsigned long cur_seq)
//   {
//           // called by mprotect() (change_protection()) with mmap_write_lock held
//           mutex_lock(&mrange->lock);
//           ... unmap the range from the device ...
//           mutex_unlock(&mrange->lock);
//           return true;
//   }
//
// The steps model the locks, in their order; the notifier's seq (mmu_interval_set_seq()
// under drv->lock) is what the built-in "invalidate" actor models.
import { actor, mmapWriteLock, mmapWriteUnlock, mutexLock, mutexUnlock } from "lockdrop/model";
import { RANGE_LOCK } from "./locks.mjs";

/** mprotect() of the range: the notifier runs mydrv_invalidate() under mmap_write_lock. */
export const mydrvInvalidate = actor({
  id: "mydrv-invalidate",
  // its column in the thread lanes (the driver threads are T1, T2): a letter no other
  // actor of its scenarios has (the built-in munmap is W, the uffd monitor M)
  lane: "N",
  title: "mprotect() -> mydrv_invalidate() under mmap_write_lock",
  // it disturbs the driver's call: once a schedule ends, it finishes the operation it is
  // in but starts no new one, and liveness such as uffd-fault-completes skips such runs
  disruptive: true,
  start: "idle",
  steps: {
    idle: { op: mmapWriteLock(), next: "cb_lock" },
    cb_lock: { op: mutexLock(RANGE_LOCK), next: "cb_unlock" },
    cb_unlock: { op: mutexUnlock(RANGE_LOCK), next: "unlock" },
    unlock: { op: mmapWriteUnlock(), next: "idle" },
  },
});
