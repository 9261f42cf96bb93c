// What a property is: an id users type, the reference entry it comes from
// (S1..S25, L1..L8 in the README tables), a statement a reviewer recognizes, and a monitor
// that reads the steps of one run (events, worlds before and after) and says when it
// is violated, with the ghost facts behind it.

import type { Scenario } from "../model/scenarios.js";
import type { Design, StepRecord } from "../model/step.js";
import { PropertyCheckError } from "../model/step.js";
import type { World } from "../model/world.js";
import { checkPropertyInput } from "./input.js";

export type RunEnd = "done" | "deadlock" | "budget";

export interface StepView {
  readonly before: World;
  readonly after: World;
  readonly rec: StepRecord;
  /** index of this step in the trace (0-based) */
  readonly index: number;
  /** the step comes from the schedule, or from the fair completion after it */
  readonly phase: "schedule" | "completion";
}

export interface EndView {
  readonly world: World;
  readonly trace: readonly StepRecord[];
  readonly end: RunEnd;
  readonly scenario: Scenario;
  readonly design: Design;
}

export interface Monitor {
  /** A violation message, or null. Called after every step. */
  step?(v: StepView): string | null;
  /** A violation message about the whole run, or null. Called once at the end. */
  end?(v: EndView): string | null;
  /**
   * Monitors that keep state between steps expose it as plain data, so the exhaustive
   * search can make it part of the searched state and restore it on each branch.
   *
   * The contract, which the searches rely on:
   * - `save()` returns the whole state (two states that save equal values are one state
   *   to the search), as a value that nobody mutates afterwards: a step that changes
   *   the state builds a new value (copy on write), it never edits one it returned;
   * - a step that leaves the state as it was returns the very same value (===) from
   *   the next `save()`; the search then shares it, and does not load it again;
   * - `load(s)` may keep `s` itself, but never mutates it; after `load(s)` the monitor
   *   behaves exactly as it did when it saved `s`.
   * test/monitor-contract.test.ts holds every built-in monitor to it, with frozen values.
   */
  save?(): unknown;
  load?(s: unknown): void;
}

export interface Property {
  readonly id: string;
  /** the reference entries, e.g. "S1" or "S14, L1" */
  readonly ref: string;
  readonly statement: string;
  readonly kind: "safety" | "liveness";
  /** false: the row is n/a (the scenario cannot exercise it) */
  applies(s: Scenario, d: Design): boolean;
  monitor(): Monitor;
  /** liveness: the loops that violate it (engine/lasso.ts), found by every search */
  readonly lasso?: LassoSpec;
}

export interface Violation {
  readonly property: string;
  /** trace index of the violating step; trace length for end-of-run violations */
  readonly at: number;
  readonly message: string;
  /** for a lasso: the steps before the loop (steps loopStart..at repeat forever) */
  readonly loopStart?: number;
}

/** "T" for thread 0 and so on: names used in violation messages. */
export function who(w: World, tid: number): string {
  return w.threads[tid]?.name ?? `thread ${tid}`;
}

/**
 * A liveness property's loops (engine/lasso.ts finds them in every search): every state
 * of a violating loop satisfies `inLoop`, and each weakly fair thread steps in the loop
 * or is disabled somewhere on it.
 */
export interface LassoSpec {
  /** the condition every state of a violating loop satisfies */
  inLoop(w: World): boolean;
  /**
   * A step that is progress (e.g. a page of the range became present): a loop through
   * it does not count, even if a later step of the loop undoes it.
   */
  progress?(before: World, after: World): boolean;
  /** programs (thread program ids) that are weakly fair: they step in the loop, or are disabled somewhere on it */
  readonly weaklyFair: readonly string[];
  /**
   * Actors (program ids) left out of the fairness set altogether, even in the middle of
   * an operation: a loop counts whether they run or not (a realtime caller on one CPU
   * that never lets a preempted actor run). Every report of such a loop says so.
   */
  readonly unfair?: readonly string[];
  /** the violation message for a loop of `loop` steps after `prefix` steps */
  describe(prefix: number, loop: number): string;
}

/** What `safety()` takes: a statement, and a check over each step's events and worlds. */
export interface SafetyInput {
  readonly id: string;
  /** where the rule comes from: a kernel function, a mail, a reference entry */
  readonly ref?: string;
  readonly statement: string;
  /** false where the scenario cannot exercise it: the row is n/a (default: everywhere) */
  readonly applies?: (s: Scenario, d: Design) => boolean;
  /**
   * After every step: a violation message that names the thread, the object and the
   * ghost facts behind it (`who(after, rec.tid)`), or null. A check that throws is a
   * design error at that step, never a pass.
   */
  readonly check: (v: StepView) => string | null;
  /** Once, at the end of a run (the world, the trace, how it ended). */
  readonly atEnd?: (v: EndView) => string | null;
}

/** What `liveness()` takes: the loop that violates it, and whom the loop must be fair to. */
export interface LivenessInput {
  readonly id: string;
  readonly ref?: string;
  readonly statement: string;
  readonly applies?: (s: Scenario, d: Design) => boolean;
  /** every state of a violating loop satisfies this (e.g. "a queued writer waits") */
  readonly inLoop: (w: World) => boolean;
  /**
   * Actors (by id) the loop must be weakly fair to, beside every driver thread: each
   * steps in the loop or is disabled somewhere on it.
   */
  readonly fairTo?: readonly string[];
  /**
   * Actors (by id) the loop need not be fair to at all, even when they are in the middle
   * of an operation (the realtime or uniprocessor case: a preempted actor never runs
   * again). The report of every loop names them; say why in the statement.
   */
  readonly notFairTo?: readonly string[];
  /**
   * A step that is progress (e.g. a page became present): a loop through it does not
   * count, even if a later step of the loop undoes it.
   */
  readonly progress?: (before: World, after: World) => boolean;
  /** the message for a loop of `loop` steps after `prefix` steps */
  readonly describe?: (prefix: number, loop: number) => string;
}

/**
 * A check that throws, or returns anything but a message or null (a design file is not
 * type-checked: `true` for "fine" would otherwise read as a violation), is a property
 * error at the step it judged, never a verdict.
 */
function guarded<
  V extends { readonly after?: World; readonly world?: World; readonly rec?: StepRecord },
>(id: string, f: (v: V) => string | null): (v: V) => string | null {
  return (v) => {
    const fail = (detail: string, e?: unknown): PropertyCheckError => {
      const w = v.after ?? v.world;
      const tid = v.rec?.tid ?? 0;
      const program = w?.threads[tid]?.program ?? "?";
      const label = v.rec?.labels[0] ?? "(end of run)";
      return new PropertyCheckError(id, program, label, detail, e);
    };
    let r: unknown;
    try {
      r = f(v);
    } catch (e) {
      throw fail(`its check threw: ${e instanceof Error ? e.message : String(e)}`, e);
    }
    if (r === null || typeof r === "string") return r;
    throw fail(
      `its check returned ${typeof r === "object" || typeof r === "function" ? `a ${typeof r}` : String(r)}, where a check returns null when the step keeps the property and a message saying what broke it when it does not`,
    );
  };
}

/** Declare a safety property: `export const p = safety({ id, statement, check })`. */
export function safety(input: SafetyInput): Property {
  checkPropertyInput("safety", input);
  const step = guarded(input.id, input.check);
  const end = input.atEnd ? guarded(input.id, input.atEnd) : undefined;
  return {
    id: input.id,
    ref: input.ref ?? "user",
    statement: input.statement,
    kind: "safety",
    applies: input.applies ?? (() => true),
    monitor: () => (end ? { step, end } : { step }),
  };
}

/** Declare a liveness property: a loop condition and the actors it must be fair to. */
export function liveness(input: LivenessInput): Property {
  checkPropertyInput("liveness", input);
  const inLoop = input.inLoop;
  return {
    id: input.id,
    ref: input.ref ?? "user",
    statement: input.statement,
    kind: "liveness",
    applies: input.applies ?? (() => true),
    monitor: () => ({}),
    lasso: {
      inLoop: (w) => {
        try {
          return inLoop(w);
        } catch (e) {
          throw new PropertyCheckError(
            input.id,
            "?",
            "(loop condition)",
            `its loop condition threw: ${e instanceof Error ? e.message : String(e)}`,
            e,
          );
        }
      },
      weaklyFair: input.fairTo ?? [],
      ...(input.notFairTo ? { unfair: input.notFairTo } : {}),
      ...(input.progress ? { progress: input.progress } : {}),
      describe:
        input.describe ??
        ((prefix, loop) =>
          `lasso: after ${prefix} steps the run enters a loop of ${loop} steps that comes back to the same state (steps ${prefix + 1}-${prefix + loop} repeat forever): ${input.statement} does not hold.`),
    },
  };
}
