// The callers of the HMM API, as step fragments. Each enters the API at label "hmm"
// and expects it to come back at "hmm.return" with ret (and locked) set.
import { EBUSY, EFAULT } from "../errno.js";
import { useVma } from "../ghost.js";
import { consumePfns, HMM_PFN_REQ_FAULT, HMM_PFN_REQ_WRITE } from "../kernel/hmm.js";
import { mmapReadLock, mmapReadUnlock } from "../kernel/mmap-lock.js";
import {
  mmuIntervalReadBegin,
  mmuIntervalReadRetry,
  userLock,
  userUnlock,
} from "../kernel/notifier.js";
import { vmaLookup } from "../kernel/vma.js";
import { exit, retIs, set, test } from "../locals.js";
import type { Steps } from "../step.js";
import { op } from "../step.js";

/**
 * The consumer tail shared by all callers: take user_lock, read_retry, program the
 * device from hmm_pfns, unlock (Documentation/mm/hmm.rst). `readRetry: false` is the
 * mutant that skips the check. On a collision it goes to `onCollision`.
 */
export function consumeUnderUserLock(onCollision: string, readRetry = true): Steps {
  return {
    take: { op: userLock(), next: readRetry ? "read_retry" : "consume" },
    read_retry: {
      op: mmuIntervalReadRetry("seq"),
      on: { retry: "collision", ok: "consume" },
    },
    collision: { op: userUnlock(), next: onCollision },
    consume: { op: consumePfns(), next: "release" },
    release: { op: userUnlock(), next: "exit" },
    exit: { op: exit() },
  };
}

/**
 * The documented hmm_range_fault() caller (hmm.rst "usage pattern"):
 *   again: seq = read_begin; mmap_read_lock; ret = hmm_range_fault(); mmap_read_unlock;
 *   if (ret == -EBUSY) goto again; if (ret) fail;
 *   mutex_lock(user_lock); if (read_retry) { unlock; goto again; } consume; unlock.
 */
export function documentedCaller(opts: { readRetry?: boolean } = {}): Steps {
  return {
    again: { op: mmuIntervalReadBegin("seq"), next: "lock" },
    lock: { op: mmapReadLock(), next: "hmm" },
    "hmm.return": { op: mmapReadUnlock(), next: "check" },
    check: { op: test("ret == -EBUSY", retIs(EBUSY)), on: { yes: "again", no: "check_err" } },
    check_err: { op: test("ret", (k) => k.num("ret") !== 0), on: { yes: "exit", no: "take" } },
    ...consumeUnderUserLock("again", opts.readRetry ?? true),
  };
}

/**
 * The caller of the *locked API as hmm.rst documents it (one call over the range):
 *   again: seq = read_begin; locked = 1; mmap_read_lock;
 *   ret = hmm_range_fault_unlockable(&range, &locked); if (locked) mmap_read_unlock;
 *   if (ret == -EBUSY) goto again; if (ret) fail; if (!locked) goto again;
 *   mutex_lock(user_lock); if (read_retry) { unlock; goto again; } consume; unlock.
 */
export function unlockableCaller(): Steps {
  return {
    again: { op: mmuIntervalReadBegin("seq"), next: "again.locked" },
    "again.locked": { op: set({ locked: 1 }), next: "lock" },
    lock: { op: mmapReadLock(), next: "hmm" },
    "hmm.return": {
      op: test("locked", (k) => k.num("locked") !== 0),
      on: { yes: "unlock", no: "check" },
    },
    unlock: { op: mmapReadUnlock(), next: "check" },
    check: { op: test("ret == -EBUSY", retIs(EBUSY)), on: { yes: "again", no: "check_err" } },
    check_err: {
      op: test("ret", (k) => k.num("ret") !== 0),
      on: { yes: "exit", no: "check_locked" },
    },
    check_locked: {
      op: test("!locked", (k) => k.num("locked") === 0),
      on: { yes: "again", no: "take" },
    },
    ...consumeUnderUserLock("again"),
  };
}

/** mshv_region_hmm_fault_walk(): per-VMA range setup, write only if VM_WRITE && hv writable. */
const setupRange = op({
  name: "range->start = cur; range->end = min(vma->vm_end, end); default_flags from vma->vm_flags",
  outcomes: ["ok"],
  run: (k) => {
    const ref = k.ref("vma");
    if (!ref) throw new Error("no vma");
    const vma = useVma(k, ref, "vma->vm_end, vma->vm_flags");
    const cur = k.num("cur");
    k.set("start", cur);
    k.set("end", Math.min(vma.end, k.num("rend")));
    const write = vma.flags.write && k.get("hv_writable") === true;
    k.set("req", HMM_PFN_REQ_FAULT | (write ? HMM_PFN_REQ_WRITE : 0));
    return "ok";
  },
});

/**
 * The mshv caller loop of seed 002 over hmm_range_fault_unlockable():
 *   do { seq = read_begin; locked = 1; mmap_read_lock;
 *        ret = mshv_region_hmm_fault_walk(..., &locked);   // per VMA, stops on ret || !locked
 *        if (locked) mmap_read_unlock;
 *   } while (!locked || ret == -EBUSY);
 *   if (ret) return ret; mutex_lock; if (read_retry) -> -EBUSY; consume.
 */
export function mshvCaller(opts: { checkLocked?: boolean } = {}): Steps {
  // checkLocked: false is the mutant that takes a 0 return as success without *locked
  const checkLocked = opts.checkLocked ?? true;
  return {
    again: { op: mmuIntervalReadBegin("seq"), next: "again.locked" },
    "again.locked": { op: set({ locked: 1, cur: (k) => k.num("rstart") }), next: "lock" },
    lock: { op: mmapReadLock(), next: "seg" },
    seg: {
      op: test("cur < end", (k) => k.num("cur") < k.num("rend")),
      on: { yes: "seg.lookup", no: "seg.ok" },
    },
    "seg.ok": { op: set({ ret: 0 }), next: "seg.done" },
    "seg.lookup": { op: vmaLookup("cur", "vma"), on: { found: "seg.setup", none: "seg.efault" } },
    "seg.efault": { op: set({ ret: EFAULT }), next: "seg.done" },
    "seg.setup": { op: setupRange, next: "hmm" },
    "hmm.return": {
      op: checkLocked
        ? test("ret || !*locked", (k) => k.num("ret") !== 0 || k.num("locked") === 0)
        : test("ret", (k) => k.num("ret") !== 0),
      on: { yes: "seg.done", no: "seg.advance" },
    },
    "seg.advance": { op: set({ cur: (k) => k.num("end") }), next: "seg" },
    "seg.done": {
      op: test("locked", (k) => k.num("locked") !== 0),
      on: { yes: "unlock", no: "loop" },
    },
    unlock: { op: mmapReadUnlock(), next: "loop" },
    loop: {
      op: checkLocked
        ? test("!locked || ret == -EBUSY", (k) => k.num("locked") === 0 || k.num("ret") === EBUSY)
        : test("ret == -EBUSY", retIs(EBUSY)),
      on: { yes: "again", no: "check_err" },
    },
    check_err: { op: test("ret", (k) => k.num("ret") !== 0), on: { yes: "exit", no: "take" } },
    ...consumeUnderUserLock("busy"),
    busy: { op: set({ ret: EBUSY }), next: "exit" },
  };
}
