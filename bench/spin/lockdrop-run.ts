// Child process of bench/spin.ts: runs lockdrop's exhaustive engine on one case, in a
// fresh process so that its peak RSS belongs to this run alone, and prints one JSON
// line. Usage: node --import tsx bench/spin/lockdrop-run.ts <kind> <pages> <sleepSets 0|1> <repeat>
import { exploreExhaustive } from "../../properties/exhaustive.js";
import { setupFor } from "../../properties/run.js";
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
}

const [kind, pagesArg, sleepArg, repeatArg] = process.argv.slice(2);
const c = caseFor(kind as CaseKind, Number(pagesArg));
const sleepSets = sleepArg === "1";
const repeat = Math.max(1, Number(repeatArg ?? 1));
const setup = setupFor(c.design, c.scenario);
const rssStartKiB = Math.round(process.memoryUsage().rss / 1024);
const ms: number[] = [];
// one untimed run first: V8 compiles the hot paths while it runs
const w0 = performance.now();
exploreExhaustive(setup, c.props, { depth: 100_000, sleepSets });
const warmupMs = performance.now() - w0;
let last: ReturnType<typeof exploreExhaustive> | null = null;
for (let i = 0; i < repeat; i++) {
  const t0 = performance.now();
  last = exploreExhaustive(setup, c.props, { depth: 100_000, sleepSets });
  ms.push(performance.now() - t0);
}
if (!last) throw new Error("no run");
const violated: Record<string, number> = {};
for (const [id, cex] of last.counterexamples) violated[id] = cex.schedule.length;
const out: LockdropFigures = {
  states: last.states,
  transitions: last.transitions,
  complete: last.complete,
  ms,
  warmupMs,
  rssStartKiB,
  maxRssKiB: process.resourceUsage().maxRSS,
  violated,
};
console.log(JSON.stringify(out));
