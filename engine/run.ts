// Runs one schedule. A schedule is a list of choices (thread, pick): the thread runs
// its next step if it is enabled, otherwise the choice is skipped, so every list is a
// valid schedule and deleting elements keeps it valid (what makes shrinking work).
// When the list runs out, the run is completed fairly (round-robin) by the driver,
// the monitor and any actor in the middle of an operation; no new munmap,
// invalidation or signal starts. Properties watch every step.

import type { Scenario } from "../model/scenarios.js";
import { initialWorld, programsFor, totalPages } from "../model/scenarios.js";
import type { Design, Programs, StepRecord } from "../model/step.js";
import type { World } from "../model/world.js";
import type { Monitor, Property, RunEnd, Violation } from "../properties/property.js";
import type { EdgeSink } from "./exec.js";
import { enabledThreads, isEnabled, step } from "./exec.js";
import { LassoWatch } from "./lasso.js";

export interface Choice {
  /** thread index (taken modulo the number of threads) */
  readonly t: number;
  /** resolves a choice the step offers (taken modulo the options) */
  readonly p: number;
  /**
   * run the thread for up to this many steps while it stays enabled (default 1); a step
   * that arms or ticks a deadline ends the burst early (endsBurst)
   */
  readonly n?: number;
}

export interface Setup {
  readonly design: Design;
  readonly scenario: Scenario;
  readonly programs: Programs;
  readonly world0: World;
}

export interface Run {
  readonly trace: readonly StepRecord[];
  /** worlds[i] is the world before trace[i]; worlds[trace.length] the final one */
  readonly worlds: readonly World[] | null;
  readonly final: World;
  readonly end: RunEnd;
  readonly violations: readonly Violation[];
  /** the schedule that was actually executed, completion included: replaying it reproduces the run */
  readonly executed: readonly Choice[];
}

export interface RunOptions {
  /** stop at the first violation of this property */
  readonly stopOn?: string;
  /** keep every intermediate world (for reports) */
  readonly keepWorlds?: boolean;
  /** skip the fair completion after the schedule */
  readonly noCompletion?: boolean;
  /** collect the edges the design's threads take (`lockdrop coverage`, engine/coverage.ts) */
  readonly edges?: EdgeSink;
}

export function setupFor(design: Design, scenario: Scenario): Setup {
  return {
    design,
    scenario,
    programs: programsFor(scenario, design),
    world0: initialWorld(scenario, design),
  };
}

export function completionBudget(s: Scenario): number {
  return s.stepsPerPage * totalPages(s) + 60;
}

/**
 * Does a burst end after this step? A step that arms a deadline or ticks one (a
 * `deadline` event, model/kernel/time.ts) ends its thread's burst, so that the next
 * choice decides whether the clock comes before the thread reads the time: the edge
 * cases of the timeouts lie on the one jiffy a deadline falls on ("due"), which a burst
 * of several ticks, or an arming read back in the same burst, would step over.
 */
function endsBurst(rec: StepRecord): boolean {
  return rec.events.some((e) => e.k === "deadline");
}

/** May thread `tid` run in the completion phase (no new disruptive operation)? */
export function mayComplete(w: World, tid: number, programs: Programs): boolean {
  const t = w.threads[tid];
  if (!t) return false;
  if (t.role === "driver" || !t.disruptive) return true;
  return t.pc !== programs[t.program]?.start;
}

export function runSchedule(
  setup: Setup,
  schedule: readonly Choice[],
  props: readonly Property[],
  opts: RunOptions = {},
): Run {
  const monitors: [Property, Monitor][] = props.map((p) => [p, p.monitor()]);
  // liveness properties also watch for a state met again inside a violating loop
  const watches: [Property, LassoWatch][] = props.flatMap((p) =>
    p.lasso
      ? [[p, new LassoWatch(p.lasso, setup.world0, setup.programs)] as [Property, LassoWatch]]
      : [],
  );
  const violations: Violation[] = [];
  const seen = new Set<string>();
  const trace: StepRecord[] = [];
  const executed: Choice[] = [];
  const worlds: World[] | null = opts.keepWorlds ? [setup.world0] : null;
  let w = setup.world0;
  const n = w.threads.length;
  let stopped = false;

  let phase: "schedule" | "completion" = "schedule";
  const exec = (tid: number, pick: number): StepRecord => {
    const [next, rec] = step(w, tid, pick, setup.programs, opts.edges);
    const index = trace.length;
    trace.push(rec);
    executed.push({ t: tid, p: pick });
    for (const [p, m] of monitors) {
      if (seen.has(p.id) || !m.step) continue;
      const msg = m.step({ before: w, after: next, rec, index, phase });
      if (msg !== null) {
        seen.add(p.id);
        violations.push({ property: p.id, at: index, message: msg });
        if (opts.stopOn === p.id) stopped = true;
      }
    }
    for (const [p, watch] of watches) {
      if (seen.has(p.id)) continue;
      const l = watch.step(index, tid, next);
      if (l === null) continue;
      seen.add(p.id);
      violations.push({ property: p.id, at: index, message: l.message, loopStart: l.loopStart });
      if (opts.stopOn === p.id) stopped = true;
    }
    w = next;
    worlds?.push(w);
    return rec;
  };

  for (const c of schedule) {
    if (stopped) break;
    const tid = c.t % n;
    for (let i = 0; i < (c.n ?? 1) && !stopped && isEnabled(w, tid, setup.programs); i++)
      if (endsBurst(exec(tid, c.p))) break;
  }

  let end: RunEnd = "done";
  if (!stopped && !opts.noCompletion) {
    phase = "completion";
    const budget = completionBudget(setup.scenario);
    let rr = 0;
    let steps = 0;
    for (;;) {
      if (stopped) break;
      const ready = enabledThreads(w, setup.programs).filter((tid) =>
        mayComplete(w, tid, setup.programs),
      );
      if (ready.length === 0) {
        const midOp = w.threads.some(
          (t) => t.status.kind === "blocked" || (t.role === "driver" && t.status.kind !== "done"),
        );
        end = midOp ? "deadlock" : "done";
        break;
      }
      if (steps++ >= budget) {
        end = "budget";
        break;
      }
      const tid = ready.find((x) => x >= rr) ?? (ready[0] as number);
      rr = tid + 1;
      exec(tid, 0);
    }
  }
  if (!stopped)
    for (const [p, m] of monitors) {
      if (seen.has(p.id) || !m.end) continue;
      const msg = m.end({ world: w, trace, end, scenario: setup.scenario, design: setup.design });
      if (msg !== null) violations.push({ property: p.id, at: trace.length, message: msg });
    }
  return { trace, worlds, final: w, end, violations, executed };
}
