// mydrv's own locks, by the names the thread lanes print. Edit: put your driver's locks
// here (kind "mutex", "rwsem" or "spinlock"); a scenario declares them in its `locks`,
// and a design or actor that takes a lock its scenario does not declare is a design
// error. An object with a lifetime (looked up under a lock, freed by another path) is
// declared the same way, in the scenario's `objects` ([{ name: "mrange" }]), and used
// with lookupObj(), derefObj(), detachObj() and freeObj() from lockdrop/model.
//
//   struct mydrv_range {
//           struct mmu_interval_notifier notifier;
//           struct mutex lock;      // the device mapping of the range: the commit and
//           ...                     // the invalidate callback both take it
//   };
import type { LockDecl } from "lockdrop/model";

/** mrange->lock, a mutex. */
export const RANGE_LOCK = "mrange->lock";

/** Every lock mydrv declares, as a scenario's `locks` takes them. */
export const LOCKS: readonly LockDecl[] = [{ name: RANGE_LOCK, kind: "mutex" }];
