// rw_semaphore as kernel/locking/rwsem.c (read at torvalds/linux 0f9368b5, 5.8, and in a
// 6.18 tree with the same rwsem_mark_wake) hands it over once a waiter has set
// RWSEM_FLAG_HANDOFF (after RWSEM_WAIT_TIMEOUT): readers share, a writer excludes, and
// nobody takes the lock past the wait queue. Optimistic lock stealing (a writer
// spinning in rwsem_optimistic_spin, a reader stealing in rwsem_down_read_slowpath) is
// not modelled: with the hand-off bit set the kernel does neither, so every schedule
// here is one the kernel can run, and weak fairness in a liveness lasso stands in for
// the hand-off timer (README "Modelling notes").
//
// The grant is rwsem_mark_wake(): a writer at the head of the queue is woken alone; a
// reader at the head wakes every queued reader (up to MAX_READERS_WAKEUP, 256, far
// beyond any scenario here), and the writers stay queued in their order.
//
// In every state these functions leave, the head of a non-empty queue cannot be granted
// (a writer holds, or the head is a writer and readers hold): down_read and down_write
// queue behind any waiter, and every change of holder or head runs grant(). That is
// why acquire() needs no rwsem_cond_wake_waiter() after queueing: in the kernel it
// would find nothing to wake either. All functions mutate an immer draft.
import type { Draft, Rwsem, RwWaiter, Tid } from "./world.js";

type Sem = Draft<Rwsem>;

/**
 * Adds `tid` to a set of lock holders kept in thread order. The kernel's rwsem counts
 * its readers (sem->count) and a VMA its readers (vm_refcnt); neither knows in which
 * order they came, so worlds that differ only in that order are one state.
 */
export function addHolder(holders: Tid[], tid: Tid): void {
  addInThreadOrder(holders, tid, (t) => t);
}

/** Inserts `item` into `list`, kept in the order of `tidOf` (after any of the same thread). */
export function addInThreadOrder<T>(list: T[], item: T, tidOf: (x: T) => Tid): void {
  const tid = tidOf(item);
  let i = list.length;
  while (i > 0 && tidOf(list[i - 1] as T) > tid) i--;
  list.splice(i, 0, item);
}

export function holdsRead(sem: Rwsem, tid: Tid): boolean {
  return sem.readers.includes(tid);
}

export function holds(sem: Rwsem, tid: Tid): boolean {
  return sem.writer === tid || sem.readers.includes(tid);
}

export function isWaiting(sem: Rwsem, tid: Tid): boolean {
  return sem.waiters.some((w) => w.tid === tid);
}

/**
 * down_read/down_write: true if granted now; otherwise the caller is queued. A reader
 * arriving while anyone is queued queues too (rwsem_down_read_slowpath, the read fast
 * path failing on RWSEM_FLAG_WAITERS, no stealing under the hand-off bit), so a queued
 * writer blocks every later reader, and a recursive read behind it deadlocks.
 */
export function acquire(sem: Sem, tid: Tid, mode: RwWaiter["mode"]): boolean {
  const free =
    sem.waiters.length === 0 &&
    sem.writer === null &&
    (mode === "read" || sem.readers.length === 0);
  if (free) {
    if (mode === "read") addHolder(sem.readers, tid);
    else sem.writer = tid;
    return true;
  }
  sem.waiters.push({ tid, mode });
  return false;
}

/** Would down_read_trylock / down_write_trylock succeed now? */
export function canTryAcquire(sem: Rwsem, mode: RwWaiter["mode"]): boolean {
  if (sem.waiters.length > 0 || sem.writer !== null) return false;
  return mode === "read" || sem.readers.length === 0;
}

/** down_read_trylock / down_write_trylock: never queues. */
export function tryAcquire(sem: Sem, tid: Tid, mode: RwWaiter["mode"]): boolean {
  return canTryAcquire(sem, mode) && acquire(sem, tid, mode);
}

/**
 * up_read/up_write. Returns whether the lock was held, and whom the release woke
 * (rwsem_wake -> rwsem_mark_wake(RWSEM_WAKE_ANY); up_read wakes only once the last
 * reader has left, and grant() finds a head writer ungrantable before that).
 */
export function release(
  sem: Sem,
  tid: Tid,
  mode: RwWaiter["mode"],
): { held: boolean; woken: Tid[] } {
  let held = false;
  if (mode === "write" && sem.writer === tid) {
    sem.writer = null;
    held = true;
  } else if (mode === "read") {
    const i = sem.readers.indexOf(tid);
    if (i >= 0) {
      sem.readers.splice(i, 1);
      held = true;
    }
  }
  return { held, woken: held ? grant(sem) : [] };
}

/**
 * downgrade_write: the writer becomes a reader (__downgrade_write), then
 * rwsem_downgrade_wake -> rwsem_mark_wake(RWSEM_WAKE_READ_OWNED): a reader at the head
 * wakes every queued reader; a writer at the head wakes nobody. grant() does exactly
 * that here, since the downgrading thread now holds the lock for read.
 */
export function downgrade(sem: Sem, tid: Tid): Tid[] {
  if (sem.writer !== tid) return [];
  sem.writer = null;
  addHolder(sem.readers, tid);
  return grant(sem);
}

/**
 * Removes a waiter (a killable sleep ended by a fatal signal): rwsem_del_wake_waiter
 * (the out_nolock path of both slowpaths) calls rwsem_mark_wake(RWSEM_WAKE_ANY) only
 * when the waiter was the first and others remain queued.
 */
export function cancelWait(sem: Sem, tid: Tid): Tid[] {
  const i = sem.waiters.findIndex((w) => w.tid === tid);
  if (i < 0) return [];
  sem.waiters.splice(i, 1);
  return i === 0 ? grant(sem) : [];
}

/**
 * rwsem_mark_wake(): grants the lock, if it is not write-held, to the writer at the head
 * of the queue when nobody holds it, or to every queued reader when a reader is at the
 * head. Returns the threads granted, in queue order.
 */
function grant(sem: Sem): Tid[] {
  const head = sem.waiters[0];
  if (head === undefined || sem.writer !== null) return [];
  if (head.mode === "write") {
    if (sem.readers.length > 0) return [];
    sem.writer = head.tid;
    sem.waiters.shift();
    return [head.tid];
  }
  const woken: Tid[] = [];
  const writers: RwWaiter[] = [];
  for (const w of sem.waiters) {
    if (w.mode === "read") woken.push(w.tid);
    else writers.push(w);
  }
  for (const t of woken) addHolder(sem.readers, t);
  sem.waiters = writers;
  return woken;
}
