// The folio lock (PG_locked) and its wait queue, as mm/filemap.c has them (read at
// torvalds/linux b6273b55d885, a v6.10+ tree): folio_trylock(), folio_unlock() ->
// folio_wake_bit() -> wake_page_function(), and folio_wait_bit_common() for the
// waiters, EXCLUSIVE (__folio_lock, __folio_lock_killable: they want the lock) or not
// (folio_wait_locked, folio_wait_locked_killable: they only wait for the unlock).
//
// Hand-off, modelled directly: folio_unlock() walks the queue in FIFO order, wakes every
// non-exclusive waiter it meets (they leave the queue without the lock), gives the lock
// to the first exclusive waiter and stops there (wake_page_function with
// WQ_FLAG_EXCLUSIVE | WQ_FLAG_CUSTOM sets PG_locked for it; the walk ends at the first
// exclusive wake). In the kernel an exclusive waiter may lose the bit to a
// folio_trylock() up to sysctl_page_lock_unfairness (5) times before the waker hands it
// over (folio_wait_bit_common: `if (--unfairness < 0) wait->flags |= WQ_FLAG_CUSTOM`);
// those at most five lost races are left out. They are bounded, so no loop is lost.
import type { Ctx } from "../step.js";
import type { Page, Tid, WorldDraft } from "../world.js";

/** folio_trylock(): take the folio lock of `page` if it is free. */
export function folioTrylock(k: Ctx, page: Page): boolean {
  if (k.w.folioLock[page] !== null) return false;
  k.w.folioLock[page] = k.tid;
  return true;
}

/**
 * folio_unlock(): clear PG_locked and walk the wait queue (wake_page_function): wake
 * the non-exclusive waiters up to the first exclusive one, which is handed the lock.
 */
export function folioUnlock(k: Ctx, page: Page, by: string): void {
  k.w.folioLock[page] = null;
  const q = k.w.folioWaiters[page] ?? [];
  if (q.length === 0) return;
  const woken: Tid[] = [];
  let n = 0;
  for (const x of q) {
    n++;
    woken.push(x.tid);
    if (x.exclusive) {
      k.w.folioLock[page] = x.tid;
      break;
    }
  }
  k.w.folioWaiters[page] = q.slice(n);
  k.wake(woken, by);
}

/**
 * folio_wait_bit_common(): queue on the folio of `page` (at the tail) and sleep. A
 * non-exclusive waiter resumes at the op's outcome once the folio is unlocked; an
 * exclusive one (`again`) runs its step again, holding the lock it was handed.
 */
export function folioWait(
  k: Ctx,
  page: Page,
  opts: { readonly exclusive: boolean; readonly killable: boolean },
): void {
  const q = k.w.folioWaiters[page] ?? [];
  k.w.folioWaiters[page] = [...q, { tid: k.tid, exclusive: opts.exclusive }];
  k.block({ kind: "folio", page, killable: opts.killable }, undefined, {
    again: opts.exclusive,
  });
}

/**
 * A fatal signal ends a killable folio wait (signal_pending_state() in
 * folio_wait_bit_common, -EINTR): the task leaves every folio queue it is on.
 */
export function folioLeaveQueues(w: WorldDraft, tid: Tid): void {
  w.folioWaiters.forEach((q, page) => {
    if (q.some((x) => x.tid === tid)) w.folioWaiters[page] = q.filter((x) => x.tid !== tid);
  });
}
