// The draft a step mutates on the hot path (engine/exec.ts step): a world whose parts
// are copied the first time the step touches them, so that a step allocates only what
// it may change. Immer stays for reports (stepWithPatches), where patches matter.
import type { Rwsem, Thread, Vma, World } from "../model/world.js";

/**
 * The draft a step mutates on the hot path: each part of the world is copied the first
 * time the step touches it (reads included: a getter cannot tell a read from the start
 * of a write), and the parts it never touches are shared with the input world. On the
 * Spin benchmark's scenario a step touches the ghost nearly always, the mmap lock, the
 * VMAs or the notifier in a third to a half of the steps, the page tables in one in
 * seven, and of the threads usually only the one that runs (`own`).
 */
export class LazyWorld {
  clock: number;
  private _mmapLock: Rwsem | null = null;
  private _vmas: Vma[] | null = null;
  private _ptes: World["ptes"] | null = null;
  private _folioLock: World["folioLock"] | null = null;
  private _notifier: World["notifier"] | null = null;
  private _uffd: World["uffd"] | null = null;
  private _threads: Thread[] | null = null;
  private _ghost: World["ghost"] | null = null;
  constructor(private readonly base: World) {
    this.clock = base.clock;
  }
  get mmapLock(): Rwsem {
    if (this._mmapLock === null) this._mmapLock = copyRwsem(this.base.mmapLock);
    return this._mmapLock;
  }
  set mmapLock(v: Rwsem) {
    this._mmapLock = v;
  }
  get vmas(): Vma[] {
    if (this._vmas === null) this._vmas = this.base.vmas.map(copyVma);
    return this._vmas;
  }
  set vmas(v: Vma[]) {
    this._vmas = v;
  }
  get ptes(): World["ptes"] {
    if (this._ptes === null) this._ptes = this.base.ptes.slice();
    return this._ptes;
  }
  set ptes(v: World["ptes"]) {
    this._ptes = v;
  }
  get folioLock(): World["folioLock"] {
    if (this._folioLock === null) this._folioLock = this.base.folioLock.slice();
    return this._folioLock;
  }
  set folioLock(v: World["folioLock"]) {
    this._folioLock = v;
  }
  get notifier(): World["notifier"] {
    if (this._notifier === null) this._notifier = copyNotifier(this.base.notifier);
    return this._notifier;
  }
  set notifier(v: World["notifier"]) {
    this._notifier = v;
  }
  get uffd(): World["uffd"] {
    if (this._uffd === null)
      this._uffd = { released: this.base.uffd.released, waiting: this.base.uffd.waiting.slice() };
    return this._uffd;
  }
  set uffd(v: World["uffd"]) {
    this._uffd = v;
  }
  /** the thread `own` copied alone, while no one has asked for all of them */
  private _own: Thread | null = null;
  private _ownId = -1;
  get threads(): Thread[] {
    if (this._threads === null) {
      const own = this._own;
      const id = this._ownId;
      // the thread copied by `own` keeps its identity: the step holds it
      this._threads = this.base.threads.map((t, i) => (i === id && own ? own : copyThread(t)));
    }
    return this._threads;
  }
  set threads(v: Thread[]) {
    this._threads = v;
  }
  /**
   * The running thread, copied alone: most steps touch no other thread, and then the
   * others stay shared with the input world. Anything that reads `threads` gets every
   * thread copied.
   */
  own(tid: number): Thread {
    if (this._threads !== null) return this._threads[tid] as Thread;
    if (this._own === null) {
      this._own = copyThread(this.base.threads[tid] as Thread);
      this._ownId = tid;
    }
    return this._own;
  }
  get ghost(): World["ghost"] {
    if (this._ghost === null) this._ghost = copyGhost(this.base.ghost);
    return this._ghost;
  }
  set ghost(v: World["ghost"]) {
    this._ghost = v;
  }
  /** The new world: copied parts where the step touched, the input's elsewhere. */
  done(): World {
    const b = this.base;
    return {
      clock: this.clock,
      mmapLock: this._mmapLock ?? b.mmapLock,
      vmas: this._vmas ?? b.vmas,
      ptes: this._ptes ?? b.ptes,
      folioLock: this._folioLock ?? b.folioLock,
      notifier: this._notifier ?? b.notifier,
      uffd: this._uffd ?? b.uffd,
      threads:
        this._threads ?? (this._own ? withOwn(b.threads, this._ownId, this._own) : b.threads),
      ghost: this._ghost ?? b.ghost,
    };
  }
}

function copyRwsem(s: Rwsem): Rwsem {
  return {
    readers: s.readers.slice(),
    writer: s.writer,
    waiters: s.waiters.slice(),
  };
}

// The copies LazyWorld makes. Within a part, what a step may mutate in place is copied
// and the rest is only ever replaced, never mutated, so it is shared: thread statuses,
// rwsem and uffd waiter records, VMA flags, VMA pointers, pfn arrays, ghost facts.
// Thread locals are shared too: only `Ctx.set` writes them, and it copies the running
// thread's locals on its first write. Object literals rather than spreads: literals of
// a fixed shape are what V8 allocates fastest. test/immutability.test.ts runs steps on
// deep-frozen worlds to keep all this so.

function withOwn(threads: readonly Thread[], id: number, own: Thread): Thread[] {
  const out = threads.slice();
  out[id] = own;
  return out;
}

function copyNotifier(n: World["notifier"]): World["notifier"] {
  return {
    mmSeq: n.mmSeq,
    active: n.active,
    subSeq: n.subSeq,
    userLock: { owner: n.userLock.owner, waiters: n.userLock.waiters.slice() },
    invalidators: n.invalidators.slice(),
  };
}

function copyGhost(g: World["ghost"]): World["ghost"] {
  // the per-thread arrays are replaced, never mutated (model/ghost.ts)
  return {
    epoch: g.epoch,
    lastDrop: g.lastDrop,
    vmaEpoch: g.vmaEpoch,
    disrupted: g.disrupted,
    driverSteps: g.driverSteps,
    consumed: g.consumed,
  };
}

function copyVma(v: Vma): Vma {
  return {
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
  };
}

function copyThread(t: Thread): Thread {
  return {
    id: t.id,
    name: t.name,
    role: t.role,
    program: t.program,
    pc: t.pc,
    locals: t.locals,
    status: t.status,
    fatal: t.fatal,
    budget: t.budget,
    disruptive: t.disruptive,
  };
}
