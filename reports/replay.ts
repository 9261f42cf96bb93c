// Replaying a counterexample file: re-run its schedule (on its own design, or with
// --on on another one), and compare step by step with what was recorded: the same
// thread, label, op and outcome (else the schedule diverges there), and the same world
// fingerprint (else the model has hidden nondeterminism). A step whose thread is not
// enabled any more is reported as such; the runner skips it, as it skips any choice.
import { isEnabled, step } from "../engine/exec.js";
import type { Run, Setup } from "../engine/run.js";
import { runSchedule, setupFor } from "../engine/run.js";
import type { Scenario } from "../model/scenarios.js";
import { runsIn } from "../model/scenarios.js";
import type { Design } from "../model/step.js";
import type { Property, Violation } from "../properties/property.js";
import type { Cex, CexStep, ModuleRef } from "./cex.js";
import { designChanges, designHash, scheduleOf, traceFingerprint } from "./cex.js";

export interface Divergence {
  /** 0-based step index */
  readonly at: number;
  readonly recorded: string;
  readonly replayed: string;
}

export interface ReplayResult {
  readonly cex: Cex;
  /** a user design's file relative to the current directory, for the replay token printed */
  readonly module?: ModuleRef;
  readonly setup: Setup;
  readonly property: Property;
  /** the replayed run, worlds kept */
  readonly run: Run;
  /** the violation of the property in the replay, or null */
  readonly violation: Violation | null;
  /** replayed on the recorded design (not --on another) */
  readonly sameDesign: boolean;
  /** what changed in the design since the file was written; empty when the hash matches */
  readonly designChanged: readonly string[];
  /** the first step where replay and recording differ in thread, label, op or outcome */
  readonly divergence: Divergence | null;
  /** scheduled steps whose thread could not run at that point (0-based indices) */
  readonly notEnabled: readonly { readonly at: number; readonly thread: string }[];
  /** the first step where labels agree but the world fingerprint does not */
  readonly nondeterminism: Divergence | null;
  /** steps compared with the recording */
  readonly compared: number;
}

const describe = (s: Pick<CexStep, "thread" | "label" | "op" | "outcome">) =>
  `${s.thread} ${s.label}: ${s.op}${s.outcome ? ` -> ${s.outcome}` : ""}`;

export function replayCex(
  cex: Cex,
  design: Design,
  scenario: Scenario,
  property: Property,
): ReplayResult {
  if (!runsIn(scenario, design))
    throw new Error(`design "${design.id}" does not run in scenario "${scenario.id}"`);
  const setup = setupFor(design, scenario);
  const schedule = scheduleOf(cex);
  // which scheduled steps cannot run: walk the schedule step by step
  const notEnabled: { at: number; thread: string }[] = [];
  let w = setup.world0;
  let at = 0;
  for (const c of schedule) {
    const name = w.threads[c.t]?.name ?? `#${c.t}`;
    if (c.t >= w.threads.length || !isEnabled(w, c.t, setup.programs)) {
      notEnabled.push({ at, thread: name });
    } else {
      [w] = step(w, c.t, c.p, setup.programs);
    }
    at++;
  }
  const run = runSchedule(setup, schedule, [property], { stopOn: property.id, keepWorlds: true });
  const violation = run.violations.find((v) => v.property === property.id) ?? null;
  const worlds = run.worlds ?? [];
  const threads = setup.world0.threads;
  let divergence: Divergence | null = null;
  let nondeterminism: Divergence | null = null;
  const n = Math.min(cex.steps.length, run.trace.length);
  let compared = 0;
  for (let i = 0; i < n && !divergence; i++) {
    const rec = cex.steps[i] as CexStep;
    const got = run.trace[i];
    if (!got) break;
    const mine = {
      thread: threads[got.tid]?.name ?? `#${got.tid}`,
      label: got.labels[0] ?? "",
      op: got.ops[0] ?? "",
      outcome: got.outcome ?? "",
    };
    compared++;
    if (
      rec.tid !== got.tid ||
      rec.label !== mine.label ||
      rec.op !== mine.op ||
      rec.outcome !== mine.outcome
    ) {
      divergence = { at: i, recorded: describe(rec), replayed: describe(mine) };
      break;
    }
    const fp = traceFingerprint(worlds[i + 1] ?? run.final);
    if (!nondeterminism && fp !== rec.fingerprint)
      nondeterminism = { at: i, recorded: rec.fingerprint, replayed: fp };
  }
  if (!divergence && run.trace.length !== cex.steps.length) {
    const i = n;
    const rec = cex.steps[i];
    const got = run.trace[i];
    divergence = {
      at: i,
      recorded: rec ? describe(rec) : "(the recording ends here)",
      replayed: got
        ? describe({
            thread: threads[got.tid]?.name ?? `#${got.tid}`,
            label: got.labels[0] ?? "",
            op: got.ops[0] ?? "",
            outcome: got.outcome ?? "",
          })
        : "(the replay ends here)",
    };
  }
  const sameDesign = design.id === cex.design;
  const designChanged =
    sameDesign && designHash(design) !== cex.designHash
      ? designChanges(cex.designLabels, design)
      : [];
  return {
    cex,
    setup,
    property,
    run,
    violation,
    sameDesign,
    designChanged,
    divergence,
    notEnabled,
    // a changed design explains a different world; only an unchanged one shows nondeterminism
    nondeterminism: sameDesign && designChanged.length === 0 ? nondeterminism : null,
    compared,
  };
}

/** Did the replay reproduce the recorded violation (same property; same step when unchanged)? */
export function reproduced(r: ReplayResult): boolean {
  return r.violation !== null;
}

/** One or more sentences: what the replay found, for the head of every report. */
export function verdictLines(r: ReplayResult): string[] {
  const out: string[] = [];
  const c = r.cex;
  if (r.designChanged.length)
    out.push(
      `warning: design "${c.design}" changed since this counterexample was recorded (${r.designChanged.join("; ")}); replaying it anyway.`,
    );
  if (!r.sameDesign) out.push(`replaying the schedule of ${c.design} on ${r.setup.design.id}.`);
  // in step order: where the run leaves the recording, and the steps it skipped
  const skipped = r.notEnabled.slice(0, 3).map((x) => ({
    at: x.at,
    text: `step ${x.at + 1}: ${x.thread} is not enabled here, so the step is skipped.`,
  }));
  const diverges = r.divergence
    ? [
        {
          at: r.divergence.at,
          text: `the schedule diverges at step ${r.divergence.at + 1}: recorded "${r.divergence.recorded}", replayed "${r.divergence.replayed}".`,
        },
      ]
    : [];
  for (const x of [...diverges, ...skipped].sort((a, b) => a.at - b.at)) out.push(x.text);
  if (r.notEnabled.length > 3) out.push(`(and ${r.notEnabled.length - 3} more steps not enabled)`);
  if (r.nondeterminism)
    out.push(
      `HIDDEN NONDETERMINISM in the model: at step ${r.nondeterminism.at + 1} the same step gave world ${r.nondeterminism.replayed}, recorded ${r.nondeterminism.recorded}.`,
    );
  if (r.violation) {
    const same = r.violation.at === c.violation.at;
    out.push(
      `${c.property} is violated at step ${Math.min(r.violation.at, r.run.trace.length - 1) + 1}${
        r.sameDesign ? (same ? ", as recorded" : `, recorded at step ${c.violation.at + 1}`) : ""
      }.`,
    );
  } else
    out.push(
      r.sameDesign
        ? `${c.property} is NOT violated any more: the counterexample no longer reproduces.`
        : `${c.property} is not violated on ${r.setup.design.id}: the schedule no longer reproduces the violation.`,
    );
  if (!r.divergence && !r.nondeterminism && r.sameDesign && r.designChanged.length === 0)
    out.push(`all ${r.compared} steps match the recording (thread, step and world fingerprint).`);
  return out;
}
