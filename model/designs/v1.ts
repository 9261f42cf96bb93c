// v1 "[PATCH 0/3] ... Add mmap lock-drop support" (Apr 30 2026; seed 000's first
// paragraph): hmm_range_fault_unlockable(range, int *locked). The fault still runs
// inside the walk callbacks, now with FAULT_FLAG_ALLOW_RETRY | KILLABLE; when
// handle_mm_fault() drops the mmap lock (RETRY or COMPLETED) the callback sets
// *locked = 0 and the API returns 0. Faulting hugetlb pages on the unlockable path is
// refused with -EFAULT, because walk_hugetlb_range() holds and releases
// hugetlb_vma_lock_read around the callback; present hugetlb pages are reported.
import { EBUSY, EFAULT, HMM_FAULT_UNLOCKED } from "../errno.js";
import { handleMmFault } from "../kernel/fault.js";
import { hmmCall, hmmFaultFlags, hmmFaultNext, hmmReturn } from "../kernel/hmm.js";
import { hugetlbVmaLockRead, hugetlbVmaUnlockRead } from "../kernel/hugetlb.js";
import { mmuIntervalCheckRetry } from "../kernel/notifier.js";
import { retIs, set, test } from "../locals.js";
import type { Design, Steps } from "../step.js";
import { unlockableCaller } from "./callers.js";
import { hmmWalk } from "./hmm-walk.js";
import { droppableFaultNeverReaches, walkNeverReaches } from "./unreachable.js";

export const UNLOCKABLE = "hmm_range_fault_unlockable";

/**
 * hmm_range_fault_unlockable() of v1: the hmm_range_fault() loop, except that a walk
 * ending in HMM_FAULT_UNLOCKED returns 0 with *locked = 0.
 */
export function hmmRangeFaultUnlockableV1(api = UNLOCKABLE): Steps {
  return {
    hmm: { op: hmmCall(api), next: "hmm.top" },
    "hmm.top": { op: mmuIntervalCheckRetry("seq"), on: { busy: "hmm.ebusy", ok: "walk" } },
    "hmm.ebusy": { op: set({ ret: EBUSY }), next: "hmm.ret" },
    "walk.ret": {
      op: test("ret == -EBUSY", retIs(EBUSY)),
      on: { yes: "hmm.top", no: "walk.ret_unlocked" },
    },
    "walk.ret_unlocked": {
      op: test("ret == HMM_FAULT_UNLOCKED", retIs(HMM_FAULT_UNLOCKED)),
      on: { yes: "hmm.unlocked", no: "hmm.ret" },
    },
    "hmm.unlocked": { op: set({ ret: 0 }), next: "hmm.ret" },
    "hmm.ret": { op: hmmReturn(api, "locked"), next: "hmm.return" },
  };
}

/** hmm_vma_fault()'s flags: REMOTE[|WRITE], with ALLOW_RETRY | KILLABLE when `droppable`. */
const faultFlags = (droppable: boolean) =>
  droppable ? hmmFaultFlags("ALLOW_RETRY", "KILLABLE") : hmmFaultFlags();
/** What a droppable fault sets when handle_mm_fault() dropped the lock. */
const DROPPED = { locked: 0, ret: HMM_FAULT_UNLOCKED };

/**
 * hmm_vma_fault() inside the walk callbacks: handle_mm_fault() per page, -EFAULT on an
 * error, -EBUSY (walk again) when done. `droppable` adds ALLOW_RETRY | KILLABLE, and a
 * RETRY/COMPLETED then sets *locked = 0 and ends the walk with HMM_FAULT_UNLOCKED;
 * without it (mainline) the lock cannot drop. What the hugetlb callback does around
 * the fault: "refuse" (v1: -EFAULT), "drop-retake" (hugetlb_vma_unlock_read before,
 * hugetlb_vma_lock_read after, through the same pointer: mainline's dance), "hold".
 */
export function faultInCallbacks(
  droppable: boolean,
  hugetlb: "refuse" | "drop-retake" | "hold",
): Steps {
  const flags = faultFlags(droppable);
  const onDrop = (p: string) => (droppable ? `${p}.dropped` : `${p}.efault`);
  const pte: Steps = {
    "pte.fault": {
      op: handleMmFault("walk_vma", "fault_addr", flags),
      on: {
        ok: "pte.fault_next",
        error: "pte.efault",
        retry: onDrop("pte"),
        completed: onDrop("pte"),
      },
    },
    "pte.fault_next": { op: hmmFaultNext(), on: { more: "pte.fault", done: "pte.ebusy" } },
    "pte.ebusy": { op: set({ ret: EBUSY }), next: "walk.ret" },
    "pte.efault": { op: set({ ret: EFAULT }), next: "walk.ret" },
    ...(droppable ? { "pte.dropped": { op: set(DROPPED), next: "walk.ret" } } : {}),
  };
  if (hugetlb === "refuse") {
    // the mails give v1's cover letter ("Faulting hugetlb pages on the unlockable path
    // is not supported"), not its code: the hole's fault (hmm_vma_walk_hole) is refused
    // as the entry's is; a refusal in hmm_vma_walk_hugetlb_entry() alone would leave
    // the hole faulting as "hold" does (README, hugetlb hole)
    const refuse = {
      op: set({ ret: EFAULT }, "if (locked) return -EFAULT  /* hugetlb fault not supported */"),
      next: "hugetlb.unlock_ret",
    };
    return { ...pte, "hugetlb.fault": refuse, "hugetlb.hole": refuse };
  }
  // hmm_vma_walk_hugetlb_entry: spin_unlock(ptl); [hugetlb_vma_unlock_read(vma)];
  // hmm_vma_fault(); [hugetlb_vma_lock_read(vma)]; return
  const around: Steps =
    hugetlb === "drop-retake"
      ? {
          "hugetlb.fault": { op: hugetlbVmaUnlockRead("walk_vma"), next: "hugetlb.fault_one" },
          "hugetlb.relock": { op: hugetlbVmaLockRead("walk_vma"), next: "hugetlb.unlock_ret" },
        }
      : {
          "hugetlb.fault": {
            op: set({}, "(hugetlb_vma_lock_read stays held)"),
            next: "hugetlb.fault_one",
          },
          "hugetlb.relock": {
            op: set({}, "(hugetlb_vma_lock_read still held)"),
            next: "hugetlb.unlock_ret",
          },
        };
  return {
    ...pte,
    ...around,
    ...faultInHole(droppable),
    "hugetlb.fault_one": {
      op: handleMmFault("walk_vma", "fault_addr", flags),
      on: {
        ok: "hugetlb.fault_next",
        error: "hugetlb.efault",
        retry: onDrop("hugetlb"),
        completed: onDrop("hugetlb"),
      },
    },
    "hugetlb.fault_next": {
      op: hmmFaultNext(),
      on: { more: "hugetlb.fault_one", done: "hugetlb.ebusy" },
    },
    "hugetlb.ebusy": { op: set({ ret: EBUSY }), next: "hugetlb.relock" },
    "hugetlb.efault": { op: set({ ret: EFAULT }), next: "hugetlb.relock" },
    ...(droppable ? { "hugetlb.dropped": { op: set(DROPPED), next: "hugetlb.relock" } } : {}),
  };
}

/**
 * hmm_vma_walk_hole() -> hmm_vma_fault() at "hugetlb.hole" (mm/hmm.c, v7.0): no drop
 * around it, whatever the entry callback does, so the fault runs with
 * hugetlb_vma_lock_read held and hugetlb_fault()'s own read of it is a second one.
 * `droppable` as in faultInCallbacks().
 */
export function faultInHole(droppable: boolean): Steps {
  return {
    "hugetlb.hole": {
      op: handleMmFault("walk_vma", "fault_addr", faultFlags(droppable)),
      on: {
        ok: "hole.ebusy",
        error: "hole.efault",
        retry: droppable ? "hole.dropped" : "hole.efault",
        completed: droppable ? "hole.dropped" : "hole.efault",
      },
    },
    "hole.ebusy": { op: set({ ret: EBUSY }), next: "hugetlb.unlock_ret" },
    "hole.efault": { op: set({ ret: EFAULT }), next: "hugetlb.unlock_ret" },
    ...(droppable ? { "hole.dropped": { op: set(DROPPED), next: "hugetlb.unlock_ret" } } : {}),
  };
}

/** The v1 fault path: droppable, with the given hugetlb handling. */
export function droppableFaultInCallbacks(hugetlb: "refuse" | "drop-retake" | "hold"): Steps {
  return faultInCallbacks(true, hugetlb);
}

/** The v1 API with the given hugetlb handling, called as hmm.rst documents it. */
export function v1Steps(hugetlb: "refuse" | "drop-retake" | "hold"): Steps {
  return {
    ...unlockableCaller(),
    ...hmmRangeFaultUnlockableV1(),
    ...hmmWalk(),
    ...droppableFaultInCallbacks(hugetlb),
  };
}

export const v1: Design = {
  id: "v1",
  title: "v1: hmm_range_fault_unlockable(), hugetlb faults refused with -EFAULT",
  summary:
    "The fault runs inside the walk callbacks with ALLOW_RETRY | KILLABLE; a drop sets *locked = 0 and the API returns 0. The hugetlb callback refuses to fault on the unlockable path (-EFAULT) because walk_hugetlb_range() holds and releases hugetlb_vma_lock_read around it. Called as hmm.rst documents it: restart on -EBUSY or !locked, then read_retry under user_lock.",
  source: "seed 000 (first paragraph: the v1 series)",
  family: "hmm",
  start: "again",
  steps: v1Steps("refuse"),
  unreachable: [...walkNeverReaches(), ...droppableFaultNeverReaches("refuse")],
};
