// Child process of bench/spin.ts: runs lockdrop's exhaustive engine on one case, in a
// fresh process so that its peak RSS belongs to this run alone, and prints one JSON
// line. Usage: node --import tsx bench/spin/lockdrop-run.ts <kind> <pages> <plain|sleep|persistent> <repeat> [floor]
// (the reduction: none, --sleep-sets or --persistent-sets)
// With `floor`, it also times the step function alone over every transition of the
// space (engine/exec.ts step, which random and exhaustive search share): no visited
// set, no monitors, no keys, nothing kept. That is the least any search of this model
// in this process can cost, whatever the engine does around it.
import { enabledThreads, step } from "../../engine/exec.js";
import type { SearchMemory } from "../../engine/exhaustive.js";
import { exploreExhaustive } from "../../engine/exhaustive.js";
import { compactKey } from "../../engine/fingerprint.js";
import { setupFor } from "../../engine/run.js";
import type { Tid, World } from "../../model/world.js";
import type { CaseKind } from "./cases.js";
import { caseFor } from "./cases.js";

export interface LockdropFigures {
  readonly states: number;
  readonly transitions: number;
  readonly complete: boolean;
  /** wall time of exploreExhaustive, one entry per repetition */
  readonly ms: readonly number[];
  /** the untimed first run, which warms up the JIT (as spin -a + gcc is not timed for pan) */
  readonly warmupMs: number;
  /** resident set size before the first search and the peak of the process, KiB */
  readonly rssStartKiB: number;
  readonly maxRssKiB: number;
  /** violated property -> length of its shortest counterexample (scheduled steps) */
  readonly violated: Readonly<Record<string, number>>;
  /** with `floor`: the step function alone, microseconds per transition (median of 3) */
  readonly floorUsPerTransition?: number;
  /** the bytes of the search's stores at its end (engine/exhaustive.ts SearchMemory) */
  readonly memory: SearchMemory;
}

const [kind, pagesArg, reductionArg, repeatArg, floorArg] = process.argv.slice(2);
const c = caseFor(kind as CaseKind, Number(pagesArg));
// (no depth bound: persistent sets are off with one; these searches end well before)
const options = {
  depth: Number.POSITIVE_INFINITY,
  sleepSets: reductionArg === "sleep",
  persistentSets: reductionArg === "persistent",
};
const repeat = Math.max(1, Number(repeatArg ?? 1));
const setup = setupFor(c.design, c.scenario);
const rssStartKiB = Math.round(process.memoryUsage().rss / 1024);
const ms: number[] = [];
// one untimed run first: V8 compiles the hot paths while it runs
const w0 = performance.now();
exploreExhaustive(setup, c.props, options);
const warmupMs = performance.now() - w0;
let last: ReturnType<typeof exploreExhaustive> | null = null;
for (let i = 0; i < repeat; i++) {
  const t0 = performance.now();
  last = exploreExhaustive(setup, c.props, options);
  ms.push(performance.now() - t0);
}
if (!last) throw new Error("no run");
const violated: Record<string, number> = {};
for (const [id, cex] of last.counterexamples) violated[id] = cex.schedule.length;
/** Every transition of the space, as (world, thread, pick), found breadth-first. */
function transitionsOf(): [World, Tid, number][] {
  const seen = new Set<string>([compactKey(setup.world0)]);
  const out: [World, Tid, number][] = [];
  let frontier: World[] = [setup.world0];
  while (frontier.length > 0) {
    const next: World[] = [];
    for (const w of frontier)
      for (const tid of enabledThreads(w, setup.programs)) {
        let choices = 1;
        for (let pick = 0; pick < choices; pick++) {
          const [n, rec] = step(w, tid, pick, setup.programs);
          choices = Math.max(1, rec.choices);
          out.push([w, tid, pick]);
          const key = compactKey(n);
          if (!seen.has(key)) {
            seen.add(key);
            next.push(n);
          }
        }
      }
    frontier = next;
  }
  return out;
}

function floorUs(): number {
  const all = transitionsOf();
  const times: number[] = [];
  for (let r = 0; r < 4; r++) {
    const t0 = performance.now();
    for (const [w, tid, pick] of all) step(w, tid, pick, setup.programs);
    // the first pass warms up; the median of the other three
    if (r > 0) times.push(((performance.now() - t0) * 1000) / all.length);
  }
  times.sort((a, b) => a - b);
  return times[1] as number;
}

const out: LockdropFigures = {
  states: last.states,
  transitions: last.transitions,
  complete: last.complete,
  ms,
  warmupMs,
  rssStartKiB,
  maxRssKiB: process.resourceUsage().maxRSS,
  violated,
  memory: last.memory,
  ...(floorArg === "floor" ? { floorUsPerTransition: floorUs() } : {}),
};
console.log(JSON.stringify(out));
