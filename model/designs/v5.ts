// v5: the v2 structure, but hmm_do_fault() retries a
// VM_FAULT_RETRY internally, as fixup_user_fault() does: check for a fatal signal
// (-EINTR), re-take mmap_read_lock, look the VMA up again and fault again with
// FAULT_FLAG_TRIED. Only COMPLETED returns to the caller with *locked = 0.
import { EINTR } from "../errno.js";
import { handleMmFault } from "../kernel/fault.js";
import { hmmFaultFlags } from "../kernel/hmm.js";
import { mmapReadLock } from "../kernel/mmap-lock.js";
import { fatalSignalPending } from "../kernel/signal.js";
import { vmaLookup } from "../kernel/vma.js";
import { set } from "../locals.js";
import type { Ctx, Design } from "../step.js";
import { compose, override } from "../step.js";
import { unlockableCaller } from "./callers.js";
import { hmmWalk } from "./hmm-walk.js";
import { doFaultNeverReaches, walkNeverReaches } from "./unreachable.js";
import { hmmDoFault, hmmRangeFaultUnlockableV2, recordFaultInCallbacks } from "./v2.js";

const first = hmmFaultFlags("ALLOW_RETRY", "KILLABLE");
const tried = hmmFaultFlags("ALLOW_RETRY", "KILLABLE", "TRIED");
const flags = (k: Ctx) => (k.get("tried") === true ? tried(k) : first(k));

export const v5: Design = {
  id: "v5",
  title: "v5: RETRY retried inside hmm_do_fault() with FAULT_FLAG_TRIED",
  summary:
    "Like v2, but a VM_FAULT_RETRY is handled inside hmm_do_fault(): return -EINTR if a fatal signal is pending, otherwise re-take mmap_read_lock, look the VMA up again and fault again with FAULT_FLAG_TRIED. Only COMPLETED reaches the caller as *locked = 0. Called as hmm.rst documents the *locked API.",
  source: "v5 of the series",
  family: "hmm",
  start: "again",
  steps: compose(
    unlockableCaller(),
    hmmRangeFaultUnlockableV2(),
    hmmWalk(),
    recordFaultInCallbacks(),
    hmmDoFault(),
    // v5's change: a RETRY is retried here, with FAULT_FLAG_TRIED
    override({
      "do_fault.one": {
        op: handleMmFault("fault_vma", "fault_addr", flags),
        on: {
          ok: "do_fault.next",
          retry: "v5.retry",
          completed: "do_fault.unlocked",
          error: "do_fault.efault",
        },
      },
    }),
    {
      "v5.retry": { op: fatalSignalPending(), on: { yes: "v5.eintr", no: "v5.relock" } },
      "v5.eintr": { op: set({ locked: 0, ret: EINTR }), next: "walk.ret" },
      "v5.relock": { op: mmapReadLock(), next: "v5.lookup" },
      "v5.lookup": {
        op: vmaLookup("fault_addr", "fault_vma"),
        on: { found: "v5.tried", none: "do_fault.efault" },
      },
      "v5.tried": {
        op: set({ tried: true }, "fault_flags |= FAULT_FLAG_TRIED"),
        next: "do_fault.perm",
      },
    },
  ),
  // a RETRY is retried inside hmm_do_fault(): only COMPLETED returns with *locked = 0
  unreachable: [...walkNeverReaches(), ...doFaultNeverReaches({ sameLock: true })],
};
