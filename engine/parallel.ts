// Rows of many (design, scenario) pairs computed on all cores: each pair is seeded on
// its own, so the result does not depend on which worker computed it or when. Only
// built-in designs (by id) and design files (by path) cross to the workers.
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { DesignError, PropertyCheckError } from "../model/step.js";
import type { ScenarioCoverage } from "./coverage.js";
import type { SetupSource } from "./pair-source.js";
import { beatLabel, beatSteps, newBeat } from "./step-beat.js";
import type { MatrixRow } from "./verdicts.js";

export interface PairJob extends SetupSource {
  readonly properties: readonly string[];
  /**
   * the flags of cli/exploration.ts (random or exhaustive); for a coverage job, the
   * options of engine/coverage.ts
   */
  readonly flags: Readonly<Record<string, unknown>>;
  /** rows (default), or the coverage of the design's edges (`lockdrop coverage`) */
  readonly kind?: "rows" | "coverage";
}

const WORKER = new URL("./parallel-worker.mjs", import.meta.url);

export interface WorkerLimits {
  /** a step (or a property's check) that runs longer than this is stopped: a design error at that step */
  readonly stepLimitMs?: number;
  /** the worker's heap: past it, the run ends with a message instead of a crash */
  readonly heapMiB?: number;
  /** the search's own memory budget below the heap limit (--max-memory), for the message */
  readonly memoryMiB?: number;
  /** return the rows with their counterexamples (check renders them) */
  readonly keepCounterexamples?: boolean;
  /** a module the worker draws progress with and polls `stop` through (cli/progress.ts) */
  readonly progress?: {
    readonly module: string;
    readonly tty: boolean;
    readonly argv: readonly string[];
  };
  /** shared: the caller sets [0] to stop the searches at their next poll */
  readonly stop?: Int32Array;
}

/** The progress module a worker loads by URL, whether a terminal shows it, the command line. */
export interface ProgressSpec {
  readonly module: string;
  readonly tty: boolean;
  readonly argv: readonly string[];
}

/** A search stopped by the caller's stop flag; the message says how far it got. */
export class Stopped extends Error {}

/** The default step limit: `--step-timeout` (README "Design files are code"). */
export const DEFAULT_STEP_LIMIT_MS = 10_000;

/** A worker that ended without an answer: out of memory, or its thread was ended. */
export class WorkerGone extends Error {}

// Shared with each worker: its beat (engine/step-beat.ts), the steps started so far and
// the label of the step running on each of its search threads (an index into the table
// the worker posts when it starts a pair).

/**
 * The design error of a step stopped by the watchdog after `limitMs` (`during`: what
 * ran it, when not a search: "during the replay").
 */
export function stepTimedOut(
  program: string,
  label: string,
  limitMs: number,
  during?: string,
): DesignError {
  return new DesignError(
    program,
    label,
    `the step (or a property's check after it) ran for more than ${limitMs / 1000} s without returning${during ? ` ${during}` : ""}, and was stopped (an endless loop?). Raise the limit with --step-timeout if the step is only slow`,
  );
}

export async function rowsInParallel(
  jobs: readonly PairJob[],
  threads = Math.min(availableParallelism(), jobs.length),
  /** after each pair: how many are done, and the pair's index and rows */
  onPairDone?: (done: number, total: number, i: number, rows: readonly MatrixRow[]) => void,
  limits: WorkerLimits = {},
): Promise<MatrixRow[][]> {
  return inParallel<MatrixRow[]>(
    jobs.map((j) => ({ ...j, kind: "rows" })),
    threads,
    onPairDone,
    limits,
  );
}

/** The coverage of each (design, scenario) pair (`lockdrop coverage`), on worker threads. */
export async function coverageInParallel(
  jobs: readonly Omit<PairJob, "kind" | "properties">[],
  threads = Math.min(availableParallelism(), jobs.length),
  /** after each pair: how many are done, and the pair's index and coverage */
  onPairDone?: (done: number, total: number, i: number, c: ScenarioCoverage) => void,
  limits: WorkerLimits = {},
): Promise<ScenarioCoverage[]> {
  return inParallel<ScenarioCoverage>(
    jobs.map((j) => ({ ...j, properties: [], kind: "coverage" })),
    threads,
    onPairDone,
    limits,
  );
}

async function inParallel<R>(
  jobs: readonly PairJob[],
  threads: number,
  onPairDone: ((done: number, total: number, i: number, result: R) => void) | undefined,
  limits: WorkerLimits,
): Promise<R[]> {
  const results: R[] = new Array(jobs.length);
  let next = 0;
  let finished = 0;
  const stepLimit = limits.stepLimitMs ?? DEFAULT_STEP_LIMIT_MS;
  const run = () =>
    new Promise<void>((resolve, reject) => {
      const beat = newBeat();
      // a young generation as large as the CLI's (cli/bin.mjs: 64 MiB semi-spaces)
      const w = new Worker(WORKER, {
        resourceLimits: {
          maxYoungGenerationSizeMb: 192,
          ...(limits.heapMiB !== undefined ? { maxOldGenerationSizeMb: limits.heapMiB } : {}),
        },
        workerData: {
          beat,
          keepCounterexamples: limits.keepCounterexamples === true,
          ...(limits.progress ? { progress: limits.progress } : {}),
          ...(limits.stop ? { stop: limits.stop } : {}),
        },
      });
      let current = -1;
      let labels: readonly (readonly [string, string])[] = [];
      let done = false;
      let lastSteps = -1;
      // the step count when the current pair was handed over: until a step of that pair
      // has started, the worker is loading modules or setting up (engine code, slow only
      // on a loaded machine), which the watchdog does not time
      let startSteps = 0;
      let stalledSince = performance.now();
      const finish = (e?: Error) => {
        if (done) return;
        done = true;
        clearInterval(watch);
        void w.terminate();
        if (e) reject(e);
        else resolve();
      };
      // the watchdog: the step count must move at least once per step limit
      const watch = setInterval(
        () => {
          const steps = beatSteps(beat);
          const now = performance.now();
          if (steps !== lastSteps || steps === startSteps) {
            lastSteps = steps;
            stalledSince = now;
            return;
          }
          // every search thread waiting at a layer's barrier (label -1): the engine
          // between layers (merging, growing its tables, collecting garbage), not a step
          const at = beatLabel(beat);
          if (at < 0) stalledSince = now;
          if (current < 0 || now - stalledSince < stepLimit) return;
          const job = jobs[current];
          const [program, label] = labels[at] ?? [job?.design ?? "?", "?"];
          finish(stepTimedOut(program, label, stepLimit));
        },
        Math.min(250, Math.max(10, stepLimit / 4)),
      );
      watch.unref();
      const feed = () => {
        if (next >= jobs.length) {
          finish();
          return;
        }
        const i = next++;
        current = i;
        lastSteps = -1;
        startSteps = beatSteps(beat);
        stalledSince = performance.now();
        w.postMessage({ i, job: jobs[i] });
      };
      w.on(
        "message",
        (m: {
          i: number;
          labels?: readonly (readonly [string, string])[];
          result?: R;
          error?: string;
          stack?: string;
          step?: string;
          program?: string;
          property?: string;
          interrupted?: boolean;
        }) => {
          if (m.labels !== undefined) {
            labels = m.labels;
            return;
          }
          if (m.error !== undefined && m.interrupted) {
            finish(new Stopped(m.error));
            return;
          }
          if (m.error !== undefined) {
            // a step that threw stays a design error at that step on this side too, with
            // the worker's stack of what it threw as its cause (--debug prints it)
            const job = jobs[m.i];
            const cause = m.stack !== undefined ? remoteError(m.error, m.stack) : undefined;
            finish(
              m.property !== undefined && m.step !== undefined
                ? new PropertyCheckError(m.property, m.program ?? "?", m.step, m.error, cause)
                : m.step !== undefined && job
                  ? new DesignError(m.program ?? job.design, m.step, m.error, cause)
                  : Object.assign(new Error(m.error), m.stack ? { stack: m.stack } : {}),
            );
            return;
          }
          results[m.i] = m.result as R;
          finished++;
          onPairDone?.(finished, jobs.length, m.i, results[m.i] as R);
          feed();
        },
      );
      w.on("error", (e: Error & { code?: string }) =>
        finish(
          e.code === "ERR_WORKER_OUT_OF_MEMORY"
            ? new WorkerGone(
                `the search of ${jobs[current]?.design ?? "a design"} on ${jobs[current]?.scenario ?? "a scenario"} used more than ${limits.memoryMiB !== undefined ? `its ${limits.memoryMiB} MiB (--max-memory) and the heap limit of ${limits.heapMiB} MiB above it` : `${limits.heapMiB ?? "the"} MiB of heap`} and was stopped (a step that keeps allocating, or a state space too large: bound it with --max-states or --max-memory)`,
              )
            : e,
        ),
      );
      w.on("exit", (code) => {
        if (!done)
          finish(
            new WorkerGone(
              `the worker searching ${jobs[current]?.design ?? "a design"} ended (exit code ${code}) before it answered; a design file or its step may have ended its thread`,
            ),
          );
      });
      feed();
    });
  await Promise.all(Array.from({ length: Math.max(1, threads) }, run));
  return results;
}

/** An error thrown on a worker thread, as this thread sees it: its message and its stack there. */
function remoteError(message: string, stack: string): Error {
  const e = new Error(message);
  e.stack = stack;
  return e;
}
