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
// One step, unless user_lock is held: then the thread sleeps with the invalidation
// started (the seq odd, read_begin sleeps) and the fault lock held, and when
// mutex_unlock() hands it user_lock the step runs again and finishes the copy. A thread
// that faults with user_lock held itself never wakes: the kernel's self-deadlock.
import * as mutex from "../mutex.js";
import type { Ctx } from "../step.js";
import type { Pte } from "../world.js";
import { invalidateEnd, invalidateStart, setSeq } from "./notifier.js";

/** The fault sleeps in the invalidate() callback's mutex_lock(user_lock). */
const QUEUED = "wp_page_copy.queued";
/** vmf->orig_pte, for pte_same() after the sleep. */
const ORIG = "wp_page_copy.orig_pte";

/** Is this thread's fault asleep in wp_page_copy()'s invalidation (its step runs again)? */
export const wpPageCopyQueued = (k: Ctx): boolean => k.get(QUEUED) === 1;

/**
 * wp_page_copy() from mmu_notifier_invalidate_range_start() on, for page `addr`, its
 * vmf_anon_prepare() already done. Returns false when the thread sleeps on user_lock.
 */
export function wpPageCopy(k: Ctx, addr: number): boolean {
  const n = k.w.notifier;
  let orig: Pte | undefined;
  if (wpPageCopyQueued(k)) {
    // woken by mutex_unlock(), which handed user_lock over
    orig = k.get(ORIG) as Pte;
    k.unset(QUEUED);
    k.unset(ORIG);
  } else {
    orig = k.w.ptes[addr];
    k.emit({
      k: "note",
      tid: k.tid,
      text: `wp_page_copy(): a new page for page ${addr}, mmu_notifier_invalidate_range_start(MMU_NOTIFY_CLEAR)`,
    });
    invalidateStart(k);
    if (!mutex.lock(n.userLock, k.tid)) {
      k.set(QUEUED, 1);
      k.set(ORIG, orig ?? "none");
      k.emit({
        k: "note",
        tid: k.tid,
        text: "the mirror's invalidate() sleeps in mutex_lock(user_lock), fault lock held",
      });
      k.block({ kind: "mutex" }, undefined, { again: true });
      return false;
    }
  }
  // invalidate(): mmu_interval_set_seq(); mutex_unlock(user_lock)
  setSeq(k);
  k.emit({
    k: "note",
    tid: k.tid,
    text: "the mirror's invalidate(): mmu_interval_set_seq() under user_lock",
  });
  k.wake(mutex.unlock(n.userLock, k.tid).woken, "mutex_unlock(user_lock)");
  if (k.w.ptes[addr] === orig) {
    k.w.ptes[addr] = "rw";
    k.emit({ k: "pte", tid: k.tid, page: addr, pte: "rw" });
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
