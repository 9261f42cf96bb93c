// handle_mm_fault(vma, addr, flags) (mm/memory.c), following the contract in
// kernel-semantics 2.4: the lock is released by the callee on RETRY without NOWAIT and
// on COMPLETED, and held on every other return. The result follows from the world
// (uffd armed, ALLOW_RETRY, page present), never from a coin (errata 9).
import { useVma } from "../ghost.js";
import type { Ctx, Op } from "../step.js";
import { op } from "../step.js";
import type { World } from "../world.js";
import { type FaultFlag, type FaultHandler, flagString, type VmFault } from "./fault-flags.js";
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
  const result = fault(k, vma.flags, addr, flags, handler);
  k.emit({
    k: "fault",
    tid: k.tid,
    vma: ref.vma,
    addr,
    flags: [...flags],
    result,
    hugetlbHeld,
  });
  k.set("vmret", result);
  return result;
}

function fault(
  k: Ctx,
  vf: { write: boolean; shared: boolean; uffdMissing: boolean },
  addr: number,
  flags: readonly FaultFlag[],
  handler: FaultHandler,
): VmFault {
  const write = flags.includes("WRITE");
  // sanitize_fault_flags(): a write fault on a VMA without VM_WRITE is refused
  if (write && !vf.write) return "VM_FAULT_SIGSEGV";
  if (flags.includes("VMA_LOCK") && flags.includes("RETRY_NOWAIT")) return "VM_FAULT_SIGSEGV";
  const pte = k.w.ptes[addr];
  if (pte === undefined) return "VM_FAULT_SIGSEGV";
  if (pte === "rw" || (pte === "ro" && !write)) return "0";
  if (pte === "ro") {
    // do_wp_page: break COW / make writable
    k.w.ptes[addr] = "rw";
    k.emit({ k: "pte", tid: k.tid, page: addr, pte: "rw" });
    return "0";
  }
  // pte none: do_anonymous_page / hugetlb_no_page
  if (vf.uffdMissing && !k.w.uffd.released) return handleUserfault(k, addr, flags, handler);
  const installed = write || (vf.shared && vf.write) ? "rw" : "ro";
  k.w.ptes[addr] = installed;
  k.emit({ k: "pte", tid: k.tid, page: addr, pte: installed });
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
