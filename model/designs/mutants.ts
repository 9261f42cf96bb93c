// Caller mutants: one mistake a driver author can make, each. The checker knows
// nothing about them beyond their steps.
import { mmapReadUnlock } from "../kernel/mmap-lock.js";
import type { Design } from "../step.js";
import { documentedCaller, mshvCaller } from "./callers.js";
import { mainline } from "./mainline.js";
import { mutant } from "./mutate.js";
import {
  doFaultNeverReaches,
  MSHV_ONE_VMA,
  MSHV_WRITE_ONLY_IF_VM_WRITE,
  mshvWalkNeverReaches,
  unreachable,
  VM_WRITE_CHECKED_UNDER_SAME_HOLD,
  walkNeverReaches,
} from "./unreachable.js";
import { v2 } from "./v2.js";

const ignoringLocked = mshvCaller({ checkLocked: false });
/** `if (ret) return ret;` and `while (ret == -EBUSY)`: a 0 with *locked = 0 is taken as done. */
export const v2IgnoresLocked: Design = {
  ...mutant(
    v2,
    "v2-ignores-locked",
    "The caller treats a 0 return as success without checking *locked: after a lock drop it carries on with the next VMA and then consumes the pfns of a walk that was cut short.",
    {
      "hmm.return": ignoringLocked["hmm.return"] as Design["steps"][string],
      loop: ignoringLocked.loop as Design["steps"][string],
    },
  ),
  // it walks without the lock after a drop: holes and failed lookups are reachable
  unreachable: [
    ...walkNeverReaches({ pteSecond: MSHV_ONE_VMA, hugetlbEperm: MSHV_WRITE_ONLY_IF_VM_WRITE }),
    ...mshvWalkNeverReaches({ holes: false }),
    ...doFaultNeverReaches({ sameLock: false, permChecked: VM_WRITE_CHECKED_UNDER_SAME_HOLD }),
  ],
};

/** Consumes the pfns under user_lock without mmu_interval_read_retry(). */
export const mainlineNoReadRetry: Design = {
  ...mutant(
    mainline,
    "mainline-no-read-retry",
    "The caller programs the device from hmm_pfns under its lock without calling mmu_interval_read_retry(), so an invalidation between the walk and the lock goes unnoticed.",
    { take: documentedCaller({ readRetry: false }).take as Design["steps"][string] },
  ),
  unreachable: [
    ...(mainline.unreachable ?? []),
    ...unreachable(
      "read_retry",
      ["retry", "ok"],
      "the mutant's take goes straight to consume: nothing jumps to read_retry",
    ),
    ...unreachable(
      "collision",
      ["ok"],
      "the mutant's take goes straight to consume: nothing jumps to read_retry, the only way here",
    ),
  ],
};

/** Calls mmap_read_unlock() even when the API reported *locked = 0. */
export const v2UnlockAfterDrop: Design = {
  ...mutant(
    v2,
    "v2-unlock-after-drop",
    "The caller unlocks the mmap lock after the call whatever *locked says: after a drop it releases a lock it does not hold (the nouveau-2019 double unlock).",
    { "seg.done": { op: mmapReadUnlock(), next: "loop" } },
  ),
  unreachable: [
    ...(v2.unreachable ?? []),
    ...unreachable(
      "unlock",
      ["ok"],
      "the mutant's seg.done unlocks and goes to loop itself: nothing jumps to unlock any more",
    ),
  ],
};
