// A thread of a parallel exhaustive search (engine/exhaustive-parallel.ts): loads the
// pair again as soon as it starts (possibly while the search still runs on one thread),
// waits for the search's data, searches its stretch of each layer in step with the
// others, and posts what it found to the first thread.
import { once } from "node:events";
import { type MessagePort, workerData } from "node:worker_threads";
import { programsFor, scenarioById } from "../model/scenarios.js";
import { propertyById } from "../properties/index.js";
import type { Property } from "../properties/property.js";
import type { CrewData, ShareData, ShareResult } from "./exhaustive-parallel.js";
import { searchShare, shareOf } from "./exhaustive-parallel.js";
import { shareInterning } from "./fingerprint.js";
import { designOf } from "./pair-source.js";
import { setupFor } from "./run.js";
import { beatEachStep } from "./step-beat.js";

const crew = workerData as CrewData;
const post = (port: MessagePort, r: ShareResult) =>
  port.postMessage(r, [
    ...r.edges.flatMap((e) => e.chunks.map((c) => c.buffer)),
    ...r.idle.flatMap((e) => e.chunks.map((c) => c.buffer)),
  ]);
const design = await designOf(crew.source);
const scenario = scenarioById(crew.source.scenario);
if (!design || !scenario)
  throw new Error(`unknown pair ${crew.source.design}/${crew.source.scenario}`);
const props = crew.properties.map((id) => propertyById(id) as Property);
if (crew.beat) beatEachStep(new Int32Array(crew.beat), programsFor(scenario, design), crew.k);
const setup = setupFor(design, scenario);
const [data] = (await once(crew.start, "message")) as [ShareData];
crew.start.close();
// strings are interned in the shared table from here (what the setup interned is forgotten)
shareInterning(data.strings);
const r = searchShare(shareOf(data, setup, props));
post(data.control, r);
