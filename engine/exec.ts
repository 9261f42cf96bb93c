// Executes one scheduled step of one thread: the op at its pc, then any following
// thread-local steps (they touch no shared state, so running them at once hides no
// interleaving). Pure: a world in, a new world and the events out.
import { enablePatches, Immer, type Patch } from "immer";
import type { Event } from "../model/events.js";
import { canonicalWorld } from "../model/parts.js";
import type { Ctx, Program, Programs, StepRecord } from "../model/step.js";
import { DesignError, readRef, shownValue, stepAt, target } from "../model/step.js";
import type {
  BlockedOn,
  Draft,
  Status,
  Thread,
  Tid,
  Val,
  World,
  WorldDraft,
} from "../model/world.js";
import { LazyWorld } from "./draft.js";

const reporting = new Immer({ autoFreeze: true });
reporting.setUseStrictShallowCopy(false);
enablePatches();
const LOCAL_CHAIN_LIMIT = 64;

/**
 * Called before every op runs, when set: the matrix and check workers count steps and
 * note which label runs in memory the supervising thread reads, so that a step that
 * never returns is stopped and reported at its label (engine/parallel.ts).
 */
let stepProbe: ((program: string, label: string) => void) | null = null;

export function setStepProbe(p: ((program: string, label: string) => void) | null): void {
  stepProbe = p;
}

export function programOf(programs: Programs, t: Thread): Program {
  const p = Object.hasOwn(programs, t.program) ? programs[t.program] : undefined;
  if (!p) throw new DesignError(t.program, t.pc, `no program "${t.program}"`);
  return p;
}

export function isEnabled(w: World, tid: Tid, programs: Programs): boolean {
  const t = w.threads[tid];
  if (t?.status.kind !== "runnable") return false;
  const step = stepAt(programOf(programs, t), t.pc);
  if (!step) return false;
  return step.op.enabled ? step.op.enabled(w, tid) : true;
}

export function enabledThreads(w: World, programs: Programs): Tid[] {
  const out: Tid[] = [];
  for (let i = 0; i < w.threads.length; i++) if (isEnabled(w, i, programs)) out.push(i);
  return out;
}

/**
 * Where a search that was asked for coverage (`lockdrop coverage`, engine/coverage.ts)
 * learns which edges of one program its threads take: an edge is a step's label and
 * the outcome its op returned, taken when the thread moves on to the outcome's label.
 */
export interface EdgeSink {
  /** the program whose edges are collected (the design under check) */
  readonly program: string;
  /**
   * The op at `label` returned `outcome` and the thread went on; `events` are what the
   * op emitted (from index `from` of the step's events).
   */
  took(label: string, outcome: string, events: readonly Event[], from: number): void;
  /**
   * The op at `label` returned `outcome` but put the thread to sleep in `status`: the
   * edge is taken on a normal wake-up, `signalOutcome`'s when a fatal signal ends it.
   */
  slept(
    status: Status,
    label: string,
    outcome: string,
    signalOutcome: string | undefined,
    events: readonly Event[],
    from: number,
  ): void;
  /** After every step: the sleepers of `before` that `after` has woken took their edge. */
  woke(before: World, after: World): void;
}

/**
 * Run the step at thread `tid`'s pc; `pick` resolves any choice the op offers. The
 * hot path: the world is small plain data, and a copy of its mutable parts is cheaper
 * than an immer draft (measured in bench/); the input world is never touched. `edges`,
 * only when coverage is asked for, hears the edges the step takes. `reshare` (the
 * exhaustive searches): the parts the step only read are the input's objects again
 * (engine/draft.ts LazyWorld.done).
 */
export function step(
  w: World,
  tid: Tid,
  pick: number,
  programs: Programs,
  edges?: EdgeSink,
  reshare = false,
): [World, StepRecord] {
  const draft = new LazyWorld(w);
  const record = stepDraft(
    draft as unknown as WorldDraft,
    w,
    tid,
    pick,
    programs,
    true,
    draft.own(tid) as Draft<Thread>,
    edges,
  );
  const next = draft.done(reshare);
  if (edges !== undefined) edges.woke(w, next);
  return [next, record];
}

/**
 * step() as an exhaustive search keeps its result: the world in canonical form
 * (model/parts.ts canonicalWorld), so that two worlds that are one state are kept once.
 * The monitors judge this world; no property reads the values it renumbers.
 */
export function stepToKeep(
  w: World,
  tid: Tid,
  pick: number,
  programs: Programs,
  edges?: EdgeSink,
): [World, StepRecord] {
  const [next, rec] = step(w, tid, pick, programs, edges, true);
  return [canonicalWorld(next, w), rec];
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
    record = stepDraft(
      d as WorldDraft,
      w,
      tid,
      pick,
      programs,
      false,
      d.threads[tid] as Draft<Thread>,
    );
  });
  return [next, record as StepRecord, patches];
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
  stays = false;
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
    throw new DesignError(
      this.program.id,
      this.label,
      v === undefined
        ? `local "${name}" was never set, so there is no number to read (set it in an earlier step, or check its spelling)`
        : `local "${name}" is not a number (it holds ${shownValue(v)})`,
    );
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
  unset(name: string): void {
    if (!Object.hasOwn(this.t.locals, name)) return;
    const { [name]: _gone, ...rest } = this.t.locals;
    this.t.locals = rest;
    this.sharedLocals = false;
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
  again(): void {
    this.stays = true;
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
  /** the running thread in `w`, as the draft gives it out */
  t: Draft<Thread>,
  edges?: EdgeSink,
): StepRecord {
  const program = programOf(programs, t as Thread);
  // the edges of this thread's steps, when coverage is asked for and it runs that program
  const sink = edges !== undefined && edges.program === program.id ? edges : undefined;
  const k = new StepCtx(w, tid, t, program, pick, sharedLocals);
  const labels: string[] = [];
  const ops: string[] = [];
  let firstOutcome = "";
  w.clock += 1;
  if (t.role === "driver") w.ghost.driverSteps += 1;
  else if (t.disruptive && !base.ghost.disrupted) w.ghost.disrupted = true;

  for (let n = 0; n < LOCAL_CHAIN_LIMIT; n++) {
    const label = t.pc;
    const s = stepAt(program, label);
    if (!s) throw new DesignError(program.id, label, "no such step label");
    k.label = label;
    k.blocked = null;
    k.stays = false;
    if (stepProbe !== null) stepProbe(program.id, label);
    if (s.op.mightSleep === true) k.emit({ k: "might-sleep", tid, what: s.op.name });
    const from = k.events.length;
    let outcome: string;
    try {
      outcome = s.op.run(k);
    } catch (e) {
      if (e instanceof DesignError) throw e;
      throw new DesignError(
        program.id,
        label,
        e instanceof Error
          ? `${s.op.name} threw: ${e.message}`
          : `${s.op.name} threw ${String(e)}, a value that is not an Error (throw new Error("what went wrong") says more)`,
        e,
      );
    }
    labels.push(label);
    ops.push(s.op.name);
    if (n === 0) firstOutcome = outcome;
    if (t.status.kind === "done") break;
    const to = target(program, label, outcome);
    if (k.stays && k.blocked === null) break; // runs this step again at its next turn
    if (!s.op.outcomes.includes(outcome))
      throw new DesignError(
        program.id,
        label,
        outcome === undefined
          ? `${s.op.name} returned nothing (a run with no \`return\`?), where it must return one of its outcomes (${s.op.outcomes.map((o) => `"${o}"`).join(", ") || "none"})`
          : `${s.op.name} returned the outcome ${shownValue(outcome)}, which it does not declare (its outcomes: ${s.op.outcomes.map((o) => `"${o}"`).join(", ") || "none"}): its run must return one of them, or the op declare it and the step map it in \`on\``,
      );
    if (to === null)
      throw new DesignError(program.id, label, `outcome "${outcome}" of ${s.op.name} goes nowhere`);
    const b = k.blocked as Blocked | null;
    if (b) {
      const onSignal =
        b.signalOutcome === undefined ? null : target(program, label, b.signalOutcome);
      const status: Status = {
        kind: "blocked",
        on: b.on,
        resume: b.again ? label : to,
        resumeOnSignal: onSignal,
      };
      t.status = status;
      // a sleep that runs the op again on wake-up takes its edge then
      if (sink !== undefined && !b.again)
        sink.slept(status, label, outcome, b.signalOutcome, k.events, from);
      break;
    }
    if (sink !== undefined) sink.took(label, outcome, k.events, from);
    t.pc = to;
    // an actor back at its start has ended one operation (one system call, one
    // interrupt): nothing on its kernel stack lasts into the next, so neither do its
    // locals (actor() in model/actor.ts says so to the actors' authors)
    if (to === program.start && t.role !== "driver" && Object.keys(t.locals).length > 0)
      t.locals = {};
    if (t.status.kind !== "runnable") break;
    const nextStep = stepAt(program, to);
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
