// Lassos (engine/lasso.ts): the shortest one in a state graph, fairness, and the
// same loop seen by a random run's watch and by the replay check.
import { describe, expect, it } from "vitest";
import { checkLasso } from "../engine/lasso.js";
import { LassoGraph, shortestLasso } from "../engine/lasso-graph.js";
import { runSchedule, setupFor } from "../engine/run.js";
import { designById } from "../model/designs/index.js";
import { scenarioById } from "../model/scenarios.js";
import type { World } from "../model/world.js";
import { propertyById } from "../properties/index.js";

type E = readonly [from: number, to: number, tid: number];
const e = (from: number, to: number, tid: number): E => [from, to, tid];
/** The compact graph of these edges, with these idle bits per state. */
function graph(edges: readonly E[], idle: (n: number) => number = () => 0): LassoGraph {
  const g = new LassoGraph();
  for (const [from, to, tid] of edges) g.add(from, to, tid, 0);
  for (let n = 0; n < 10; n++) g.setIdle(n, idle(n));
  return g;
}
const depths = new Map([
  [0, 0],
  [1, 1],
  [2, 2],
  [3, 3],
  [4, 1],
  [5, 1],
  [6, 2],
  [7, 4],
]);
const depthOf = (n: number) => depths.get(n) ?? 99;
// bit 0: the driver (tid 0) stepped; bit 1: the weakly fair thread (tid 1) stepped or idled
const stepMask = (tid: number) => (tid === 0 ? 1 : 0) | (tid === 1 ? 2 : 0);

describe("shortestLasso", () => {
  it("takes the smallest depth plus fair cycle, not the first cycle found", () => {
    const edges = [
      e(1, 2, 0),
      e(2, 3, 0),
      e(3, 1, 0), // a cycle of 3 through 1 (depth 1): total 4
      e(4, 4, 2), // a cycle of 1 without the driver: not a violation
      e(5, 6, 0),
      e(6, 5, 2), // a cycle of 2 through 5 (depth 1): total 3
    ];
    const best = shortestLasso(graph(edges), depthOf, 1, stepMask);
    expect(best?.state).toBe(5);
    expect(best?.loop.map((x) => x.to)).toEqual([6, 5]);
  });

  it("respects weak fairness: the thread steps in the loop or is disabled on it", () => {
    const unfair = [e(1, 2, 0), e(2, 1, 0)];
    expect(shortestLasso(graph(unfair), depthOf, 3, stepMask)).toBeNull();
    // the same loop where thread 1 cannot run in state 2
    const idle = (n: number) => (n === 2 ? 2 : 0);
    expect(shortestLasso(graph(unfair, idle), depthOf, 3, stepMask)?.loop).toHaveLength(2);
    // or a longer loop in which it runs
    const runs = [...unfair, e(2, 7, 1), e(7, 1, 0)];
    expect(shortestLasso(graph(runs), depthOf, 3, stepMask)?.loop).toHaveLength(3);
  });
});

describe("LassoWatch and checkLasso", () => {
  it("agree on the loop of v2's caller after a fatal signal", () => {
    const prop = propertyById("fatal-signal-ends-loop");
    const design = designById("v2");
    // no monitor: with one, the fair completion lets it resolve the killed fault, which
    // handle_userfault() queues before schedule() returns
    const scenario = scenarioById("anon-uffd-silent");
    if (!prop?.lasso || !design || !scenario) throw new Error("fixture missing");
    const setup = setupFor(design, scenario);
    const signal = setup.world0.threads.findIndex((t) => t.program === "signal");
    // the signal first, then the driver alone (the fair completion)
    const run = runSchedule(setup, [{ t: signal, p: 0 }], [prop], {
      stopOn: prop.id,
      keepWorlds: true,
    });
    const v = run.violations.find((x) => x.property === prop.id);
    expect(v?.loopStart).toBeGreaterThan(0);
    const worlds = (run.worlds ?? []) as World[];
    const tids = run.trace.map((r) => r.tid);
    const loopStart = v?.loopStart ?? -1;
    expect(checkLasso(prop.lasso, worlds, tids, loopStart, setup.programs)).toBe(v?.message);
    // one step off is not a loop
    expect(checkLasso(prop.lasso, worlds, tids.slice(0, -1), loopStart, setup.programs)).toBeNull();
    // nor is a loop through a step the property counts as progress
    const driverMoves = { ...prop.lasso, progress: (_b: World, a: World) => a.clock % 2 === 0 };
    expect(checkLasso(driverMoves, worlds, tids, loopStart, setup.programs)).toBeNull();
    const watched = runSchedule(
      setup,
      [{ t: signal, p: 0 }],
      [{ ...prop, lasso: { ...prop.lasso, progress: () => true } }],
      { stopOn: prop.id },
    );
    expect(watched.violations.filter((x) => x.loopStart !== undefined)).toEqual([]);
  });
});
