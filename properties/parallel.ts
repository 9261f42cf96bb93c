// Rows of many (design, scenario) pairs computed on all cores: each pair is seeded on
// its own, so the result does not depend on which worker computed it or when. Only
// built-in designs (by id) cross to the workers.
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { MatrixRow } from "../reports/matrix.js";

export interface PairJob {
  readonly design: string;
  readonly scenario: string;
  readonly properties: readonly string[];
  /** the flags of cli/exploration.ts (random or exhaustive) */
  readonly flags: Readonly<Record<string, unknown>>;
}

const WORKER = new URL("./parallel-worker.mjs", import.meta.url);

export async function rowsInParallel(
  jobs: readonly PairJob[],
  threads = Math.min(availableParallelism(), jobs.length),
): Promise<MatrixRow[][]> {
  const results: MatrixRow[][] = new Array(jobs.length);
  let next = 0;
  const run = () =>
    new Promise<void>((resolve, reject) => {
      const w = new Worker(WORKER);
      const feed = () => {
        if (next >= jobs.length) {
          void w.terminate().then(() => resolve());
          return;
        }
        const i = next++;
        w.postMessage({ i, job: jobs[i] });
      };
      w.on("message", (m: { i: number; rows?: MatrixRow[]; error?: string }) => {
        if (m.error !== undefined) {
          reject(new Error(m.error));
          void w.terminate();
          return;
        }
        results[m.i] = m.rows ?? [];
        feed();
      });
      w.on("error", reject);
      feed();
    });
  await Promise.all(Array.from({ length: Math.max(1, threads) }, run));
  return results;
}
