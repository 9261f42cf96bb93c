// mm/hmm.c pieces shared by every HMM design: the per-page walk callback
// (hmm_vma_handle_pte / hmm_vma_walk_hugetlb_entry with hmm_pte_need_fault), the
// fault-loop cursor, and the API boundary events that the properties read.
// Locals: start, end, req (default_flags), pfns, pfn_seqs (ghost), seq, last,
// fault_addr, fault_end, ret, locked.
import { holdsMmap, useVma, useVmaIn } from "../ghost.js";
import type { Ctx, Op } from "../step.js";
import { localName, op } from "../step.js";
import type { World } from "../world.js";
import { devicePrivatePte, presentPte, swapPte } from "../world.js";
import { holdsUserLock } from "./notifier.js";
import { enterWalkVma, type WalkOutcome } from "./pagewalk.js";
import { asUnsignedTimeout, passTimeLeft } from "./time.js";

/** Output bits of hmm_pfns[] (HMM_PFN_VALID, HMM_PFN_WRITE, HMM_PFN_ERROR). */
export const HMM_PFN_VALID = 1;
export const HMM_PFN_WRITE = 2;
export const HMM_PFN_ERROR = 4;
/** Input bits: HMM_PFN_REQ_FAULT aliases VALID, HMM_PFN_REQ_WRITE aliases WRITE. */
export const HMM_PFN_REQ_FAULT = HMM_PFN_VALID;
export const HMM_PFN_REQ_WRITE = HMM_PFN_WRITE;

export type EntryOutcome = "next" | "end" | "fault" | "eperm";
/** The hugetlb callback's outcomes: "hole" where hugetlb_walk() found no PMD table. */
export type HugetlbEntryOutcome = EntryOutcome | "hole";

function writePfn(k: Ctx, addr: number, value: number): void {
  const pfns = [...((k.get("pfns") as readonly number[]) ?? [])];
  const seqs = [...((k.get("pfn_seqs") as readonly number[]) ?? [])];
  pfns[addr] = value;
  seqs[addr] = k.num("seq");
  k.set("pfns", pfns);
  k.set("pfn_seqs", seqs);
}

/**
 * hmm_vma_walk_hole() (mm/hmm.c, v7.0) for [addr, next VMA or end): -EFAULT when a fault
 * is required there (no VMA to fault in); otherwise the hole's pfns are filled,
 * HMM_PFN_ERROR where no VMA is (`if (!walk->vma)`), and walk_page_range() goes on with
 * the VMA after it. Only a range that asks for no fault (.default_flags = 0, as
 * drm_gpusvm_scan_mm()'s) gets past a hole.
 */
export const hmmWalkHole = (): Op<WalkOutcome | "efault"> =>
  op({
    name: "hmm_vma_walk_hole(addr, end)",
    outcomes: ["efault", "hugetlb", "pte", "hole", "done"],
    run: (k) => {
      if ((k.num("req") & HMM_PFN_REQ_FAULT) !== 0) return "efault";
      const addr = k.num("addr");
      const end = k.num("end");
      const ref = k.ref("walk_vma");
      const next = ref ? useVma(k, ref, "walk->vma") : null;
      const holeEnd = Math.min(end, next ? next.start : end);
      for (let p = addr; p < holeEnd; p++) writePfn(k, p, HMM_PFN_ERROR);
      k.set("addr", holeEnd);
      if (holeEnd >= end) return "done";
      return enterWalkVma(k, "walk->vma (test_walk)");
    },
  });

/**
 * One page of the walk at `addr` in walk_vma: report it if present as required,
 * otherwise note the fault ([addr, seg_end), last = addr). A write fault on a VMA
 * without VM_WRITE is -EPERM (hmm_vma_fault).
 */
export function hmmWalkEntry(kind: "pte"): Op<EntryOutcome>;
export function hmmWalkEntry(kind: "hugetlb"): Op<HugetlbEntryOutcome>;
export function hmmWalkEntry(kind: "pte" | "hugetlb"): Op<HugetlbEntryOutcome> {
  return op({
    name: kind === "pte" ? "hmm_vma_handle_pte(addr)" : "hmm_vma_walk_hugetlb_entry(addr)",
    outcomes:
      kind === "pte"
        ? ["next", "end", "fault", "eperm"]
        : ["next", "end", "fault", "eperm", "hole"],
    run: (k) => {
      const addr = k.num("addr");
      if (addr >= k.num("seg_end")) return "end";
      const ref = k.ref("walk_vma");
      if (!ref) throw new Error("walk entry without walk->vma");
      const vma = useVma(k, ref, kind === "pte" ? "walk->vma" : "hugetlb_walk(walk->vma)");
      // walk_hugetlb_range() (mm/pagewalk.c, v7.0): hugetlb_walk() returns NULL where no
      // PMD table covers the VMA, and the walk calls ops->pte_hole, hmm_vma_walk_hole(),
      // for the huge page, with hugetlb_vma_lock_read still held; the hole has no entry,
      // so it is filled or faulted as a none entry would be, but a fault there is
      // hmm_vma_walk_hole()'s hmm_vma_fault(), which does not drop the lock
      const hole = kind === "hugetlb" && vma.noPmdTable === true;
      if (hole)
        k.emit({
          k: "note",
          tid: k.tid,
          text: "hugetlb_walk() found no PMD table: walk_hugetlb_range() calls pte_hole, hmm_vma_walk_hole(), not hmm_vma_walk_hugetlb_entry()",
          diagram: true,
        });
      const pte = k.w.ptes[addr] ?? "none";
      const req = k.num("req");
      // a swap entry is not present: hmm_pte_need_fault(..., 0) faults it in when a
      // fault is required, else reports 0 (hmm_vma_handle_pte, mm/hmm.c at v6.16)
      // the zero page is a normal read-only page to the walker (hmm_vma_handle_pte)
      const present = presentPte(pte);
      if (!present && pte !== "none" && !swapPte(pte))
        throw new Error(
          `hmm_vma_handle_pte() met a ${pte} entry at page ${addr}, which this walker does not handle (migration_entry_wait(), another device's page): run the designs of family "hmm-migrate" where pages migrate`,
        );
      const needWrite = (req & HMM_PFN_REQ_WRITE) !== 0 && pte !== "rw";
      const need = (req & HMM_PFN_REQ_FAULT) !== 0 && (!present || needWrite);
      if (!need) {
        writePfn(k, addr, !present ? 0 : HMM_PFN_VALID | (pte === "rw" ? HMM_PFN_WRITE : 0));
        k.set("addr", addr + 1);
        return "next";
      }
      if (needWrite && !vma.flags.write) return "eperm";
      k.set("last", addr);
      k.set("fault_addr", addr);
      // the PTE callback faults to the end of its span; the hugetlb one only its own
      // huge page (walk_hugetlb_range() calls it once per huge page, [addr, end) is that
      // page), one page of the model
      k.set("fault_end", kind === "hugetlb" ? addr + 1 : k.num("seg_end"));
      k.set("fault_write", needWrite);
      return hole ? "hole" : "fault";
    },
  });
}

export type MigrationEntryOutcome = EntryOutcome | "migration";

/**
 * hmm_vma_handle_pte() with migration entries (mm/hmm.c, read in a v6.16 tree, the one
 * with hmm_dma_map_alloc; the migration branch is the same since v5.7): a PTE that is
 * not present and holds a migration entry is reported as not valid (0) when no fault is
 * required; when one is, the walker unmaps the PTE table, sets last = addr and sleeps in
 * migration_entry_wait() (outcome "migration"), then returns -EBUSY, so that
 * hmm_range_fault() walks again from addr (its do/while loop, after
 * mmu_interval_check_retry). Other entries as `hmmWalkEntry("pte")`.
 *
 * `asValid` is the mistake that rule prevents (a mutant): the entry is read as a
 * present page of the old permission and its pfn reported valid, though the folio it
 * names is being migrated away.
 */
export const hmmWalkEntryMigration = (
  o: { readonly asValid?: boolean; readonly anyOwner?: boolean } = {},
): Op<MigrationEntryOutcome> =>
  op({
    name: "hmm_vma_handle_pte(addr)",
    outcomes: ["next", "end", "fault", "eperm", "migration"],
    run: (k) => {
      const addr = k.num("addr");
      if (addr >= k.num("seg_end")) return "end";
      const pte = k.w.ptes[addr] ?? "none";
      if (pte !== "migration" && !devicePrivatePte(pte)) return hmmWalkEntry("pte").run(k);
      const ref = k.ref("walk_vma");
      if (!ref) throw new Error("walk entry without walk->vma");
      useVma(k, ref, "walk->vma");
      const req = k.num("req");
      if (devicePrivatePte(pte)) {
        // another device's page (pgmap->owner != range->dev_private_owner): faulted back
        // to system memory when required (hmm_vma_fault -> do_swap_page ->
        // migrate_to_ram; since "mm/hmm: fault non-owner device private entries", Jul
        // 2022, Cc stable: before it, from v5.7, a required one failed with -EFAULT),
        // else not valid. `anyOwner`: hmm_range_fault before 08ddddda667b ("mm/hmm:
        // check the device private page owner in hmm_range_fault()", v5.7), which
        // reported every device-private page valid.
        if (o.anyOwner || (req & HMM_PFN_REQ_FAULT) === 0) {
          const value = o.anyOwner ? HMM_PFN_VALID : 0;
          writePfn(k, addr, value);
          k.emit({ k: "hmm-pfn", tid: k.tid, page: addr, pte, pfn: value });
          k.set("addr", addr + 1);
          return "next";
        }
        k.set("last", addr);
        k.set("fault_addr", addr);
        k.set("fault_end", k.num("seg_end"));
        k.set("fault_write", (req & HMM_PFN_REQ_WRITE) !== 0);
        return "fault";
      }
      if (o.asValid) {
        const value = HMM_PFN_VALID;
        writePfn(k, addr, value);
        k.emit({ k: "hmm-pfn", tid: k.tid, page: addr, pte, pfn: value });
        k.set("addr", addr + 1);
        return "next";
      }
      if ((req & HMM_PFN_REQ_FAULT) === 0) {
        writePfn(k, addr, 0);
        k.emit({ k: "hmm-pfn", tid: k.tid, page: addr, pte, pfn: 0 });
        k.set("addr", addr + 1);
        return "next";
      }
      k.set("last", addr);
      return "migration";
    },
  });

/** The write check of hmm_do_fault() on a freshly looked-up VMA (v2 patch 1). */
export const hmmCheckWrite = (vma: string): Op<"ok" | "eperm"> =>
  op({
    name: `if (write fault && !(${vma}->vm_flags & VM_WRITE))`,
    outcomes: ["ok", "eperm"],
    run: (k) => {
      const v = useVmaIn(k, vma, `${vma}->vm_flags`);
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

/** Where an op made by `hmmCallWithTimeout` keeps its API and argument. */
const TIMED_CALL = Symbol.for("lockdrop.hmm.callWithTimeout");

/**
 * `ret = api(&range, timeout)`: the caller enters an API that takes a timeout in jiffies
 * (v8's hmm_range_fault_unlocked_timeout(); 0 retries for ever). `arg` is a local
 * holding the caller's value, a `long` converted to the `unsigned long` parameter (a
 * negative one wraps above LONG_MAX, a deadline already passed: asUnsignedTimeout()), or
 * a constant. The API's own locals start
 * fresh: `unsigned long deadline = 0; bool locked = false;`; the timeout lands in
 * `hmm_timeout` (the C's `timeout`, a name a caller such as nouveau also uses).
 */
export const hmmCallWithTimeout = (api: string, arg: string | number): Op<"ok"> =>
  Object.assign(
    op({
      name: `ret = ${api}(&range, ${typeof arg === "number" && Number.isInteger(arg) ? arg : localName("hmmCallWithTimeout()", "the timeout (a local, or a whole number of jiffies)", arg)})`,
      outcomes: ["ok"],
      local: true,
      run: (k) => {
        const timeout = typeof arg === "number" ? arg : asUnsignedTimeout(k.num(arg));
        k.set("hmm_timeout", timeout);
        // the budget passed on carries the deadline it is the time left to, if any
        passTimeLeft(k, arg, "hmm_timeout");
        k.set("deadline", null);
        k.set("locked", 0);
        k.emit({ k: "api-call", tid: k.tid, api, seq: k.num("seq"), timeout });
        return "ok";
      },
    }),
    { [TIMED_CALL]: { api, arg } },
  );

/**
 * For an op made by `hmmCallWithTimeout`: the API it calls and the timeout argument (a
 * constant, or the local it is read from). Properties read a design's steps with it.
 */
export function timedCall(
  o: Op,
): { readonly api: string; readonly arg: string | number } | undefined {
  return (
    o as unknown as Record<
      symbol,
      { readonly api: string; readonly arg: string | number } | undefined
    >
  )[TIMED_CALL];
}

/**
 * v8 patch 2's hmm_do_fault() after a RETRY or COMPLETED: `*hmm_vma_walk->locked =
 * false`, unconditionally. `hmm_vma_walk.locked` is the local `locked_ptr`: "&locked" on
 * the hmm_range_fault_unlocked_timeout() path, NULL (unset) on the legacy
 * hmm_range_fault() path, where the fault had no FAULT_FLAG_ALLOW_RETRY and a handler
 * that keeps the contract never returns either. One that does not lands here: the write
 * through NULL oopses and the task dies (make_task_dead), still holding what it held.
 * sashiko-bot's review of v6 (Jul 6 2026) flagged the dereference; it is still in
 * "[PATCH v8 2/8] mm/hmm: add hmm_range_fault_unlocked_timeout() for mmap lock-drop
 * support" (Jul 10 2026).
 */
export const writeThroughLocked = (): Op<"ok"> =>
  op({
    name: "*hmm_vma_walk->locked = false",
    outcomes: ["ok"],
    local: true,
    run: (k) => {
      if (k.get("locked_ptr") === "&locked") {
        k.set("locked", 0);
        return "ok";
      }
      k.emit({
        k: "null-deref",
        tid: k.tid,
        what: "*hmm_vma_walk->locked = false, locked is NULL",
      });
      k.finish();
      return "ok";
    },
  });
