// A GPU driver's shared-virtual-memory code, as its designs share it: its own lock, and
// the invalidate callback that takes it, as an actor.
//
//   struct svm_range { struct mutex lock; ... };   // one range, two GPU queues fault it
//
//   static bool svm_invalidate(struct mmu_interval_notifier *mni,
//                              const struct mmu_notifier_range *range, unsigned long cur_seq)
//   {
//           mutex_lock(&prange->lock);             // called by mprotect() under mmap_write_lock
//           mmu_interval_set_seq(mni, cur_seq);
//           ... unmap from the GPU ...
//           mutex_unlock(&prange->lock);
//           return true;
//   }
import { actor, mmapWriteLock, mmapWriteUnlock, mutexLock, mutexUnlock } from "lockdrop/model";

/** prange->lock, a mutex: the name the lanes print. */
export const RANGE_LOCK = "prange->lock";

/**
 * mprotect() of the range: do_mprotect_pkey() holds mmap_write_lock, and
 * change_protection() calls mmu_notifier_invalidate_range_start(MMU_NOTIFY_PROTECTION_VMA)
 * (mm/mprotect.c: change_pmd_range() in 5.x, change_pud_range() in 6.x), so the
 * driver's invalidate callback takes prange->lock under the mmap write lock.
 */
export const svmInvalidate = actor({
  id: "svm-invalidate",
  lane: "W",
  title: "mprotect() -> svm_invalidate() under mmap_write_lock",
  disruptive: true,
  start: "idle",
  steps: {
    idle: { op: mmapWriteLock(), next: "cb_lock" },
    cb_lock: { op: mutexLock(RANGE_LOCK), next: "cb_unlock" },
    cb_unlock: { op: mutexUnlock(RANGE_LOCK), next: "unlock" },
    unlock: { op: mmapWriteUnlock(), next: "idle" },
  },
});
