// npm run bench:full-scale (also part of npm run bench): the full-scale proofs. Each
// row is one complete exhaustive search of a built-in design on a scenario, with every
// applicable property (liveness included) and no depth bound, in a fresh process
// (bench/full-scale-run.ts) so that its peak RSS is its own, on one worker and then on
// two (engine/exhaustive-parallel.ts). It prints states, transitions, depth, wall time,
// peak memory and bytes per stored state, and the speed-up from one worker to two in the
// same run with the CPU each search's threads used (bench/thread-cpu.ts), and asserts
// nothing. The last row (`two-vmas`), and `check` on it, run as several pairs taken
// alternately (LOCKDROP_BENCH_PAIRS, default 3), whose median ratio is its speed-up.
import { spawnSync } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { SearchMemory } from "../engine/exhaustive.js";
import { median } from "./median.js";
import type { ThreadCpu } from "./thread-cpu.js";

interface Figures {
  readonly design: string;
  readonly scenario: string;
  readonly workers: number;
  readonly states: number;
  readonly transitions: number;
  readonly complete: boolean;
  readonly depth: number;
  readonly ms: number;
  readonly memory: SearchMemory;
  readonly maxRssKiB: number;
  readonly violated: Readonly<Record<string, number>>;
  /** "1+1": the two side-by-side searches' times, this thread's and the worker's */
  readonly pair?: readonly [number, number];
  /** on several workers: each thread's time, and its wait at the layers' barriers */
  readonly threads?: readonly { readonly ms: number; readonly waitMs: number }[];
  /** seconds of CPU: the main thread, the others alive at the end, those ended (Linux) */
  readonly cpu?: ThreadCpu;
}

/**
 * The CPU of a search: its searching threads' (the main thread, and on several workers
 * the worker threads, ended with the search) and the rest's (V8's compiler and
 * garbage collector threads, Node's own).
 */
function cpuOf(f: Figures): string {
  const c = f.cpu;
  if (!c) return "";
  const searching = c.main + (f.workers > 1 ? c.ended : 0);
  const rest = c.live + (f.workers > 1 ? 0 : c.ended);
  return `searching threads ${searching.toFixed(1)} s, others ${rest.toFixed(1)} s`;
}

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const ROWS: readonly (readonly [string, string])[] = [
  ["v2", "hugetlb-uffd"],
  ["v2", "anon-uffd"],
  ["v2", "two-vmas"],
];

function search(design: string, scenario: string, workers: number | "1+1"): Figures {
  const r = spawnSync(
    process.execPath,
    [
      "--max-semi-space-size=64",
      "--import",
      "tsx",
      path.join(benchDir, "full-scale-run.ts"),
      design,
      scenario,
      String(workers),
    ],
    { cwd: path.dirname(benchDir), encoding: "utf8", maxBuffer: 1 << 24 },
  );
  if (r.status !== 0) throw new Error(`full-scale-run ${design} ${scenario}: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop() ?? "{}") as Figures;
}

const cpus = os.cpus();
console.log(
  `full-scale proofs: every property, no depth bound, on 1 worker and on 2 (machine: ${cpus.length} x ${cpus[0]?.model ?? "?"}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version})`,
);
const head = [
  "design",
  "scenario",
  "workers",
  "complete",
  "states",
  "transitions",
  "depth",
  "wall s",
  "peak RSS MiB",
  "B/state",
  "arena",
  "table",
  "parts",
  "tree",
  "lasso",
  "violated",
];
const rows: string[][] = [];
/**
 * The last row's pairs (one worker, then two), run alternately this many times
 * (LOCKDROP_BENCH_PAIRS, default 3): this VM's pace swings by a third from one hour to
 * the next and by several percent from one run to the next, so its speed-up is the
 * median of the pairs' ratios, each pair printed beside it. The other rows run once.
 */
const PAIRS = Math.max(1, Number(process.env.LOCKDROP_BENCH_PAIRS ?? 3) || 3);
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
/** the last row's one-worker times, and its pairs' ratios */
const alone: number[] = [];
const ratios: number[] = [];
/** the last row on two workers (its first run) */
let last: Figures | null = null;
const speedups: string[] = [];
for (const [d, s] of ROWS) {
  const isLast = d === ROWS[ROWS.length - 1]?.[0] && s === ROWS[ROWS.length - 1]?.[1];
  const pairs: [Figures, Figures][] = [];
  for (let i = 0; i < (isLast ? PAIRS : 1); i++) pairs.push([search(d, s, 1), search(d, s, 2)]);
  const [one, two] = pairs[0] as [Figures, Figures];
  if (isLast) {
    last = two;
    for (const [a, b] of pairs) {
      alone.push(a.ms);
      ratios.push(a.ms / b.ms);
    }
  }
  const same = pairs.every(
    ([a, b]) =>
      a.states === one.states &&
      b.states === one.states &&
      JSON.stringify(a.violated) === JSON.stringify(one.violated) &&
      JSON.stringify(b.violated) === JSON.stringify(one.violated),
  );
  const each =
    pairs.length > 1
      ? `the median of ${pairs.length} pairs run alternately (${pairs.map(([a, b]) => `${(a.ms / b.ms).toFixed(2)}x: ${secs(a.ms)} -> ${secs(b.ms)}`).join("; ")})`
      : `${secs(one.ms)} -> ${secs(two.ms)}`;
  const firstPair = pairs.length > 1 ? " (the first pair)" : "";
  speedups.push(
    `${d} on ${s}: ${median(pairs.map(([a, b]) => a.ms / b.ms)).toFixed(2)}x, ${each}; same states and counterexample lengths in every run: ${same ? "yes" : "NO"}${two.threads ? `; each thread's wait at the layers' barriers${firstPair}: ${two.threads.map((t) => `${(t.waitMs / 1000).toFixed(1)} of ${(t.ms / 1000).toFixed(1)} s`).join(", ")}` : ""}${two.cpu && one.cpu ? `; CPU${firstPair} on 1 worker: ${cpuOf(one)}; on 2: ${cpuOf(two)}` : ""}`,
  );
  for (const f of [one, two]) {
    const m = f.memory;
    const per = (b: number) => (b / f.states).toFixed(0);
    rows.push([
      f.design,
      f.scenario,
      String(f.workers),
      f.complete ? "yes" : "no",
      f.states.toLocaleString("en-US"),
      f.transitions.toLocaleString("en-US"),
      String(f.depth),
      (f.ms / 1000).toFixed(1),
      (f.maxRssKiB / 1024).toFixed(0),
      per(m.arena + m.table + m.parts + m.tree + m.lasso),
      per(m.arena),
      per(m.table),
      per(m.parts),
      per(m.tree),
      per(m.lasso),
      Object.entries(f.violated)
        .map(([p, n]) => `${p} (${n})`)
        .join(", ") || "none",
    ]);
  }
}
const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
const line = (r: readonly string[]) =>
  `  ${r.map((c, i) => (i < 2 ? c.padEnd(w[i] ?? 0) : c.padStart(w[i] ?? 0))).join("  ")}`;
console.log(line(head));
for (const r of rows) console.log(line(r));
if (PAIRS > 1)
  console.log(`  (the last row's first pair; its ${PAIRS} pairs are below, with the speed-up)`);
console.log(
  "  (B/state: the stores' bytes at the end of the search over its states, allocated sizes (the arrays grow by doubling, the liveness graphs by fixed chunks); arena and table: the visited set (on 2 workers: the shared table of 128-bit state hashes with each state's tree number, parent and step, and no arena); parts: the part tables and two layers of part ids (each thread's own on 2 workers); tree: parent, step and depth per state (on 2 workers: built from the table at the end); lasso: the liveness graphs. Peak RSS includes the frontier's worlds and Node's own ~50 MiB per thread.)",
);
console.log(
  "speed-up from 1 worker to 2, same run (CPU: user and system seconds of the searching threads, and of the others: V8's optimising compiler and garbage collector, which each searching thread runs for itself, and Node's own):",
);
for (const s of speedups) console.log(`  ${s}`);

// What a second thread gets on this machine at all: the one-worker search of the last
// row twice at once, in two threads of one process that share nothing (no barriers, no
// table, no states cross). Each takes longer than alone only because the threads
// contend for memory, caches and the garbage collectors' helper threads, so no split of
// one search over two threads can pass 2 / that slowdown here.
const [ld, ls] = ROWS[ROWS.length - 1] as readonly [string, string];
const both = search(ld, ls, "1+1");
if (alone.length > 0 && both.pair) {
  const [a, b] = both.pair;
  const one = median(alone);
  const slow = (a + b) / 2 / one;
  console.log(
    `two one-worker searches of ${ld} on ${ls} side by side (threads of one process): ${secs(a)} and ${secs(b)}, against ${secs(one)} alone above${alone.length > 1 ? " (the median)" : ""}: each ${slow.toFixed(2)}x as long, so ${(2 / slow).toFixed(2)}x is the most two threads can gain here`,
  );
  if (last)
    console.log(
      `  the speed-up above on ${ls}, ${median(ratios).toFixed(2)}x, is ${((100 * median(ratios)) / (2 / slow)).toFixed(0)}% of that`,
    );
}

// What a user runs: `check --exhaustive` on the last row, through the CLI, which
// searches on one thread first and hands the search over to the workers at the end of
// the layer that passes 500,000 states, or 300,000 with its layers still widening
// (engine/verdicts.ts), and the same with
// `--workers 1`. Their summary lines say how the search was proven and what it cost.
function check(extra: readonly string[]): { readonly summary: string; readonly s: number } {
  const cli = spawnSync(
    process.execPath,
    [
      "--max-semi-space-size=64",
      path.join(path.dirname(benchDir), "cli", "bin.mjs"),
      "check",
      ld,
      "--scenario",
      ls,
      "--exhaustive",
      ...extra,
    ],
    { cwd: path.dirname(benchDir), encoding: "utf8", maxBuffer: 1 << 26 },
  );
  // exit 1: a property is violated (v2's fatal-signal-ends-loop on these scenarios)
  const line = cli.stdout.split("\n").find((l) => l.startsWith(`search of ${ls}: `));
  const s = Number(/([\d.]+) s$/.exec(line ?? "")?.[1]);
  if ((cli.status !== 0 && cli.status !== 1) || line === undefined || !Number.isFinite(s))
    throw new Error(
      `check ${ld} --scenario ${ls} --exhaustive ${extra.join(" ")}: exit ${cli.status}\n${cli.stderr}`,
    );
  return { summary: line.slice(`search of ${ls}: `.length), s };
}
const checks: { all: ReturnType<typeof check>; single: ReturnType<typeof check> }[] = [];
for (let i = 0; i < PAIRS; i++) checks.push({ all: check([]), single: check(["--workers", "1"]) });
const first = checks[0] as (typeof checks)[number];
console.log(`through check, as a user runs it (${ld} on ${ls}): ${first.all.summary}`);
console.log(`  with --workers 1: ${first.single.summary}`);
console.log(
  `  the search through check, on every worker against one: ${median(checks.map((c) => c.single.s / c.all.s)).toFixed(2)}x${checks.length > 1 ? `, the median of ${checks.length} pairs run alternately (${checks.map((c) => `${(c.single.s / c.all.s).toFixed(2)}x: ${c.single.s.toFixed(1)} s -> ${c.all.s.toFixed(1)} s`).join("; ")})` : ""} (it runs on one thread up to the hand-over)`,
);
