// The draft a step mutates on the hot path (engine/exec.ts step): a world whose parts
// are copied the first time the step touches them, so that a step allocates only what
// it may change. Immer stays for reports (stepWithPatches), where patches matter. The
// parts, and how each is copied, come from the world table (model/parts.ts).
import { WORLD_PARTS } from "../model/parts.js";
import type { Thread, World } from "../model/world.js";
import { sameData } from "./same-data.js";
import { buildWorld, partAccessors, readPart } from "./world-table.js";

const PARTS = WORLD_PARTS.length;

/**
 * The draft a step mutates on the hot path: each part of the world is copied the first
 * time the step touches it (reads included: a getter cannot tell a read from the start
 * of a write), and the parts it never touches are shared with the input world. On the
 * Spin benchmark's scenario a step touches the ghost nearly always, the mmap lock, the
 * VMAs or the notifier in a third to a half of the steps, the page tables in one in
 * seven, and of the threads usually only the one that runs (`own`). One accessor per
 * part of the world table is defined on the prototype below.
 */
export class LazyWorld {
  clock: number;
  /** per part of the world table: the step's copy, or undefined while untouched */
  readonly parts: unknown[] = new Array(PARTS);
  private _threads: Thread[] | null = null;
  constructor(readonly base: World) {
    this.clock = base.clock;
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
  /**
   * The new world: copied parts where the step touched, the input's elsewhere. With
   * `reshare`, a part the step only read (its copy equal to the input's) is the input's
   * again: an exhaustive search keeps its successors for a layer, and the collapsed
   * search then sees the part unchanged (engine/collapse.ts). Random runs keep nothing,
   * and the comparison would cost them a fifth of their speed.
   */
  done(reshare = false): World {
    const b = this.base;
    const parts = this.parts;
    if (reshare)
      for (let i = 0; i < PARTS; i++) {
        const v = parts[i];
        if (v !== undefined && sameData(v, (readPart[i] as (w: World) => unknown)(b)))
          parts[i] = undefined;
      }
    return buildWorld(
      this.clock,
      this.parts,
      b,
      this._threads ?? (this._own ? withOwn(b.threads, this._ownId, this._own) : b.threads),
    );
  }
}

for (const [name, accessor] of Object.entries(partAccessors()))
  Object.defineProperty(LazyWorld.prototype, name, accessor);

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
    fromWorker: t.fromWorker,
  };
}
