// userfaultfd, fault side: handle_userfault() (fs/userfaultfd.c) and the wake-ups of
// the monitor's resolution (UFFDIO_COPY, UFFDIO_WAKE) and release. Read at 5.18
// (003fccf2e71c), with two later changes to the checks before the wait, read in their
// mails: "userfaultfd: add /dev/userfaultfd for fine grained access control" (Axel
// Rasmussen, 2022: the UFFD_USER_MODE_ONLY test in its current form) and
// "mm/userfaultfd: Fix release hang over concurrent GUP" (Peter Xu, Mar 2025: a released
// ctx returns RETRY with the lock dropped, after the ALLOW_RETRY and NOWAIT checks).
import type { Ctx } from "../step.js";
import type { Page, VmaId, World } from "../world.js";
import type { FaultFlag, FaultHandler, VmFault } from "./fault-flags.js";
import { releaseFaultLock } from "./fault-lock.js";

/**
 * handle_userfault(vmf, VM_UFFD_MISSING), entered with the fault lock held. Returns
 * the vm_fault_t; on RETRY without NOWAIT the lock is gone and the thread may sleep.
 */
export function handleUserfault(
  k: Ctx,
  vma: VmaId,
  addr: Page,
  flags: readonly FaultFlag[],
  handler: FaultHandler = {},
): VmFault {
  const has = (f: FaultFlag) => flags.includes(f);
  // The early exits, all SIGBUS with the lock held. PF_EXITING/PF_DUMPCORE: the model's
  // driver threads never fault from do_exit() or a core dump, so that test never fires.
  // No ctx: userfaultfd_release() clears VM_UFFD_MISSING and the ctx together, and a VMA
  // without VM_UFFD_MISSING never gets here.
  const mode = k.w.uffd.mode;
  if (mode.sigbus) return sigbus(k, "UFFD_FEATURE_SIGBUS");
  // a kernel-mode fault (no FAULT_FLAG_USER) on a uffd created with UFFD_USER_MODE_ONLY
  if (!has("USER") && mode.userModeOnly)
    return sigbus(k, "a fault without FAULT_FLAG_USER on a UFFD_USER_MODE_ONLY uffd");
  // no ALLOW_RETRY, no waiting: SIGBUS with the lock held (mainline HMM's -EFAULT)
  if (!has("ALLOW_RETRY")) return "VM_FAULT_SIGBUS";
  // RETRY_NOWAIT returns RETRY with the lock still held
  if (has("RETRY_NOWAIT")) return "VM_FAULT_RETRY";
  // released ctx: drop the lock and retry (the retry finds no ctx)
  if (k.w.uffd.released) {
    releaseFaultLock(k, flags, vma, "handle_userfault (ctx released)");
    return "VM_FAULT_RETRY";
  }
  // queue, release_fault_lock(), sleep until woken, return RETRY
  const killable = has("KILLABLE") || has("INTERRUPTIBLE");
  if (handler.keepsLockOnRetry) return "VM_FAULT_RETRY"; // the broken handler: no release, no sleep
  releaseFaultLock(k, flags, vma, "handle_userfault");
  k.w.uffd.waiting.push({ tid: k.tid, addr, read: false });
  if (killable && k.t.fatal) {
    // __add_wait_queue() made the fault visible to read(), but with a fatal signal
    // pending schedule() in TASK_KILLABLE returns at once; the monitor may read and
    // resolve it before T takes itself off the queue (handleUserfaultResume)
    k.emit({
      k: "note",
      tid: k.tid,
      text: "queued in handle_userfault; a fatal signal is pending, so schedule() returns at once",
    });
    k.set(QUEUED, 1);
    k.again();
    return "VM_FAULT_RETRY";
  }
  k.emit({ k: "uffd-sleep", tid: k.tid, addr });
  k.block({ kind: "uffd", killable });
  return "VM_FAULT_RETRY";
}

/** Set while a killed fault is queued and has not yet taken itself off the queue. */
const QUEUED = "handle_userfault.queued";

/**
 * The rest of handle_userfault() after a schedule() that returned at once: the fault
 * leaves the queue if nobody woke it off (list_del) and returns VM_FAULT_RETRY, the lock
 * long released. True when the thread was there (the fault step runs this first).
 */
export function handleUserfaultResume(k: Ctx): boolean {
  if (k.get(QUEUED) !== 1) return false;
  k.unset(QUEUED);
  const queued = k.w.uffd.waiting.some((x) => x.tid === k.tid);
  if (queued) k.w.uffd.waiting = k.w.uffd.waiting.filter((x) => x.tid !== k.tid);
  k.emit({
    k: "note",
    tid: k.tid,
    text: queued
      ? "back from schedule(): leaves the fault queue, VM_FAULT_RETRY"
      : "back from schedule(): already woken off the queue, VM_FAULT_RETRY",
  });
  return true;
}

function sigbus(k: Ctx, why: string): VmFault {
  k.emit({ k: "note", tid: k.tid, text: `handle_userfault: VM_FAULT_SIGBUS (${why})` });
  return "VM_FAULT_SIGBUS";
}

export function uffdWaiters(w: World, addr?: Page): number[] {
  return w.uffd.waiting.filter((x) => addr === undefined || x.addr === addr).map((x) => x.tid);
}

/** wake_userfault(ctx, range): wake the sleepers on `addr` (all, if undefined). */
export function wakeUserfault(k: Ctx, by: string, addr?: Page): void {
  const woken = uffdWaiters(k.w as World, addr);
  k.w.uffd.waiting = k.w.uffd.waiting.filter((x) => !woken.includes(x.tid));
  k.wake(woken, by);
}
