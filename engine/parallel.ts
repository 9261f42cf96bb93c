// Rows of many (design, scenario) pairs computed on all cores: each pair is seeded on
// its own, so the result does not depend on which worker computed it or when. Only
// built-in designs (by id) and design files (by path) cross to the workers.
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { DesignError } from "../model/step.js";
import type { MatrixRow } from "./verdicts.js";

export interface PairJob {
  readonly design: string;
  /** the design file the design was loaded from, when it is not a built-in one */
  readonly file?: string;
  /** the module that loads `file` again in the worker (exports `loadDesignFile`) */
  readonly loader?: string;
  readonly scenario: string;
  readonly properties: readonly string[];
  /** the flags of cli/exploration.ts (random or exhaustive) */
  readonly flags: Readonly<Record<string, unknown>>;
}

const WORKER = new URL("./parallel-worker.mjs", import.meta.url);

export async function rowsInParallel(
  jobs: readonly PairJob[],
  threads = Math.min(availableParallelism(), jobs.length),
  onPairDone?: (done: number, total: number) => void,
): Promise<MatrixRow[][]> {
  const results: MatrixRow[][] = new Array(jobs.length);
  let next = 0;
  let finished = 0;
  const run = () =>
    new Promise<void>((resolve, reject) => {
      // a young generation as large as the CLI's (cli/bin.mjs: 64 MiB semi-spaces)
      const w = new Worker(WORKER, { resourceLimits: { maxYoungGenerationSizeMb: 192 } });
      const feed = () => {
        if (next >= jobs.length) {
          void w.terminate().then(() => resolve());
          return;
        }
        const i = next++;
        w.postMessage({ i, job: jobs[i] });
      };
      w.on("message", (m: { i: number; rows?: MatrixRow[]; error?: string; step?: string }) => {
        if (m.error !== undefined) {
          // a step that threw stays a design error at that step on this side too
          const job = jobs[m.i];
          reject(
            m.step !== undefined && job
              ? new DesignError(job.design, m.step, m.error)
              : new Error(m.error),
          );
          void w.terminate();
          return;
        }
        results[m.i] = m.rows ?? [];
        finished++;
        onPairDone?.(finished, jobs.length);
        feed();
      });
      w.on("error", reject);
      feed();
    });
  await Promise.all(Array.from({ length: Math.max(1, threads) }, run));
  return results;
}
