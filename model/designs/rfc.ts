// rfc: seed 001, "[RFC PATCH] mm/hmm: Add userfaultfd support to fault handling".
// hmm_handle_mm_fault() sets ALLOW_RETRY | USER for userfaultfd_missing() VMAs, and on
// RETRY/COMPLETED re-takes mmap_read_lock *inside the walk callback* and returns
// -EBUSY, which hmm_range_fault()'s loop turns into a re-walk with the same seq. In
// the hugetlb callback this happens between hugetlb_vma_unlock_read(vma) and
// hugetlb_vma_lock_read(vma), and the walker then unlocks through the same pointer:
// re-taking the mmap lock does not bring the VMA back.
import { EBUSY, EFAULT } from "../errno.js";
import { handleMmFault } from "../kernel/fault.js";
import { hmmFaultFlags, hmmFaultNext } from "../kernel/hmm.js";
import { hugetlbVmaLockRead, hugetlbVmaUnlockRead } from "../kernel/hugetlb.js";
import { mmapReadLock } from "../kernel/mmap-lock.js";
import { userfaultfdMissing } from "../kernel/vma.js";
import { set } from "../locals.js";
import type { Design, Steps, Unreachable } from "../step.js";
import { documentedCaller } from "./callers.js";
import { hmmWalk } from "./hmm-walk.js";
import { hmmRangeFault } from "./mainline.js";
import {
  forbiddenWithoutAllowRetry,
  HMM_FAULT_CANNOT_FAIL,
  HUGETLB_NEVER_COMPLETES,
  HUGETLB_ONE_PAGE_PER_CALLBACK,
  neverCompletes,
  PLAIN_FAULT_CANNOT_FAIL,
  UFFD_FAULT_RETRIES,
  unreachable,
  walkNeverReaches,
} from "./unreachable.js";

/** hmm_vma_fault() -> hmm_handle_mm_fault() per page; `exit` gets ret. */
function hmmHandleMmFault(p: "pte" | "hugetlb" | "hole", exit: string): Steps {
  const plain = hmmFaultFlags();
  const uffd = hmmFaultFlags("ALLOW_RETRY", "USER");
  return {
    [`${p}.fault_one`]: {
      op: userfaultfdMissing("walk_vma"),
      on: { yes: `${p}.fault_uffd`, no: `${p}.fault_plain` },
    },
    [`${p}.fault_uffd`]: {
      op: handleMmFault("walk_vma", "fault_addr", uffd),
      on: {
        ok: `${p}.fault_next`,
        error: `${p}.efault`,
        retry: `${p}.relock_mmap`,
        completed: `${p}.relock_mmap`,
      },
    },
    [`${p}.fault_plain`]: {
      op: handleMmFault("walk_vma", "fault_addr", plain),
      on: {
        ok: `${p}.fault_next`,
        error: `${p}.efault`,
        retry: `${p}.efault`,
        completed: `${p}.efault`,
      },
    },
    // "if (ret & (VM_FAULT_COMPLETED | VM_FAULT_RETRY)) { mmap_read_lock(mm); return -EBUSY; }"
    [`${p}.relock_mmap`]: { op: mmapReadLock(), next: `${p}.ebusy` },
    [`${p}.fault_next`]: {
      op: hmmFaultNext(),
      on: { more: `${p}.fault_one`, done: `${p}.ebusy` },
    },
    [`${p}.ebusy`]: { op: set({ ret: EBUSY }), next: exit },
    [`${p}.efault`]: { op: set({ ret: EFAULT }), next: exit },
  };
}

export const rfc: Design = {
  id: "rfc",
  title: "RFC: -EBUSY per fault, mmap_read_lock re-taken inside the walk callback",
  summary:
    "hmm_handle_mm_fault() faults uffd-missing VMAs with ALLOW_RETRY | USER and, when the lock was dropped, re-takes mmap_read_lock inside the callback and returns -EBUSY; hmm_range_fault() walks again with the same seq. The hugetlb callback still faults between hugetlb_vma_unlock_read() and hugetlb_vma_lock_read() on the same VMA pointer. No killable lock, no fatal-signal check.",
  source: "seed 001",
  family: "hmm",
  start: "again",
  steps: {
    ...documentedCaller(),
    ...hmmRangeFault(),
    ...hmmWalk(),
    "pte.fault": { op: set({}, "hmm_vma_fault(addr, end)"), next: "pte.fault_one" },
    ...hmmHandleMmFault("pte", "walk.ret"),
    "hugetlb.fault": { op: hugetlbVmaUnlockRead("walk_vma"), next: "hugetlb.fault_one" },
    ...hmmHandleMmFault("hugetlb", "hugetlb.relock"),
    "hugetlb.relock": { op: hugetlbVmaLockRead("walk_vma"), next: "hugetlb.unlock_ret" },
    // where hugetlb_walk() finds no PMD table, pte_hole's hmm_vma_fault() runs with
    // hugetlb_vma_lock_read held (mm/hmm.c hmm_vma_walk_hole, v7.0)
    "hugetlb.hole": {
      op: set({}, "hmm_vma_walk_hole() -> hmm_vma_fault(addr, end)"),
      next: "hole.fault_one",
    },
    ...hmmHandleMmFault("hole", "hugetlb.unlock_ret"),
  },
  unreachable: [
    ...walkNeverReaches(),
    neverCompletes("pte.fault_uffd"),
    ...forbiddenWithoutAllowRetry("pte.fault_plain"),
    ...hugetlbFaultNeverReaches("hugetlb"),
    ...hugetlbFaultNeverReaches("hole"),
  ],
};

/** The edges of hmm_handle_mm_fault() on a hugetlb page (its entry's or its hole's) that no scenario reaches. */
function hugetlbFaultNeverReaches(p: "hugetlb" | "hole"): Unreachable[] {
  return [
    ...forbiddenWithoutAllowRetry(`${p}.fault_plain`),
    ...unreachable(`${p}.fault_plain`, ["error"], PLAIN_FAULT_CANNOT_FAIL),
    ...unreachable(`${p}.fault_uffd`, ["ok"], UFFD_FAULT_RETRIES),
    neverCompletes(`${p}.fault_uffd`, HUGETLB_NEVER_COMPLETES),
    ...unreachable(`${p}.fault_uffd`, ["error"], HMM_FAULT_CANNOT_FAIL),
    ...unreachable(`${p}.fault_next`, ["more"], HUGETLB_ONE_PAGE_PER_CALLBACK),
    ...unreachable(
      `${p}.efault`,
      ["ok"],
      "only a failed hugetlb fault leads here, and the only one entered has FAULT_FLAG_ALLOW_RETRY on a VMA with VM_WRITE, which the model never fails",
    ),
  ];
}
