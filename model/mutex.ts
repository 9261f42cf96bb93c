// A sleeping mutex, FIFO hand-off: the driver's user_lock that the notifier's
// invalidate() callback and the consumer both take (mmu_interval_read_retry's rule).
// mutex_lock()/mutex_unlock() of kernel/locking/mutex.c (read at gregkh/linux 55f3722fc694,
// v7.0.10): waiters queue FIFO (__mutex_add_waiter). __mutex_unlock_slowpath() gives the
// mutex to the first waiter itself only under MUTEX_FLAG_HANDOFF (__mutex_handoff);
// otherwise it frees it and wakes that waiter, which a newcomer may beat to it. The model
// always hands off: one of the kernel's runs; lock stealing is not modelled.
import type { Draft, Mutex, Tid } from "./world.js";

/** Free, and nobody queued: a lock() now takes it at once. */
export function isFree(m: Mutex): boolean {
  return m.owner === null && m.waiters.length === 0;
}

export function lock(m: Draft<Mutex>, tid: Tid): boolean {
  if (isFree(m)) {
    m.owner = tid;
    return true;
  }
  m.waiters.push(tid);
  return false;
}

/** Returns whether it was held and the waiter it was handed to. */
export function unlock(m: Draft<Mutex>, tid: Tid): { held: boolean; woken: Tid[] } {
  if (m.owner !== tid) return { held: false, woken: [] };
  const next = m.waiters.shift();
  m.owner = next ?? null;
  return { held: true, woken: next === undefined ? [] : [next] };
}

/**
 * Removes a waiter (a killable sleep ended by a fatal signal): __mutex_remove_waiter()
 * (kernel/locking/mutex.c, v7.0). The unlock here hands the mutex to the first waiter
 * itself, so a waiter still queued was handed nothing, and nobody else is woken.
 */
export function cancelWait(m: Draft<Mutex>, tid: Tid): void {
  const i = m.waiters.indexOf(tid);
  if (i >= 0) m.waiters.splice(i, 1);
}
