// Child process of bench/full-scale.ts: one complete exhaustive search of a built-in
// design on a scenario, with every applicable property (liveness included), no depth
// bound, in a fresh process so that its peak RSS is this search's alone. Prints one
// JSON line. Usage: node --import tsx bench/full-scale-run.ts <design> <scenario> [workers]
// (workers > 1: the search on that many threads, engine/exhaustive-parallel.ts)
import type { ExhaustiveOptions } from "../engine/exhaustive.js";
import { exploreExhaustive } from "../engine/exhaustive.js";
import { exploreParallel } from "../engine/exhaustive-parallel.js";
import { setupFor } from "../engine/run.js";
import { designById } from "../model/designs/index.js";
import { scenarioById } from "../model/scenarios.js";
import { PROPERTIES } from "../properties/index.js";

const [designId, scenarioId, workersArg] = process.argv.slice(2);
const workers = Number(workersArg ?? 1);
const design = designById(designId ?? "v2");
const scenario = scenarioById(scenarioId ?? "anon-uffd");
if (!design || !scenario) throw new Error(`bench: no design ${designId} or scenario ${scenarioId}`);
const props = PROPERTIES.filter((p) => p.applies(scenario, design));
const opts: ExhaustiveOptions = { depth: Number.POSITIVE_INFINITY };
const setup = setupFor(design, scenario);
const t0 = performance.now();
const r =
  workers > 1
    ? exploreParallel(setup, props, opts, {
        workers,
        source: { design: design.id, scenario: scenario.id },
      })
    : exploreExhaustive(setup, props, opts);
const ms = performance.now() - t0;
const violated: Record<string, number> = {};
for (const [id, c] of r.counterexamples) violated[id] = c.schedule.length;
console.log(
  JSON.stringify({
    design: design.id,
    scenario: scenario.id,
    workers,
    states: r.states,
    transitions: r.transitions,
    complete: r.complete,
    depth: r.depth,
    ms,
    memory: r.memory,
    maxRssKiB: Math.round(process.resourceUsage().maxRSS),
    violated,
  }),
);
