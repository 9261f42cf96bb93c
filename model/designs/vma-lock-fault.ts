// vma-lock-fault: seed 004, the arch page-fault path with per-VMA locks after
// "mm: drop per-VMA lock when returning VM_FAULT_RETRY or VM_FAULT_COMPLETED"
// (x86 do_user_addr_fault), for each page:
//   vma = lock_vma_under_rcu(mm, addr); if (!vma) goto lock_mmap;
//   if (access_error(error_code, vma)) { vma_end_read(vma); SIGSEGV; }
//   fault = handle_mm_fault(vma, addr, flags | FAULT_FLAG_VMA_LOCK);
//   if (!(fault & (RETRY | COMPLETED))) vma_end_read(vma);
//   if (!(fault & RETRY)) done;  if (fatal_signal_pending) return;
//   lock_mmap: lock_mm_and_find_vma(); access_error() again (mmap_read_unlock, SIGSEGV);
//   retry with FAULT_FLAG_TRIED on RETRY.
// vma-lock-fault-pre: before the series, a uffd or swap fault under the VMA lock
// returned RETRY at once *with the lock held*, and the caller always called
// vma_end_read(). vma-lock-nowait (mutant): passes RETRY_NOWAIT with VMA_LOCK.
import { EFAULT, EINTR } from "../errno.js";
import { handleMmFault } from "../kernel/fault.js";
import type { FaultFlag, FaultHandler, VmFault } from "../kernel/fault-flags.js";
import { isFaultError } from "../kernel/fault-flags.js";
import { mmapReadLockKillable, mmapReadUnlock } from "../kernel/mmap-lock.js";
import { fatalSignalPending } from "../kernel/signal.js";
import { vmaLookup, writeDenied } from "../kernel/vma.js";
import { lockVmaUnderRcu, vmaEndReadOp } from "../kernel/vma-lock.js";
import { exit, set, test } from "../locals.js";
import type { Ctx, Design, Steps, Unreachable } from "../step.js";
import { mutant } from "./mutate.js";
import { neverCompletes, unreachable } from "./unreachable.js";

/** The edges of the arch fault path (either variant) that no scenario reaches, and why. */
function archFaultNeverReaches(pre: boolean): Unreachable[] {
  return pre
    ? [
        neverCompletes("vl.fault", PRE_ANONYMOUS_ONLY),
        ...unreachable("vl.access", ["yes"], PRE_NO_READ_ONLY_VMA_LOCKED),
        ...unreachable("vl.bad_area", ["ok"], PRE_NO_READ_ONLY_VMA_LOCKED),
        ...unreachable("vl.fault", ["error"], PRE_VMA_LOCKED_NEVER_FAILS),
        ...unreachable("vl.result", ["yes"], PRE_VMA_LOCKED_NEVER_FAILS),
      ]
    : [
        neverCompletes("mm.fault", MMAP_PATH_NOT_ON_FILE),
        ...unreachable("mm.fault", ["error"], MMAP_PATH_NEVER_FAILS),
        ...unreachable("mm.unlock_err", ["ok"], MMAP_PATH_NEVER_FAILS),
      ];
}

const PRE_NO_READ_ONLY_VMA_LOCKED =
  "the one scenario of this family that clears VM_WRITE on an anonymous VMA (anon-mprotect-ro) arms it for userfaultfd, which 6.4-6.5's lock_vma_under_rcu() refuses: the write meets access_error() under the mmap lock";
const PRE_VMA_LOCKED_NEVER_FAILS =
  "6.4-6.5's lock_vma_under_rcu() takes an anonymous VMA only once it has an anon_vma, and a fault under it could fail here only with VM_FAULT_SIGBUS on a missing page once the OOM reaper set MMF_UNSTABLE; the reaper's scenarios have one page, and the only fault that prepares their VMA's anon_vma is T's first one, under the mmap lock";
const MMAP_PATH_NEVER_FAILS =
  "on the mmap-lock path handle_mm_fault() could fail only with VM_FAULT_SIGBUS once the OOM reaper set MMF_UNSTABLE (a write to a VMA without VM_WRITE stops at access_error() first), and the scenarios with the reaper arm no userfaultfd and write-lock no VMA, so their faults never leave the per-VMA path";

const PRE_ANONYMOUS_ONLY =
  "6.4-6.5's lock_vma_under_rcu() takes only anonymous VMAs, and VM_FAULT_COMPLETED comes only from a MAP_SHARED file page (fault_dirty_shared_page())";
const MMAP_PATH_NOT_ON_FILE =
  "the mmap-lock path never faults a MAP_SHARED file page, the only source of VM_FAULT_COMPLETED: on file-shared the per-VMA fault succeeds or completes, and lock_vma_under_rcu() fails only once munmap has write-locked the VMA, after which the lookup finds nothing";

/** FAULT_FLAG_DEFAULT | USER | WRITE, plus TRIED on a retry. */
const userFlags =
  (...extra: FaultFlag[]) =>
  (k: Ctx): FaultFlag[] => [
    "ALLOW_RETRY",
    "KILLABLE",
    "INTERRUPTIBLE",
    "USER",
    "WRITE",
    ...extra,
    ...(k.get("tried") === true ? (["TRIED"] as const) : []),
  ];

function archFault(opts: { pre: boolean; vmaLockExtra?: FaultFlag[] }): Steps {
  const handler: FaultHandler = opts.pre ? { preVmaLockSeries: true } : {};
  const vmaFault = handleMmFault(
    "vma",
    "cur",
    userFlags("VMA_LOCK", ...(opts.vmaLockExtra ?? [])),
    handler,
  );
  return {
    start: { op: set({ cur: (k) => k.num("rstart"), ret: 0, tried: false }), next: "page" },
    page: {
      op: test("addr < end", (k) => k.num("cur") < k.num("rend")),
      on: { yes: "vl.lock", no: "done" },
    },
    "vl.lock": {
      op: lockVmaUnderRcu("cur", "vma", { anonymousOnly: opts.pre }),
      on: { locked: "vl.access", none: "mm.lock" },
    },
    // a write to a VMA without VM_WRITE never reaches handle_mm_fault(): 6.4-6.5 gave
    // the VMA lock back and went to lock_mmap, where the same test fails; since v6.10
    // ("x86: mm: accelerate pagefault when badaccess") bad_area_access_error(..., NULL,
    // vma) calls vma_end_read() and sends SIGSEGV at once (arch/x86/mm/fault.c, v7.0)
    "vl.access": {
      op: writeDenied("access_error(error_code, vma)", "access_error", "vma"),
      on: { yes: "vl.bad_area", no: "vl.fault" },
    },
    "vl.bad_area": { op: vmaEndReadOp("vma"), next: opts.pre ? "mm.lock" : "sigsegv" },
    ...(opts.pre
      ? {
          // before the series: the callee never releases the VMA lock; the caller always does
          "vl.fault": { op: vmaFault, next: "vl.end_always" },
          "vl.end_always": { op: vmaEndReadOp("vma"), next: "vl.check" },
          "vl.check": {
            op: test("fault & VM_FAULT_RETRY", (k) => k.get("vmret") === "VM_FAULT_RETRY"),
            on: { yes: "vl.retry", no: "vl.result" },
          },
        }
      : {
          "vl.fault": {
            op: vmaFault,
            on: { ok: "vl.end", error: "vl.end", retry: "vl.retry", completed: "next" },
          },
          "vl.end": { op: vmaEndReadOp("vma"), next: "vl.result" },
        }),
    "vl.result": {
      op: test("fault & VM_FAULT_ERROR", (k) => isFaultError(k.get("vmret") as VmFault)),
      on: { yes: "sigsegv", no: "next" },
    },
    // count_vm_vma_lock_event(VMA_LOCK_RETRY); a fatal signal ends the fault
    "vl.retry": {
      op: fatalSignalPending(),
      on: { yes: "eintr", no: opts.pre ? "mm.lock" : "vl.major" },
    },
    // (6.4-6.5 go to lock_mmap as they are: VM_FAULT_MAJOR -> FAULT_FLAG_TRIED came in v6.8)
    // A folio RETRY here is never MAJOR: do_swap_page() (mm/memory.c, v7.0) sets
    // VM_FAULT_MAJOR only for a folio it had to read from swap itself, and the folio
    // the model's holder locks is one swap_cache_get_folio() finds. So the mmap-lock
    // attempt is a first one again, and __folio_lock_or_retry() drops the lock, waits
    // and returns RETRY once more before FAULT_FLAG_TRIED (arch/x86/mm/fault.c, v7.0).
    ...(opts.pre
      ? {}
      : {
          "vl.major": {
            op: set(
              { tried: false },
              "if (fault & VM_FAULT_MAJOR) flags |= FAULT_FLAG_TRIED  /* found in the swap cache: not MAJOR */",
            ),
            next: "mm.lock",
          },
        }),
    // lock_mm_and_find_vma()
    "mm.lock": { op: mmapReadLockKillable(), on: { ok: "mm.find", eintr: "eintr" } },
    "mm.find": { op: vmaLookup("cur", "vma"), on: { found: "mm.access", none: "mm.segv" } },
    // bad_area_access_error(..., mm, vma): mmap_read_unlock() and SIGSEGV
    "mm.access": {
      op: writeDenied("access_error(error_code, vma)", "access_error", "vma"),
      on: { yes: "mm.segv", no: "mm.fault" },
    },
    "mm.segv": { op: mmapReadUnlock(), next: "sigsegv" },
    "mm.fault": {
      op: handleMmFault("vma", "cur", userFlags()),
      on: { ok: "mm.unlock", error: "mm.unlock_err", retry: "mm.retry", completed: "next" },
    },
    "mm.retry": { op: fatalSignalPending(), on: { yes: "eintr", no: "mm.tried" } },
    "mm.tried": { op: set({ tried: true }, "flags |= FAULT_FLAG_TRIED"), next: "mm.lock" },
    "mm.unlock": { op: mmapReadUnlock(), next: "next" },
    "mm.unlock_err": { op: mmapReadUnlock(), next: "sigsegv" },
    next: { op: set({ cur: (k) => k.num("cur") + 1, tried: false }), next: "page" },
    sigsegv: { op: set({ ret: EFAULT }, "bad_area: SIGSEGV"), next: "exit" },
    eintr: { op: set({ ret: EINTR }, "fatal signal: return to be killed"), next: "exit" },
    done: { op: set({ ret: 0 }), next: "exit" },
    exit: { op: exit() },
  };
}

export const vmaLockFault: Design = {
  id: "vma-lock-fault",
  title: "arch fault under the per-VMA lock, dropped by handle_mm_fault on RETRY (seed 004)",
  summary:
    "The user page fault first tries lock_vma_under_rcu(); handle_mm_fault(FAULT_FLAG_VMA_LOCK) releases the VMA lock itself on RETRY and COMPLETED (handle_userfault and folio waits drop it where RETRY is produced), the caller calls vma_end_read() only otherwise, and a RETRY falls back to the mmap-lock path after a fatal-signal check.",
  source: "seed 004 (merged in v6.6)",
  family: "fault",
  start: "start",
  steps: archFault({ pre: false }),
  unreachable: archFaultNeverReaches(false),
};

export const vmaLockFaultPre: Design = {
  id: "vma-lock-fault-pre",
  title: "arch fault under the per-VMA lock before seed 004: swap RETRY at once, uffd VMAs refused",
  summary:
    "Before the series, lock_vma_under_rcu() refused a VMA armed for userfaultfd (such faults ran under the mmap lock), a swap fault under the VMA lock returned VM_FAULT_RETRY immediately with the VMA lock still held, and the arch code always called vma_end_read() and retried under the mmap lock, without FAULT_FLAG_TRIED.",
  source: "v6.4-6.5 (before seed 004)",
  family: "fault",
  start: "start",
  steps: archFault({ pre: true }),
  unreachable: archFaultNeverReaches(true),
};

const nowaitFails =
  "with FAULT_FLAG_VMA_LOCK and FAULT_FLAG_RETRY_NOWAIT the model's handle_mm_fault() always returns VM_FAULT_SIGSEGV, as sanitize_fault_flags() does";
const afterNowait = `the thread's first fault under the VMA lock fails and it returns: ${nowaitFails}`;
const mmapPathPlainVma =
  "the mmap-lock path runs only when lock_vma_under_rcu() fails (the RETRY path never runs), on a VMA write-locked by munmap, which then removes it (the lookup finds nothing), or by the uffd release, which leaves a plain VMA with VM_WRITE whose fault succeeds";

export const vmaLockNowait: Design = {
  ...mutant(
    vmaLockFault,
    "vma-lock-nowait",
    "The per-VMA-lock fault passes FAULT_FLAG_RETRY_NOWAIT, which contradicts the rule that a RETRY under the VMA lock always releases it; the merged kernel WARNs and returns VM_FAULT_SIGSEGV.",
    {
      "vl.fault": archFault({ pre: false, vmaLockExtra: ["RETRY_NOWAIT"] })[
        "vl.fault"
      ] as Steps[string],
    },
  ),
  unreachable: [
    ...unreachable("vl.fault", ["ok", "retry", "completed"], nowaitFails),
    ...unreachable("vl.result", ["no"], afterNowait),
    ...unreachable("vl.retry", ["yes", "no"], afterNowait),
    ...unreachable("vl.major", ["ok"], afterNowait),
    ...unreachable("page", ["no"], afterNowait),
    ...unreachable("done", ["ok"], afterNowait),
    ...unreachable("mm.fault", ["completed", "error"], mmapPathPlainVma),
    ...unreachable("mm.unlock_err", ["ok"], mmapPathPlainVma),
  ],
};
