// A thread of a parallel exhaustive search (engine/exhaustive-parallel.ts): loads the
// pair again, searches its stretch of each layer in step with the others, and posts
// what it found to the first thread.
import { type MessagePort, workerData } from "node:worker_threads";
import { programsFor, scenarioById } from "../model/scenarios.js";
import { propertyById } from "../properties/index.js";
import type { Property } from "../properties/property.js";
import type { ShareData, ShareResult } from "./exhaustive-parallel.js";
import { searchShare } from "./exhaustive-parallel.js";
import { shareInterning } from "./fingerprint.js";
import { designOf } from "./pair-source.js";
import { setupFor } from "./run.js";
import { beatSteps } from "./step-beat.js";

const data = workerData as ShareData;
shareInterning(data.strings);
const post = (port: MessagePort, r: ShareResult) =>
  port.postMessage(r, [
    ...r.edges.flatMap((e) => e.chunks.map((c) => c.buffer)),
    ...r.idle.flatMap((e) => e.chunks.map((c) => c.buffer)),
  ]);
const design = await designOf(data.source);
const scenario = scenarioById(data.source.scenario);
if (!design || !scenario)
  throw new Error(`unknown pair ${data.source.design}/${data.source.scenario}`);
const props = data.properties.map((id) => propertyById(id) as Property);
if (data.beat) beatSteps(new Int32Array(data.beat), programsFor(scenario, design));
const r = searchShare({
  k: data.k,
  n: data.n,
  setup: setupFor(design, scenario),
  props,
  opts: data.opts,
  ctl: new Int32Array(data.ctl),
  table: data.table,
  peers: data.peers,
  control: data.peers.map((_, i) => (i === 0 ? data.control : null)),
  // only the first thread grows the table
  slack: 0,
});
post(data.control, r);
