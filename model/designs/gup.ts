// gup and gup-fixup: the reference *locked patterns of mm/gup.c.
//
// gup: get_user_pages_remote(mm, start, nr, FOLL_WRITE, pages, &locked) with the
// caller holding the lock. faultin_page() faults with ALLOW_RETRY | KILLABLE; on RETRY
// or COMPLETED it sets *locked = 0 and __get_user_pages() returns at once.
// __get_user_pages_locked() then checks for a fatal signal, re-takes the lock killably,
// and retries that one page with FOLL_TRIED; at the end, if it had to re-take the
// lock, it drops it and returns *locked = 0 (the caller's critical section is gone).
//
// gup-fixup: fixup_user_fault(mm, addr, FAULT_FLAG_WRITE, &unlocked) per page:
// ALLOW_RETRY | KILLABLE, fatal-signal check at the top of each try, and on
// RETRY/COMPLETED it re-takes mmap_read_lock (plain) and reports *unlocked.
import { EFAULT, EINTR } from "../errno.js";
import { handleMmFault } from "../kernel/fault.js";
import type { FaultFlag } from "../kernel/fault-flags.js";
import { followPageMask } from "../kernel/gup.js";
import { apiEnter, hmmReturn } from "../kernel/hmm.js";
import { mmapReadLock, mmapReadLockKillable, mmapReadUnlock } from "../kernel/mmap-lock.js";
import { fatalSignalPending } from "../kernel/signal.js";
import { vmaLookup, writeDenied } from "../kernel/vma.js";
import { exit, set, test } from "../locals.js";
import type { Ctx, Design } from "../step.js";

const faultinFlags = (k: Ctx): FaultFlag[] => [
  "REMOTE",
  "WRITE",
  "ALLOW_RETRY",
  "KILLABLE",
  ...(k.get("tried") === true ? (["TRIED"] as const) : []),
];

const GUP = "get_user_pages_remote";

export const gup: Design = {
  id: "gup",
  title: "get_user_pages_remote(..., &locked): faultin_page + __get_user_pages_locked",
  summary:
    "The reference *locked pattern: a RETRY in faultin_page() sets *locked = 0 and GUP returns the pages done so far; __get_user_pages_locked() checks for a fatal signal, re-takes the lock killably, retries that page with FOLL_TRIED, and finally drops the lock it re-took and returns *locked = 0. The caller unlocks only if *locked is still 1.",
  source: "mm/gup.c (__get_user_pages_locked, get_user_pages_unlocked)",
  family: "gup",
  start: "start",
  steps: {
    start: { op: set({ locked: 1, foll_write: true }), next: "lock" },
    lock: { op: mmapReadLock(), next: "call" },
    call: {
      op: apiEnter(GUP),
      next: "gup.init",
    },
    "gup.init": {
      op: set({ must_unlock: false, cur: (k) => k.num("rstart"), tried: false, ret: 0 }),
      next: "gup.page",
    },
    "gup.page": {
      op: test("nr_pages left", (k) => k.num("cur") < k.num("rend")),
      on: { yes: "gup.lookup", no: "gup.finish" },
    },
    "gup.lookup": { op: vmaLookup("cur", "vma"), on: { found: "gup.check", none: "gup.efault" } },
    // check_vma_flags(vma, FOLL_WRITE): -EFAULT without VM_WRITE (no FOLL_FORCE)
    "gup.check": {
      op: writeDenied("check_vma_flags(vma, gup_flags)", "check_vma_flags", "vma"),
      on: { yes: "gup.efault", no: "gup.sig" },
    },
    "gup.efault": { op: set({ ret: EFAULT }), next: "gup.finish" },
    // __get_user_pages(): retry: a pending SIGKILL ends the walk before every
    // follow_page_mask(), the one after faultin_page() returned 0 included (mm/gup.c,
    // read at v7.0)
    "gup.sig": { op: fatalSignalPending(), on: { yes: "gup.eintr", no: "gup.follow" } },
    "gup.follow": { op: followPageMask("vma", "cur"), on: { page: "gup.pin", fault: "gup.fault" } },
    "gup.pin": {
      op: set({ cur: (k) => k.num("cur") + 1, tried: false }, "pages[i++] = page (pinned)"),
      next: "gup.page",
    },
    // faultin_page()
    "gup.fault": {
      op: handleMmFault("vma", "cur", faultinFlags),
      on: { ok: "gup.sig", error: "gup.efault", retry: "gup.dropped", completed: "gup.dropped" },
    },
    "gup.dropped": {
      op: set({ locked: 0, must_unlock: true }, "*locked = 0; return i (-EBUSY/-EAGAIN inside)"),
      next: "gup.retry",
    },
    // __get_user_pages_locked(): retry:
    "gup.retry": { op: fatalSignalPending(), on: { yes: "gup.eintr", no: "gup.relock" } },
    "gup.eintr": { op: set({ ret: EINTR }), next: "gup.finish" },
    "gup.relock": {
      op: mmapReadLockKillable(),
      on: { ok: "gup.relocked", eintr: "gup.eintr" },
    },
    "gup.relocked": {
      op: set({ locked: 1, tried: true }, "*locked = 1; FOLL_TRIED"),
      next: "gup.lookup",
    },
    "gup.finish": {
      op: test("must_unlock && *locked", (k) =>
        k.get("must_unlock") === true && k.num("locked") === 1),
      on: { yes: "gup.unlock", no: "gup.ret" },
    },
    "gup.unlock": { op: mmapReadUnlock(), next: "gup.unlocked" },
    "gup.unlocked": { op: set({ locked: 0 }), next: "gup.ret" },
    "gup.ret": { op: hmmReturn(GUP, "locked"), next: "after" },
    after: { op: test("locked", (k) => k.num("locked") !== 0), on: { yes: "unlock", no: "exit" } },
    unlock: { op: mmapReadUnlock(), next: "exit" },
    exit: { op: exit() },
  },
  unreachable: [],
};

const FIXUP = "fixup_user_fault";
const fixupFlags = (k: Ctx): FaultFlag[] => [
  "WRITE",
  "ALLOW_RETRY",
  "KILLABLE",
  ...(k.get("tried") === true ? (["TRIED"] as const) : []),
];

export const gupFixup: Design = {
  id: "gup-fixup",
  title: "fixup_user_fault(mm, addr, FAULT_FLAG_WRITE, &unlocked), page by page",
  summary:
    "fixup_user_fault() always returns with the mmap lock held: on RETRY it re-takes mmap_read_lock (not killable), sets *unlocked and retries with FAULT_FLAG_TRIED; a fatal signal is checked at the top of each try. The caller (a futex-like user) holds the lock around the loop and must look VMAs up again after *unlocked.",
  source: "mm/gup.c fixup_user_fault",
  family: "gup",
  start: "lock",
  steps: {
    lock: { op: mmapReadLock(), next: "init" },
    init: { op: set({ cur: (k) => k.num("rstart"), ret: 0 }), next: "page" },
    page: {
      op: test("addr < end", (k) => k.num("cur") < k.num("rend")),
      on: { yes: "fx.call", no: "done" },
    },
    "fx.call": { op: apiEnter(FIXUP), next: "fx.init" },
    "fx.init": { op: set({ tried: false, unlocked: false }), next: "fx.lookup" },
    "fx.lookup": { op: vmaLookup("cur", "vma"), on: { found: "fx.permits", none: "fx.efault" } },
    "fx.permits": {
      op: writeDenied("!vma_permits_fault(vma, fault_flags)", "vma_permits_fault", "vma"),
      on: { yes: "fx.efault", no: "fx.sig" },
    },
    "fx.efault": { op: set({ ret: EFAULT }), next: "fx.ret" },
    "fx.sig": { op: fatalSignalPending(), on: { yes: "fx.eintr", no: "fx.fault" } },
    "fx.eintr": { op: set({ ret: EINTR }), next: "fx.ret" },
    "fx.fault": {
      op: handleMmFault("vma", "cur", fixupFlags),
      on: {
        ok: "fx.ok",
        error: "fx.efault",
        retry: "fx.relock_retry",
        completed: "fx.relock_done",
      },
    },
    "fx.ok": { op: set({ ret: 0 }), next: "fx.ret" },
    "fx.relock_done": { op: mmapReadLock(), next: "fx.completed" },
    "fx.completed": { op: set({ unlocked: true, ret: 0 }), next: "fx.ret" },
    "fx.relock_retry": { op: mmapReadLock(), next: "fx.tried" },
    "fx.tried": {
      op: set({ unlocked: true, tried: true }, "*unlocked = true; fault_flags |= FAULT_FLAG_TRIED"),
      next: "fx.lookup",
    },
    "fx.ret": { op: hmmReturn(FIXUP, "held"), next: "fx.check" },
    "fx.check": { op: test("ret", (k) => k.num("ret") !== 0), on: { yes: "unlock", no: "next" } },
    next: { op: set({ cur: (k) => k.num("cur") + 1 }), next: "page" },
    done: { op: set({ ret: 0 }), next: "unlock" },
    unlock: { op: mmapReadUnlock(), next: "exit" },
    exit: { op: exit() },
  },
  unreachable: [],
};
