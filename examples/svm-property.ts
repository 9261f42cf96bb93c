// A property the driver's reviewers wrote: prange->lock is never held across a fault.
// The fault may drop the mmap lock and sleep in handle_userfault(); the invalidate
// callback takes prange->lock with the mmap lock held for write, so holding it there
// orders the two locks both ways.
import { holdsLock, safety, who } from "lockdrop/model";
import { RANGE_LOCK } from "./svm-invalidate.js";

export const noRangeLockAcrossFault = safety({
  id: "no-range-lock-across-fault",
  ref: "svm_invalidate() takes prange->lock under mmap_write_lock",
  statement: "prange->lock is not held while the thread enters handle_mm_fault()",
  check: ({ before, after, rec }) => {
    const fault = rec.events.find((e) => e.k === "fault");
    if (!fault || !holdsLock(before, RANGE_LOCK, rec.tid)) return null;
    return `${who(after, rec.tid)} entered handle_mm_fault() holding ${RANGE_LOCK}, which svm_invalidate() takes under mmap_write_lock.`;
  },
});
