// The world from one table. Each shared part of a world (everything but the threads) is
// declared here once: its canonical key (what counts as the same state), its compact
// encoding for the exhaustive search, how a step copies it before writing (copy on
// touch), and how it prints. The draft a step mutates (engine/draft.ts), both state
// keys and the collapsed part tuples (engine/fingerprint.ts, engine/collapse.ts) and
// `replay --step N` are derived from this table, so a part added here is in all of
// them, and a part left out fails test/world-table.test.ts.
//
// Threads are the one keyed collection the engine handles itself: each thread is
// copied alone (the running one nearly always), and its key is split into its control
// (pc, status, signal, budget) and its locals.
import { canonicalSeqs } from "./kernel/notifier.js";
import type { Deadline, LockState, Rwsem, Tid, World } from "./world.js";

/**
 * Where a part writes its compact encoding: 16-bit units, given by the engine. Every
 * part's encoding must be prefix-free (a count before a list, a tag before a value of
 * several shapes) and must split worlds exactly as its `key` does.
 */
export interface Units {
  /** one raw unit, 0 <= u < 0xd800 */
  unit(u: number): void;
  num(v: number): void;
  str(v: string): void;
  tid(t: Tid | null): void;
  tids(ts: readonly Tid[]): void;
  /** any plain value, objects in their own key order (as JSON.stringify writes them) */
  val(v: unknown): void;
}

/** The parts of a world other than its clock and threads. */
export type SharedPartName = Exclude<keyof World, "clock" | "threads">;

export interface WorldPart<K extends SharedPartName = SharedPartName> {
  readonly name: K;
  /** what the part holds, in a kernel developer's words */
  readonly title: string;
  /** The canonical key: plain data, equal exactly when the part is the same state. */
  key(v: World[K]): unknown;
  /** The compact encoding (see Units): the same equivalence as `key`. */
  encode(v: World[K], u: Units): void;
  /**
   * A copy a step may write in place: whatever a primitive mutates is fresh, whatever
   * it only ever replaces stays shared (test/immutability.test.ts holds them to it).
   */
  copy(v: World[K]): World[K];
  /**
   * A cheap test that a successor's part encodes as its parent's did (the collapsed
   * search then reuses the parent's id). Default: the same object, since a step that
   * touches a part copies it.
   */
  readonly unchanged?: (a: World[K], b: World[K]) => boolean;
  /** Omitted from per-step fingerprints while it has this value (a part most scenarios leave empty). */
  readonly emptyUnlessUsed?: (v: World[K]) => boolean;
  /**
   * What the per-step fingerprint hashes, when not the whole part: a part that grew a
   * field hashes as before while the field has its default, so recorded traces keep
   * their fingerprints.
   */
  readonly traced?: (v: World[K]) => unknown;
}

/** Declare a part (the generic keeps `key`, `encode` and `copy` typed by the part). */
export function worldPart<K extends SharedPartName>(p: WorldPart<K>): WorldPart<K> {
  return p;
}

export function copyRwsem(s: Rwsem): Rwsem {
  return { readers: s.readers.slice(), writer: s.writer, waiters: s.waiters.slice() };
}

export function encodeRwsem(s: Rwsem | null, u: Units): void {
  if (s === null) {
    u.unit(0);
    return;
  }
  u.unit(1);
  u.tids(s.readers);
  u.tid(s.writer);
  u.unit(s.waiters.length);
  for (const x of s.waiters) {
    u.unit(x.tid);
    u.unit(x.mode === "read" ? 0 : 1);
  }
}

const VMA_STATE = { live: 0, detached: 1, freed: 2 } as const;
const PTE = {
  none: 0,
  ro: 1,
  rw: 2,
  swap: 3,
  migration: 4,
  "device-private": 5,
  zero: 6,
  cow: 7,
  "swap-cow": 8,
  "device-private-cow": 9,
} as const;

const mmapLock = worldPart({
  name: "mmapLock",
  title: "mm->mmap_lock, an rw_semaphore",
  key: (v) => v,
  encode: encodeRwsem,
  copy: copyRwsem,
});

const vmas = worldPart({
  name: "vmas",
  title: "the VMAs: range, flags, lifecycle, hugetlb_vma_lock, per-VMA lock",
  // the ghost time stamps (freedAt, freedBy) and the id (its index) are not state
  key: (vs) =>
    vs.map((v) => [
      v.start,
      v.end,
      v.flags,
      v.state,
      v.hugetlbLock,
      v.readers,
      v.writeLocked,
      v.mm ?? null,
      // vma->anon_vma only once set, so the keys of VMAs without one are as before
      ...(v.anonVma ? ["anon_vma"] : []),
      // no PMD table over a hugetlb VMA, only while none is there
      ...(v.noPmdTable ? ["no_pmd_table"] : []),
    ]),
  encode(vs, u) {
    u.unit(vs.length);
    for (const v of vs) {
      u.num(v.start);
      u.num(v.end);
      const f = v.flags;
      // bit 16: the slot holds a VMA of another mm, whose index follows; bit 32:
      // vma->anon_vma is set; bit 64: no PMD table covers it yet
      u.unit(
        (f.write ? 1 : 0) |
          (f.shared ? 2 : 0) |
          (f.hugetlb ? 4 : 0) |
          (f.uffdMissing ? 8 : 0) |
          (v.mm !== undefined ? 16 : 0) |
          (v.anonVma ? 32 : 0) |
          (v.noPmdTable ? 64 : 0),
      );
      if (v.mm !== undefined) u.unit(v.mm);
      u.val(f.file ?? null);
      u.unit(VMA_STATE[v.state]);
      encodeRwsem(v.hugetlbLock, u);
      u.tids(v.readers);
      u.unit(v.writeLocked ? 1 : 0);
    }
  },
  copy: (vs) =>
    vs.map((v) => ({
      id: v.id,
      start: v.start,
      end: v.end,
      flags: v.flags,
      state: v.state,
      hugetlbLock: v.hugetlbLock && copyRwsem(v.hugetlbLock),
      readers: v.readers.slice(),
      writeLocked: v.writeLocked,
      freedAt: v.freedAt,
      freedBy: v.freedBy,
      // absent unless a slot was reused by another mm, so worlds without one (and their
      // trace fingerprints) are as before
      ...(v.mm !== undefined ? { mm: v.mm } : {}),
      ...(v.anonVma ? { anonVma: true } : {}),
      ...(v.noPmdTable ? { noPmdTable: true } : {}),
    })),
});

const ptes = worldPart({
  name: "ptes",
  title: "the page table: one entry per page",
  key: (v) => v,
  encode(ps, u) {
    u.unit(ps.length);
    for (const p of ps) u.unit(PTE[p]);
  },
  copy: (v) => v.slice(),
});

const folioLock = worldPart({
  name: "folioLock",
  title: "per page, the thread holding its folio lock",
  key: (v) => v,
  encode(fs, u) {
    u.unit(fs.length);
    for (const f of fs) u.tid(f);
  },
  copy: (v) => v.slice(),
});

const folioWaiters = worldPart({
  name: "folioWaiters",
  title: "per page, the tasks queued on its folio lock (exclusive or not), FIFO",
  key: (v) => v,
  encode(qs, u) {
    u.unit(qs.length);
    for (const q of qs) {
      u.unit(q.length);
      for (const x of q) {
        u.unit(x.tid);
        u.unit(x.exclusive ? 1 : 0);
      }
    }
  },
  // the queues are replaced, never mutated (model/kernel/folio.ts)
  copy: (v) => v.slice(),
  // left out of trace fingerprints while no task waits, as before the queue existed
  emptyUnlessUsed: (qs) => qs.every((q) => q.length === 0),
});

const notifier = worldPart({
  name: "notifier",
  title: "the mmu interval notifier: sequences, invalidations, the driver's user_lock",
  key: (v) => v,
  encode(n, u) {
    u.num(n.mmSeq);
    u.num(n.active);
    u.num(n.subSeq);
    u.tid(n.userLock.owner);
    u.tids(n.userLock.waiters);
    u.tids(n.invalidators);
    // fixed for a run, and encoded only when not the default, as before it existed
    if (n.refusesNonblock) u.unit(1);
    if (n.marksUnmapped) u.unit(n.unmapped ? 3 : 2);
  },
  copy: (n) => ({
    mmSeq: n.mmSeq,
    active: n.active,
    subSeq: n.subSeq,
    userLock: { owner: n.userLock.owner, waiters: n.userLock.waiters.slice() },
    invalidators: n.invalidators.slice(),
    ...(n.refusesNonblock ? { refusesNonblock: true as const } : {}),
    ...(n.marksUnmapped ? { marksUnmapped: true as const } : {}),
    ...(n.unmapped ? { unmapped: true as const } : {}),
  }),
});

const uffd = worldPart({
  name: "uffd",
  title: "the userfaultfd context: released, the faults waiting, how it was created",
  key: (v) => v,
  encode(x, u) {
    u.unit((x.released ? 1 : 0) | (x.mode.userModeOnly ? 2 : 0) | (x.mode.sigbus ? 4 : 0));
    u.unit(x.waiting.length);
    for (const w of x.waiting) {
      u.unit(w.tid);
      u.num(w.addr);
      u.unit(w.read ? 1 : 0);
    }
  },
  copy: (x) => ({ released: x.released, waiting: x.waiting.slice(), mode: x.mode }),
  // the creation mode (fixed for a run) is hashed only when it is not the default
  traced: (x) =>
    x.mode.userModeOnly || x.mode.sigbus ? x : { released: x.released, waiting: x.waiting },
});

function copyLock(l: LockState): LockState {
  switch (l.kind) {
    case "rwsem":
      return {
        kind: l.kind,
        readers: l.readers.slice(),
        writer: l.writer,
        waiters: l.waiters.slice(),
      };
    case "mutex":
    case "spinlock":
      return { kind: l.kind, owner: l.owner, waiters: l.waiters.slice() };
    case "seqcount":
      // reader records are replaced, never mutated
      return {
        kind: l.kind,
        writer: l.writer,
        readers: l.readers.slice(),
        waiters: l.waiters.slice(),
      };
    case "refcount":
      return { kind: l.kind, count: l.count };
    case "vma-lock":
      return { kind: l.kind, readers: l.readers.slice(), writer: l.writer };
    case "rcu":
      return { kind: l.kind, readers: l.readers.slice() };
  }
}

const LOCK_KIND = {
  rwsem: 0,
  mutex: 1,
  spinlock: 2,
  seqcount: 3,
  refcount: 4,
  "vma-lock": 5,
  rcu: 6,
} as const;

const locks = worldPart({
  name: "locks",
  title: "locks a scenario declares (a driver's mutex, rwsem or spinlock), by name",
  key: (ls) => Object.entries(ls),
  encode(ls, u) {
    const names = Object.keys(ls);
    u.unit(names.length);
    for (const name of names) {
      const l = ls[name] as LockState;
      u.str(name);
      u.unit(LOCK_KIND[l.kind]);
      if (l.kind === "rwsem") encodeRwsem(l, u);
      else if (l.kind === "seqcount") {
        u.tid(l.writer);
        u.unit(l.readers.length);
        for (const r of l.readers) {
          u.unit(r.tid);
          u.unit(r.stale ? 1 : 0);
        }
        u.tids(l.waiters);
      } else if (l.kind === "refcount") u.num(l.count);
      else if (l.kind === "vma-lock") {
        u.tids(l.readers);
        u.tid(l.writer);
      } else if (l.kind === "rcu") u.tids(l.readers);
      else {
        u.tid(l.owner);
        u.tids(l.waiters);
      }
    }
  },
  copy(ls) {
    const out: Record<string, LockState> = {};
    for (const name in ls) out[name] = copyLock(ls[name] as LockState);
    return out;
  },
  emptyUnlessUsed: (ls) => Object.keys(ls).length === 0,
});

const OBJ_STATE = { allocated: 0, live: 1, detached: 2, freed: 3 } as const;

const objects = worldPart({
  name: "objects",
  title: "objects with a lifetime a scenario declares (allocated, live, detached, freed), by name",
  // who freed it and when are ghost facts for explanations, not state
  key: (os) => Object.entries(os).map(([name, o]) => [name, o.state]),
  encode(os, u) {
    const names = Object.keys(os);
    u.unit(names.length);
    for (const name of names) {
      u.str(name);
      u.unit(OBJ_STATE[(os[name] as World["objects"][string]).state]);
    }
  },
  copy(os) {
    const out: Record<string, World["objects"][string]> = {};
    // object records are replaced, never mutated
    for (const name in os) out[name] = os[name] as World["objects"][string];
    return out;
  },
  emptyUnlessUsed: (os) => Object.keys(os).length === 0,
});

const childMms = worldPart({
  name: "childMms",
  title: "the mms fork() created: the VMAs dup_mmap() copied into each (no thread runs in them)",
  key: (v) => v,
  encode(cs, u) {
    u.unit(cs.length);
    for (const c of cs) {
      u.unit(c.vmas.length);
      for (const v of c.vmas) {
        u.num(v.start);
        u.num(v.end);
        u.val(v.flags);
      }
    }
  },
  // the child records are replaced, never mutated (model/actors/fork.ts)
  copy: (v) => v.slice(),
  // left out of trace fingerprints while no scenario forks, as before the part existed
  emptyUnlessUsed: (v) => v.length === 0,
});

const DEADLINE_STATE = { pending: 0, due: 1, passed: 2 } as const;

const deadlines = worldPart({
  name: "deadlines",
  title:
    "deadlines in abstract time (pending, due or passed), by the thread and local that hold them",
  // in key order, whatever order they were armed in; owner and name are in the key
  key: (ds) =>
    Object.keys(ds)
      .sort()
      .map((key) => {
        const d = ds[key] as Deadline;
        const order =
          d.notBefore === undefined
            ? []
            : d.strictlyAfter
              ? [d.notBefore, "strictly"]
              : [d.notBefore];
        return d.from === undefined ? [key, d.state, ...order] : [key, d.state, ...order, d.from];
      }),
  encode(ds, u) {
    const keys = Object.keys(ds).sort();
    u.unit(keys.length);
    for (const key of keys) {
      const d = ds[key] as Deadline;
      // a deadline with an order carries it after a state code of its own (3..5 on or
      // after, 6..8 strictly after), and one armed from a constant the constant after
      // those plus 9, so the encodings of the others stay as they were
      u.str(key);
      const code =
        (d.notBefore === undefined ? 0 : d.strictlyAfter ? 6 : 3) + (d.from === undefined ? 0 : 9);
      u.unit(code + DEADLINE_STATE[d.state]);
      if (d.notBefore !== undefined) u.str(d.notBefore);
      if (d.from !== undefined) u.str(d.from);
    }
  },
  copy(ds) {
    const out: Record<string, Deadline> = {};
    // deadline records are replaced, never mutated (model/kernel/time.ts)
    for (const key in ds) out[key] = ds[key] as Deadline;
    return out;
  },
  // left out of trace fingerprints while no thread keeps time, as before time existed
  emptyUnlessUsed: (ds) => Object.keys(ds).length === 0,
});

const ghost = worldPart({
  name: "ghost",
  title: "ghost facts: lock epochs, what the driver consumed, whether anything disturbed it",
  // the per-thread epochs enter through the pointers that are judged by them (a
  // thread's locals part); step counters and drop facts are for explanations only
  key: (g) => [g.disrupted, g.consumed],
  // nearly every step copies the ghost (step counters); its key changes far less often
  unchanged: (a, b) => a.disrupted === b.disrupted && a.consumed === b.consumed,
  encode(g, u) {
    u.val(g.disrupted);
    u.val(g.consumed);
  },
  // the per-thread arrays are replaced, never mutated (model/ghost.ts)
  copy: (g) => ({
    epoch: g.epoch,
    lastDrop: g.lastDrop,
    vmaEpoch: g.vmaEpoch,
    lockEpoch: g.lockEpoch,
    disrupted: g.disrupted,
    driverSteps: g.driverSteps,
    consumed: g.consumed,
  }),
});

const mm = worldPart({
  name: "mm",
  title: "the mm's flags the model keeps: MMF_UNSTABLE, set by the OOM reaper",
  key: (v) => [v.unstable, v.oomSkip === true],
  encode(v, u) {
    u.unit((v.unstable ? 1 : 0) | (v.oomSkip ? 2 : 0));
  },
  copy: (v) => ({ ...v }),
  // left out of trace fingerprints until the OOM reaper sets a flag, as before the part existed
  emptyUnlessUsed: (v) => !v.unstable && v.oomSkip !== true,
});

/** Every shared part of a world, in key order. */
export const WORLD_PARTS: readonly WorldPart[] = [
  mmapLock,
  vmas,
  ptes,
  folioLock,
  folioWaiters,
  notifier,
  uffd,
  locks,
  objects,
  childMms,
  ghost,
  deadlines,
  mm,
] as readonly WorldPart[];

/**
 * Which worlds are one state: the world in the form the exhaustive search keeps and
 * both state keys compare (model/kernel/notifier.ts canonicalSeqs, the notifier's
 * sequence numbers renumbered), the same object when it is in that form already. With
 * `parent`, a world in that form that `w` was stepped from: a step that moved no
 * sequence number leaves the form as it was.
 */
export const canonicalWorld: (w: World, parent?: World) => World = canonicalSeqs;
