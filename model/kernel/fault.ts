// handle_mm_fault(vma, addr, flags) (mm/memory.c), following the contract in
// kernel-semantics 2.4: the lock is released by the callee on RETRY without NOWAIT and
// on COMPLETED, and held on every other return. The result follows from the world
// (uffd armed, ALLOW_RETRY, page present, folio locked), never from a coin (errata 9).
import type { Event } from "../events.js";
import { useVma } from "../ghost.js";
import type { Ctx, Op, Unreachable } from "../step.js";
import { op } from "../step.js";
import type { Vma, World } from "../world.js";
import { type FaultFlag, type FaultHandler, flagString, type VmFault } from "./fault-flags.js";
import { releaseFaultLock } from "./fault-lock.js";
import { hugetlbLocksHeld } from "./hugetlb.js";
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
  const hugetlbHeld = hugetlbLocksHeld(k.w as World, k.tid);
  const vma = useVma(k, ref, "handle_mm_fault");
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
    // do_wp_page: break COW / make writable
    k.w.ptes[addr] = "rw";
    k.emit({ k: "pte", tid: k.tid, page: addr, pte: "rw" });
    return "0";
  }
  if (pte === "swap") return swapIn(k, vma, addr, flags, handler);
  // pte none: do_anonymous_page / hugetlb_no_page -> handle_userfault when armed
  if (vma.flags.uffdMissing) return handleUserfault(k, vma.id, addr, flags, handler);
  install(k, vma, addr, write);
  return "0";
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

/**
 * Did this fault break handle_mm_fault()'s contract? Only a fault that may release the
 * mmap lock returns VM_FAULT_RETRY or VM_FAULT_COMPLETED, and without
 * FAULT_FLAG_ALLOW_RETRY it may not: handle_userfault() returns VM_FAULT_SIGBUS and
 * __folio_lock_or_retry() sleeps in folio_lock() with the lock held instead. A handler
 * that does so anyway misbehaves (`lockdrop coverage` labels the edges it takes so).
 */
export function breaksFaultContract(e: Event): boolean {
  return (
    e.k === "fault" &&
    !e.flags.includes("ALLOW_RETRY") &&
    (e.result === "VM_FAULT_RETRY" || e.result === "VM_FAULT_COMPLETED")
  );
}

/** Why a fault without FAULT_FLAG_ALLOW_RETRY never returns RETRY or COMPLETED. */
export const NO_ALLOW_RETRY_REASON =
  "handle_mm_fault() called without FAULT_FLAG_ALLOW_RETRY never releases the mmap lock, so it returns neither VM_FAULT_RETRY nor VM_FAULT_COMPLETED (handle_userfault() returns VM_FAULT_SIGBUS, __folio_lock_or_retry() sleeps in folio_lock() instead)";

/** Why no fault of today's model returns VM_FAULT_COMPLETED. */
export const NO_COMPLETED_REASON =
  "the model's handle_mm_fault() does not produce VM_FAULT_COMPLETED today: no modelled fault path finishes the fault after releasing the mmap lock";

/**
 * The `unreachable` entries of a step that calls handle_mm_fault() without
 * FAULT_FLAG_ALLOW_RETRY: its retry and completed outcomes, which the contract forbids.
 */
export function forbiddenWithoutAllowRetry(label: string): Unreachable[] {
  return [
    { label, outcome: "retry", reason: NO_ALLOW_RETRY_REASON },
    { label, outcome: "completed", reason: NO_ALLOW_RETRY_REASON },
  ];
}

/** The `unreachable` entry of a fault step's completed outcome, which the model never produces today. */
export function completedNotModelled(label: string): Unreachable {
  return { label, outcome: "completed", reason: NO_COMPLETED_REASON };
}
