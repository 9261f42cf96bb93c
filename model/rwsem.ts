// rw_semaphore with writer fairness (kernel/locking/rwsem.c, simplified to FIFO):
// readers share, a writer excludes, and nobody overtakes a queued waiter, so a queued
// writer blocks every later reader. Release hands the lock to the head of the queue
// (a writer, or the run of readers at the head). All functions mutate an immer draft.
import type { Draft, Rwsem, RwWaiter, Tid } from "./world.js";

type Sem = Draft<Rwsem>;

export function holdsRead(sem: Rwsem, tid: Tid): boolean {
  return sem.readers.includes(tid);
}

export function holds(sem: Rwsem, tid: Tid): boolean {
  return sem.writer === tid || sem.readers.includes(tid);
}

export function isWaiting(sem: Rwsem, tid: Tid): boolean {
  return sem.waiters.some((w) => w.tid === tid);
}

/** down_read/down_write: true if granted now; otherwise the caller is queued. */
export function acquire(sem: Sem, tid: Tid, mode: RwWaiter["mode"]): boolean {
  const free =
    sem.waiters.length === 0 &&
    sem.writer === null &&
    (mode === "read" || sem.readers.length === 0);
  if (free) {
    if (mode === "read") sem.readers.push(tid);
    else sem.writer = tid;
    return true;
  }
  sem.waiters.push({ tid, mode });
  return false;
}

/** down_read_trylock / down_write_trylock: never queues. */
export function tryAcquire(sem: Sem, tid: Tid, mode: RwWaiter["mode"]): boolean {
  if (sem.waiters.length > 0 || sem.writer !== null) return false;
  if (mode === "write" && sem.readers.length > 0) return false;
  return acquire(sem, tid, mode);
}

/** up_read/up_write. Returns whether the lock was held, and whom the release woke. */
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

/** downgrade_write: the writer becomes a reader and readers at the head may enter. */
export function downgrade(sem: Sem, tid: Tid): Tid[] {
  if (sem.writer !== tid) return [];
  sem.writer = null;
  sem.readers.push(tid);
  return grant(sem);
}

/** Removes a waiter (a killable sleep ended by a fatal signal). */
export function cancelWait(sem: Sem, tid: Tid): Tid[] {
  const i = sem.waiters.findIndex((w) => w.tid === tid);
  if (i < 0) return [];
  sem.waiters.splice(i, 1);
  return grant(sem);
}

function grant(sem: Sem): Tid[] {
  const woken: Tid[] = [];
  while (sem.waiters.length > 0 && sem.writer === null) {
    const head = sem.waiters[0] as RwWaiter;
    if (head.mode === "write") {
      if (sem.readers.length > 0) break;
      sem.writer = head.tid;
      sem.waiters.shift();
      woken.push(head.tid);
      break;
    }
    sem.readers.push(head.tid);
    sem.waiters.shift();
    woken.push(head.tid);
  }
  return woken;
}
