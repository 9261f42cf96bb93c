// anon-fault: a user write fault on one page of a private anonymous VMA, the arch path
// with per-VMA locks (arch/x86/mm/fault.c do_user_addr_fault(), v6.16-v7.0), written
// out to the VMA objects it decides about:
//   vma = lock_vma_under_rcu(mm, address)   mas_walk under RCU; vma_start_read() takes a
//                                           vm_refcnt reference and checks vma->vm_mm
//                                           == mm; then address in [vm_start, vm_end)
//   if (!vma) goto lock_mmap;
//   if (access_error(error_code, vma)) { vma_end_read(vma); SIGSEGV }
//   handle_mm_fault(vma, address, flags | FAULT_FLAG_VMA_LOCK): do_anonymous_page() ->
//     vmf_anon_prepare(): if (!vma->anon_vma) { if (!mmap_read_trylock(mm)) RETRY with
//     vma_end_read(); __anon_vma_prepare(vma); mmap_read_unlock(mm) }
//     (mm/memory.c __vmf_anon_prepare, mm/internal.h vmf_anon_prepare, v6.10+)
//   vma_end_read(vma); on RETRY: lock_mmap: lock_mm_and_find_vma() and the same fault
//   under the mmap read lock, where __anon_vma_prepare() runs as it is.
// __anon_vma_prepare() (mm/rmap.c) attaches vma->anon_vma under mm->page_table_lock
// after find_mergeable_anon_vma() has looked at the neighbouring VMAs, which only the
// mmap lock keeps still. Family "anon-fault": it runs only in the scenarios that list it.
//
// Mutants:
//   anon-fault-prepare-vma-locked: __anon_vma_prepare() under the VMA lock alone, the
//     mistake vmf_anon_prepare() exists to prevent (its kernel-doc: __anon_vma_prepare()
//     looks at adjacent VMAs, "not safe to do with only the per-VMA lock held"; until
//     v6.10 lock_vma_under_rcu() refused an anonymous VMA without an anon_vma instead);
//   anon-fault-no-recheck: lock_vma_under_rcu() that trusts the VMA mas_walk() found,
//     without vma_start_read()'s vm_mm check or the range check, so a slot that
//     SLAB_TYPESAFE_BY_RCU gave to another mm's VMA is faulted as its own.
import { EFAULT, EINTR } from "../errno.js";
import {
  accessError,
  anonVmaAlloc,
  anonVmaAttach,
  doAnonymousPage,
  PAGE_TABLE_LOCK,
  vmaHasAnonVma,
} from "../kernel/anon-vma.js";
import { spinLock, spinUnlock } from "../kernel/locks.js";
import { mmapReadLockKillable, mmapReadTrylock, mmapReadUnlock } from "../kernel/mmap-lock.js";
import { vmaLookup } from "../kernel/vma.js";
import { masWalk, vmaEndReadOp, vmaRangeCheck, vmaStartReadRcu } from "../kernel/vma-lock.js";
import { exit, set } from "../locals.js";
import type { Design, Op, Steps } from "../step.js";
import { op } from "../step.js";
import { mutant } from "./mutate.js";
import { unreachable } from "./unreachable.js";

const NO_SHRINK =
  "no anon-fault scenario changes a live VMA's range, so a VMA that vma_start_read() locks in this mm always still covers the address";
const NO_RANGE_CHECK = "the mutant skips the range check";
const PREPARES_UNDER_VMA_LOCK =
  "the mutant prepares the anon_vma under the VMA lock without mmap_read_trylock(), so it never retries for it";

/** `if (!mmap_read_trylock(vma->vm_mm))` in __vmf_anon_prepare() under the VMA lock. */
const anonPrepareTrylock: Op<"ok" | "busy"> = op({
  name: "__vmf_anon_prepare(): mmap_read_trylock(vma->vm_mm)",
  outcomes: ["ok", "busy"],
  run: (k) => (mmapReadTrylock(k) ? "ok" : "busy"),
});

/** __anon_vma_prepare(vma) from `p`.alloc, then `next`. */
function prepareSteps(p: string, next: string): Steps {
  return {
    [`${p}.alloc`]: { op: anonVmaAlloc("vma"), next: `${p}.ptl` },
    [`${p}.ptl`]: { op: spinLock(PAGE_TABLE_LOCK), next: `${p}.attach` },
    [`${p}.attach`]: { op: anonVmaAttach("vma"), next: `${p}.unptl` },
    [`${p}.unptl`]: { op: spinUnlock(PAGE_TABLE_LOCK), next },
  };
}

function anonFaultSteps(o: {
  readonly prepareVmaLocked?: boolean;
  readonly noRecheck?: boolean;
}): Steps {
  return {
    start: { op: set({ addr: (k) => k.num("rstart"), ret: 0 }), next: "vl.walk" },
    // lock_vma_under_rcu()
    "vl.walk": { op: masWalk("addr", "slot"), on: { found: "vl.start", none: "mm.lock" } },
    "vl.start": {
      op: vmaStartReadRcu("slot", "vma", { checkMm: !o.noRecheck }),
      on: {
        locked: o.noRecheck ? "vl.access" : "vl.range",
        busy: "mm.lock",
        eagain: "vl.walk",
        "other-mm": "mm.lock",
      },
    },
    "vl.range": { op: vmaRangeCheck("vma", "addr"), on: { in: "vl.access", out: "vl.inval" } },
    "vl.inval": { op: vmaEndReadOp("vma"), next: "mm.lock" },
    "vl.access": { op: accessError("vma"), on: { ok: "vl.anon", error: "vl.segv" } },
    "vl.segv": { op: vmaEndReadOp("vma"), next: "sigsegv" },
    // handle_mm_fault(FAULT_FLAG_VMA_LOCK) -> do_anonymous_page() -> vmf_anon_prepare()
    "vl.anon": {
      op: vmaHasAnonVma("vma"),
      on: { yes: "vl.install", no: o.prepareVmaLocked ? "vl.prep.alloc" : "vl.trylock" },
    },
    "vl.trylock": { op: anonPrepareTrylock, on: { ok: "vl.prep.alloc", busy: "vl.retry" } },
    ...prepareSteps("vl.prep", o.prepareVmaLocked ? "vl.install" : "vl.mmunlock"),
    "vl.mmunlock": { op: mmapReadUnlock(), next: "vl.install" },
    // vmf_anon_prepare(): VM_FAULT_RETRY with the VMA lock released
    "vl.retry": { op: vmaEndReadOp("vma"), next: "mm.lock" },
    "vl.install": { op: doAnonymousPage("vma", "addr"), next: "vl.end" },
    "vl.end": { op: vmaEndReadOp("vma"), next: "done" },
    // lock_mmap: lock_mm_and_find_vma(), then the fault under the mmap read lock
    "mm.lock": { op: mmapReadLockKillable(), on: { ok: "mm.find", eintr: "eintr" } },
    "mm.find": { op: vmaLookup("addr", "vma"), on: { found: "mm.access", none: "mm.segv" } },
    "mm.access": { op: accessError("vma"), on: { ok: "mm.anon", error: "mm.segv" } },
    "mm.anon": { op: vmaHasAnonVma("vma"), on: { yes: "mm.install", no: "mm.prep.alloc" } },
    ...prepareSteps("mm.prep", "mm.install"),
    "mm.install": { op: doAnonymousPage("vma", "addr"), next: "mm.unlock" },
    "mm.unlock": { op: mmapReadUnlock(), next: "done" },
    "mm.segv": { op: mmapReadUnlock(), next: "sigsegv" },
    sigsegv: { op: set({ ret: EFAULT }, "bad_area: SIGSEGV"), next: "exit" },
    eintr: { op: set({ ret: EINTR }, "fatal signal: return to be killed"), next: "exit" },
    done: { op: set({ ret: 0 }), next: "exit" },
    exit: { op: exit() },
  };
}

export const anonFault: Design = {
  id: "anon-fault",
  title: "anonymous write fault under the per-VMA lock, with vmf_anon_prepare (v6.16+)",
  summary:
    "The user fault locks the VMA with lock_vma_under_rcu() (vma_start_read takes a vm_refcnt reference and checks vma->vm_mm, then the address is checked against vm_start/vm_end); do_anonymous_page() prepares a missing anon_vma only with the mmap lock, taken by mmap_read_trylock() or else by returning VM_FAULT_RETRY and faulting again under mmap_read_lock; __anon_vma_prepare() attaches it under mm->page_table_lock.",
  source: "mm/memory.c __vmf_anon_prepare, mm/mmap_lock.c lock_vma_under_rcu (v6.16-v7.0)",
  family: "anon-fault",
  start: "start",
  steps: anonFaultSteps({}),
  unreachable: unreachable("vl.range", ["out"], NO_SHRINK).concat(
    unreachable("vl.inval", ["ok"], NO_SHRINK),
  ),
};

export const anonFaultPrepareVmaLocked: Design = {
  ...mutant(
    anonFault,
    "anon-fault-prepare-vma-locked",
    "The fault calls __anon_vma_prepare() with only the per-VMA lock held, as if vmf_anon_prepare() did not exist: find_mergeable_anon_vma() reads the neighbouring VMAs and vma->anon_vma is attached without the mmap lock.",
    {
      "vl.anon": anonFaultSteps({ prepareVmaLocked: true })["vl.anon"] as Steps[string],
      "vl.prep.unptl": anonFaultSteps({ prepareVmaLocked: true })["vl.prep.unptl"] as Steps[string],
    },
  ),
  unreachable: [
    ...(anonFault.unreachable ?? []),
    ...unreachable("vl.trylock", ["ok", "busy"], PREPARES_UNDER_VMA_LOCK),
    ...unreachable("vl.mmunlock", ["ok"], PREPARES_UNDER_VMA_LOCK),
    ...unreachable("vl.retry", ["ok"], PREPARES_UNDER_VMA_LOCK),
  ],
};

export const anonFaultNoRecheck: Design = {
  ...mutant(
    anonFault,
    "anon-fault-no-recheck",
    "lock_vma_under_rcu() without the checks after vma_start_read(): neither vma->vm_mm == mm nor the address in [vm_start, vm_end), so a VMA slot freed and reused by another mm (SLAB_TYPESAFE_BY_RCU) is faulted as this mm's.",
    { "vl.start": anonFaultSteps({ noRecheck: true })["vl.start"] as Steps[string] },
  ),
  unreachable: [
    ...unreachable(
      "vl.start",
      ["other-mm"],
      "the mutant's vma_start_read() does not compare vm_mm",
    ),
    ...unreachable("vl.range", ["in", "out"], NO_RANGE_CHECK),
    ...unreachable("vl.inval", ["ok"], NO_RANGE_CHECK),
  ],
};
