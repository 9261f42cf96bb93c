// handle_mm_fault(vma, addr, flags) (mm/memory.c): the lock is released by the callee
// on RETRY without NOWAIT and on COMPLETED, and held on every other return. The result
// follows from the world (uffd armed, ALLOW_RETRY, page present, folio locked, a shared
// file page dirtied), never from a coin.
import { useVma } from "../ghost.js";
import type { Ctx, Op } from "../step.js";
import { op } from "../step.js";
import type { Vma, World } from "../world.js";
import { type FaultFlag, type FaultHandler, flagString, type VmFault } from "./fault-flags.js";
import { releaseFaultLock } from "./fault-lock.js";
import { hugetlbFaultLock, hugetlbLocksHeld } from "./hugetlb.js";
import { handleUserfault } from "./userfaultfd.js";

export type FaultOutcome = "ok" | "retry" | "completed" | "error";
export type Flags = readonly FaultFlag[] | ((k: Ctx) => readonly FaultFlag[]);

/** The fault itself, for ops that wrap it (GUP, fixup_user_fault, ...). */
export function doFault(
  k: Ctx,
  vmaLocal: string,
  addr: number,
  flags: readonly FaultFlag[],
  handler: FaultHandler = {},
): VmFault {
  const ref = k.ref(vmaLocal);
  if (!ref) throw new Error(`handle_mm_fault: local "${vmaLocal}" holds no VMA pointer`);
  const vma = useVma(k, ref, "handle_mm_fault");
  // hugetlb_fault's own hugetlb_vma_lock_read: queued behind a writer, the step waits
  // and runs again once granted (no fault has happened yet)
  if (vma.flags.hugetlb && !hugetlbFaultLock(k, vma.id)) return "0";
  // the caller's own holds, not hugetlb_fault's (released above)
  const hugetlbHeld = hugetlbLocksHeld(k.w as World, k.tid);
  const pteBefore = k.w.ptes[addr];
  const result = fault(k, vma, addr, flags, handler);
  k.emit({
    k: "fault",
    tid: k.tid,
    vma: ref.vma,
    addr,
    flags: [...flags],
    result,
    hugetlbHeld,
    // which kind of RETRY: handle_userfault's, or a folio-lock wait that TRIED changes
    retrySource:
      result !== "VM_FAULT_RETRY" ? null : pteBefore === "swap" ? "folio" : "userfaultfd",
    vmaWrite: vma.flags.write,
  });
  k.set("vmret", result);
  k.set(
    "retry_src",
    result === "VM_FAULT_RETRY" ? (pteBefore === "swap" ? "folio" : "userfaultfd") : null,
  );
  return result;
}

function install(k: Ctx, vma: Vma, addr: number, write: boolean): void {
  const pte = write || (vma.flags.shared && vma.flags.write) ? "rw" : "ro";
  k.w.ptes[addr] = pte;
  k.emit({ k: "pte", tid: k.tid, page: addr, pte });
}

function fault(
  k: Ctx,
  vma: Vma,
  addr: number,
  flags: readonly FaultFlag[],
  handler: FaultHandler,
): VmFault {
  const has = (f: FaultFlag) => flags.includes(f);
  const write = has("WRITE");
  // sanitize_fault_flags(): a write fault without VM_WRITE, VMA_LOCK with RETRY_NOWAIT
  if (write && !vma.flags.write) return "VM_FAULT_SIGSEGV";
  if (has("VMA_LOCK") && has("RETRY_NOWAIT")) return "VM_FAULT_SIGSEGV";
  const pte = k.w.ptes[addr];
  if (pte === undefined) return "VM_FAULT_SIGSEGV";
  if (pte === "rw" || (pte === "ro" && !write)) return "0";
  if (pte === "ro") {
    // do_wp_page: break COW / make writable (wp_page_shared for a shared file page)
    k.w.ptes[addr] = "rw";
    k.emit({ k: "pte", tid: k.tid, page: addr, pte: "rw" });
    return write && hasPageMkwrite(vma) ? dirtySharedPage(k, vma, flags) : "0";
  }
  if (pte === "swap") return swapIn(k, vma, addr, flags, handler);
  // pte none: do_anonymous_page / hugetlb_no_page -> handle_userfault when armed
  if (vma.flags.uffdMissing) return handleUserfault(k, vma.id, addr, flags, handler);
  install(k, vma, addr, write);
  // do_shared_fault: a write to a shared file page dirties it
  return write && hasPageMkwrite(vma) ? dirtySharedPage(k, vma, flags) : "0";
}

/**
 * A MAP_SHARED VMA of a regular file on a filesystem with ->page_mkwrite (ext4, xfs,
 * ...), named by its `file` ("ext4:0"); not shmem or hugetlbfs, which have none.
 */
function hasPageMkwrite(vma: Vma): boolean {
  const fs = vma.flags.file?.split(":")[0];
  return vma.flags.shared && !vma.flags.hugetlb && !!fs && fs !== "shmem" && fs !== "hugetlbfs";
}

/**
 * fault_dirty_shared_page() (mm/memory.c), after do_shared_fault and wp_page_shared:
 * the folio is dirtied and, before balance_dirty_pages_ratelimited(),
 * maybe_unlock_mmap_for_io() (mm/internal.h) drops the fault lock on a first attempt
 * (ALLOW_RETRY without TRIED) without RETRY_NOWAIT; the fault then returns
 * VM_FAULT_COMPLETED, the page installed and the lock gone.
 */
function dirtySharedPage(k: Ctx, vma: Vma, flags: readonly FaultFlag[]): VmFault {
  const has = (f: FaultFlag) => flags.includes(f);
  if (!has("ALLOW_RETRY") || has("TRIED") || has("RETRY_NOWAIT")) return "0";
  releaseFaultLock(k, flags, vma.id, "fault_dirty_shared_page: maybe_unlock_mmap_for_io");
  return "VM_FAULT_COMPLETED";
}

/**
 * do_swap_page: the folio must be locked. If another thread holds it,
 * __folio_lock_or_retry drops the fault lock and waits on the first attempt
 * (ALLOW_RETRY without TRIED), then returns RETRY; on a TRIED attempt it sleeps in
 * folio_lock with the fault lock held and goes on (kernel-semantics 2.1, L4).
 */
function swapIn(
  k: Ctx,
  vma: Vma,
  addr: number,
  flags: readonly FaultFlag[],
  handler: FaultHandler,
): VmFault {
  const has = (f: FaultFlag) => flags.includes(f);
  const owner = k.w.folioLock[addr];
  const killable = has("KILLABLE");
  if (has("VMA_LOCK") && handler.preVmaLockSeries) return "VM_FAULT_RETRY";
  if (owner !== null && owner !== undefined && owner !== k.tid) {
    if (has("ALLOW_RETRY") && !has("TRIED")) {
      if (has("RETRY_NOWAIT")) return "VM_FAULT_RETRY";
      releaseFaultLock(k, flags, vma.id, "__folio_lock_or_retry");
      if (!(killable && k.t.fatal)) k.block({ kind: "folio", page: addr, killable });
      return "VM_FAULT_RETRY";
    }
    // folio_lock() with the fault lock held; the step runs again once it is free
    k.block({ kind: "folio", page: addr, killable: false }, undefined, { again: true });
    return "0";
  }
  install(k, vma, addr, has("WRITE"));
  return "0";
}

export function outcomeOf(r: VmFault): FaultOutcome {
  if (r === "VM_FAULT_RETRY") return "retry";
  if (r === "VM_FAULT_COMPLETED") return "completed";
  if (r === "0") return "ok";
  return "error";
}

/** `vmret = handle_mm_fault(vma, addr, flags, NULL)` */
export const handleMmFault = (
  vma: string,
  addr: string,
  flags: Flags,
  handler: FaultHandler = {},
): Op<FaultOutcome> =>
  op({
    name: `handle_mm_fault(${vma}, ${addr}, ${typeof flags === "function" ? "flags" : flagString(flags)})`,
    outcomes: ["ok", "retry", "completed", "error"],
    run: (k) => {
      const f = typeof flags === "function" ? flags(k) : flags;
      return outcomeOf(doFault(k, vma, k.num(addr), f, handler));
    },
  });
