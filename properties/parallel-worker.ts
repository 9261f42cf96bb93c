// Worker side of properties/parallel.ts: computes the rows of one pair at a time.
import { parentPort } from "node:worker_threads";
import { loadDesignFile } from "../api/design-file.js";
import type { ExplorationFlags } from "../cli/exploration.js";
import { rowsFor } from "../cli/exploration.js";
import { designById } from "../model/designs/index.js";
import { DesignError } from "../model/exec.js";
import { scenarioById } from "../model/scenarios.js";
import { propertyById } from "./index.js";
import type { PairJob } from "./parallel.js";
import type { Property } from "./property.js";

parentPort?.on("message", async ({ i, job }: { i: number; job: PairJob }) => {
  try {
    const d =
      designById(job.design) ?? (job.file ? (await loadDesignFile(job.file)).design : undefined);
    const s = scenarioById(job.scenario);
    if (!d || !s) throw new Error(`unknown pair ${job.design}/${job.scenario}`);
    const props = job.properties.map((id) => propertyById(id) as Property);
    const rows = rowsFor(job.flags as unknown as ExplorationFlags)(d, s, props).map(
      ({ counterexample: _c, ...row }) => row,
    );
    parentPort?.postMessage({ i, rows });
  } catch (e) {
    if (e instanceof DesignError) {
      const detail = e.message.replace(`${e.program}, step "${e.label}": `, "");
      parentPort?.postMessage({ i, error: detail, step: e.label });
      return;
    }
    parentPort?.postMessage({ i, error: (e as Error).message });
  }
});
