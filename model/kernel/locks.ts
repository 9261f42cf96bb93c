// Locks a scenario declares by name (a driver's own mutex, rw_semaphore or spinlock),
// with the kernel's names for their operations, so a design reads like its C:
// `mutexLock("drv.lock")` prints `mutex_lock(drv.lock)`.
//   - mutex: waiters in FIFO order, the unlock handing the mutex to the first one: one of
//     the kernel's runs (__mutex_unlock_slowpath hands off itself only under
//     MUTEX_FLAG_HANDOFF, else a newcomer may take it first: stealing and optimistic
//     spinning are not modelled);
//   - rwsem: readers share, a writer excludes, writer fairness, and the grant of
//     rwsem_mark_wake (a head writer alone, or every queued reader; model/rwsem.ts);
//   - spinlock: FIFO like a queued spinlock (kernel/locking/qspinlock.c); a waiter spins
//     (it is disabled, as a sleeper is) and the holder is in atomic context.
// Read at: kernel/locking/mutex.c, gregkh/linux 55f3722fc694 (v7.0.10);
// kernel/locking/rwsem.c (trylocks, rwsem_mark_wake), Diangang/linux fe1d7c969852
// (v7.1-rc1); include/linux/seqlock.h and rcupdate.h, gregkh/linux 10d525b98aaa (v6.11.11).
// Every release ends the releasing thread's epoch of that lock, so pointers looked up
// under it die (model/kernel/objects.ts). Acquire steps are never guarded by the lock
// being free: they queue, so weak fairness can force a waiter in (README "Properties").

import { holdsState } from "../lock-table.js";
import * as mutex from "../mutex.js";
import * as rwsem from "../rwsem.js";
import type { Ctx, Op } from "../step.js";
import { op, stringArg } from "../step.js";
import type { Draft, LockKind, LockState, Tid, World } from "../world.js";

/** The declared lock `name`, or a design error naming the locks the scenario has. */
export function declaredLock(k: Ctx, name: string, kinds: readonly LockKind[]): Draft<LockState> {
  const l = k.w.locks[name];
  if (!l)
    throw new Error(
      `no lock "${name}" in this scenario (it declares: ${Object.keys(k.w.locks).join(", ") || "none"}); declare it in the scenario's locks`,
    );
  if (!kinds.includes(l.kind))
    throw new Error(`"${name}" is a ${l.kind}, not a ${kinds.join(" or ")}`);
  return l;
}

/** An op on the declared lock `name`, which says so (Op.locks): the scenario must declare it. */
function lockOp<O extends string>(name: string, kinds: readonly LockKind[], spec: Op<O>): Op<O> {
  // a design file is not type-checked: a lock named by a number would print as declared
  stringArg(
    `${spec.name.slice(0, spec.name.indexOf("("))}()`,
    name,
    'the lock is named by a string, as the scenario declares it ({ name: "drv.lock", kind: "mutex" })',
  );
  return op({ ...spec, locks: [{ name, kinds }] });
}

/** Does `tid` hold the declared lock `name` (in any mode)? */
export function holdsLock(w: World, name: string, tid: Tid): boolean {
  const l = w.locks[name];
  return l !== undefined && holdsState(l, tid);
}

/** The declared spinlocks `tid` holds (it is in atomic context while any is held). */
export function spinlocksHeld(w: World, tid: Tid): string[] {
  return Object.keys(w.locks).filter(
    (n) => w.locks[n]?.kind === "spinlock" && holdsLock(w, n, tid),
  );
}

/** The kinds of declared lock taken or released in `mode`. */
const KINDS: Readonly<Record<"read" | "write", readonly LockKind[]>> = {
  read: ["rwsem"],
  write: ["rwsem", "mutex", "spinlock"],
};

/**
 * Take `name` in `mode`; queue and block when it is not free. Returns whether granted
 * now. `killable`: the sleep is TASK_KILLABLE, and a fatal signal ends it with the
 * step's "eintr" outcome (model/actors/signal.ts).
 */
export function acquireLock(
  k: Ctx,
  name: string,
  mode: "read" | "write",
  killable = false,
): boolean {
  const l = declaredLock(k, name, KINDS[mode]);
  let granted: boolean;
  if (l.kind === "rwsem") granted = rwsem.acquire(l, k.tid, mode);
  else if (l.kind !== "mutex" && l.kind !== "spinlock") return false;
  else granted = mutex.lock(l, k.tid);
  k.emit({ k: "lock", tid: k.tid, lock: { kind: "named", name }, mode, granted });
  if (!granted)
    k.block(
      killable ? { kind: "lock", name, mode, killable: true } : { kind: "lock", name, mode },
      killable ? "eintr" : undefined,
    );
  return granted;
}

/**
 * A fatal signal ends `tid`'s killable sleep on the declared lock `name`: it leaves the
 * queue (rwsem_del_wake_waiter(), which wakes the next waiters if it was the first;
 * __mutex_remove_waiter()), and the threads granted the lock by that are woken.
 */
export function leaveLockQueue(k: Ctx, name: string, tid: Tid): void {
  const l = k.w.locks[name];
  if (l?.kind === "rwsem") k.wake(rwsem.cancelWait(l, tid), "rwsem waiter left");
  else if (l?.kind === "mutex") mutex.cancelWait(l, tid);
}

/** Release `name` held in `mode`: hands it to the head of the queue, ends the epoch. */
export function releaseLock(k: Ctx, name: string, mode: "read" | "write", by: string): void {
  const l = declaredLock(k, name, KINDS[mode]);
  let held = false;
  let woken: Tid[] = [];
  if (l.kind === "rwsem") ({ held, woken } = rwsem.release(l, k.tid, mode));
  else if (l.kind === "mutex" || l.kind === "spinlock") ({ held, woken } = mutex.unlock(l, k.tid));
  k.emit({ k: "unlock", tid: k.tid, lock: { kind: "named", name }, mode, held, by });
  if (held) endLockEpoch(k, name);
  k.wake(woken, by);
}

/** `k.tid`'s epoch of the declared lock `name` ends: pointers looked up under it die. */
function endLockEpoch(k: Ctx, name: string): void {
  // the per-thread epochs are replaced, never mutated (engine/draft.ts)
  const g = k.w.ghost;
  const epochs = (g.lockEpoch[name] ?? k.w.threads.map(() => 0)).slice();
  epochs[k.tid] = (epochs[k.tid] ?? 0) + 1;
  g.lockEpoch = { ...g.lockEpoch, [name]: epochs };
}

/**
 * down_read_trylock / down_write_trylock on the declared rwsem `name`
 * (kernel/locking/rwsem.c): takes it when free and nobody is queued, never queues.
 * Returns whether it was taken; a failed trylock emits no lock event (it never waits).
 */
export function tryAcquireLock(k: Ctx, name: string, mode: "read" | "write"): boolean {
  const l = declaredLock(k, name, ["rwsem"]);
  if (l.kind !== "rwsem" || !rwsem.tryAcquire(l, k.tid, mode)) return false;
  k.emit({ k: "lock", tid: k.tid, lock: { kind: "named", name }, mode, granted: true });
  return true;
}

/** The kinds `fn` takes a lock of, its own kind first (the one a missing lock is declared as). */
function kindsOf(fn: string, mode: "read" | "write"): LockKind[] {
  const own: LockKind = fn.startsWith("mutex")
    ? "mutex"
    : fn.startsWith("spin")
      ? "spinlock"
      : "rwsem";
  return [own, ...KINDS[mode].filter((k) => k !== own)];
}

function acquireOp(fn: string, name: string, mode: "read" | "write", sleeps: boolean): Op<"ok"> {
  return lockOp(name, kindsOf(fn, mode), {
    name: `${fn}(${name})`,
    outcomes: ["ok"],
    mightSleep: sleeps,
    run: (k) => {
      acquireLock(k, name, mode);
      return "ok";
    },
  });
}

function releaseOp(fn: string, name: string, mode: "read" | "write"): Op<"ok"> {
  return lockOp(name, kindsOf(fn, mode), {
    name: `${fn}(${name})`,
    outcomes: ["ok"],
    run: (k) => {
      releaseLock(k, name, mode, fn);
      return "ok";
    },
  });
}

/**
 * The killable acquires (kernel/locking/rwsem.c and mutex.c, read at v7.0): the fast path
 * takes a free lock whatever is pending; the slow path tests signal_pending_state() before
 * each sleep (rwsem_down_{read,write}_slowpath(), __mutex_lock_common() after its trylock)
 * and returns -EINTR, "eintr", without the lock. So a thread with a fatal signal pending
 * gets "eintr" from a lock it cannot take at once, and one asleep in the queue is woken
 * with it by the signal.
 */
function killableAcquireOp(fn: string, name: string, mode: "read" | "write"): Op<"ok" | "eintr"> {
  // a spinning waiter takes no signal (kernel/locking/qspinlock.c): no killable spinlock
  const kinds = kindsOf(fn, mode).filter((kind) => kind !== "spinlock");
  return lockOp(name, kinds, {
    name: `${fn}(${name})`,
    outcomes: ["ok", "eintr"],
    mightSleep: true,
    run: (k) => {
      if (k.t.fatal && !freeFor(k, name, mode, kinds)) return "eintr";
      acquireLock(k, name, mode, true);
      return "ok";
    },
  });
}

/**
 * Would `name`, one of `kinds` (the killable op's own), be granted in `mode` now,
 * without queueing?
 */
function freeFor(
  k: Ctx,
  name: string,
  mode: "read" | "write",
  kinds: readonly LockKind[],
): boolean {
  const l = declaredLock(k, name, kinds);
  if (l.kind === "rwsem") return rwsem.canTryAcquire(l, mode);
  return l.kind === "mutex" && mutex.isFree(l);
}

/** mutex_lock(&lock): sleeps until the mutex is handed over. */
export const mutexLock = (name: string): Op<"ok"> => acquireOp("mutex_lock", name, "write", true);
/** mutex_lock_killable(&lock): "eintr" (-EINTR) when a fatal signal ends the wait. */
export const mutexLockKillable = (name: string): Op<"ok" | "eintr"> =>
  killableAcquireOp("mutex_lock_killable", name, "write");
/** mutex_unlock(&lock) */
export const mutexUnlock = (name: string): Op<"ok"> => releaseOp("mutex_unlock", name, "write");
/** down_read(&sem) */
export const downRead = (name: string): Op<"ok"> => acquireOp("down_read", name, "read", true);
/** down_read_killable(&sem): "eintr" (-EINTR) when a fatal signal ends the wait. */
export const downReadKillable = (name: string): Op<"ok" | "eintr"> =>
  killableAcquireOp("down_read_killable", name, "read");
/** up_read(&sem) */
export const upRead = (name: string): Op<"ok"> => releaseOp("up_read", name, "read");
/** down_write(&sem) */
export const downWrite = (name: string): Op<"ok"> => acquireOp("down_write", name, "write", true);
/** down_write_killable(&sem): "eintr" (-EINTR) when a fatal signal ends the wait. */
export const downWriteKillable = (name: string): Op<"ok" | "eintr"> =>
  killableAcquireOp("down_write_killable", name, "write");
/** up_write(&sem) */
export const upWrite = (name: string): Op<"ok"> => releaseOp("up_write", name, "write");
/** down_write_trylock(&sem): "locked", or "busy" when it is held or contended. */
export const downWriteTrylock = (name: string): Op<"locked" | "busy"> =>
  lockOp(name, ["rwsem"], {
    name: `down_write_trylock(${name})`,
    outcomes: ["locked", "busy"],
    run: (k) => (tryAcquireLock(k, name, "write") ? "locked" : "busy"),
  });
/** spin_lock(&lock): spins (never sleeps) until the lock is handed over. */
export const spinLock = (name: string): Op<"ok"> => acquireOp("spin_lock", name, "write", false);
/** spin_unlock(&lock) */
export const spinUnlock = (name: string): Op<"ok"> => releaseOp("spin_unlock", name, "write");

/** The initial state of a declared lock of `kind`: free, nobody waiting (a refcount: `count`). */
export function freeLock(kind: LockKind, count = 1): LockState {
  switch (kind) {
    case "rwsem":
      return { kind, readers: [], writer: null, waiters: [] };
    case "seqcount":
      return { kind, writer: null, readers: [], waiters: [] };
    case "refcount":
      return { kind, count };
    case "vma-lock":
      return { kind, readers: [], writer: null };
    case "rcu":
      return { kind, readers: [] };
    default:
      return { kind, owner: null, waiters: [] };
  }
}

// seqcount_t (include/linux/seqlock.h). Writers must be serialized by a lock of the
// design's own, as the kernel requires; the model does not check that (nor that a plain
// seqcount_t writer has preemption disabled). A reader that calls read_seqcount_begin
// during a write spins until the write ends (the sequence is odd), so it blocks here,
// spinning, not sleeping (`waitSpins`); the writer itself too, for ever: its own write
// is the one it waits for. read_seqcount_retry says "retry" when a write began since.

/**
 * Does a thread blocked on a declared lock of this kind spin rather than sleep? A
 * spinlock's waiters (queued_spin_lock_slowpath) and a seqcount's readers
 * (__read_seqcount_begin's cpu_relax() loop) do; the sleep checks leave them out.
 */
export function waitSpins(kind: LockKind | undefined): boolean {
  return kind === "spinlock" || kind === "seqcount";
}

/** Is thread `tid` asleep in `w`: blocked on anything (a uffd wait, a folio, a lock) but a spinning wait? */
export function blockedAsleep(w: World, tid: Tid): boolean {
  const t = w.threads[tid];
  if (t?.status.kind !== "blocked") return false;
  return t.status.on.kind !== "lock" || !waitSpins(w.locks[t.status.on.name]?.kind);
}

/**
 * A reader enters its section, kept in thread order: a seqcount_t keeps no readers at
 * all (they only read the sequence), so the order they came in is no part of the state.
 */
function addSeqReader(readers: { tid: Tid; stale: boolean }[], tid: Tid): void {
  rwsem.addInThreadOrder(readers, { tid, stale: false }, (r) => r.tid);
}

/** write_seqcount_begin(&s): readers in their section from now on must retry. */
export const writeSeqcountBegin = (name: string): Op<"ok"> =>
  lockOp(name, ["seqcount"], {
    name: `write_seqcount_begin(${name})`,
    outcomes: ["ok"],
    run: (k) => {
      const l = declaredLock(k, name, ["seqcount"]);
      if (l.kind !== "seqcount") return "ok";
      l.writer = k.tid;
      l.readers = l.readers.map((r) => (r.stale ? r : { tid: r.tid, stale: true }));
      k.emit({
        k: "lock",
        tid: k.tid,
        lock: { kind: "named", name },
        mode: "write",
        granted: true,
      });
      return "ok";
    },
  });

/** write_seqcount_end(&s): spinning readers go on. */
export const writeSeqcountEnd = (name: string): Op<"ok"> =>
  lockOp(name, ["seqcount"], {
    name: `write_seqcount_end(${name})`,
    outcomes: ["ok"],
    run: (k) => {
      const l = declaredLock(k, name, ["seqcount"]);
      if (l.kind !== "seqcount") return "ok";
      const held = l.writer === k.tid;
      if (held) l.writer = null;
      k.emit({
        k: "unlock",
        tid: k.tid,
        lock: { kind: "named", name },
        mode: "write",
        held,
        by: "write_seqcount_end",
      });
      const woken = l.waiters.slice();
      l.waiters = [];
      for (const t of woken) addSeqReader(l.readers, t);
      k.wake(woken, "write_seqcount_end");
      return "ok";
    },
  });

/** read_seqcount_begin(&s): enter a read section, spinning while a write is in progress. */
export const readSeqcountBegin = (name: string): Op<"ok"> =>
  lockOp(name, ["seqcount"], {
    name: `read_seqcount_begin(${name})`,
    outcomes: ["ok"],
    run: (k) => {
      const l = declaredLock(k, name, ["seqcount"]);
      if (l.kind !== "seqcount") return "ok";
      l.readers = l.readers.filter((r) => r.tid !== k.tid);
      // (the writer too: the sequence stays odd until its own write_seqcount_end)
      if (l.writer !== null) {
        l.waiters.push(k.tid);
        k.emit({
          k: "lock",
          tid: k.tid,
          lock: { kind: "named", name },
          mode: "read",
          granted: false,
        });
        k.block({ kind: "lock", name, mode: "read" });
        return "ok";
      }
      addSeqReader(l.readers, k.tid);
      return "ok";
    },
  });

/** read_seqcount_retry(&s, seq): "retry" when a write began since read_seqcount_begin. */
export const readSeqcountRetry = (name: string): Op<"retry" | "ok"> =>
  lockOp(name, ["seqcount"], {
    name: `read_seqcount_retry(${name})`,
    outcomes: ["retry", "ok"],
    run: (k) => {
      const l = declaredLock(k, name, ["seqcount"]);
      if (l.kind !== "seqcount") return "ok";
      const mine = l.readers.find((r) => r.tid === k.tid);
      l.readers = l.readers.filter((r) => r.tid !== k.tid);
      // a retry without a begin is a design's mistake: read as a retry, as a stale sequence would
      return mine === undefined || mine.stale ? "retry" : "ok";
    },
  });

// refcount_t (include/linux/refcount.h, lib/refcount.c): an increment from 0 and a
// decrement below 0 are the misuses refcount_warn_saturate() reports ("addition on 0;
// use-after-free", "underflow; use-after-free"); lock-balance reports them here.

/** The count of the declared refcount `name`. */
export function refcountOf(k: Ctx, name: string): number {
  const l = declaredLock(k, name, ["refcount"]);
  return l.kind === "refcount" ? l.count : 0;
}

/** refcount_inc / kref_get on the declared refcount `name` (from 0 it stays 0: a misuse). */
export function refcountGet(k: Ctx, name: string): void {
  const l = declaredLock(k, name, ["refcount"]);
  if (l.kind !== "refcount") return;
  k.emit({ k: "refcount", tid: k.tid, name, op: "inc", from: l.count });
  if (l.count > 0) l.count += 1;
}

/** refcount_dec_and_test / kref_put on `name`: true when this put dropped the last reference. */
export function refcountPut(k: Ctx, name: string): boolean {
  const l = declaredLock(k, name, ["refcount"]);
  if (l.kind !== "refcount") return false;
  k.emit({ k: "refcount", tid: k.tid, name, op: "dec", from: l.count });
  if (l.count <= 0) return false;
  l.count -= 1;
  return l.count === 0;
}

/** refcount_inc(&r) */
export const refcountInc = (name: string): Op<"ok"> =>
  lockOp(name, ["refcount"], {
    name: `refcount_inc(${name})`,
    outcomes: ["ok"],
    run: (k) => {
      refcountGet(k, name);
      return "ok";
    },
  });

/** refcount_dec_and_test(&r): "zero" when this put dropped the last reference. */
export const refcountDecAndTest = (name: string): Op<"zero" | "nonzero"> =>
  lockOp(name, ["refcount"], {
    name: `refcount_dec_and_test(${name})`,
    outcomes: ["zero", "nonzero"],
    run: (k) => (refcountPut(k, name) ? "zero" : "nonzero"),
  });

// A declared per-VMA lock (include/linux/mmap_lock.h and mm/mmap_lock.c, as the built-in
// VMAs' locks follow them, model/kernel/vma-lock.ts): vma_start_read() never sleeps, it
// fails while the lock is write-locked (vm_lock_seq == mm_lock_seq) and the caller falls
// back to the mmap lock; vma_start_write() is called with the mmap write lock held,
// write-locks at once (new readers fail) and waits for the readers inside to leave; the
// write lock lasts until the writer's mmap_write_unlock() (vma_end_write_all).

/** vma_start_read(&obj): "locked", or "fail" while it is write-locked. */
export const vmaStartReadLock = (name: string): Op<"locked" | "fail"> =>
  lockOp(name, ["vma-lock"], {
    name: `vma_start_read(${name})`,
    outcomes: ["locked", "fail"],
    run: (k) => {
      const l = declaredLock(k, name, ["vma-lock"]);
      if (l.kind !== "vma-lock") return "fail";
      const granted = l.writer === null;
      // (vm_refcnt counts them: a set in thread order, as the built-in VMAs keep theirs)
      if (granted) rwsem.addHolder(l.readers, k.tid);
      k.emit({ k: "lock", tid: k.tid, lock: { kind: "named", name }, mode: "read", granted });
      return granted ? "locked" : "fail";
    },
  });

/** vma_end_read(&obj): the last reader out lets a waiting vma_start_write() go on. */
export const vmaEndReadLock = (name: string): Op<"ok"> =>
  lockOp(name, ["vma-lock"], {
    name: `vma_end_read(${name})`,
    outcomes: ["ok"],
    run: (k) => {
      const l = declaredLock(k, name, ["vma-lock"]);
      if (l.kind !== "vma-lock") return "ok";
      const at = l.readers.indexOf(k.tid);
      if (at >= 0) l.readers.splice(at, 1);
      k.emit({
        k: "unlock",
        tid: k.tid,
        lock: { kind: "named", name },
        mode: "read",
        held: at >= 0,
        by: "vma_end_read",
      });
      const writer = l.writer;
      if (l.readers.length === 0 && writer !== null && writer !== k.tid)
        k.wake([writer], "vma_end_read");
      return "ok";
    },
  });

/**
 * vma_start_write(&obj): under the mmap write lock (mmap_assert_write_locked; a design
 * error without it), write-locks the object and sleeps until its readers have left.
 */
export const vmaStartWriteLock = (name: string): Op<"ok"> =>
  lockOp(name, ["vma-lock"], {
    name: `vma_start_write(${name})`,
    outcomes: ["ok"],
    mightSleep: true,
    run: (k) => {
      const l = declaredLock(k, name, ["vma-lock"]);
      if (l.kind !== "vma-lock") return "ok";
      if (k.w.mmapLock.writer !== k.tid)
        throw new Error(
          `vma_start_write(${name}) without the mmap write lock (mmap_assert_write_locked); take mmap_write_lock first`,
        );
      if (l.writer === k.tid && l.readers.every((t) => t === k.tid)) return "ok";
      l.writer = k.tid;
      const granted = l.readers.every((t) => t === k.tid);
      k.emit({ k: "lock", tid: k.tid, lock: { kind: "named", name }, mode: "write", granted });
      if (!granted) k.block({ kind: "lock", name, mode: "write" });
      return "ok";
    },
  });

/** vma_end_write_all() at mmap_write_unlock(): the declared per-VMA locks `tid` write-locked are released. */
export function declaredVmaLocksEndWrite(k: Ctx): void {
  const locks = k.w.locks;
  for (const name of Object.keys(locks)) {
    const l = locks[name];
    if (l?.kind === "vma-lock" && l.writer === k.tid) l.writer = null;
  }
}

// RCU (include/linux/rcupdate.h, kernel/rcu/tree.c) as a declared lock of kind "rcu":
// rcu_read_lock() never waits and nests; the section is atomic context for
// `no-sleep-with-pte-mapped` (sleeping inside it is illegal: "Illegal context switch in
// RCU read-side critical section"); rcu_read_unlock() ends the thread's epoch of it, so
// a pointer looked up under it dies there. A grace period (synchronize_rcu, or the
// callback of call_rcu) ends once every reader that was inside when it began has left:
// `rcuReadersInside` is what it waits for.

/** rcu_read_lock() on the declared RCU `name`: enter a read-side section (never waits). */
export function rcuEnter(k: Ctx, name: string): void {
  const l = declaredLock(k, name, ["rcu"]);
  if (l.kind !== "rcu") return;
  // in thread order, nested sections side by side: RCU counts each CPU's nesting and
  // knows no order among readers (kernel/rcu/tree.c)
  const readers = [...l.readers];
  rwsem.addHolder(readers, k.tid);
  l.readers = readers;
  k.emit({ k: "lock", tid: k.tid, lock: { kind: "named", name }, mode: "read", granted: true });
}

/** rcu_read_unlock() on the declared RCU `name`: leave the innermost read-side section. */
export function rcuLeave(k: Ctx, name: string, by = "rcu_read_unlock"): void {
  const l = declaredLock(k, name, ["rcu"]);
  if (l.kind !== "rcu") return;
  const at = l.readers.indexOf(k.tid);
  if (at >= 0) l.readers = l.readers.filter((_, i) => i !== at);
  k.emit({
    k: "unlock",
    tid: k.tid,
    lock: { kind: "named", name },
    mode: "read",
    held: at >= 0,
    by,
  });
  if (at >= 0 && !l.readers.includes(k.tid)) endLockEpoch(k, name);
}

/** The threads inside a read-side section of the declared RCU `name` (a grace period waits for them). */
export function rcuReadersInside(w: World, name: string): readonly Tid[] {
  const l = w.locks[name];
  return l?.kind === "rcu" ? l.readers : [];
}

/** rcu_read_lock() */
export const rcuReadLock = (name = "rcu"): Op<"ok"> =>
  lockOp(name, ["rcu"], {
    name: "rcu_read_lock()",
    outcomes: ["ok"],
    run: (k) => {
      rcuEnter(k, name);
      return "ok";
    },
  });

/** rcu_read_unlock() */
export const rcuReadUnlock = (name = "rcu"): Op<"ok"> =>
  lockOp(name, ["rcu"], {
    name: "rcu_read_unlock()",
    outcomes: ["ok"],
    run: (k) => {
      rcuLeave(k, name);
      return "ok";
    },
  });
