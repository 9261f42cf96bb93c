// mm/hmm.c pieces shared by every HMM design: the per-page walk callback
// (hmm_vma_handle_pte / hmm_vma_walk_hugetlb_entry with hmm_pte_need_fault), the
// fault-loop cursor, and the API boundary events that the properties read.
// Locals: start, end, req (default_flags), pfns, pfn_seqs (ghost), seq, last,
// fault_addr, fault_end, ret, locked.
import { holdsMmap, useVma } from "../ghost.js";
import type { Ctx, Op } from "../step.js";
import { op } from "../step.js";
import type { World } from "../world.js";
import { holdsUserLock } from "./notifier.js";

/** Output bits of hmm_pfns[] (HMM_PFN_VALID, HMM_PFN_WRITE, HMM_PFN_ERROR). */
export const HMM_PFN_VALID = 1;
export const HMM_PFN_WRITE = 2;
export const HMM_PFN_ERROR = 4;
/** Input bits: HMM_PFN_REQ_FAULT aliases VALID, HMM_PFN_REQ_WRITE aliases WRITE. */
export const HMM_PFN_REQ_FAULT = HMM_PFN_VALID;
export const HMM_PFN_REQ_WRITE = HMM_PFN_WRITE;

export type EntryOutcome = "next" | "end" | "fault" | "eperm";

function writePfn(k: Ctx, addr: number, value: number): void {
  const pfns = [...((k.get("pfns") as readonly number[]) ?? [])];
  const seqs = [...((k.get("pfn_seqs") as readonly number[]) ?? [])];
  pfns[addr] = value;
  seqs[addr] = k.num("seq");
  k.set("pfns", pfns);
  k.set("pfn_seqs", seqs);
}

/**
 * One page of the walk at `addr` in walk_vma: report it if present as required,
 * otherwise note the fault ([addr, seg_end), last = addr). A write fault on a VMA
 * without VM_WRITE is -EPERM (hmm_vma_fault).
 */
export const hmmWalkEntry = (kind: "pte" | "hugetlb"): Op<EntryOutcome> =>
  op({
    name: kind === "pte" ? "hmm_vma_handle_pte(addr)" : "hmm_vma_walk_hugetlb_entry(addr)",
    outcomes: ["next", "end", "fault", "eperm"],
    run: (k) => {
      const addr = k.num("addr");
      if (addr >= k.num("seg_end")) return "end";
      const ref = k.ref("walk_vma");
      if (!ref) throw new Error("walk entry without walk->vma");
      const vma = useVma(k, ref, kind === "pte" ? "walk->vma" : "hugetlb_walk(walk->vma)");
      const pte = k.w.ptes[addr] ?? "none";
      const req = k.num("req");
      const needWrite = (req & HMM_PFN_REQ_WRITE) !== 0 && pte !== "rw";
      const need = (req & HMM_PFN_REQ_FAULT) !== 0 && (pte === "none" || needWrite);
      if (!need) {
        writePfn(k, addr, pte === "none" ? 0 : HMM_PFN_VALID | (pte === "rw" ? HMM_PFN_WRITE : 0));
        k.set("addr", addr + 1);
        return "next";
      }
      if (needWrite && !vma.flags.write) return "eperm";
      k.set("last", addr);
      k.set("fault_addr", addr);
      k.set("fault_end", k.num("seg_end"));
      k.set("fault_write", needWrite);
      return "fault";
    },
  });

/** The write check of hmm_do_fault() on a freshly looked-up VMA (v2 patch 1). */
export const hmmCheckWrite = (vma: string): Op<"ok" | "eperm"> =>
  op({
    name: `if (write fault && !(${vma}->vm_flags & VM_WRITE))`,
    outcomes: ["ok", "eperm"],
    run: (k) => {
      const ref = k.ref(vma);
      if (!ref) throw new Error(`local "${vma}" holds no VMA pointer`);
      const v = useVma(k, ref, `${vma}->vm_flags`);
      return k.get("fault_write") === true && !v.flags.write ? "eperm" : "ok";
    },
  });

/** `for (; addr < end; addr += PAGE_SIZE)` of hmm_vma_fault / hmm_do_fault. */
export const hmmFaultNext = (): Op<"more" | "done"> =>
  op({
    name: "addr += PAGE_SIZE",
    outcomes: ["more", "done"],
    local: true,
    run: (k) => {
      const a = k.num("fault_addr") + 1;
      k.set("fault_addr", a);
      return a < k.num("fault_end") ? "more" : "done";
    },
  });

/** Fault flags of hmm_vma_fault: REMOTE, WRITE when needed, plus `extra`. */
export const hmmFaultFlags =
  (...extra: readonly ("ALLOW_RETRY" | "KILLABLE" | "USER" | "TRIED")[]) =>
  (k: Ctx) => [
    "REMOTE" as const,
    ...(k.get("fault_write") === true ? (["WRITE"] as const) : []),
    ...extra,
  ];

/** The caller enters an API that takes no seq from it (v6+: it reads its own). */
export const apiEnter = (api: string): Op<"ok"> =>
  op({
    name: `${api}(range)`,
    outcomes: ["ok"],
    local: true,
    run: (k) => {
      k.emit({ k: "api-call", tid: k.tid, api, seq: k.num("seq") });
      return "ok";
    },
  });

/** The caller enters an hmm_range_fault* function (for the restart properties). */
export const hmmCall = (api: string): Op<"ok"> =>
  op({
    name: `${api}(range${api.includes("unlockable") ? ", &locked" : ""})`,
    outcomes: ["ok"],
    local: true,
    run: (k) => {
      k.set("last", k.num("start"));
      k.emit({ k: "api-call", tid: k.tid, api, seq: k.num("seq") });
      return "ok";
    },
  });

/**
 * How an API leaves the mmap lock on return: "held" (hmm_range_fault: as on entry),
 * "locked" (the *locked APIs: held exactly when *locked == 1), "none" (v6+: the API
 * takes and releases the lock itself).
 */
export type LockContract = "held" | "locked" | "none";

/** The hmm_range_fault* function returns ret (and *locked) to its caller. */
export const hmmReturn = (api: string, contract: LockContract): Op<"ok"> =>
  op({
    name: `return ret${contract === "locked" ? " (*locked)" : ""} from ${api}`,
    outcomes: ["ok"],
    local: true,
    run: (k) => {
      const locked = contract === "locked" ? k.num("locked") : null;
      k.emit({
        k: "api-return",
        tid: k.tid,
        api,
        ret: k.num("ret"),
        locked,
        holdsMmap: holdsMmap(k.w as World, k.tid),
        shouldHold: contract === "held" || (contract === "locked" && locked === 1),
      });
      return "ok";
    },
  });

/** Program the device page table from hmm_pfns: the pfns are trusted from here on. */
export const consumePfns = (): Op<"ok"> =>
  op({
    name: "program device page table from hmm_pfns",
    outcomes: ["ok"],
    run: (k) => {
      k.w.ghost.consumed = [...((k.get("pfns") as readonly number[]) ?? [])];
      k.emit({
        k: "consume",
        tid: k.tid,
        seq: k.num("seq"),
        holdsUserLock: holdsUserLock(k.w as World, k.tid),
        pfns: [...((k.get("pfns") as readonly number[]) ?? [])],
        pfnSeqs: [...((k.get("pfn_seqs") as readonly number[]) ?? [])],
        subSeq: k.w.notifier.subSeq,
      });
      return "ok";
    },
  });
