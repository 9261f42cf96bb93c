// Scheduling points a retry loop may call (kernel/sched/core.c).
import type { Op } from "../step.js";
import { op } from "../step.js";

/** The name `cond_resched()` prints as; properties/time.ts finds a design's loop by it. */
export const COND_RESCHED = "cond_resched()";

/**
 * `cond_resched()`: a voluntary scheduling point, a step of its own so that anything may
 * run here. It does not sleep: a task of a realtime policy (or any task on one CPU with
 * nothing of higher priority runnable) comes straight back, which is the case Andrew
 * Morton raised on "[PATCH v8 4/8] mshv: Use hmm_range_fault_unlocked_timeout() for
 * region faults" (Jul 10 2026). Whether the loop around it terminates depends on what
 * the loop waits for; `cond-resched-terminates-rt` judges it without fairness for the
 * invalidator.
 */
export const condResched = (): Op<"ok"> =>
  op({
    name: COND_RESCHED,
    outcomes: ["ok"],
    mightSleep: true,
    run: () => "ok",
  });
