// mm->mmap_lock: mmap_read_lock, _killable, mmap_read_unlock, the write side, and
// mmap_write_downgrade (include/linux/mmap_lock.h, with down_read_killable() and
// down_read_trylock() from kernel/locking/rwsem.c, both read at v7.0). Every release
// ends the releasing thread's ghost epoch.
import { endEpoch } from "../ghost.js";
import * as rwsem from "../rwsem.js";
import type { Ctx, Op } from "../step.js";
import { op } from "../step.js";
import type { World } from "../world.js";
import { declaredVmaLocksEndWrite } from "./locks.js";

const MMAP = { kind: "mmap" } as const;

function take(k: Ctx, mode: "read" | "write", killable: boolean): boolean {
  const granted = rwsem.acquire(k.w.mmapLock, k.tid, mode);
  k.emit({ k: "lock", tid: k.tid, lock: MMAP, mode, granted });
  if (!granted) k.block({ kind: "rwsem", lock: MMAP, killable }, killable ? "eintr" : undefined);
  return granted;
}

/** mmap_write_unlock/downgrade bump mm_lock_seq, ending every VMA write lock. */
function vmaEndWriteAll(k: Ctx): void {
  for (const v of k.w.vmas) v.writeLocked = false;
  declaredVmaLocksEndWrite(k);
}

/** Release the mmap lock held in `mode`; `by` names the kernel path that released it. */
export function releaseMmap(k: Ctx, mode: "read" | "write", by: string): void {
  const { held, woken } = rwsem.release(k.w.mmapLock, k.tid, mode);
  k.emit({ k: "unlock", tid: k.tid, lock: MMAP, mode, held, by });
  if (held) endEpoch(k, by);
  if (held && mode === "write") vmaEndWriteAll(k);
  k.wake(woken, by);
}

export const mmapReadLock = (): Op<"ok"> =>
  op({
    name: "mmap_read_lock(mm)",
    outcomes: ["ok"],
    mightSleep: true,
    run: (k) => {
      take(k, "read", false);
      return "ok";
    },
  });

/** Would mmap_read_trylock(mm) succeed now: no writer holds the lock, nobody waits for it? */
export const mmapReadTrylockFree = (w: World): boolean => rwsem.canTryAcquire(w.mmapLock, "read");

/** mmap_read_trylock(mm) (down_read_trylock): takes the lock for read if it can, never queues. */
export function mmapReadTrylock(k: Ctx): boolean {
  const granted = rwsem.tryAcquire(k.w.mmapLock, k.tid, "read");
  if (granted) k.emit({ k: "lock", tid: k.tid, lock: MMAP, mode: "read", granted: true });
  return granted;
}

/** down_read_killable: the fast path ignores signals; a sleeper is woken by one. */
export const mmapReadLockKillable = (): Op<"ok" | "eintr"> =>
  op({
    name: "mmap_read_lock_killable(mm)",
    outcomes: ["ok", "eintr"],
    mightSleep: true,
    run: (k) => {
      if (mmapReadTrylock(k)) return "ok";
      if (k.t.fatal) return "eintr";
      take(k, "read", true);
      return "ok";
    },
  });

export const mmapReadUnlock = (): Op<"ok"> =>
  op({
    name: "mmap_read_unlock(mm)",
    outcomes: ["ok"],
    run: (k) => {
      releaseMmap(k, "read", "mmap_read_unlock");
      return "ok";
    },
  });

export const mmapWriteLock = (): Op<"ok"> =>
  op({
    name: "mmap_write_lock(mm)",
    outcomes: ["ok"],
    mightSleep: true,
    run: (k) => {
      take(k, "write", false);
      return "ok";
    },
  });

export const mmapWriteUnlock = (): Op<"ok"> =>
  op({
    name: "mmap_write_unlock(mm)",
    outcomes: ["ok"],
    run: (k) => {
      releaseMmap(k, "write", "mmap_write_unlock");
      return "ok";
    },
  });

export const mmapWriteDowngrade = (): Op<"ok"> =>
  op({
    name: "mmap_write_downgrade(mm)",
    outcomes: ["ok"],
    run: (k) => {
      vmaEndWriteAll(k);
      k.wake(rwsem.downgrade(k.w.mmapLock, k.tid), "mmap_write_downgrade");
      return "ok";
    },
  });
