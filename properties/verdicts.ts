// Verdicts for design x scenario x property, computed by exploration: a property
// holds on a row when no schedule violated it, and is n/a when the scenario cannot
// exercise it. Nothing here knows what any design is expected to do.
import type { Scenario } from "../model/scenarios.js";
import type { Design } from "../model/step.js";
import type { MatrixRow } from "../reports/matrix.js";
import type { ExhaustiveOptions } from "./exhaustive.js";
import { exploreExhaustive } from "./exhaustive.js";
import type { Property } from "./property.js";
import type { Counterexample, RandomOptions } from "./random.js";
import { checkPair } from "./random.js";
import { setupFor } from "./run.js";

export interface RowResult extends MatrixRow {
  readonly counterexample: Counterexample | null;
}

export function verdictRows(
  design: Design,
  scenario: Scenario,
  props: readonly Property[],
  opts: RandomOptions,
): RowResult[] {
  const applicable = props.filter((p) => p.applies(scenario, design));
  const pair = checkPair(design, scenario, applicable, opts);
  return props.map((p): RowResult => {
    const base = { design: design.id, scenario: scenario.id, property: p.id };
    if (!applicable.includes(p))
      return { ...base, verdict: "n/a", method: "n/a", runs: 0, steps: null, counterexample: null };
    const cex = pair.results.get(p.id) ?? null;
    return {
      ...base,
      verdict: cex ? "violated" : "holds",
      method: "random",
      runs: opts.runs,
      steps: cex ? cex.schedule.length : null,
      ...(cex ? { message: cex.message } : {}),
      counterexample: cex,
    };
  });
}

/** The same rows from the exhaustive engine: "holds" then means no violation up to the depth. */
export function exhaustiveRows(
  design: Design,
  scenario: Scenario,
  props: readonly Property[],
  opts: ExhaustiveOptions,
): RowResult[] {
  const applicable = props.filter((p) => p.applies(scenario, design));
  const setup = setupFor(design, scenario);
  const r = exploreExhaustive(setup, applicable, opts);
  return props.map((p): RowResult => {
    const base = { design: design.id, scenario: scenario.id, property: p.id };
    if (!applicable.includes(p))
      return { ...base, verdict: "n/a", method: "n/a", runs: 0, steps: null, counterexample: null };
    const c = r.counterexamples.get(p.id);
    const coverage = {
      depth: r.depth,
      states: r.states,
      complete: r.complete,
      frontier: r.frontier,
      ...(r.stoppedBy ? { stoppedBy: r.stoppedBy } : {}),
    };
    if (!c)
      return {
        ...base,
        verdict: "holds",
        method: "exhaustive",
        runs: 0,
        steps: null,
        ...coverage,
        counterexample: null,
      };
    return {
      ...base,
      verdict: "violated",
      method: "exhaustive",
      runs: 0,
      steps: c.schedule.length,
      message: c.message,
      ...coverage,
      counterexample: {
        design: design.id,
        scenario: scenario.id,
        property: p.id,
        schedule: c.schedule,
        run: c.run,
        message: c.message,
        seed: 0,
        path: "exhaustive",
        lengthBeforeShrink: c.schedule.length,
        lengthAfterFastCheck: c.schedule.length,
        scheduled: c.schedule.length,
        provenShortest: c.loopStart === null,
        loopStart: c.loopStart,
      },
    };
  });
}
