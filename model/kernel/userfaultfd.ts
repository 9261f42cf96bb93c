// userfaultfd, fault side: handle_userfault() (fs/userfaultfd.c, kernel-semantics 4.2)
// and the wake-ups of the monitor's resolution (UFFDIO_COPY, UFFDIO_WAKE) and release.
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
  // before seed 004, a uffd fault under the VMA lock returned RETRY at once, lock held
  if (has("VMA_LOCK") && handler.preVmaLockSeries) return "VM_FAULT_RETRY";
  // step 5: no ALLOW_RETRY, no waiting: SIGBUS with the lock held (mainline HMM's -EFAULT)
  if (!has("ALLOW_RETRY")) return "VM_FAULT_SIGBUS";
  // step 6: RETRY_NOWAIT returns RETRY with the lock still held
  if (has("RETRY_NOWAIT")) return "VM_FAULT_RETRY";
  // step 7: released ctx: drop the lock and retry (the retry finds no ctx)
  if (k.w.uffd.released) {
    releaseFaultLock(k, flags, vma, "handle_userfault (ctx released)");
    return "VM_FAULT_RETRY";
  }
  // steps 10-14: queue, release_fault_lock(), sleep until woken, return RETRY
  const killable = has("KILLABLE") || has("INTERRUPTIBLE");
  if (handler.keepsLockOnRetry) return "VM_FAULT_RETRY"; // the broken handler: no release, no sleep
  releaseFaultLock(k, flags, vma, "handle_userfault");
  if (killable && k.t.fatal) return "VM_FAULT_RETRY"; // signal_pending_state: no sleep
  k.w.uffd.waiting.push({ tid: k.tid, addr, read: false });
  k.emit({ k: "uffd-sleep", tid: k.tid, addr });
  k.block({ kind: "uffd", killable });
  return "VM_FAULT_RETRY";
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
