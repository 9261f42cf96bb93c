// Executes one scheduled step of one thread: the op at its pc, then any following
// thread-local steps (they touch no shared state, so running them at once hides no
// interleaving). Pure: a world in, a new world and the events out.
import { Immer } from "immer";
import type { Event } from "./events.js";
import type { Ctx, Program } from "./step.js";
import { readRef, target } from "./step.js";
import type { BlockedOn, Draft, Thread, Tid, Val, World, WorldDraft } from "./world.js";

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

const fast = new Immer({ autoFreeze: false });
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

/** Run the step at thread `tid`'s pc; `pick` resolves any choice the op offers. */
export function step(w: World, tid: Tid, pick: number, programs: Programs): [World, StepRecord] {
  let record: StepRecord | undefined;
  const next = fast.produce(w, (d) => {
    record = stepDraft(d as WorldDraft, tid, pick, programs);
  });
  return [next, record as StepRecord];
}

function stepDraft(w: WorldDraft, tid: Tid, pick: number, programs: Programs): StepRecord {
  const t = w.threads[tid] as Draft<Thread>;
  const program = programOf(programs, t as Thread);
  const events: Event[] = [];
  const labels: string[] = [];
  const ops: string[] = [];
  let choice: string | null = null;
  let firstOutcome = "";
  w.clock += 1;
  if (t.role === "driver") w.ghost.driverSteps += 1;
  else if (t.disruptive) w.ghost.disrupted = true;

  for (let n = 0; n < LOCAL_CHAIN_LIMIT; n++) {
    const label = t.pc;
    const s = program.steps[label];
    if (!s) throw new DesignError(program.id, label, "no such step label");
    let blocked: { on: BlockedOn; signalOutcome: string | undefined; again: boolean } | null = null;
    const k: Ctx = {
      w,
      tid,
      t,
      emit: (e) => events.push(e),
      get: (name) => t.locals[name] as Val | undefined,
      num: (name) => {
        const v = t.locals[name];
        if (typeof v === "number") return v;
        if (typeof v === "boolean") return v ? 1 : 0;
        throw new DesignError(program.id, label, `local "${name}" is not a number`);
      },
      ref: (name) => readRef(t.locals[name] as Val | undefined),
      set: (name, v) => {
        (t.locals as Record<string, Val>)[name] = v;
      },
      choose: (options) => {
        if (options.length === 0) throw new DesignError(program.id, label, "empty choice");
        const c = options[pick % options.length] as (typeof options)[number];
        choice = c;
        return c;
      },
      block: (on, signalOutcome, o) => {
        blocked = { on, signalOutcome, again: o?.again ?? false };
      },
      wake: (tids, by) => {
        for (const id of tids) {
          const u = w.threads[id];
          if (u?.status.kind !== "blocked") continue;
          u.pc = u.status.resume;
          u.status = { kind: "runnable" };
          events.push({ k: "wake", tid: id, by });
        }
      },
      finish: () => {
        t.status = { kind: "done" };
      },
    };
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
    const b = blocked as { on: BlockedOn; signalOutcome: string | undefined } | null;
    if (b) {
      const onSignal =
        b.signalOutcome === undefined ? null : target(program, label, b.signalOutcome);
      t.status = { kind: "blocked", on: b.on, resume: to, resumeOnSignal: onSignal };
      break;
    }
    t.pc = to;
    if (t.status.kind !== "runnable") break;
    const nextStep = program.steps[to];
    if (!nextStep?.op.local) break;
  }
  return { tid, labels, ops, outcome: firstOutcome, choice, events };
}
