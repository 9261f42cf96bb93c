// PCT scheduling (Burckhardt et al., "A randomized scheduler with probabilistic
// guarantees of finding bugs", ASPLOS 2010) as an alternative to uniform choices:
// threads get random distinct priorities; the highest-priority enabled thread runs;
// at d-1 random steps the running thread drops to the lowest priority. A bug of depth
// d is found with probability at least 1/(n k^(d-1)) per run (n threads, k steps).
// The generated schedule is the executed one, so it replays and shrinks like any other.
// Disruptive actors may sit a run out; a thread that would only start one of their
// operations is then never chosen (threads already in the middle of one finish it).
import fc from "fast-check";
import { enabledThreads, step } from "./exec.js";
import type { Choice, Setup } from "./run.js";

export interface PctParams {
  /** priority of each thread (higher runs first) */
  readonly priorities: readonly number[];
  /** environment actors that take no part in this run (munmap, invalidation, signal ...) */
  readonly absent: readonly boolean[];
  /** steps at which the running thread's priority drops */
  readonly changes: readonly number[];
  /** picks for steps that offer a choice, used in order */
  readonly picks: readonly number[];
}

/** Run PCT for up to `maxSteps` steps and return the executed schedule. */
export function pctSchedule(setup: Setup, params: PctParams, maxSteps: number): Choice[] {
  const prio = [...params.priorities];
  let low = -1;
  let w = setup.world0;
  const out: Choice[] = [];
  for (let i = 0; i < maxSteps; i++) {
    const enabled = enabledThreads(w, setup.programs).filter(
      (t) => !(params.absent[t] && w.threads[t]?.disruptive),
    );
    if (enabled.length === 0) break;
    let tid = enabled[0] as number;
    for (const t of enabled) if ((prio[t] ?? 0) > (prio[tid] ?? 0)) tid = t;
    const pick = params.picks[i % Math.max(1, params.picks.length)] ?? 0;
    [w] = step(w, tid, pick, setup.programs);
    out.push({ t: tid, p: pick });
    if (params.changes.includes(i)) prio[tid] = low--;
  }
  return out;
}

/** Schedules drawn by PCT with depth `d` over `maxSteps` steps. */
export function pctArb(setup: Setup, d: number, maxSteps: number): fc.Arbitrary<Choice[]> {
  const n = setup.world0.threads.length;
  return fc
    .record({
      priorities: fc.shuffledSubarray(
        Array.from({ length: n }, (_, i) => i + 1),
        { minLength: n, maxLength: n },
      ),
      // each disruptive actor sits out a run half of the time, so that runs without a
      // munmap, invalidation or signal exist (the progress properties judge only those)
      absent: fc.array(fc.boolean(), { minLength: n, maxLength: n }),
      changes: fc.array(fc.nat({ max: maxSteps - 1 }), { minLength: d - 1, maxLength: d - 1 }),
      picks: fc.array(fc.nat({ max: 3 }), { minLength: 1, maxLength: 8 }),
    })
    .map((params) => pctSchedule(setup, params, maxSteps));
}
