// A rule of mydrv's, checked after every step of every schedule beside the built-in
// properties. Edit: the statement, and the check that returns a message naming the
// thread and what it held (null when the step is fine).
//
// mydrv_invalidate() takes mrange->lock under mmap_write_lock, so the lock order is
// mmap_lock -> mrange->lock. A thread that holds mrange->lock and then takes (or waits
// for) the mmap lock orders them the other way: with mprotect() running, a deadlock.
import { holdsLock, safety, who } from "lockdrop/model";
import { RANGE_LOCK } from "./locks.mjs";

export const noMmapLockUnderRangeLock = safety({
  id: "no-mmap-lock-under-range-lock",
  ref: "mydrv_invalidate() takes mrange->lock under mmap_write_lock",
  statement: "no thread takes or waits for the mmap lock while it holds mrange->lock",
  check: ({ before, after, rec }) => {
    for (const e of rec.events)
      if (e.k === "lock" && e.lock.kind === "mmap" && holdsLock(before, RANGE_LOCK, e.tid))
        return `${who(after, e.tid)} ${e.granted ? "took" : "waits for"} the mmap lock holding ${RANGE_LOCK}, which mydrv_invalidate() takes under mmap_write_lock.`;
    return null;
  },
});
