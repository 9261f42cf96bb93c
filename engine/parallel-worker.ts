// Worker side of engine/parallel.ts: computes the rows of one pair at a time. A design
// that is not built in is loaded again here from its file, through the loader module
// the caller named (the engine itself knows nothing of design files).
import { parentPort } from "node:worker_threads";
import { designById } from "../model/designs/index.js";
import { scenarioById } from "../model/scenarios.js";
import type { Design } from "../model/step.js";
import { DesignError } from "../model/step.js";
import { propertyById } from "../properties/index.js";
import type { Property } from "../properties/property.js";
import type { PairJob } from "./parallel.js";
import type { ExplorationFlags } from "./rows.js";
import { rowsFor } from "./rows.js";

/** What a loader module exports: the design a file declares. */
interface Loader {
  loadDesignFile(file: string): Promise<{ readonly design: Design }>;
}

const loaders = new Map<string, Promise<Loader>>();

async function designOf(job: PairJob): Promise<Design | undefined> {
  const builtIn = designById(job.design);
  if (builtIn || !job.file || !job.loader) return builtIn;
  let loader = loaders.get(job.loader);
  if (!loader) {
    loader = import(job.loader) as Promise<Loader>;
    loaders.set(job.loader, loader);
  }
  return (await (await loader).loadDesignFile(job.file)).design;
}

parentPort?.on("message", async ({ i, job }: { i: number; job: PairJob }) => {
  try {
    const d = await designOf(job);
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
