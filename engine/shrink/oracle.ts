// The test every minimization pass asks: does this schedule still violate the same
// property, and how long is the trace up to the violation? A schedule here is always
// normalized: one choice per executed step of the schedule phase (n = 1), no skipped
// choices, nothing after the violation, and picks at 0 where the step chose nothing.
// The fair completion after the schedule is deterministic, so it is not part of it.
import type { Property } from "../../properties/property.js";
import type { Choice, Run, Setup } from "../run.js";
import { runSchedule } from "../run.js";

export interface Verdict {
  /** the normalized schedule */
  readonly schedule: readonly Choice[];
  /** steps executed up to and including the violating one (completion included) */
  readonly length: number;
  /** thread switches between consecutive steps of that trace */
  readonly switches: number;
  readonly run: Run;
  /** index of the violating step (trace length for an end-of-run violation) */
  readonly at: number;
}

export class Oracle {
  /** schedules tried so far (the cost of minimization) */
  tries = 0;
  constructor(
    readonly setup: Setup,
    readonly property: Property,
  ) {}

  /** The verdict of `schedule`, or null when it no longer violates the property. */
  test(schedule: readonly Choice[]): Verdict | null {
    this.tries++;
    const run = runSchedule(this.setup, schedule, [this.property], { stopOn: this.property.id });
    const v = run.violations.find((x) => x.property === this.property.id);
    if (!v) return null;
    // how many steps the schedule itself ran (the rest is the fair completion)
    const scheduled = runSchedule(this.setup, schedule, [], { noCompletion: true }).trace.length;
    const upTo = Math.min(v.at + 1, run.trace.length);
    const k = Math.min(scheduled, upTo);
    const normalized = run.executed.slice(0, k).map((c, i) => ({
      t: c.t,
      p: run.trace[i]?.choice === null ? 0 : c.p,
    }));
    let switches = 0;
    for (let i = 1; i < upTo; i++) if (run.trace[i]?.tid !== run.trace[i - 1]?.tid) switches++;
    return { schedule: normalized, length: upTo, switches, run, at: v.at };
  }
}

/**
 * Is `b` better than `a`: a shorter trace to the violation; at equal length fewer
 * thread switches (what a reader follows); then fewer scheduled choices (more of the
 * trace left to the deterministic completion).
 */
export function better(b: Verdict, a: Verdict): boolean {
  if (b.length !== a.length) return b.length < a.length;
  if (b.switches !== a.switches) return b.switches < a.switches;
  return b.schedule.length < a.schedule.length;
}

/** A pass: takes a verdict, returns one at least as good (the same one when nothing helped). */
export type Pass = (o: Oracle, cur: Verdict) => Verdict;
