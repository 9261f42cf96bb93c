// Child process of bench/full-scale.ts: one complete exhaustive search of a built-in
// design on a scenario, with every applicable property (liveness included), no depth
// bound, in a fresh process so that its peak RSS is this search's alone. Prints one
// JSON line. Usage: node --import tsx bench/full-scale-run.ts <design> <scenario> [workers]
// (workers > 1: the search on that many threads, engine/exhaustive-parallel.ts; "1+1":
// two one-thread searches side by side, this thread's and a worker thread's, to measure
// what a second thread of this process gets on the machine)
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import type { ExhaustiveOptions } from "../engine/exhaustive.js";
import { exploreExhaustive } from "../engine/exhaustive.js";
import { exploreParallel } from "../engine/exhaustive-parallel.js";
import { setupFor } from "../engine/run.js";
import { designById } from "../model/designs/index.js";
import { scenarioById } from "../model/scenarios.js";
import { PROPERTIES } from "../properties/index.js";
import { cpuSnapshot, type ThreadCpu, threadCpuSince } from "./thread-cpu.js";

const [designId, scenarioId, workersArg] = isMainThread
  ? process.argv.slice(2)
  : (workerData as string[]);
const sideBySide = workersArg === "1+1";
const workers = sideBySide ? 1 : Number(workersArg ?? 1);
// the other search of "1+1", in a worker thread with the young generation the parallel
// search gives its threads (engine/exhaustive-parallel.ts); it loads the modules again
// (~1 s), and the two searches start together once it says it is ready
const other = sideBySide ? sideBySideThread() : null;

function sideBySideThread(): { ready: Promise<void>; ms: Promise<number> } {
  const w = new Worker(new URL("./side-by-side.mjs", import.meta.url), {
    workerData: [designId, scenarioId, "1"],
    resourceLimits: { maxYoungGenerationSizeMb: 192 },
  });
  // settled by the message it waits for, or failed if the thread fails or exits first
  const when = <T>(pick: (m: { ready?: boolean; ms?: number }) => T | undefined) =>
    new Promise<T>((resolve, reject) => {
      w.on("message", (m: { ready?: boolean; ms?: number }) => {
        const v = pick(m);
        if (v !== undefined) resolve(v);
      });
      w.once("error", reject);
      w.once("exit", (code) =>
        reject(new Error(`the side-by-side search's thread exited (${code})`)),
      );
    });
  return {
    ready: when((m) => (m.ready ? true : undefined)).then(() => undefined),
    ms: when((m) => m.ms),
  };
}
const design = designById(designId ?? "v2");
const scenario = scenarioById(scenarioId ?? "anon-uffd");
if (!design || !scenario) throw new Error(`bench: no design ${designId} or scenario ${scenarioId}`);
const props = PROPERTIES.filter((p) => p.applies(scenario, design));
const opts: ExhaustiveOptions = { depth: Number.POSITIVE_INFINITY };
const setup = setupFor(design, scenario);
if (!isMainThread) parentPort?.postMessage({ ready: true });
if (other) await other.ready;
const cpu0 = isMainThread && !other ? cpuSnapshot() : undefined;
const t0 = performance.now();
const r =
  workers > 1
    ? exploreParallel(setup, props, opts, {
        workers,
        source: { design: design.id, scenario: scenario.id },
      })
    : exploreExhaustive(setup, props, opts);
const ms = performance.now() - t0;
if (!isMainThread) parentPort?.postMessage({ ms });
const violated: Record<string, number> = {};
for (const [id, c] of r.counterexamples) violated[id] = c.schedule.length;
const pair = other ? [ms, await other.ms] : undefined;
// the CPU the search's threads and the others used (bench/thread-cpu.ts), once its
// worker threads, which it ends as it returns, are gone
let cpu: ThreadCpu | undefined;
if (isMainThread && !other) {
  await new Promise((done) => setTimeout(done, 500));
  cpu = threadCpuSince(cpu0);
}
if (isMainThread)
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
      ...(pair ? { pair } : {}),
      ...(r.threads ? { threads: r.threads } : {}),
      ...(cpu ? { cpu } : {}),
    }),
  );
