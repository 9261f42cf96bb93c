// do_wp_page()'s copy, wp_page_copy() (mm/memory.c, read at v7.0): a write fault on a
// present read-only entry of a private mapping that may not be written in place (the
// zero page, an anonymous page fork() left shared with the child, a private mapping's
// file page: Pte "zero" and "cow") gets a new anonymous page. After vmf_anon_prepare()
// and the copy it calls mmu_notifier_invalidate_range_start() (MMU_NOTIFY_CLEAR, the one
// page) with the fault's mmap or VMA lock held; the mirror's invalidate() callback takes
// user_lock with mutex_lock(), uninterruptible, and sets the subscription's seq. Then,
// under the PTE lock, the new entry replaces the old one only if pte_same() still holds
// (another thread may have changed it since the fault read it), and
// mmu_notifier_invalidate_range_end(). The fault returns 0 either way.
//
// Two turns of the fault's step: the start and the callback, then (other threads may run
// in between, the seq odd, so a read_begin() sleeps) the new entry and the end. The
// thread stays runnable between them (schedule() at most: nothing is awaited). While
// user_lock is held the first turn sleeps in the callback with the invalidation
// started and the fault lock held, and mutex_unlock() hands it the lock; a thread that
// faults with user_lock held itself never wakes: the kernel's self-deadlock.
import * as mutex from "../mutex.js";
import type { Ctx } from "../step.js";
import type { Pte, World } from "../world.js";
import { invalidateEnd, invalidateStart, setSeq } from "./notifier.js";
import { setPte } from "./pte.js";

/** The fault sleeps in the invalidate() callback's mutex_lock(user_lock). */
const QUEUED = "wp_page_copy.queued";
/** The callback is done: the new entry and the invalidation's end are left. */
const STARTED = "wp_page_copy.started";
/** vmf->orig_pte, for pte_same(). */
const ORIG = "wp_page_copy.orig_pte";
/** The page being copied: do_wp_page()'s folio_get() holds its folio until the end. */
const PAGE = "wp_page_copy.page";

/**
 * Does a fault hold a reference on page `page`'s folio for a copy in flight
 * (do_wp_page(): folio_get() before wp_page_copy(), folio_put() after the end)?
 * migrate_vma_check_page() then finds a reference it cannot account for, and the page is
 * not migrated (mm/migrate_device.c, v7.0).
 */
export const copyHoldsFolio = (w: World, page: number): boolean =>
  w.threads.some((t) => t.locals[PAGE] === page);

/** Is this thread's fault inside wp_page_copy()'s invalidation (its step runs again)? */
export const wpPageCopyPending = (k: Ctx): boolean => k.get(QUEUED) === 1 || k.get(STARTED) === 1;

/** The invalidate() callback, user_lock held: mmu_interval_set_seq(), mutex_unlock(). */
function callback(k: Ctx): void {
  const n = k.w.notifier;
  setSeq(k);
  k.emit({
    k: "note",
    tid: k.tid,
    text: "the mirror's invalidate(): mmu_interval_set_seq() under user_lock",
  });
  k.wake(mutex.unlock(n.userLock, k.tid).woken, "mutex_unlock(user_lock)");
  k.set(STARTED, 1);
  k.again();
}

/**
 * wp_page_copy() from mmu_notifier_invalidate_range_start() on, for page `addr`, its
 * vmf_anon_prepare() already done, one turn at a time: true once the copy is over.
 */
export function wpPageCopy(k: Ctx, addr: number): boolean {
  if (k.get(STARTED) === 1) {
    const orig = k.get(ORIG) as Pte;
    k.unset(STARTED);
    k.unset(ORIG);
    k.unset(PAGE);
    if (k.w.ptes[addr] === orig) {
      setPte(k, addr, "rw");
    } else
      k.emit({
        k: "note",
        tid: k.tid,
        text: `pte_same() fails: page ${addr} changed since the fault read it, the copy is dropped`,
      });
    invalidateEnd(k);
    k.emit({ k: "note", tid: k.tid, text: "mmu_notifier_invalidate_range_end()" });
    return true;
  }
  if (k.get(QUEUED) === 1) {
    // woken by mutex_unlock(), which handed user_lock over
    k.unset(QUEUED);
    callback(k);
    return false;
  }
  k.set(ORIG, k.w.ptes[addr] ?? "none");
  // the zero page has no folio to hold
  if (k.w.ptes[addr] !== "zero") k.set(PAGE, addr);
  k.emit({
    k: "note",
    tid: k.tid,
    text: `wp_page_copy(): a new page for page ${addr}, mmu_notifier_invalidate_range_start(MMU_NOTIFY_CLEAR)`,
  });
  invalidateStart(k);
  if (mutex.lock(k.w.notifier.userLock, k.tid)) callback(k);
  else {
    k.set(QUEUED, 1);
    k.emit({
      k: "note",
      tid: k.tid,
      text: "the mirror's invalidate() sleeps in mutex_lock(user_lock), fault lock held",
    });
    k.block({ kind: "mutex" }, undefined, { again: true });
  }
  return false;
}
