// handle_mm_fault(vma, addr, flags) (mm/memory.c): the lock is released by the callee
// on RETRY without NOWAIT and on COMPLETED, and held on every other return. The result
// follows from the world (uffd armed, ALLOW_RETRY, page present, folio locked, a shared
// file page dirtied), never from a coin.
import type { Event } from "../events.js";
import { useVma } from "../ghost.js";
import type { Ctx, Op, Unreachable } from "../step.js";
import { localName, op } from "../step.js";
import type { Vma, VmaId, VmaRef, World } from "../world.js";
import { copiedOnWrite, devicePrivatePte, presentPte, swapPte } from "../world.js";
import { needsAnonVma, vmfAnonPrepare } from "./anon-vma.js";
import { wpPageCopy, wpPageCopyPending } from "./cow.js";
import {
  type FaultFlag,
  type FaultHandler,
  faultFlagList,
  flagString,
  isFaultError,
  MISBEHAVING_DRIVER,
  misbehavingFile,
  type VmFault,
} from "./fault-flags.js";
import { releaseFaultLock } from "./fault-lock.js";
import { folioTrylock, folioUnlock, folioWait } from "./folio.js";
import { hugePteAlloc, hugetlbFaultLock, hugetlbLocksHeld } from "./hugetlb.js";
import { setPte } from "./pte.js";
import { handleUserfault, handleUserfaultResume } from "./userfaultfd.js";
import { privateAnon } from "./vma.js";

export type FaultOutcome = "ok" | "retry" | "completed" | "error";
type RetrySource = Extract<Event, { k: "fault" }>["retrySource"];
export type Flags = readonly FaultFlag[] | ((k: Ctx) => readonly FaultFlag[]);

/** The fault itself, for ops that wrap it (GUP, fixup_user_fault, ...). */
export function doFault(
  k: Ctx,
  vmaLocal: string,
  addr: number,
  flags: readonly FaultFlag[],
  handler: FaultHandler = {},
): VmFault {
  // the second half of a killed fault's handle_userfault(): no VMA use, the lock is gone
  if (handleUserfaultResume(k)) {
    k.set("vmret", "VM_FAULT_RETRY");
    return "VM_FAULT_RETRY";
  }
  const ref = k.ref(vmaLocal);
  if (!ref) throw new Error(`handle_mm_fault: local "${vmaLocal}" holds no VMA pointer`);
  const vma = useVma(k, ref, "handle_mm_fault");
  // inside wp_page_copy()'s invalidation (woken with user_lock handed over, or its
  // second turn): the copy goes on
  if (wpPageCopyPending(k)) {
    if (!wpPageCopy(k, addr)) return "0";
    return finish(k, ref, addr, flags, "0", hugetlbLocksHeld(k.w as World, k.tid), null, vma);
  }
  // hugetlb_fault's own hugetlb_vma_lock_read: queued behind a writer, the step waits
  // and runs again once granted (no fault has happened yet)
  if (vma.flags.hugetlb) {
    if (!hugetlbFaultLock(k, vma.id)) return "0";
    hugePteAlloc(k, vma.id);
  }
  // the caller's own holds, not hugetlb_fault's (released above)
  const hugetlbHeld = hugetlbLocksHeld(k.w as World, k.tid);
  const pteBefore = k.w.ptes[addr];
  const why: Why = { vmaLock: false };
  // handed the folio lock while it slept for it: ->page_mkwrite goes on for a shared
  // file page that is not a swap entry, do_swap_page in __folio_lock(_killable) otherwise
  const result =
    k.w.folioLock[addr] !== k.tid
      ? fault(k, vma, addr, flags, handler, why)
      : hasPageMkwrite(vma) && !swapPte(pteBefore)
        ? pageMkwriteLocked(k, vma, addr, flags)
        : swapInLocked(k, addr, flags.includes("WRITE"), vma);
  // asleep for the folio lock, or inside wp_page_copy()'s invalidation: the step runs
  // again, the fault not over (its event comes then)
  if (why.slept || wpPageCopyPending(k)) return "0";
  // which kind of RETRY: handle_userfault's, a folio-lock wait that TRIED changes, a
  // step the fault does not take under the VMA lock, or a misbehaving vm_ops->fault's
  const retrySource =
    result !== "VM_FAULT_RETRY"
      ? null
      : swapPte(pteBefore)
        ? "folio"
        : why.vmaLock || pteBefore === "migration" || devicePrivatePte(pteBefore)
          ? "vma-lock"
          : pteBefore === "none" &&
              (handler.retryWithoutAllowRetry || misbehavingFile(vma.flags.file))
            ? "handler"
            : "userfaultfd";
  return finish(k, ref, addr, flags, result, hugetlbHeld, retrySource, vma);
}

/** The fault's event and its results in the caller's locals. */
function finish(
  k: Ctx,
  ref: VmaRef,
  addr: number,
  flags: readonly FaultFlag[],
  result: VmFault,
  hugetlbHeld: readonly VmaId[],
  retrySource: RetrySource,
  vma: Vma,
): VmFault {
  k.emit({
    k: "fault",
    tid: k.tid,
    vma: ref.vma,
    addr,
    flags: [...flags],
    result,
    hugetlbHeld,
    retrySource,
    vmaWrite: vma.flags.write,
  });
  k.set("vmret", result);
  k.set("retry_src", retrySource);
  return result;
}

/**
 * A new entry for page `addr`: writable for a write fault or in a writable shared
 * mapping, else read-only. `fromFile`: the page is the file's, from ->fault
 * (do_read_fault()), which a private mapping maps read-only until a write copies it
 * ("cow"); otherwise it is an exclusive anonymous page. A writable shared mapping of a
 * file with ->page_mkwrite tracks dirtying (vma_wants_writenotify(), mm/vma.c v7.0:
 * its vm_page_prot is read-only), so a read fault maps it read-only and the first write
 * faults again, in wp_page_shared().
 */
function install(k: Ctx, vma: Vma, addr: number, write: boolean, fromFile: boolean): void {
  const pte =
    write || (vma.flags.shared && vma.flags.write && !hasPageMkwrite(vma))
      ? "rw"
      : fromFile && !vma.flags.shared
        ? "cow"
        : "ro";
  setPte(k, addr, pte);
}

/** What fault() tells doFault() beside its result: a RETRY for the VMA lock's sake. */
interface Why {
  vmaLock: boolean;
  /** asleep with the fault lock held, the step to run again: the fault is not over */
  slept?: boolean;
}

/** vmf_anon_prepare() where `vma` needs an anon_vma: false when the fault must return RETRY. */
function anonPrepare(k: Ctx, vma: Vma, flags: readonly FaultFlag[], why: Why): boolean {
  if (!needsAnonVma(vma) || vmfAnonPrepare(k, vma, flags)) return true;
  why.vmaLock = true;
  return false;
}

function fault(
  k: Ctx,
  vma: Vma,
  addr: number,
  flags: readonly FaultFlag[],
  handler: FaultHandler,
  why: Why,
): VmFault {
  const has = (f: FaultFlag) => flags.includes(f);
  const write = has("WRITE");
  // sanitize_fault_flags() (mm/memory.c at v7.0): a write fault needs VM_MAYWRITE, which
  // every model VMA has, and without VM_WRITE a COW (private) mapping: FOLL_FORCE's
  // write, which no model caller makes (each tests VM_WRITE first, see writeDenied());
  // VMA_LOCK with RETRY_NOWAIT is refused
  if (write && !vma.flags.write) {
    if (vma.flags.shared) return "VM_FAULT_SIGSEGV";
    throw new Error(
      `handle_mm_fault(FAULT_FLAG_WRITE) on vma#${vma.id}, a private VMA without VM_WRITE: in the kernel only a FOLL_FORCE write (ptrace, /proc/pid/mem) reaches this, which the model does not have, and every other caller tests VM_WRITE first; test it before the fault (writeDenied() in model/kernel/vma.ts, as access_error() and check_vma_flags() do)`,
    );
  }
  if (has("VMA_LOCK") && has("RETRY_NOWAIT")) return "VM_FAULT_SIGSEGV";
  const pte = k.w.ptes[addr];
  if (pte === undefined) return "VM_FAULT_SIGSEGV";
  if (pte === "rw" || (presentPte(pte) && !write)) return "0";
  if (copiedOnWrite(pte)) {
    // do_wp_page() -> wp_page_copy(): vmf_anon_prepare(), the copy between an
    // invalidation's start and end (model/kernel/cow.ts)
    if (!anonPrepare(k, vma, flags, why)) return "VM_FAULT_RETRY";
    wpPageCopy(k, addr);
    return "0";
  }
  if (pte === "ro") {
    // do_wp_page(): wp_page_shared() for a shared file page with ->page_mkwrite, which
    // takes the folio lock first; wp_page_reuse() for an exclusive anonymous page
    // (PageAnonExclusive, no folio lock): made writable in place
    if (hasPageMkwrite(vma)) return pageMkwrite(k, vma, addr, flags, why);
    setPte(k, addr, "rw");
    return "0";
  }
  // before seed 004 (6.4-6.5) do_swap_page() returned VM_FAULT_RETRY under the VMA lock
  // before it looked at the entry (swap, migration or device-private), the lock still
  // held for the arch code to release
  const swapEntry = swapPte(pte) || pte === "migration" || devicePrivatePte(pte);
  if (swapEntry && has("VMA_LOCK") && handler.preVmaLockSeries) return "VM_FAULT_RETRY";
  if (swapPte(pte)) return swapIn(k, vma, addr, flags, why);
  if (pte === "migration") return migrationEntryWaitInFault(k, addr);
  if (devicePrivatePte(pte)) {
    // do_swap_page(): migrate_to_ram() does not run under the per-VMA lock; the fault
    // gives it back and returns VM_FAULT_RETRY, for the mmap-lock path (mm/memory.c,
    // v6.6-v7.0)
    if (has("VMA_LOCK")) {
      releaseFaultLock(k, flags, vma.id, "do_swap_page(): vma_end_read(vma)");
      return "VM_FAULT_RETRY";
    }
    // do_swap_page: pgmap->ops->migrate_to_ram(vmf), the owning driver's migration back
    // to system memory, taken here as one step (its own migrate_vma is not modelled). A
    // page fork shared comes back read-only and shared (remove_migration_pte() of a
    // readable, not exclusive entry); a write then faults again and copies it.
    if (pte === "device-private-cow") {
      setPte(k, addr, "cow");
    } else install(k, vma, addr, write, false);
    return "0";
  }
  // pte none. do_read_fault(), do_cow_fault() and do_shared_fault() call
  // vmf_can_call_fault() first (mm/memory.c, v7.0): under the VMA lock a ->fault without
  // ->map_pages, as the retrydrv driver's, is not called; vma_end_read() and RETRY, for
  // the mmap-lock path
  if (misbehavingFile(vma.flags.file) && has("VMA_LOCK")) {
    releaseFaultLock(k, flags, vma.id, "vmf_can_call_fault(): vma_end_read(vma)");
    why.vmaLock = true;
    return "VM_FAULT_RETRY";
  }
  // a write to a private VMA: do_anonymous_page() and do_cow_fault() call
  // vmf_anon_prepare() before check_stable_address_space(), handle_userfault() and
  // ->fault (a read maps the zero page or the file page and prepares nothing)
  if (write && !anonPrepare(k, vma, flags, why)) return "VM_FAULT_RETRY";
  if (pte === "none" && (handler.retryWithoutAllowRetry || misbehavingFile(vma.flags.file)))
    return misbehavingRetry(k, vma, addr, flags);
  // once the OOM reaper set MMF_UNSTABLE, check_stable_address_space() fails a fault on
  // a private page: do_anonymous_page() before it hands the fault to userfaultfd,
  // finish_fault() after a file's ->fault (mm/memory.c at v7.0; hugetlb has no such test)
  const unstable = k.w.mm.unstable && !vma.flags.shared && !vma.flags.hugetlb;
  if (unstable && !vma.flags.file) return "VM_FAULT_SIGBUS";
  // pte none: do_anonymous_page / hugetlb_no_page -> handle_userfault when armed
  if (vma.flags.uffdMissing) return handleUserfault(k, vma.id, addr, flags, handler);
  if (unstable) return "VM_FAULT_SIGBUS";
  // do_anonymous_page(): a read maps the zero page (x86 has no mm_forbids_zeropage())
  if (!write && privateAnon(vma)) {
    setPte(k, addr, "zero");
    return "0";
  }
  install(k, vma, addr, write, !!vma.flags.file);
  // do_shared_fault: a write to a shared file page dirties it
  return write && hasPageMkwrite(vma) ? dirtySharedPage(k, vma, flags) : "0";
}

/**
 * The misbehaving vm_ops->fault (FaultHandler.retryWithoutAllowRetry): on an attempt
 * without FAULT_FLAG_TRIED it returns VM_FAULT_RETRY, releasing the fault lock only if
 * ALLOW_RETRY (without NOWAIT) allows it, as __folio_lock_or_retry() does, but without
 * the fault_flag_allow_retry_first() test that would make it wait instead; a TRIED
 * attempt installs the page. Without ALLOW_RETRY the caller gets RETRY with its lock
 * still held, which the contract of handle_mm_fault() rules out.
 */
function misbehavingRetry(k: Ctx, vma: Vma, addr: number, flags: readonly FaultFlag[]): VmFault {
  const has = (f: FaultFlag) => flags.includes(f);
  if (has("TRIED")) {
    install(k, vma, addr, has("WRITE"), true);
    return "0";
  }
  if (has("ALLOW_RETRY") && !has("RETRY_NOWAIT"))
    releaseFaultLock(k, flags, vma.id, "vm_ops->fault (retrydrv)");
  else
    k.emit({
      k: "note",
      tid: k.tid,
      text: "vm_ops->fault returns VM_FAULT_RETRY without FAULT_FLAG_ALLOW_RETRY (a misbehaving handler), the lock still held",
    });
  return "VM_FAULT_RETRY";
}

/**
 * A MAP_SHARED VMA of a regular file on a filesystem with ->page_mkwrite (ext4, xfs,
 * ...), named by its `file` ("ext4:0"); not shmem or hugetlbfs, which have none, nor the
 * retrydrv driver, whose vm_ops have ->fault only.
 */
function hasPageMkwrite(vma: Vma): boolean {
  const fs = vma.flags.file?.split(":")[0];
  const none = ["shmem", "hugetlbfs", MISBEHAVING_DRIVER];
  return vma.flags.shared && !vma.flags.hugetlb && !!fs && !none.includes(fs);
}

/**
 * wp_page_shared() with ->page_mkwrite (mm/memory.c, v7.0): do_page_mkwrite() calls the
 * filesystem's ->page_mkwrite (ext4_page_mkwrite(), filemap_page_mkwrite()), which takes
 * the folio lock with folio_lock(), uninterruptible, the fault lock held: behind reclaim
 * or migration, which hold it across try_to_unmap() (model/actors/invalidate.ts), the
 * fault sleeps, and its step runs again once handed the lock (pageMkwriteLocked()).
 */
function pageMkwrite(
  k: Ctx,
  vma: Vma,
  addr: number,
  flags: readonly FaultFlag[],
  why: Why,
): VmFault {
  if (folioTrylock(k, addr)) return pageMkwriteLocked(k, vma, addr, flags);
  folioWait(k, addr, { exclusive: true, killable: false });
  why.slept = true;
  k.emit({
    k: "note",
    tid: k.tid,
    text: `sleeps in folio_lock(folio of page ${addr}) in ->page_mkwrite, fault lock held`,
  });
  return "0";
}

/**
 * wp_page_shared() once ->page_mkwrite holds the folio lock: finish_mkwrite_fault() makes
 * the PTE writable if it is still the one the fault saw (pte_same(); a PTE the rmap
 * unmap cleared meanwhile gives VM_FAULT_NOPAGE, which no caller treats as an error:
 * the access is tried again), then fault_dirty_shared_page() unlocks the folio and may
 * drop the fault lock.
 */
function pageMkwriteLocked(k: Ctx, vma: Vma, addr: number, flags: readonly FaultFlag[]): VmFault {
  const same = k.w.ptes[addr] === "ro";
  if (same) setPte(k, addr, "rw");
  folioUnlock(k, addr, "folio_unlock");
  return same ? dirtySharedPage(k, vma, flags) : "VM_FAULT_NOPAGE";
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
 * do_swap_page (mm/memory.c): the swap-cache folio is locked before its pte is
 * installed, with folio_lock_or_retry() = folio_trylock() ? 0 : __folio_lock_or_retry()
 * (mm/filemap.c, torvalds/linux b6273b55d885):
 *  - a first attempt (fault_flag_allow_retry_first(): ALLOW_RETRY without TRIED) returns
 *    RETRY at once, fault lock held, with RETRY_NOWAIT; otherwise it calls
 *    release_fault_lock(), waits for the unlock *without taking the lock*
 *    (folio_wait_locked_killable with KILLABLE, else folio_wait_locked: a non-exclusive
 *    waiter, model/kernel/folio.ts) and returns RETRY;
 *  - any other attempt queues for the lock with the fault lock held: with KILLABLE
 *    __folio_lock_killable(), which a fatal signal ends with -EINTR, and the fault then
 *    calls release_fault_lock() and returns RETRY (so RETRY comes back with TRIED, and
 *    even without ALLOW_RETRY: see the note below); without KILLABLE __folio_lock(),
 *    uninterruptible. folio_unlock() hands the lock to the first exclusive waiter, whose
 *    step runs again and finishes in swapInLocked().
 */
function swapIn(k: Ctx, vma: Vma, addr: number, flags: readonly FaultFlag[], why: Why): VmFault {
  const has = (f: FaultFlag) => flags.includes(f);
  const killable = has("KILLABLE");
  if (folioTrylock(k, addr)) {
    if (has("ALLOW_RETRY") && !has("TRIED") && k.get("retry_src") === "folio")
      k.emit({
        k: "note",
        tid: k.tid,
        text: "first attempt again after a folio RETRY (no FAULT_FLAG_TRIED): the folio was free this time; a holder that relocks first sends it round again (no-retry-livelock)",
      });
    return swapInLocked(k, addr, has("WRITE"), vma);
  }
  if (has("ALLOW_RETRY") && !has("TRIED")) {
    if (has("RETRY_NOWAIT")) return "VM_FAULT_RETRY";
    releaseFaultLock(k, flags, vma.id, "__folio_lock_or_retry");
    // folio_wait_locked_killable() returns -EINTR at once with a fatal signal pending
    const wait = killable ? "folio_wait_locked_killable" : "folio_wait_locked";
    if (killable && k.t.fatal)
      k.emit({ k: "note", tid: k.tid, text: `${wait}(): -EINTR at once, fatal signal pending` });
    else {
      folioWait(k, addr, { exclusive: false, killable });
      k.emit({
        k: "note",
        tid: k.tid,
        text: `sleeps in ${wait}(folio of page ${addr}) without taking the lock`,
      });
    }
    return "VM_FAULT_RETRY";
  }
  if (killable && k.t.fatal) {
    // __folio_lock_killable() -> -EINTR: release_fault_lock(vmf); return VM_FAULT_RETRY
    releaseFaultLock(k, flags, vma.id, "__folio_lock_or_retry");
    if (!has("ALLOW_RETRY"))
      k.emit({
        k: "note",
        tid: k.tid,
        text: "VM_FAULT_RETRY without FAULT_FLAG_ALLOW_RETRY: KILLABLE let the fatal signal end the folio wait, and the fault lock is released (no in-tree caller passes KILLABLE without ALLOW_RETRY)",
      });
    return "VM_FAULT_RETRY";
  }
  // __folio_lock(_killable)() with the fault lock held; the step runs again once the
  // lock is handed over (or, killable, once a fatal signal ends the wait)
  folioWait(k, addr, { exclusive: true, killable });
  why.slept = true;
  k.emit({
    k: "note",
    tid: k.tid,
    text: `sleeps in ${killable ? "__folio_lock_killable" : "__folio_lock"}(folio of page ${addr}), fault lock held`,
  });
  return "0";
}

/**
 * do_swap_page() on a migration entry (mm/memory.c, v6.x): migration_entry_wait() sleeps
 * on the folio, which the migration holds locked until remove_migration_ptes() has
 * replaced the entry, then the fault returns 0 without mapping anything (the access is
 * retried). The sleep is uninterruptible (migration_entry_wait_on_locked).
 */
function migrationEntryWaitInFault(k: Ctx, addr: number): VmFault {
  const holder = k.w.folioLock[addr];
  if (holder !== null && holder !== k.tid) {
    folioWait(k, addr, { exclusive: false, killable: false });
    k.emit({
      k: "note",
      tid: k.tid,
      text: `sleeps in migration_entry_wait(folio of page ${addr})`,
    });
  }
  return "0";
}

/**
 * do_swap_page under the folio lock (mm/memory.c, v7.0): the pte is installed if it is
 * still the swap entry (pte_same(); otherwise out_nomap), then folio_unlock().
 * An exclusive entry ("swap") is mapped writable in a VM_WRITE VMA even for a read
 * fault ("Same logic as in do_wp_page()"; soft-dirty tracking, which would keep it
 * read-only, is off). One fork shared ("swap-cow") is mapped read-only and shared
 * ("cow"), and a write fault then calls do_wp_page(), which copies it: the child still
 * holds the swap entry, so wp_can_reuse_anon_folio() fails. The anon_vma is there (the
 * page is anonymous), so wp_page_copy()'s vmf_anon_prepare() does nothing.
 */
function swapInLocked(k: Ctx, addr: number, write: boolean, vma: Vma): VmFault {
  const pte = k.w.ptes[addr];
  if (pte === "swap") install(k, vma, addr, write || vma.flags.write, false);
  else if (pte === "swap-cow") {
    setPte(k, addr, "cow");
  }
  folioUnlock(k, addr, "folio_unlock");
  if (pte === "swap-cow" && write) wpPageCopy(k, addr);
  return "0";
}

export function outcomeOf(r: VmFault): FaultOutcome {
  if (r === "VM_FAULT_RETRY") return "retry";
  if (r === "VM_FAULT_COMPLETED") return "completed";
  return isFaultError(r) ? "error" : "ok";
}

/** `vmret = handle_mm_fault(vma, addr, flags, NULL)` */
export const handleMmFault = (
  vma: string,
  addr: string,
  flags: Flags,
  handler: FaultHandler = {},
): Op<FaultOutcome> =>
  op({
    name: `handle_mm_fault(${localName("handleMmFault()", "vma", vma)}, ${localName("handleMmFault()", "addr", addr)}, ${typeof flags === "function" ? "flags" : flagString(faultFlagList("handleMmFault()", flags))})`,
    outcomes: ["ok", "retry", "completed", "error"],
    mightSleep: true,
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

/** Why a fault on a missing userfaultfd page never returns VM_FAULT_COMPLETED. */
export const UFFD_NEVER_COMPLETES =
  "this fault is on a missing page of a userfaultfd-registered VMA (or a swapped one), where handle_userfault() returns VM_FAULT_RETRY or VM_FAULT_SIGBUS and do_swap_page() RETRY or 0; VM_FAULT_COMPLETED comes only from fault_dirty_shared_page() on a MAP_SHARED file page, which this step never faults";

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

/** The `unreachable` entry of a fault step that never faults a MAP_SHARED file page. */
export function neverCompletes(label: string, reason = UFFD_NEVER_COMPLETES): Unreachable {
  return { label, outcome: "completed", reason };
}
