// mmu interval notifiers (mm/mmu_notifier.c): the mm-wide
// invalidate_seq is odd while an overlapping invalidation runs; invalidate() stores
// it in the subscription under the driver's user_lock (mmu_interval_set_seq);
// read_begin sleeps while the subscription is being invalidated; read_retry compares.
import * as mutex from "../mutex.js";
import type { Ctx, Op } from "../step.js";
import { op } from "../step.js";
import type { World } from "../world.js";

/** `into = mmu_interval_read_begin(sub)`: may sleep until the invalidation ends. */
export const mmuIntervalReadBegin = (into = "seq"): Op<"ok"> =>
  op({
    name: `${into} = mmu_interval_read_begin(sub)`,
    outcomes: ["ok"],
    run: (k) => {
      const n = k.w.notifier;
      const seq = n.subSeq;
      k.set(into, seq);
      k.emit({ k: "read-begin", tid: k.tid, seq });
      if (seq === n.mmSeq) k.block({ kind: "read_begin", seq });
      return "ok";
    },
  });

/** `mmu_interval_read_retry(sub, seq)`: reliable only under user_lock. */
export const mmuIntervalReadRetry = (seq = "seq"): Op<"retry" | "ok"> =>
  op({
    name: `mmu_interval_read_retry(sub, ${seq})`,
    outcomes: ["retry", "ok"],
    run: (k) => (k.w.notifier.subSeq !== k.num(seq) ? "retry" : "ok"),
  });

/** `mmu_interval_check_retry(range->notifier, range->notifier_seq)`: lockless early-out. */
export const mmuIntervalCheckRetry = (seq = "seq"): Op<"busy" | "ok"> =>
  op({
    name: `mmu_interval_check_retry(sub, ${seq})`,
    outcomes: ["busy", "ok"],
    run: (k) => (k.w.notifier.subSeq !== k.num(seq) ? "busy" : "ok"),
  });

/** mutex_lock(user_lock) */
export const userLock = (): Op<"ok"> =>
  op({
    name: "mutex_lock(user_lock)",
    outcomes: ["ok"],
    run: (k) => {
      if (!mutex.lock(k.w.notifier.userLock, k.tid)) k.block({ kind: "mutex" });
      return "ok";
    },
  });

/** mutex_unlock(user_lock) */
export const userUnlock = (): Op<"ok"> =>
  op({
    name: "mutex_unlock(user_lock)",
    outcomes: ["ok"],
    run: (k) => {
      const { woken } = mutex.unlock(k.w.notifier.userLock, k.tid);
      k.wake(woken, "mutex_unlock(user_lock)");
      return "ok";
    },
  });

export function holdsUserLock(w: World, tid: number): boolean {
  return w.notifier.userLock.owner === tid;
}

/** mn_itree_inv_start_range(): the range overlaps the subscription, so the seq goes odd. */
export function invalidateStart(k: Ctx): void {
  const n = k.w.notifier;
  n.active += 1;
  n.invalidators.push(k.tid);
  if (n.mmSeq % 2 === 0) n.mmSeq += 1;
  k.emit({ k: "invalidate", tid: k.tid, phase: "start" });
}

/**
 * `mmu_notifier_invalidate_range_start()` as a step of an actor that changes page tables
 * (munmap's or madvise's zap, mprotect, mremap, fork's COW), named after its caller when
 * `caller` is given (`change_pud_range(): mmu_notifier_invalidate_range_start()`).
 */
export const invalidateRangeStart = (caller?: string): Op<"ok"> =>
  op({
    name: `${caller ? `${caller}: ` : ""}mmu_notifier_invalidate_range_start()`,
    outcomes: ["ok"],
    run: (k) => {
      invalidateStart(k);
      return "ok";
    },
  });

/** The driver's invalidate() callback body, under user_lock: mmu_interval_set_seq(). */
export function setSeq(k: Ctx): void {
  k.w.notifier.subSeq = k.w.notifier.mmSeq;
}

/**
 * mmu_notifier_invalidate_range_end() -> mn_itree_inv_end(): the last end makes the seq
 * even and wakes read_begin sleepers. An end without a successful start (its caller's
 * bug) is reported as unpaired and changes nothing here; the kernel would decrement
 * active_invalidate_ranges below the invalidations in flight.
 */
export function invalidateEnd(k: Ctx): void {
  const n = k.w.notifier;
  if (!n.invalidators.includes(k.tid)) {
    k.emit({ k: "invalidate", tid: k.tid, phase: "end", unpaired: true });
    return;
  }
  k.emit({ k: "invalidate", tid: k.tid, phase: "end" });
  innerEnd(k);
}

/** mn_itree_inv_end() proper: one invalidation of `k.tid` fewer in flight. */
function innerEnd(k: Ctx): void {
  const n = k.w.notifier;
  n.active -= 1;
  n.invalidators.splice(n.invalidators.indexOf(k.tid), 1);
  if (n.active === 0 && n.mmSeq % 2 === 1) {
    n.mmSeq += 1;
    const sleepers = k.w.threads
      .filter((t) => t.status.kind === "blocked" && t.status.on.kind === "read_begin")
      .map((t) => t.id);
    k.wake(sleepers, "mn_itree_inv_end");
  }
}

/**
 * mmu_notifier_invalidate_range_start_nonblock() (the OOM reaper's): mn_itree_invalidate()
 * with a non-blockable range. The seq goes odd; the driver's invalidate() callback may
 * not sleep, so it takes user_lock with mutex_trylock() (lib/test_hmm.c
 * dmirror_interval_invalidate, nouveau_svm_range_invalidate) and, when that fails,
 * returns false. Then mn_itree_invalidate() calls mn_itree_inv_end() itself ("On
 * -EAGAIN the non-blocking caller is not allowed to call invalidate_range_end()",
 * mm/mmu_notifier.c since the interval notifiers of v5.5) and the start fails with
 * -EAGAIN: the seq is even again, the subscription's seq was never set, and the caller
 * must skip the range without calling the end. Returns whether the start succeeded.
 */
export function invalidateStartNonblock(k: Ctx): boolean {
  invalidateStart(k);
  const n = k.w.notifier;
  if (n.userLock.owner === null && n.userLock.waiters.length === 0) {
    mutex.lock(n.userLock, k.tid);
    setSeq(k);
    mutex.unlock(n.userLock, k.tid);
    return true;
  }
  k.emit({ k: "invalidate", tid: k.tid, phase: "failed" });
  innerEnd(k);
  return false;
}

/** The driver's invalidate() callback, entered with user_lock held: set the seq, unlock. */
export const invalidateCallback = (): Op<"ok"> =>
  op({
    name: "invalidate(): mmu_interval_set_seq(); mutex_unlock(user_lock)",
    outcomes: ["ok"],
    run: (k) => {
      setSeq(k);
      return userUnlock().run(k);
    },
  });
