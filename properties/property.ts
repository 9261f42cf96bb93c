// What a property is: an id users type, the reference entry it comes from
// (kernel-semantics S1..S25, L1..L8), a statement a reviewer recognizes, and a monitor
// that reads the steps of one run (events, worlds before and after) and says when it
// is violated, with the ghost facts behind it.

import type { Scenario } from "../model/scenarios.js";
import type { Design, StepRecord } from "../model/step.js";
import type { World } from "../model/world.js";

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
  /** programs (thread program ids) that are weakly fair: they step in the loop, or are disabled somewhere on it */
  readonly weaklyFair: readonly string[];
  /** the violation message for a loop of `loop` steps after `prefix` steps */
  describe(prefix: number, loop: number): string;
}
