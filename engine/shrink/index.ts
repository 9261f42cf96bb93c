// Counterexample minimization after fast-check's own shrinking. The passes run in
// turn until none of them improves the counterexample: delta debugging on the
// schedule, dropping environment actions, picks back to the default, and reordering to
// fewer context switches. Each keeps a violation of the same property and never makes
// the trace up to the violation longer.
import type { Property } from "../../properties/property.js";
import type { Choice, Setup } from "../run.js";
import { ddmin } from "./ddmin.js";
import { dropActors } from "./drop-actors.js";
import type { Pass, Verdict } from "./oracle.js";
import { better, Oracle } from "./oracle.js";
import { picksToZero } from "./picks.js";
import { reorder } from "./reorder.js";

export type { Verdict } from "./oracle.js";
export { Oracle } from "./oracle.js";

export const PASSES: readonly (readonly [string, Pass])[] = [
  ["ddmin", ddmin],
  ["drop-actors", dropActors],
  ["picks", picksToZero],
  ["reorder", reorder],
];

export interface Minimized extends Verdict {
  /** trace length of the input schedule, up to its violation */
  readonly lengthBefore: number;
  /** schedules run by the passes */
  readonly tries: number;
}

/**
 * Minimize a schedule that violates `property`. Returns null when the schedule does
 * not violate it in the first place.
 */
export function minimize(
  setup: Setup,
  property: Property,
  schedule: readonly Choice[],
  opts: { readonly rounds?: number } = {},
): Minimized | null {
  const o = new Oracle(setup, property);
  const first = o.test(schedule);
  if (!first) return null;
  const run = (start: Verdict): Verdict => {
    let cur = start;
    for (let round = 0; round < (opts.rounds ?? 4); round++) {
      const before = cur;
      for (const [, pass] of PASSES) cur = pass(o, cur);
      if (!better(cur, before)) break;
    }
    return cur;
  };
  let best = run(first);
  // The same trace with the fair completion spelled out as scheduled steps: then the
  // passes can also delete the completion's steps that do not matter (a monitor step,
  // an actor finishing its operation) instead of only the schedule's.
  const explicit = o.test(first.run.executed.slice(0, first.length));
  if (explicit && explicit.length <= first.length) {
    const alt = run({ ...explicit, schedule: first.run.executed.slice(0, first.length) });
    if (better(alt, best)) best = alt;
  }
  return { ...best, lengthBefore: first.length, tries: o.tries };
}
