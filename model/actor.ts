// What an environment actor is: a step table like a design (munmap, an invalidation,
// the uffd monitor, a driver's own invalidate callback), with the lane it prints in,
// whether it disturbs the call, and an entry: its start step, which it may take only
// while its budget lasts (a scenario gives the budget: "at most", never "must") and
// its guard holds. The built-in actors (model/actors/) are declared with `actor()` as a
// user's are.
import type { Program, Step, Steps } from "./step.js";
import type { Tid, World } from "./world.js";

export interface Actor extends Program {
  /** its lane in the thread lanes: "W", "I", "M", ... */
  readonly lane: string;
  /**
   * Does it disturb the call (munmap, an invalidation, a signal)? In the fair completion
   * after a schedule, a disruptive actor finishes the operation it is in but starts no
   * new one; properties such as uffd-fault-completes judge only undisturbed runs.
   */
  readonly disruptive: boolean;
  /**
   * A deliberate mutant of kernel code: the bug it carries, in one sentence (absent for
   * an actor that does what the kernel does). Every design it runs beside may violate a
   * property because of it; `check` says so beside each such violation.
   */
  readonly mutant?: string;
}

export interface ActorInput {
  readonly id: string;
  readonly lane: string;
  readonly title?: string;
  /**
   * the entry label: the step that starts an operation. An operation is one system
   * call or one kernel entry, so the actor's locals last one operation: they are
   * cleared when it comes back here (engine/exec.ts), and state that must outlive an
   * operation belongs in the world (a lock, an object), not in a local.
   */
  readonly start: string;
  readonly steps: Steps;
  readonly disruptive?: boolean;
  /** a deliberate mutant of kernel code: the bug it carries, in one sentence */
  readonly mutant?: string;
  /** may an operation start now (beyond the budget)? e.g. "some VMA is live" */
  readonly guard?: (w: World, tid: Tid) => boolean;
}

/**
 * Declare an actor. Its start step becomes its entry: enabled while the thread's
 * budget is above 0 (or unbounded, null) and `guard` holds, and taking it spends one
 * unit of budget. Everything else is the step table as written.
 */
export function actor(spec: ActorInput): Actor {
  const entry = spec.steps[spec.start];
  const steps: Record<string, Step> = { ...spec.steps };
  if (entry) {
    const inner = entry.op;
    const guard = spec.guard;
    steps[spec.start] = {
      ...entry,
      op: {
        ...inner,
        enabled: (w, tid) => {
          const budget = w.threads[tid]?.budget;
          if (budget !== null && (budget ?? 0) <= 0) return false;
          if (guard && !guard(w, tid)) return false;
          return inner.enabled ? inner.enabled(w, tid) : true;
        },
        run: (k) => {
          if (k.t.budget !== null) k.t.budget -= 1;
          return inner.run(k);
        },
      },
    };
  }
  return {
    id: spec.id,
    title: spec.title ?? spec.id,
    start: spec.start,
    steps,
    lane: spec.lane,
    disruptive: spec.disruptive ?? false,
    ...(spec.mutant !== undefined ? { mutant: spec.mutant } : {}),
  };
}

/** An actor in a scenario: which one, how many operations it may start (null: any), its lane. */
export interface ActorUse {
  readonly actor: Actor;
  readonly budget: number | null;
  /** lane name, when not the actor's own (two instances of one actor) */
  readonly lane?: string;
}

/** `use(munmap, 1)`: the actor in a scenario, with its budget. */
export function use(a: Actor, budget: number | null, lane?: string): ActorUse {
  return lane === undefined ? { actor: a, budget } : { actor: a, budget, lane };
}
