// Executes one scheduled step of one thread: the op at its pc, then any following
// thread-local steps (they touch no shared state, so running them at once hides no
// interleaving). Pure: a world in, a new world and the events out.
import { enablePatches, Immer, type Patch } from "immer";
import type { Event } from "./events.js";
import type { Ctx, Program } from "./step.js";
import { readRef, target } from "./step.js";
import type { BlockedOn, Draft, Rwsem, Thread, Tid, Val, Vma, World, WorldDraft } from "./world.js";

/** The programs a world's threads run, by id. */
export type Programs = Readonly<Record<string, Program>>;

/** One executed step, as recorded in a trace. */
export interface StepRecord {
  readonly tid: Tid;
  /** labels executed, in order (the scheduled one first, then local ones) */
  readonly labels: readonly string[];
  /** op names, in the same order */
  readonly ops: readonly string[];
  /** outcome of the scheduled op */
  readonly outcome: string;
  /** what the schedule's pick chose, where the op asked */
  readonly choice: string | null;
  /** how many options the op offered (0: it made no choice); picks are taken modulo this */
  readonly choices: number;
  readonly events: readonly Event[];
}

export class DesignError extends Error {
  constructor(
    readonly program: string,
    readonly label: string,
    message: string,
  ) {
    super(`${program}, step "${label}": ${message}`);
  }
}

const reporting = new Immer({ autoFreeze: true });
reporting.setUseStrictShallowCopy(false);
enablePatches();
const LOCAL_CHAIN_LIMIT = 64;

export function programOf(programs: Programs, t: Thread): Program {
  const p = programs[t.program];
  if (!p) throw new DesignError(t.program, t.pc, `no program "${t.program}"`);
  return p;
}

export function isEnabled(w: World, tid: Tid, programs: Programs): boolean {
  const t = w.threads[tid];
  if (t?.status.kind !== "runnable") return false;
  const step = programOf(programs, t).steps[t.pc];
  if (!step) return false;
  return step.op.enabled ? step.op.enabled(w, tid) : true;
}

export function enabledThreads(w: World, programs: Programs): Tid[] {
  const out: Tid[] = [];
  for (let i = 0; i < w.threads.length; i++) if (isEnabled(w, i, programs)) out.push(i);
  return out;
}

/**
 * Run the step at thread `tid`'s pc; `pick` resolves any choice the op offers. The
 * hot path: the world is small plain data, and a copy of its mutable parts is cheaper
 * than an immer draft (measured in bench/); the input world is never touched.
 */
export function step(w: World, tid: Tid, pick: number, programs: Programs): [World, StepRecord] {
  const draft = new LazyWorld(w);
  const record = stepDraft(draft as unknown as WorldDraft, w, tid, pick, programs, true);
  return [draft.done(), record];
}

/**
 * The draft a step mutates on the hot path: each part of the world is copied the first
 * time the step touches it (reads included: a getter cannot tell a read from the start
 * of a write), and the parts it never touches are shared with the input world. Most
 * steps touch the threads and the ghost only (the mmap lock, the VMAs and the notifier
 * in a quarter of them or fewer).
 */
class LazyWorld {
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
  get threads(): Thread[] {
    if (this._threads === null) this._threads = this.base.threads.map(copyThread);
    return this._threads;
  }
  set threads(v: Thread[]) {
    this._threads = v;
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
      threads: this._threads ?? b.threads,
      ghost: this._ghost ?? b.ghost,
    };
  }
}

/** The same step through immer, with the patches that turn `w` into the result (reports). */
export function stepWithPatches(
  w: World,
  tid: Tid,
  pick: number,
  programs: Programs,
): [World, StepRecord, Patch[]] {
  let record: StepRecord | undefined;
  const [next, patches] = reporting.produceWithPatches(w, (d) => {
    record = stepDraft(d as WorldDraft, w, tid, pick, programs, false);
  });
  return [next, record as StepRecord, patches];
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

interface Blocked {
  readonly on: BlockedOn;
  readonly signalOutcome: string | undefined;
  readonly again: boolean;
}

/**
 * The Ctx an op runs with. A class so that running a step allocates no closures
 * (this is the hot path of every exploration).
 */
class StepCtx implements Ctx {
  readonly events: Event[] = [];
  choice: string | null = null;
  choices = 0;
  blocked: Blocked | null = null;
  label = "";
  constructor(
    readonly w: WorldDraft,
    readonly tid: Tid,
    readonly t: Draft<Thread>,
    readonly program: Program,
    readonly pick: number,
    /** the thread's locals are still shared with the input world: copy before writing */
    private sharedLocals: boolean,
  ) {}
  emit(e: Event): void {
    this.events.push(e);
  }
  get(name: string): Val | undefined {
    return this.t.locals[name] as Val | undefined;
  }
  num(name: string): number {
    const v = this.t.locals[name];
    if (typeof v === "number") return v;
    if (typeof v === "boolean") return v ? 1 : 0;
    throw new DesignError(this.program.id, this.label, `local "${name}" is not a number`);
  }
  ref(name: string) {
    return readRef(this.t.locals[name] as Val | undefined);
  }
  set(name: string, v: Val): void {
    if (this.sharedLocals) {
      this.t.locals = { ...this.t.locals };
      this.sharedLocals = false;
    }
    (this.t.locals as Record<string, Val>)[name] = v;
  }
  choose<T extends string>(options: readonly T[]): T {
    if (options.length === 0) throw new DesignError(this.program.id, this.label, "empty choice");
    const c = options[this.pick % options.length] as T;
    this.choice = c;
    this.choices = options.length;
    return c;
  }
  block(on: BlockedOn, signalOutcome?: string, o?: { readonly again?: boolean }): void {
    this.blocked = { on, signalOutcome, again: o?.again ?? false };
  }
  wake(tids: readonly Tid[], by: string): void {
    for (const id of tids) {
      const u = this.w.threads[id];
      if (u?.status.kind !== "blocked") continue;
      u.pc = u.status.resume;
      u.status = { kind: "runnable" };
      this.events.push({ k: "wake", tid: id, by });
    }
  }
  finish(): void {
    this.t.status = { kind: "done" };
  }
}

function stepDraft(
  w: WorldDraft,
  /** the input world, for reads that should not copy a part (LazyWorld) */
  base: World,
  tid: Tid,
  pick: number,
  programs: Programs,
  sharedLocals: boolean,
): StepRecord {
  const t = w.threads[tid] as Draft<Thread>;
  const program = programOf(programs, t as Thread);
  const k = new StepCtx(w, tid, t, program, pick, sharedLocals);
  const labels: string[] = [];
  const ops: string[] = [];
  let firstOutcome = "";
  w.clock += 1;
  if (t.role === "driver") w.ghost.driverSteps += 1;
  else if (t.disruptive && !base.ghost.disrupted) w.ghost.disrupted = true;

  for (let n = 0; n < LOCAL_CHAIN_LIMIT; n++) {
    const label = t.pc;
    const s = program.steps[label];
    if (!s) throw new DesignError(program.id, label, "no such step label");
    k.label = label;
    k.blocked = null;
    let outcome: string;
    try {
      outcome = s.op.run(k);
    } catch (e) {
      if (e instanceof DesignError) throw e;
      throw new DesignError(program.id, label, `${s.op.name} threw: ${(e as Error).message}`);
    }
    labels.push(label);
    ops.push(s.op.name);
    if (n === 0) firstOutcome = outcome;
    if (t.status.kind === "done") break;
    const to = target(program, label, outcome);
    if (to === null)
      throw new DesignError(program.id, label, `outcome "${outcome}" of ${s.op.name} goes nowhere`);
    const b = k.blocked as Blocked | null;
    if (b) {
      const onSignal =
        b.signalOutcome === undefined ? null : target(program, label, b.signalOutcome);
      t.status = {
        kind: "blocked",
        on: b.on,
        resume: b.again ? label : to,
        resumeOnSignal: onSignal,
      };
      break;
    }
    t.pc = to;
    if (t.status.kind !== "runnable") break;
    const nextStep = program.steps[to];
    if (!nextStep?.op.local) break;
  }
  return {
    tid,
    labels,
    ops,
    outcome: firstOutcome,
    choice: k.choice,
    choices: k.choices,
    events: k.events,
  };
}
