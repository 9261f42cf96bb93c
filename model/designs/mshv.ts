// mshv: seed 002, "[PATCH 2/3] mshv: Use hmm_range_fault_unlockable() for
// userfaultfd support", on the v1 API it was posted with: the per-VMA
// mshv_region_hmm_fault_walk() (write only when VM_WRITE and the hypervisor mapping is
// writable; stop on error or !locked) inside
//   do { seq = read_begin; locked = 1; mmap_read_lock; walk; if (locked) unlock; }
//   while (!locked || ret == -EBUSY);
// then mreg_mutex + mmu_interval_read_retry. The loop never checks
// fatal_signal_pending() and re-locks with plain mmap_read_lock (L3).
import type { Design } from "../step.js";
import { mshvCaller } from "./callers.js";
import { hmmWalk } from "./hmm-walk.js";
import {
  droppableFaultNeverReaches,
  MSHV_ONE_VMA,
  MSHV_WRITE_ONLY_IF_VM_WRITE,
  mshvWalkNeverReaches,
  walkNeverReaches,
} from "./unreachable.js";
import { droppableFaultInCallbacks, hmmRangeFaultUnlockableV1 } from "./v1.js";

export const mshv: Design = {
  id: "mshv",
  title: "mshv's restart loop over the v1 unlockable API",
  summary:
    "mshv_region_hmm_fault_and_lock() restarts the whole per-VMA walk with a fresh notifier seq whenever the lock was dropped or the call returned -EBUSY, then checks mmu_interval_read_retry() under its region mutex. It asks for writable pages only when the VMA has VM_WRITE and the hypervisor mapping is writable. On a hugetlb range the v1 API refuses the fault (-EFAULT).",
  source: "seed 002 (patch 2/3 of the v1 series)",
  family: "hmm",
  start: "again",
  steps: {
    ...mshvCaller(),
    ...hmmRangeFaultUnlockableV1(),
    ...hmmWalk(),
    ...droppableFaultInCallbacks("refuse"),
  },
  unreachable: [
    ...walkNeverReaches({ pteSecond: MSHV_ONE_VMA, hugetlbEperm: MSHV_WRITE_ONLY_IF_VM_WRITE }),
    ...mshvWalkNeverReaches({ holes: true }),
    ...droppableFaultNeverReaches("refuse"),
  ],
};
