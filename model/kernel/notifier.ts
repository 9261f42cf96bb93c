// mmu interval notifiers (mm/mmu_notifier.c): the mm-wide
// invalidate_seq is odd while an overlapping invalidation runs; invalidate() stores
// it in the subscription under the driver's user_lock (mmu_interval_set_seq);
// read_begin sleeps while the subscription is being invalidated; read_retry compares.
import * as mutex from "../mutex.js";
import { addHolder } from "../rwsem.js";
import type { Ctx, Op } from "../step.js";
import { localName, op } from "../step.js";
import type { Status, Thread, Val, World } from "../world.js";

/**
 * Locals that hold a notifier sequence number: every `into` of mmuIntervalReadBegin()
 * (the built-in designs' "seq"), and arrays of them (HMM's ghost "pfn_seqs": the seq
 * each pfn was collected under, -1 for none).
 */
const SEQ_LOCALS: string[] = ["seq"];
const SEQ_ARRAYS: readonly string[] = ["pfn_seqs"];

/**
 * The world with its notifier sequence numbers renumbered to the least values that keep
 * their order, their equalities and their parity; the same world when they already are.
 *
 * mm/mmu_notifier.c (v7.0) only ever compares two sequence numbers for equality
 * (mmu_interval_read_begin(), mmu_interval_read_retry(), mmu_interval_check_retry()),
 * tests the mm-wide one for odd (an invalidation running), and makes a new one by adding
 * 1 to the mm-wide one, the largest. Two worlds that differ only in how far the counter
 * has run therefore take the same steps with the same outcomes, so the exhaustive search
 * keeps one of them (README "Notifier sequence numbers"): an endless stream of
 * invalidations then comes back to a state met before, and its search ends, where the
 * counter alone would make every pass a new state. A run prints the real values: only
 * the search's keys and the states it keeps are renumbered.
 */
export function canonicalSeqs(w: World, parent?: World): World {
  // (the exhaustive search: `parent` is the canonical world the step was taken from)
  if (parent !== undefined) return sameSeqs(w, parent) ? w : renumberedAnew(w, false);
  // the random search's lasso watch asks after every step of a run, with no parent: the
  // world before in the run has usually the same values, so the same renumbering
  if (lastRaw !== null && sameSeqs(w, lastRaw)) {
    if (w === lastRaw) return lastCanonical as World;
    const canonical = lastMap === null ? w : renumberedWorld(w, lastMap, true);
    lastRaw = w;
    lastCanonical = canonical;
    return canonical;
  }
  return renumberedAnew(w, true);
}

/** `w` renumbered from its own values; with `remember`, kept as the last one renumbered. */
function renumberedAnew(w: World, remember: boolean): World {
  const n = w.notifier;
  // (loops, not closures: the random search's lasso watch renumbers the world after
  // every step of an invalidation storm)
  const vals = [n.mmSeq, n.subSeq];
  for (const t of w.threads) {
    const l = t.locals;
    for (const name of SEQ_LOCALS) {
      const v = l[name];
      if (typeof v === "number" && v >= 0) vals.push(v);
    }
    for (const name of SEQ_ARRAYS) {
      const a = l[name];
      if (Array.isArray(a)) for (const v of a as readonly number[]) if (v >= 0) vals.push(v);
    }
    const s = readBeginSeq(t.status);
    if (s >= 0) vals.push(s);
  }
  sortAscending(vals);
  const m = renumbering(vals);
  if (!remember) return m === null ? w : renumberedWorld(w, m, false);
  // (the same renumbering as the world before, which sameSeqs did not see: a new array
  // of the same numbers, say)
  const canonical = m === null ? w : renumberedWorld(w, m, lastRaw !== null && sameMap(m, lastMap));
  lastRaw = w;
  lastMap = m;
  lastCanonical = canonical;
  return canonical;
}

// The last world canonicalSeqs renumbered without a parent, its renumbering (null: none
// was needed) and the world that made.
let lastRaw: World | null = null;
let lastMap: ReadonlyMap<number, number> | null = null;
let lastCanonical: World | null = null;

/**
 * `w` renumbered by `m`. With `reuse`, `m` is `lastMap`, and the threads and notifier
 * `w` shares with `lastRaw` are `lastCanonical`'s again, so that a hash kept part by
 * part (engine/fingerprint.ts PartHashes) sees them unchanged.
 */
function renumberedWorld(w: World, m: ReadonlyMap<number, number>, reuse: boolean): World {
  const n = w.notifier;
  const raw = reuse ? lastRaw : null;
  const before = lastCanonical as World;
  const threads: Thread[] = [];
  for (let i = 0; i < w.threads.length; i++) {
    const t = w.threads[i] as Thread;
    threads.push(raw?.threads[i] === t ? (before.threads[i] as Thread) : renumberedThread(t, m));
  }
  const notifier =
    raw?.notifier === n
      ? before.notifier
      : { ...n, mmSeq: renumbered(m, n.mmSeq), subSeq: renumbered(m, n.subSeq) };
  return { ...w, notifier, threads };
}

/** The sequence number a thread asleep in mmu_interval_read_begin() waits with, else -1. */
const readBeginSeq = (s: Status): number =>
  s.kind === "blocked" && s.on.kind === "read_begin" ? s.on.seq : -1;

function sameMap(a: ReadonlyMap<number, number>, b: ReadonlyMap<number, number> | null): boolean {
  if (b === null || a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

/** Sorts a few numbers in place, ascending (Array.prototype.sort calls back per pair). */
function sortAscending(a: number[]): void {
  for (let i = 1; i < a.length; i++) {
    const v = a[i] as number;
    let j = i - 1;
    while (j >= 0 && (a[j] as number) > v) {
      a[j + 1] = a[j] as number;
      j--;
    }
    a[j + 1] = v;
  }
}

/** `v` as renumbering `m` has it. */
const renumbered = (m: ReadonlyMap<number, number>, v: number): number => m.get(v) ?? v;

/** Thread `t` with its sequence numbers renumbered by `m`; `t` itself when none changes. */
function renumberedThread(t: Thread, m: ReadonlyMap<number, number>): Thread {
  let changed: Record<string, Val> | null = null;
  for (const name of SEQ_LOCALS) {
    const v = t.locals[name];
    if (typeof v === "number" && m.has(v)) {
      changed ??= {};
      changed[name] = renumbered(m, v);
    }
  }
  for (const name of SEQ_ARRAYS) {
    const a = t.locals[name];
    if (!Array.isArray(a)) continue;
    const vs = a as readonly number[];
    let hit = false;
    for (const v of vs)
      if (m.has(v)) {
        hit = true;
        break;
      }
    if (!hit) continue;
    const out: number[] = [];
    for (const v of vs) out.push(renumbered(m, v));
    changed ??= {};
    changed[name] = out;
  }
  const s = t.status;
  const status: Status =
    s.kind === "blocked" && s.on.kind === "read_begin" && m.has(s.on.seq)
      ? { ...s, on: { kind: "read_begin", seq: renumbered(m, s.on.seq) } }
      : s;
  if (changed === null && status === s) return t;
  return { ...t, locals: changed === null ? t.locals : { ...t.locals, ...changed }, status };
}

/**
 * The least values for `sorted` (ascending, repeats allowed) that keep their order,
 * equalities and parity, as a map of the values that change; null when none does (the
 * usual case, which allocates nothing).
 */
function renumbering(sorted: readonly number[]): Map<number, number> | null {
  let map: Map<number, number> | null = null;
  let prev = -1;
  let last = -1;
  for (const v of sorted) {
    if (v === last) continue;
    last = v;
    let c = prev + 1;
    if ((c & 1) !== (v & 1)) c++;
    prev = c;
    if (c === v) continue;
    if (map === null) map = new Map();
    map.set(v, c);
  }
  return map;
}

/**
 * Every sequence number of `w` is where `parent` had it, with the same value: then the
 * same renumbering applies, and if `parent` is in canonical form, so is `w`. Most steps
 * touch none (the search's fast path).
 */
function sameSeqs(w: World, parent: World): boolean {
  const n = w.notifier;
  const pn = parent.notifier;
  if (n !== pn && (n.mmSeq !== pn.mmSeq || n.subSeq !== pn.subSeq)) return false;
  const ts = w.threads;
  const ps = parent.threads;
  if (ts.length !== ps.length) return false;
  for (let i = 0; i < ts.length; i++) {
    const t = ts[i] as Thread;
    const p = ps[i] as Thread;
    if (t === p) continue;
    if (t.locals !== p.locals) {
      for (const name of SEQ_LOCALS) if (t.locals[name] !== p.locals[name]) return false;
      for (const name of SEQ_ARRAYS) if (t.locals[name] !== p.locals[name]) return false;
    }
    if (t.status !== p.status && readBeginSeq(t.status) !== readBeginSeq(p.status)) return false;
  }
  return true;
}

/**
 * `into = mmu_interval_read_begin(sub)`: may sleep until the invalidation ends. Its
 * wait_event() (and the might_sleep() in it) runs only while the subscription is being
 * invalidated (mm/mmu_notifier.c, v7.0), which is when the model blocks it: the sleep
 * itself is what no-sleep-in-atomic sees.
 */
export const mmuIntervalReadBegin = (into = "seq"): Op<"ok"> => {
  localName("mmuIntervalReadBegin()", "its argument", into);
  if (!SEQ_LOCALS.includes(into)) {
    SEQ_LOCALS.push(into);
    // (a renumbering made before did not look at the new name)
    lastRaw = null;
  }
  return op({
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
};

/** `mmu_interval_read_retry(sub, seq)`: reliable only under user_lock. */
export const mmuIntervalReadRetry = (seq = "seq"): Op<"retry" | "ok"> =>
  op({
    name: `mmu_interval_read_retry(sub, ${localName("mmuIntervalReadRetry()", "its argument", seq)})`,
    outcomes: ["retry", "ok"],
    run: (k) => (k.w.notifier.subSeq !== k.num(seq) ? "retry" : "ok"),
  });

/** `mmu_interval_check_retry(range->notifier, range->notifier_seq)`: lockless early-out. */
export const mmuIntervalCheckRetry = (seq = "seq"): Op<"busy" | "ok"> =>
  op({
    name: `mmu_interval_check_retry(sub, ${localName("mmuIntervalCheckRetry()", "its argument", seq)})`,
    outcomes: ["busy", "ok"],
    run: (k) => (k.w.notifier.subSeq !== k.num(seq) ? "busy" : "ok"),
  });

/**
 * mutex_lock(user_lock): the driver lock its invalidate() callback takes. `name` prints
 * the driver's own call for it (drm_gpusvm_notifier_lock(), a down_read() that excludes
 * the callback's down_write(): with one driver thread, the same exclusion).
 */
export const userLock = (name = "mutex_lock(user_lock)"): Op<"ok"> =>
  op({
    name,
    outcomes: ["ok"],
    mightSleep: true,
    run: (k) => {
      if (!mutex.lock(k.w.notifier.userLock, k.tid)) k.block({ kind: "mutex" });
      return "ok";
    },
  });

/**
 * mutex_unlock(user_lock), or the driver's own call for it (`name`, and `mode` "read" for an
 * up_read() such as drm_gpusvm_notifier_unlock()). An unlock of the lock
 * by a thread that does not hold it is recorded (lock-balance reports it): in the kernel
 * it corrupts the lock (mutex_unlock() of a mutex one does not own, up_read() without
 * down_read()).
 */
export const userUnlock = (
  name = "mutex_unlock(user_lock)",
  mode: "read" | "write" = "write",
): Op<"ok"> =>
  op({
    name,
    outcomes: ["ok"],
    run: (k) => {
      const { held, woken } = mutex.unlock(k.w.notifier.userLock, k.tid);
      if (!held) k.emit({ k: "unlock", tid: k.tid, lock: USER, mode, held, by: name });
      k.wake(woken, name);
      return "ok";
    },
  });

const USER = { kind: "user" } as const;

export function holdsUserLock(w: World, tid: number): boolean {
  return w.notifier.userLock.owner === tid;
}

/** mn_itree_inv_start_range(): the range overlaps the subscription, so the seq goes odd. */
export function invalidateStart(k: Ctx): void {
  const n = k.w.notifier;
  n.active += 1;
  // (a count in the kernel, mm->active_invalidate_ranges: kept as a set in thread order)
  addHolder(n.invalidators, k.tid);
  if (n.mmSeq % 2 === 0) n.mmSeq += 1;
  k.emit({ k: "invalidate", tid: k.tid, phase: "start" });
}

/** A step of an actor that runs `part` of an invalidation, named after its caller when given. */
const invalidationStep =
  (call: string, part: (k: Ctx) => void) =>
  (caller?: string): Op<"ok"> =>
    op({
      name: `${caller ? `${caller}: ` : ""}${call}`,
      outcomes: ["ok"],
      run: (k) => {
        part(k);
        return "ok";
      },
    });

/**
 * `mmu_notifier_invalidate_range_start()` as a step of an actor that changes page tables
 * (munmap's or madvise's zap, mprotect, mremap, fork's COW), named after its caller when
 * `caller` is given (`change_pud_range(): mmu_notifier_invalidate_range_start()`).
 */
export const invalidateRangeStart = invalidationStep(
  "mmu_notifier_invalidate_range_start()",
  invalidateStart,
);

/**
 * `mmu_notifier_invalidate_range_end()` as a step of an actor, after its
 * invalidateRangeStart() (invalidateEnd()), named after its caller when `caller` is
 * given.
 */
export const invalidateRangeEnd = invalidationStep(
  "mmu_notifier_invalidate_range_end()",
  invalidateEnd,
);

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
 * mmu_notifier_invalidate_range_start_nonblock() (the OOM reaper's):
 * mn_itree_invalidate() with a non-blockable range. The seq goes odd; the driver's
 * invalidate() callback may not sleep, so it takes user_lock with mutex_trylock()
 * (lib/test_hmm.c dmirror_interval_invalidate, nouveau_svm_range_invalidate) and, when
 * that fails, returns false; a driver whose callback refuses every such range
 * (refusesNonblock: drm_gpusvm_notifier_invalidate(), mlx5_ib_invalidate_range(),
 * amdxdna_hmm_invalidate()) returns false at once. Then mn_itree_invalidate() calls mn_itree_inv_end() itself ("On -EAGAIN
 * the non-blocking caller is not allowed to call invalidate_range_end()",
 * mm/mmu_notifier.c since the interval notifiers of v5.5) and the start fails with
 * -EAGAIN: the seq is even again, the subscription's seq was never set, and the caller
 * must skip the range without calling the end. Returns whether the start succeeded.
 */
export function invalidateStartNonblock(k: Ctx): boolean {
  invalidateStart(k);
  const n = k.w.notifier;
  if (!n.refusesNonblock && mutex.isFree(n.userLock)) {
    mutex.lock(n.userLock, k.tid);
    setSeq(k);
    mutex.unlock(n.userLock, k.tid);
    return true;
  }
  k.emit({ k: "invalidate", tid: k.tid, phase: "failed" });
  innerEnd(k);
  return false;
}

/**
 * The driver's invalidate() callback, entered with user_lock held: set the seq, unlock.
 * With `event` "unmap" (MMU_NOTIFY_UNMAP: unmap_vmas() for munmap, move_page_tables() for
 * mremap, mm/memory.c and mm/mremap.c, v7.0), a driver that marks its range unmapped
 * (Design.marksUnmapped: xe_svm_invalidate() -> drm_gpusvm_range_set_unmapped()) does so.
 * `name` prints the driver's own call for it (`mutex_unlock(gdrv->notifier_lock)`).
 */
export const invalidateCallback = (
  event?: "unmap",
  name = "invalidate(): mmu_interval_set_seq(); mutex_unlock(user_lock)",
): Op<"ok"> =>
  op({
    name,
    outcomes: ["ok"],
    run: (k) => {
      setSeq(k);
      if (event === "unmap" && k.w.notifier.marksUnmapped) k.w.notifier.unmapped = true;
      return userUnlock().run(k);
    },
  });

/**
 * `if (flags.unmapped)`: the driver's invalidate() marked its range unmapped
 * (Design.marksUnmapped). drm_gpusvm_get_pages() reads it under the notifier lock.
 */
export const notifierUnmapped = (name = "if (flags.unmapped)"): Op<"yes" | "no"> =>
  op({
    name,
    outcomes: ["yes", "no"],
    run: (k) => (k.w.notifier.unmapped === true ? "yes" : "no"),
  });

/**
 * A subscriber on the mm's hlist (`struct mmu_notifier` on
 * `mm->notifier_subscriptions->list`, beside the interval tree), made of the scenario's
 * declared locks: `count`, a declared refcount used as the subscriber's count of
 * invalidations in flight (KVM's `kvm->mmu_invalidate_in_progress`, raised by its
 * invalidate_range_start and lowered by its invalidate_range_end; it starts at 0), or
 * null for a subscriber without an end; `trylock`, a declared mutex its non-blockable
 * start trylocks, failing with -EAGAIN while it is held (radeon_mn_invalidate_range_start
 * before the v5.5 interval conversion), or null for a start that never fails. A start
 * that may fail may not have an end (include/linux/mmu_notifier.h, since c2655835fd8c).
 */
export interface HlistSubscriber {
  /** its name in lanes and messages: "kvm", "radeon_mn" */
  readonly name: string;
  readonly count: string | null;
  readonly trylock: string | null;
}

/** A subscriber whose start can fail may not implement the end (WARN_ON(ops->invalidate_range_end)). */
export function hlistSubscriber(s: HlistSubscriber): HlistSubscriber {
  if (s.count !== null && s.trylock !== null)
    throw new Error(
      `hlist subscriber "${s.name}": a start that can fail with -EAGAIN may not have an end (mm/mmu_notifier.c mn_hlist_invalidate_range_start)`,
    );
  return s;
}

function subscriberCount(k: Ctx, s: HlistSubscriber): { count: number } | null {
  if (s.count === null) return null;
  const l = k.w.locks[s.count];
  if (l?.kind !== "refcount")
    throw new Error(`hlist subscriber "${s.name}": no declared refcount "${s.count}"`);
  return l;
}

/**
 * mmu_notifier_invalidate_range_start_nonblock() on an mm with an interval subscription
 * and hlist subscribers (mm/mmu_notifier.c __mmu_notifier_invalidate_range_start and
 * mn_hlist_invalidate_range_start: as the Mar 2021 -mm patch c2655835fd8c
 * "mm/mmu_notifiers: ensure range_end() is paired with range_start()" made them, v5.13,
 * and as a v6.x tree still has them). The interval tree goes first; if its start fails
 * the hlist is not called. Otherwise every hlist subscriber's start is called, even
 * after one failed; when one failed, the core (with `backOut`) calls the end of every
 * subscriber that has one (they all succeeded: a start that can fail has no end), and
 * the start returns -EAGAIN, so the caller calls no end. Without `backOut` (the core
 * before c2655835fd8c) the subscribers that succeeded are left started for good.
 *
 * The interval side is not backed out: __mmu_notifier_invalidate_range_start returns
 * the hlist's -EAGAIN after mn_itree_invalidate() succeeded, so its invalidation stays
 * in flight (the seq stays odd). No in-tree hlist subscriber fails its start since the
 * interval conversions of v5.5; the model keeps the code as read.
 */
export function invalidateStartNonblockHlist(
  k: Ctx,
  subs: readonly HlistSubscriber[],
  o: { readonly backOut: boolean },
): boolean {
  if (!invalidateStartNonblock(k)) return false;
  let failed = false;
  for (const s of subs) {
    if (s.trylock !== null) {
      const l = k.w.locks[s.trylock];
      if (l?.kind !== "mutex")
        throw new Error(`hlist subscriber "${s.name}": no declared mutex "${s.trylock}"`);
      // mutex_trylock() then mutex_unlock() inside the callback: only whether it is free
      if (l.owner !== null) {
        failed = true;
        k.emit({ k: "subscriber", tid: k.tid, sub: s.name, phase: "failed" });
      }
      continue;
    }
    const c = subscriberCount(k, s);
    if (c) {
      c.count += 1;
      k.emit({ k: "subscriber", tid: k.tid, sub: s.name, phase: "start" });
    }
  }
  if (!failed) return true;
  if (o.backOut) for (const s of subs) subscriberEnd(k, s);
  k.emit({ k: "invalidate", tid: k.tid, phase: "failed" });
  return false;
}

function subscriberEnd(k: Ctx, s: HlistSubscriber): void {
  const c = subscriberCount(k, s);
  if (!c) return;
  k.emit({ k: "subscriber", tid: k.tid, sub: s.name, phase: "end", unpaired: c.count <= 0 });
  if (c.count > 0) c.count -= 1;
}

/**
 * mmu_notifier_invalidate_range_end() on that mm: mn_itree_inv_end(), then
 * mn_hlist_invalidate_end(), which calls every hlist subscriber's end.
 */
export function invalidateEndHlist(k: Ctx, subs: readonly HlistSubscriber[]): void {
  invalidateEnd(k);
  for (const s of subs) subscriberEnd(k, s);
}
