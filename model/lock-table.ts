// Every lock of a world as an instance of one of the generic lock kinds that a scenario
// can declare (model/world.ts LockState): mm->mmap_lock and each shared hugetlb VMA's
// hugetlb_vma_lock are rw-semaphores, the driver's user_lock a mutex, each VMA's
// per-VMA lock a vma-lock, and the scenario's own locks whatever they were declared as.
// The properties and the wait-for graph ask this table who holds or waits for what, so
// a lock a user declares is judged by the same code as the built-in ones
// (lock-balance, no-deadlock, the use-after-unlock properties).
import * as rwsem from "./rwsem.js";
import type { Draft, LockName, LockState, Mutex, Rwsem, Tid, World } from "./world.js";
import { lockLabel } from "./world.js";

export interface LockInstance {
  readonly ref: LockName;
  /** its name in traces and messages: mmap_lock, hugetlb_vma_lock(vma#1), user_lock, ... */
  readonly label: string;
  readonly state: LockState;
}

const asRwsem = (s: Rwsem): LockState => ({ kind: "rwsem", ...s });
const asMutex = (m: Mutex): LockState => ({ kind: "mutex", ...m });

/**
 * A VMA's per-VMA lock (include/linux/mmap_lock.h): its readers, and while it is
 * write-locked the mmap write lock's holder, since vma_start_write() needs that lock and
 * its release ends the write lock.
 */
function perVmaLock(w: World, vma: number): LockState | undefined {
  const v = w.vmas[vma];
  if (!v) return undefined;
  return { kind: "vma-lock", readers: v.readers, writer: v.writeLocked ? w.mmapLock.writer : null };
}

/**
 * The rw-semaphore `ref` names, as stored in `w` (a draft inside a step, so that a
 * waiter can be taken off its queue), or undefined if it is gone or not an rwsem.
 */
export function rwsemOf<W extends World | Draft<World>>(
  w: W,
  ref: LockName,
): W["mmapLock"] | undefined {
  if (ref.kind === "mmap") return w.mmapLock;
  if (ref.kind === "hugetlb") return w.vmas[ref.vma]?.hugetlbLock ?? undefined;
  if (ref.kind !== "named") return undefined;
  const l = w.locks[ref.name];
  return l?.kind === "rwsem" ? l : undefined;
}

/** The state of the lock `ref` names, as its generic kind, or undefined if it is gone. */
export function lockState(w: World, ref: LockName): LockState | undefined {
  switch (ref.kind) {
    case "mmap":
      return asRwsem(w.mmapLock);
    case "hugetlb": {
      const l = w.vmas[ref.vma]?.hugetlbLock;
      return l ? asRwsem(l) : undefined;
    }
    case "vma":
      return perVmaLock(w, ref.vma);
    case "user":
      return asMutex(w.notifier.userLock);
    case "named":
      return w.locks[ref.name];
  }
}

/**
 * Every lock of the world, in the order messages list them: the mmap lock, the hugetlb
 * VMA locks, user_lock, the per-VMA locks, then the declared locks by name.
 */
export function lockInstances(w: World): LockInstance[] {
  const refs: LockName[] = [{ kind: "mmap" }];
  for (const v of w.vmas) if (v.hugetlbLock) refs.push({ kind: "hugetlb", vma: v.id });
  refs.push({ kind: "user" });
  for (const v of w.vmas) refs.push({ kind: "vma", vma: v.id });
  for (const name of Object.keys(w.locks)) refs.push({ kind: "named", name });
  const out: LockInstance[] = [];
  for (const ref of refs) {
    const state = lockState(w, ref);
    if (state) out.push({ ref, label: lockLabel(ref), state });
  }
  return out;
}

/** Does `tid` hold a lock in this state (in any mode)? A refcount is held by nobody. */
export function holdsState(l: LockState, tid: Tid): boolean {
  switch (l.kind) {
    case "rwsem":
      return rwsem.holds(l, tid);
    case "mutex":
    case "spinlock":
      return l.owner === tid;
    case "vma-lock":
      return l.readers.includes(tid) || l.writer === tid;
    case "seqcount":
      // a seqcount writer section is held like a lock
      return l.writer === tid;
    case "rcu":
      // inside an rcu_read_lock() section
      return l.readers.includes(tid);
    case "refcount":
      return false;
  }
}

/** The labels of every lock `tid` holds, built-in and declared. */
export function locksHeld(w: World, tid: Tid): string[] {
  return lockInstances(w)
    .filter((l) => holdsState(l.state, tid))
    .map((l) => l.label);
}
