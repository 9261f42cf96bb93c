// Worker side of engine/parallel.ts: computes the rows of one pair at a time. A design
// that is not built in is loaded again here from its file, through the loader module
// the caller named (the engine itself knows nothing of design files).
import { parentPort, workerData } from "node:worker_threads";
import { programsFor, scenarioById } from "../model/scenarios.js";
import { DesignError, PropertyCheckError } from "../model/step.js";
import { propertyById } from "../properties/index.js";
import type { Property } from "../properties/property.js";
import type { CoverageOptions } from "./coverage.js";
import { scenarioCoverage } from "./coverage.js";
import { setSearchBeat } from "./exhaustive-parallel.js";
import { designOf } from "./pair-source.js";
import type { PairJob, ProgressSpec } from "./parallel.js";
import type { ExplorationFlags } from "./rows.js";
import { rowsFor } from "./rows.js";
import { beatEachStep, labelTable } from "./step-beat.js";

const { beat, keepCounterexamples, progress, stop } = (workerData ?? {}) as {
  readonly beat?: Int32Array;
  readonly keepCounterexamples?: boolean;
  /** the command's progress module, to draw progress and poll `stop` from this thread */
  readonly progress?: ProgressSpec;
  /** set by the command's thread on SIGINT or SIGTERM: the searches stop at their next poll */
  readonly stop?: Int32Array;
};

/** What the progress module gives a worker (cli/progress.ts). */
interface ProgressModule {
  setProgressHost(h: { tty: boolean; stop: Int32Array | null }): void;
  installProgress(argv: readonly string[]): void;
  exhaustiveProgress(
    argv: readonly string[],
  ): ((p: { states: number; transitions: number; depth: number }) => boolean) | undefined;
  ctrlCPressed(): boolean;
}

let progressModule: Promise<ProgressModule | null> | null = null;

/** The progress module, installed once for this worker (null when the command gave none). */
function progressOf(): Promise<ProgressModule | null> {
  progressModule ??= (async () => {
    if (!progress) return null;
    const p = (await import(progress.module)) as ProgressModule;
    p.setProgressHost({ tty: progress.tty, stop: stop ?? null });
    p.installProgress(progress.argv);
    return p;
  })();
  return progressModule;
}

// a design that calls process.exit() would end this thread without an answer
process.exit = ((code?: number | string | null) => {
  throw new Error(
    `process.exit(${code ?? ""}) was called; a design file or its step must not exit the process`,
  );
}) as typeof process.exit;

/**
 * Count every step and note its label in the shared beat (engine/parallel.ts reads it):
 * the labels of the pair's programs are posted once, then each step writes an index.
 */
function probeFor(i: number, programs: Readonly<Record<string, { readonly steps: object }>>): void {
  if (!beat) return;
  parentPort?.postMessage({ i, labels: labelTable(programs).table });
  beatEachStep(beat, programs);
  // the other threads of a parallel search beat here too
  setSearchBeat(beat);
}

parentPort?.on("message", async ({ i, job }: { i: number; job: PairJob }) => {
  try {
    const d = await designOf(job);
    const s = scenarioById(job.scenario);
    if (!d || !s) throw new Error(`unknown pair ${job.design}/${job.scenario}`);
    const props = job.properties.map((id) => propertyById(id) as Property);
    probeFor(i, programsFor(s, d));
    if (job.kind === "coverage") {
      const c = scenarioCoverage(d, s, job.flags as unknown as CoverageOptions);
      parentPort?.postMessage({ i, result: c });
      return;
    }
    const p = await progressOf();
    const all = rowsFor(
      job.flags as unknown as ExplorationFlags,
      p?.exhaustiveProgress(progress?.argv ?? []),
      job,
    )(d, s, props);
    const rows = keepCounterexamples
      ? all
      : all.map(({ counterexample: _c, search: _s, ...row }) => row);
    parentPort?.postMessage({ i, result: rows, interrupted: p?.ctrlCPressed() === true });
  } catch (e) {
    // a search stopped by the command's stop flag (cli/progress.ts Interrupted)
    if (e instanceof Error && e.constructor.name === "Interrupted") {
      parentPort?.postMessage({ i, error: e.message, interrupted: true });
      return;
    }
    // the stack of what the step threw, for --debug on the command's side
    const stack = stackOf(e);
    if (e instanceof PropertyCheckError) {
      parentPort?.postMessage({
        i,
        error: e.detail,
        step: e.label,
        program: e.program,
        property: e.property,
        stack,
      });
      return;
    }
    if (e instanceof DesignError) {
      const detail = e.message.replace(`${e.program}, step "${e.label}": `, "");
      parentPort?.postMessage({ i, error: detail, step: e.label, program: e.program, stack });
      return;
    }
    parentPort?.postMessage({ i, error: (e as Error).message, stack });
  }
});

/** The stack of the error a step threw (a design error's cause), else of `e` itself. */
function stackOf(e: unknown): string | undefined {
  const cause = e instanceof Error ? e.cause : undefined;
  if (cause instanceof Error && cause.stack) return cause.stack;
  return e instanceof Error ? e.stack : undefined;
}
