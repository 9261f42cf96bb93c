// Why the built-in designs' edges that no scenario reaches are unreachable (the designs'
// `unreachable` lists, which `lockdrop coverage` prints). A reason is either a kernel
// rule (with the function that states it) or a fact about today's model and scenarios.
// test/coverage.test.ts recomputes the coverage of every built-in design and fails on an
// edge no search reaches that is not listed here, and on a listed edge that is reached:
// after a change to the model, it names the entries to add or to drop.
import { forbiddenWithoutAllowRetry, neverCompletes } from "../kernel/fault.js";
import type { Unreachable } from "../step.js";

export { forbiddenWithoutAllowRetry, neverCompletes };

/** The entries `{ label, outcome, reason }` of one step's outcomes, all for one reason. */
export function unreachable(
  label: string,
  outcomes: readonly string[],
  reason: string,
): Unreachable[] {
  return outcomes.map((outcome) => ({ label, outcome, reason }));
}

// ---------------------------------------------------------------------------------
// the walk (model/designs/hmm-walk.ts)

export const WALK_STARTS_BELOW_END =
  "walk_page_range() is entered only with last < end: hmm_range_fault*() starts at range->start and walks again from the page that needed a fault";

/**
 * The walk's edges no HMM design reaches, and those a design still does not reach with
 * its reason: a PTE-mapped VMA after another one, and a hugetlb VMA refusing a write.
 */
export function walkNeverReaches(
  still: { readonly pteSecond?: string; readonly hugetlbEperm?: string } = {},
): Unreachable[] {
  return [
    ...unreachable("walk", ["done"], WALK_STARTS_BELOW_END),
    ...(still.pteSecond ? unreachable("walk.next", ["pte"], still.pteSecond) : []),
    ...(still.hugetlbEperm
      ? [
          ...unreachable("hugetlb.entry", ["eperm"], still.hugetlbEperm),
          ...unreachable("hugetlb.eperm", ["ok"], still.hugetlbEperm),
        ]
      : []),
  ];
}

// ---------------------------------------------------------------------------------
// mshv's caller (model/designs/callers.ts mshvCaller)

export const MSHV_ONE_VMA =
  "mshv's caller walks one VMA at a time (range->end = min(vma->vm_end, end)), so walk_page_range() never moves on to another VMA";

export const MSHV_NO_HOLE =
  "mshv's caller looks the VMA up at cur and walks it under the same mmap lock hold, so find_vma(mm, last) finds that VMA";

export const MSHV_WRITE_ONLY_IF_VM_WRITE =
  "mshv asks for writable pages only where the VMA has VM_WRITE, so the walk never refuses a write";

/** What a walk under mshv's caller never does: another VMA, a hole, a refused write. */
export function mshvWalkNeverReaches(opts: { readonly holes: boolean }): Unreachable[] {
  return [
    ...(opts.holes
      ? [
          ...unreachable("walk", ["hole"], MSHV_NO_HOLE),
          ...unreachable("walk.hole", ["ok"], MSHV_NO_HOLE),
        ]
      : []),
    ...unreachable("walk.next", ["hugetlb", "hole"], MSHV_ONE_VMA),
    ...unreachable("pte.entry", ["eperm"], MSHV_WRITE_ONLY_IF_VM_WRITE),
    ...unreachable("walk.eperm", ["ok"], MSHV_WRITE_ONLY_IF_VM_WRITE),
  ];
}

// ---------------------------------------------------------------------------------
// faults

/** Why a fault with FAULT_FLAG_ALLOW_RETRY, by an HMM caller, never fails. */
export const HMM_FAULT_CANNOT_FAIL =
  "the model's handle_mm_fault() fails only for a userfaultfd fault without FAULT_FLAG_ALLOW_RETRY or on a uffd created with UFFD_USER_MODE_ONLY or UFFD_FEATURE_SIGBUS (VM_FAULT_SIGBUS; those uffds are only in anonymous scenarios), a fault on a private page after the OOM reaper set MMF_UNSTABLE (not hugetlb) or a write fault on a VMA without VM_WRITE (VM_FAULT_SIGSEGV); this fault has ALLOW_RETRY on a hugetlb VMA, and the walk refuses a write to a VMA without VM_WRITE before it (no OOM or hardware error is modelled)";

/** Why a fault of a GUP or arch-fault design never fails. */
export const FAULT_CANNOT_FAIL_WRITABLE =
  "the model's handle_mm_fault() fails only for a userfaultfd fault without FAULT_FLAG_ALLOW_RETRY (VM_FAULT_SIGBUS) or a write fault on a VMA without VM_WRITE (VM_FAULT_SIGSEGV); this fault has ALLOW_RETRY, and every scenario this kind of design runs in has only VMAs with VM_WRITE (no OOM or hardware error is modelled)";

/** Why a fault on a VMA that is not userfaultfd-registered never fails, even without ALLOW_RETRY. */
export const PLAIN_FAULT_CANNOT_FAIL =
  "a fault on a VMA that is not registered for userfaultfd fails in the model only when it writes to a VMA without VM_WRITE, which the walk refuses before it, or on a private page once the OOM reaper set MMF_UNSTABLE, which a hugetlb page is not (no OOM or hardware error is modelled)";

export const HUGETLB_ALWAYS_UFFD =
  "every hugetlb VMA of the scenarios is registered for userfaultfd missing faults";

export const UFFD_FAULT_RETRIES =
  "a fault on a missing hugetlb page of a userfaultfd-registered VMA with FAULT_FLAG_ALLOW_RETRY goes to handle_userfault(), which returns VM_FAULT_RETRY (the hugetlb scenarios' uffds allow kernel faults)";

export const HUGETLB_NEVER_COMPLETES =
  "hugetlb_fault() never returns VM_FAULT_COMPLETED: hugetlbfs has no ->page_mkwrite and fault_dirty_shared_page() is not on its path";

export const HUGETLB_ONE_PAGE_PER_CALLBACK =
  "walk_hugetlb_range() calls the hugetlb callback once per huge page and hmm_vma_fault() faults only [addr, end) of it (mm/hmm.c, mm/pagewalk.c at v6.16): one page of the model, so there is never a next one to fault in the same call";

export const HUGETLB_FAULT_SIGBUS =
  "every hugetlb VMA of the scenarios is registered for userfaultfd missing faults and its page is missing, so a fault on it without FAULT_FLAG_ALLOW_RETRY fails: handle_userfault() returns VM_FAULT_SIGBUS";

/** The fault loop of hmm_do_fault() (v2, and the designs built on it). */
export const DO_FAULT_SAME_LOCK =
  "hmm_do_fault() looks the VMA up under the same mmap lock hold the walk found it under, so it is still there";

export const VM_WRITE_CHECKED_UNDER_SAME_HOLD =
  "the walk that recorded the fault refused a write to a VMA without VM_WRITE, and this design faults under that same mmap lock hold, so nothing can have cleared VM_WRITE since (mprotect needs the write lock)";

/** v8's hmm_do_fault() (model/designs/v8-timeout.ts hmmDoFaultV8): -EFAULT only after the lookup. */
export const DO_FAULT_EFAULT_ONLY_AFTER_LOOKUP = `v8's hmm_do_fault() returns vm_fault_to_errno() for a failed fault (do_fault.errno), so only its vma_lookup() finding no VMA leads here, and ${DO_FAULT_SAME_LOCK}`;

/**
 * hmm_do_fault()'s edges that no scenario reaches. `sameLock`: the walk always runs under
 * the lock hold hmm_do_fault() looks the VMA up under; `efaultOnlyAfterLookup` (with
 * sameLock): a failed fault has its own step (v8's do_fault.errno), so do_fault.efault
 * follows only the lookup that finds no VMA; `permChecked`: why its VM_WRITE check never
 * fails, when it never does.
 */
export function doFaultNeverReaches(opts: {
  readonly sameLock: boolean;
  readonly efaultOnlyAfterLookup?: boolean;
  readonly permChecked?: string;
}): Unreachable[] {
  return [
    ...(opts.sameLock ? unreachable("do_fault", ["none"], DO_FAULT_SAME_LOCK) : []),
    ...(opts.sameLock && opts.efaultOnlyAfterLookup
      ? unreachable("do_fault.efault", ["ok"], DO_FAULT_EFAULT_ONLY_AFTER_LOOKUP)
      : []),
    ...(opts.permChecked
      ? [
          ...unreachable("do_fault.perm", ["eperm"], opts.permChecked),
          ...unreachable("do_fault.eperm", ["ok"], opts.permChecked),
        ]
      : []),
  ];
}

/** Why a fault loop's error exit is never taken (the fault before it never fails). */
export const ONLY_AFTER_FAILED_FAULT =
  "only a failed fault leads here, and this one, with FAULT_FLAG_ALLOW_RETRY after the walk's VM_WRITE check, never fails in the model";

/**
 * The edges of the v1 fault-in-callbacks path (faultInCallbacks(true, hugetlb)) that no
 * scenario reaches; with "refuse", the hugetlb walk never finds its page present.
 */
export function droppableFaultNeverReaches(
  hugetlb: "refuse" | "drop-retake" | "hold",
): Unreachable[] {
  const pte: Unreachable[] = [];
  if (hugetlb === "refuse") {
    const refused =
      "every hugetlb VMA of the scenarios is registered for userfaultfd with its page missing, and this design refuses to fault a hugetlb page (-EFAULT), so the hugetlb walk never finds the page present";
    return [
      ...pte,
      ...unreachable("hugetlb.entry", ["next", "end"], refused),
      ...unreachable("hugetlb.unlock", ["ok"], refused),
    ];
  }
  return [
    ...pte,
    ...hugetlbFaultNeverFails("hugetlb.fault_one", "hugetlb.efault"),
    ...unreachable("hugetlb.fault_next", ["more"], HUGETLB_ONE_PAGE_PER_CALLBACK),
    ...hugetlbFaultNeverFails("hugetlb.hole", "hole.efault"),
  ];
}

/**
 * A hugetlb fault with FAULT_FLAG_ALLOW_RETRY (the entry's or the hole's, in
 * faultInCallbacks()) and the step only its failure leads to: hugetlb never completes
 * the fault, and it never fails.
 */
function hugetlbFaultNeverFails(fault: string, efault: string): Unreachable[] {
  return [
    neverCompletes(fault, HUGETLB_NEVER_COMPLETES),
    ...unreachable(fault, ["error"], HMM_FAULT_CANNOT_FAIL),
    ...unreachable(efault, ["ok"], ONLY_AFTER_FAILED_FAULT),
  ];
}
