// mapping->i_mmap_rwsem (include/linux/fs.h i_mmap_lock_read/_write and their unlocks,
// read at v7.0: plain down_read/down_write and up_read/up_write on the rwsem),
// the lock of a file's interval tree of VMAs, as a declared rwsem named I_MMAP_RWSEM:
// a scenario that uses these ops declares it. The rmap side (truncation, khugepaged's
// retraction, huge_pmd_share) takes it without the mmap lock of the mm it walks.
import type { Op } from "../step.js";
import { op } from "../step.js";
import { acquireLock, releaseLock } from "./locks.js";

/** The declared rwsem standing for the file's mapping->i_mmap_rwsem. */
export const I_MMAP_RWSEM = "i_mmap_rwsem";

function lockOp(mode: "read" | "write", caller: string): Op<"ok"> {
  return op({
    name: `${caller}i_mmap_lock_${mode}(mapping)`,
    outcomes: ["ok"],
    mightSleep: true,
    run: (k) => {
      acquireLock(k, I_MMAP_RWSEM, mode);
      return "ok";
    },
  });
}

function unlockOp(mode: "read" | "write"): Op<"ok"> {
  const fn = `i_mmap_unlock_${mode}`;
  return op({
    name: `${fn}(mapping)`,
    outcomes: ["ok"],
    run: (k) => {
      releaseLock(k, I_MMAP_RWSEM, mode, fn);
      return "ok";
    },
  });
}

/** i_mmap_lock_read(mapping), named after its caller when `caller` is given. */
export const iMmapLockRead = (caller = ""): Op<"ok"> => lockOp("read", caller);
/** i_mmap_unlock_read(mapping) */
export const iMmapUnlockRead = (): Op<"ok"> => unlockOp("read");
/** i_mmap_lock_write(mapping), named after its caller when `caller` is given. */
export const iMmapLockWrite = (caller = ""): Op<"ok"> => lockOp("write", caller);
/** i_mmap_unlock_write(mapping) */
export const iMmapUnlockWrite = (): Op<"ok"> => unlockOp("write");
