// npm run bench:spin (also the last part of npm run bench): lockdrop's exhaustive
// engine against Spin on the Promela twins in bench/spin/. For each case both tools
// explore the same state space (the twin is built so that, with every Spin reduction
// off, the state counts agree exactly); the bench prints states, transitions, wall
// time, peak memory, their ratios, the verdicts, and the shortest counterexample of
// the buggy twin from each. It measures and prints; it asserts nothing and tunes
// nothing. Spin is installed with apt-get if missing (needs root); without it, the
// bench says so and exits 0.
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { median } from "./median.js";
import type { CaseKind } from "./spin/cases.js";
import { caseFor } from "./spin/cases.js";
import type { LockdropFigures } from "./spin/lockdrop-run.js";

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const twinDir = path.join(benchDir, "spin");
const repoDir = path.dirname(benchDir);
const REPEAT = Math.max(1, Number(process.env.BENCH_SPIN_REPEAT ?? 3));
const PAGES = Math.max(1, Math.min(8, Number(process.env.BENCH_SPIN_PAGES ?? 5)));
const BIG_PAGES = Math.max(0, Math.min(8, Number(process.env.BENCH_SPIN_BIG_PAGES ?? 4)));

function run(cmd: string, args: readonly string[], cwd?: string) {
  return spawnSync(cmd, args, { cwd, encoding: "utf8", maxBuffer: 1 << 26 });
}

function firstLine(s: string): string {
  return s.trim().split("\n")[0] ?? "";
}

function spinVersion(): string | null {
  const r = run("spin", ["-V"]);
  return r.status === 0 ? firstLine(r.stdout) : null;
}

function ensureSpin(): string | null {
  const v = spinVersion();
  if (v) return v;
  if (process.getuid?.() !== 0) {
    console.log("bench:spin: spin is not installed and this is not root; skipped.");
    return null;
  }
  console.log("bench:spin: spin not found, running apt-get install -y spin ...");
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const install = () =>
    spawnSync("apt-get", ["install", "-y", "spin"], { stdio: "ignore", env }).status === 0;
  if (!install()) {
    spawnSync("apt-get", ["update"], { stdio: "ignore", env });
    install();
  }
  const after = spinVersion();
  if (!after) console.log("bench:spin: apt-get could not install spin; skipped.");
  return after;
}

// ---- Spin ----

/** How pan is built: Spin's default reductions, none at all, or the shortest-trail build. */
type SpinMode = "reduced" | "raw" | "trail";

interface SpinFigures {
  readonly states: number;
  readonly transitions: number;
  readonly errors: number;
  readonly wallMs: number;
  readonly panElapsedS: number;
  /** peak RSS from /usr/bin/time, or pan's own "total actual memory usage" */
  readonly peakMiB: number;
  readonly peakFrom: "rss" | "pan";
  readonly panMemMiB: number;
  /** pan's "actual memory usage for states": the state store alone */
  readonly stateMiB: number;
  readonly buildMs: number;
  /** pan -i: steps of the shortest trail */
  readonly trail: number | null;
}

const hasTime = existsSync("/usr/bin/time");

function spinFlags(mode: SpinMode): { spin: string[]; cc: string[]; pan: string[] } {
  // raw: -o1 keeps dead locals, -o2 keeps write-only variables, NOREDUCE turns partial
  // order reduction off: the state lockdrop stores, nothing less
  if (mode === "raw") return { spin: ["-o1", "-o2"], cc: ["-DNOREDUCE"], pan: [] };
  if (mode === "trail") return { spin: ["-o1", "-o2"], cc: ["-DNOREDUCE", "-DREACH"], pan: ["-i"] };
  // Spin's default partial-order reduction, with its state compression (-DCOLLAPSE,
  // which lockdrop's collapsed parts follow)
  return { spin: [], cc: ["-DCOLLAPSE"], pan: [] };
}

function spinRun(
  work: string,
  kind: CaseKind,
  pages: number,
  mode: SpinMode,
  opts: { ignoreAsserts?: boolean; repeat?: number } = {},
): SpinFigures {
  const c = caseFor(kind, pages);
  const f = spinFlags(mode);
  const t0 = performance.now();
  const gen = run("spin", [...f.spin, ...c.defines, "-a", c.pml], work);
  if (gen.status !== 0) throw new Error(`spin -a ${c.pml}: ${gen.stdout}${gen.stderr}`);
  const cc = run("gcc", ["-O2", "-w", "-DSAFETY", ...f.cc, "-o", "pan", "pan.c"], work);
  if (cc.status !== 0) throw new Error(`gcc pan.c: ${cc.stderr}`);
  const buildMs = performance.now() - t0;
  const trailFile = path.join(work, `${c.pml}.trail`);
  const panArgs = ["-E", ...(opts.ignoreAsserts ? ["-A"] : []), ...f.pan];
  const walls: number[] = [];
  let out = "";
  let peakKiB = 0;
  for (let i = 0; i < (opts.repeat ?? REPEAT); i++) {
    rmSync(trailFile, { force: true });
    const t1 = performance.now();
    const r = hasTime
      ? run("/usr/bin/time", ["-f", "@@TIME %M", "./pan", ...panArgs], work)
      : run("./pan", panArgs, work);
    walls.push(performance.now() - t1);
    out = r.stdout;
    const m = /@@TIME (\d+)/.exec(r.stderr);
    if (m) peakKiB = Math.max(peakKiB, Number(m[1]));
  }
  const num = (re: RegExp) => {
    const m = re.exec(out);
    return m ? Number(m[1]) : Number.NaN;
  };
  const panMemMiB = num(/([\d.]+)\s+total actual memory usage/);
  let trail: number | null = null;
  if (mode === "trail" && existsSync(trailFile))
    trail = readFileSync(trailFile, "utf8")
      .split("\n")
      .filter((l) => /^\d+:/.test(l)).length;
  return {
    states: num(/(\d+) states, stored/),
    transitions: num(/(\d+) transitions \(= stored\+matched\)/),
    errors: num(/errors: (\d+)/),
    wallMs: median(walls),
    panElapsedS: num(/pan: elapsed time ([\d.e+-]+) seconds/),
    peakMiB: peakKiB > 0 ? peakKiB / 1024 : panMemMiB,
    peakFrom: peakKiB > 0 ? "rss" : "pan",
    panMemMiB,
    stateMiB: num(/([\d.]+)\s+actual memory usage for states/),
    buildMs,
    trail,
  };
}

// ---- lockdrop (each run in a fresh process, for its own peak RSS) ----

interface LockdropRun extends LockdropFigures {
  readonly wallMs: number;
  readonly peakMiB: number;
  readonly baseMiB: number;
}

function lockdropRun(
  kind: CaseKind,
  pages: number,
  reduction: "plain" | "sleep" | "persistent",
  repeat = REPEAT,
  floor = false,
) {
  const r = run(
    process.execPath,
    [
      // as the lockdrop command runs (cli/bin.mjs)
      "--max-semi-space-size=64",
      "--import",
      "tsx",
      path.join(twinDir, "lockdrop-run.ts"),
      kind,
      String(pages),
      reduction,
      String(repeat),
      ...(floor ? ["floor"] : []),
    ],
    repoDir,
  );
  if (r.status !== 0) throw new Error(`lockdrop-run ${kind} ${pages}: ${r.stderr}`);
  const f = JSON.parse(r.stdout.trim().split("\n").pop() ?? "{}") as LockdropFigures;
  return {
    ...f,
    wallMs: median(f.ms),
    peakMiB: f.maxRssKiB / 1024,
    baseMiB: f.rssStartKiB / 1024,
  } satisfies LockdropRun;
}

// ---- output ----

const fmt = (n: number, d = 0) => (Number.isFinite(n) ? n.toFixed(d) : "?");
const ratio = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(1)}x` : "-");
/** a reduction factor: states with the reduction off over states with it on ("?": no run off) */
const factor = (off: number | undefined, on: number) =>
  off === undefined ? "?" : `${(off / on).toFixed(2)}x`;

function table(head: readonly string[], rows: readonly (readonly string[])[]): void {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (r: readonly string[]) =>
    `  ${r.map((c, i) => (i === 0 ? c.padEnd(w[i] ?? 0) : c.padStart(w[i] ?? 0))).join("  ")}`;
  console.log(line(head));
  for (const r of rows) console.log(line(r));
}

/** The bytes of lockdrop's stores at the end of a search. */
function storeBytes(l: LockdropFigures): number {
  const m = l.memory;
  return m.arena + m.table + m.parts + m.tree + m.lasso;
}

function lockdropVerdict(l: LockdropFigures): string {
  const v = Object.keys(l.violated);
  if (v.length > 0) return `violated (${v.join(", ")})`;
  return l.complete ? "holds" : "holds (incomplete)";
}

function spinVerdict(s: SpinFigures): string {
  return s.errors === 0 ? "holds" : `violated (${s.errors} errors)`;
}

function main(): void {
  const version = ensureSpin();
  if (!version) return;
  if (run("gcc", ["--version"]).status !== 0) {
    console.log("bench:spin: gcc is needed to compile pan; skipped.");
    return;
  }
  const work = mkdtempSync(path.join(os.tmpdir(), "lockdrop-spin-"));
  for (const f of readdirSync(twinDir))
    if (f.endsWith(".pml")) copyFileSync(path.join(twinDir, f), path.join(work, f));

  const cpus = os.cpus();
  console.log("lockdrop against Spin (bench/spin/)");
  console.log(
    `  machine: ${cpus.length} x ${cpus[0]?.model ?? "?"}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, ${os.platform()} ${os.release()}`,
  );
  console.log(
    `  node ${process.version}; ${version}; ${firstLine(run("gcc", ["--version"]).stdout)}`,
  );
  console.log(
    `  wall = median of ${REPEAT} runs. lockdrop: exploreExhaustive() in a fresh node process after one untimed run that warms up the JIT, as spin -a + gcc are not timed for pan (startup not counted; peak = that process's max RSS, Node's own baseline included); Spin: the pan process (startup counted; peak = its max RSS${hasTime ? "" : ", here pan's own memory figure"}; spin -a + gcc not counted, shown apart)`,
  );

  const ns = Array.from({ length: PAGES }, (_, i) => i + 1);
  const header = [
    "N",
    "states L",
    "states S",
    "trans L",
    "trans S",
    "wall ms L",
    "wall ms S",
    "L/S",
    "peak MiB L",
    "peak MiB S",
    "L/S",
    "+MiB L",
    "states MiB S",
    "B/state L",
    "B/state S",
    "verdict L",
    "verdict S",
    "agree",
  ];
  const raws: { n: number; l: LockdropRun; s: SpinFigures }[] = [];
  const reduced: { n: number; l: LockdropRun; s: SpinFigures }[] = [];
  for (const [title, mode, reduction] of [
    ["reduction off: lockdrop plain BFS; Spin spin -o1 -o2, cc -DNOREDUCE", "raw", "plain"],
    [
      "reduction on: lockdrop --persistent-sets; Spin defaults (partial order + data-flow) with -DCOLLAPSE",
      "reduced",
      "persistent",
    ],
  ] as const) {
    console.log(
      `\nv2 on anon-uffd (N pages) with munmap x1 + monitor; ${title}; properties S1, S2, lock-balance`,
    );
    const rows: string[][] = [];
    let build = 0;
    let warmup = 0;
    for (const n of ns) {
      const s = spinRun(work, "v2-munmap", n, mode);
      const l = lockdropRun("v2-munmap", n, reduction);
      build += s.buildMs;
      warmup += l.warmupMs;
      if (mode === "raw") raws.push({ n, l, s });
      else reduced.push({ n, l, s });
      const vl = lockdropVerdict(l);
      const vs = spinVerdict(s);
      rows.push([
        String(n),
        String(l.states),
        String(s.states),
        String(l.transitions),
        String(s.transitions),
        fmt(l.wallMs, 1),
        fmt(s.wallMs, 1),
        ratio(l.wallMs, s.wallMs),
        fmt(l.peakMiB, 1),
        fmt(s.peakMiB, 1),
        ratio(l.peakMiB, s.peakMiB),
        fmt(l.peakMiB - l.baseMiB, 1),
        fmt(s.stateMiB, 2),
        fmt(storeBytes(l) / l.states),
        fmt((s.stateMiB * 2 ** 20) / s.states),
        vl,
        vs,
        vl.startsWith(vs) || (vl.startsWith("violated") && vs.startsWith("violated"))
          ? "yes"
          : "NO",
      ]);
    }
    table(header, rows);
    console.log(
      `  (Spin counts the initial state as one more transition; spin -a + gcc took ${fmt(build / ns.length)} ms per N and lockdrop's warm-up run ${fmt(warmup / ns.length)} ms, neither in the wall column. +MiB L: lockdrop's peak RSS above the ~${fmt(raws[0]?.l.baseMiB ?? 0)} MiB its process has before it explores; states MiB S: pan's "actual memory usage for states". At these sizes pan's wall time and RSS are mostly its fixed cost: it allocates and clears its default hash table (-w24: 2^24 slots, 128 MiB).)`,
    );
  }

  // what each tool's reduction removes, in the same run: states with it off over states with it on
  console.log(
    "\nreduction factor (states with reduction off / states with it on, same run; lockdrop's reduction: persistent sets)",
  );
  table(
    ["N", "lockdrop", "Spin", "wall L/S (reductions on)"],
    reduced.map(({ n, l, s }) => {
      const off = raws.find((r) => r.n === n);
      return [
        String(n),
        factor(off?.l.states, l.states),
        factor(off?.s.states, s.states),
        ratio(l.wallMs, s.wallMs),
      ];
    }),
  );
  console.log(
    "  (B/state L: lockdrop's stores at the end of the search (visited-set arena and table, part tables, search tree, liveness graphs) over its states; B/state S: pan's memory for states over its states)",
  );

  // raw throughput, on the small cases and on a larger scenario where startup matters less
  console.log("\nstates per second, reduction off (states stored / wall)");
  const big: { n: number; l: LockdropRun; s: SpinFigures }[] = [];
  for (let n = 1; n <= BIG_PAGES; n++)
    big.push({
      n,
      s: spinRun(work, "v2-all-actors", n, "raw"),
      // the largest case also times the step function alone (lockdrop-run.ts)
      l: lockdropRun("v2-all-actors", n, "plain", REPEAT, n === BIG_PAGES),
    });
  const rate = (states: number, ms: number) => (states / ms) * 1000;
  table(
    ["case", "states", "lockdrop st/s", "Spin st/s", "lockdrop/Spin"],
    [
      ...raws.map(({ n, l, s }) => [
        `v2 munmap+monitor, N=${n}`,
        `${l.states}${l.states === s.states ? "" : ` / ${s.states}`}`,
        fmt(rate(l.states, l.wallMs)),
        fmt(rate(s.states, s.wallMs)),
        `${((100 * rate(l.states, l.wallMs)) / rate(s.states, s.wallMs)).toFixed(1)}%`,
      ]),
      ...big.map(({ n, l, s }) => [
        `v2 anon-uffd-1 actors, N=${n}`,
        `${l.states}${l.states === s.states ? "" : ` / ${s.states}`}`,
        fmt(rate(l.states, l.wallMs)),
        fmt(rate(s.states, s.wallMs)),
        `${((100 * rate(l.states, l.wallMs)) / rate(s.states, s.wallMs)).toFixed(1)}%`,
      ]),
    ],
  );
  if (big.length > 0)
    console.log(
      `  (anon-uffd-1 actors: munmap, invalidation, monitor, fatal signal; median of 3 runs for both, after lockdrop's untimed warm-up run as above (${big.map((b) => `${fmt(b.l.warmupMs)} ms`).join(", ")}); Spin verdicts ${big.map((b) => spinVerdict(b.s)).join(", ")}, lockdrop ${big.map((b) => lockdropVerdict(b.l)).join(", ")})`,
    );

  // the same large twin with reductions on in both tools, as for the small one above:
  // the reduction factor each gets, and lockdrop's wall time over Spin's
  const bigReduced = big.map(({ n }) => ({
    n,
    s: spinRun(work, "v2-all-actors", n, "reduced"),
    l: lockdropRun("v2-all-actors", n, "persistent", REPEAT),
    sleep: lockdropRun("v2-all-actors", n, "sleep", REPEAT),
  }));
  if (bigReduced.length > 0) {
    console.log(
      "\nv2 on anon-uffd-1 with every actor (N pages), reductions on in both (lockdrop --persistent-sets; Spin defaults with -DCOLLAPSE), against off; and lockdrop --sleep-sets",
    );
    table(
      [
        "N",
        "states L",
        "states S",
        "factor L",
        "factor S",
        "wall ms L",
        "wall ms S",
        "wall L/S",
        "peak MiB L",
        "peak MiB S",
        "L plain/S",
        "L sleep/S",
      ],
      bigReduced.map(({ n, l, s, sleep }) => {
        const off = big.find((b) => b.n === n);
        return [
          String(n),
          String(l.states),
          String(s.states),
          factor(off?.l.states, l.states),
          factor(off?.s.states, s.states),
          fmt(l.wallMs, 1),
          fmt(s.wallMs, 1),
          ratio(l.wallMs, s.wallMs),
          fmt(l.peakMiB, 1),
          fmt(s.peakMiB, 1),
          off ? ratio(off.l.wallMs, s.wallMs) : "?",
          ratio(sleep.wallMs, s.wallMs),
        ];
      }),
    );
    console.log(
      `  (factor: states with the reduction off over states with it on, same run; median of ${REPEAT} runs each; L plain/S: lockdrop without a reduction over Spin with its own; L sleep/S: lockdrop --sleep-sets, which keeps every state, over Spin; verdicts L ${bigReduced.map((b) => lockdropVerdict(b.l)).join(", ")}, S ${bigReduced.map((b) => spinVerdict(b.s)).join(", ")})`,
    );
  }

  // The rate above includes each tool's fixed cost (pan allocates and clears its
  // 128 MiB hash table; lockdrop allocates its tables), which dominates the small cases.
  // The marginal rate, the extra states over the extra time from one size to the next,
  // leaves it out: it is the rate at which each tool searches.
  if (big.length > 1) {
    console.log(
      "\nmarginal states per second, reduction off (extra states / extra wall time, from N-1 to N pages, anon-uffd-1 actors)",
    );
    const marginal = (a: number, b: number, ta: number, tb: number) =>
      tb > ta ? ((b - a) / (tb - ta)) * 1000 : Number.NaN;
    table(
      ["pages", "extra states", "lockdrop st/s", "Spin st/s", "lockdrop/Spin"],
      big.slice(1).map((b, i) => {
        const a = big[i] as (typeof big)[number];
        const l = marginal(a.l.states, b.l.states, a.l.wallMs, b.l.wallMs);
        const sp = marginal(a.s.states, b.s.states, a.s.wallMs, b.s.wallMs);
        return [
          `${a.n} -> ${b.n}`,
          String(b.l.states - a.l.states),
          fmt(l),
          fmt(sp),
          Number.isFinite(l) && Number.isFinite(sp) ? `${((100 * l) / sp).toFixed(1)}%` : "?",
        ];
      }),
    );
  }

  // what the model itself costs: the step function alone over every transition of the
  // largest case, which bounds any search of this model in JavaScript from above
  const last = big[big.length - 1];
  const floor = last?.l.floorUsPerTransition;
  if (last && floor !== undefined) {
    const perState = last.l.transitions / last.l.states;
    const ceiling = 1e6 / (floor * perState);
    const spinRate = rate(last.s.states, last.s.wallMs);
    console.log(
      `\nthe model alone (N=${last.n}): lockdrop's step function, shared by random and exhaustive search, takes ${floor.toFixed(2)} us per transition with nothing else done (no monitors, keys or visited set); at ${perState.toFixed(2)} transitions per state that caps any search of this model at ${fmt(ceiling)} states/s, ${((100 * ceiling) / spinRate).toFixed(0)}% of Spin's ${fmt(spinRate)} st/s on this case. The engine reaches ${fmt(rate(last.l.states, last.l.wallMs))} st/s, ${((100 * rate(last.l.states, last.l.wallMs)) / ceiling).toFixed(0)}% of that cap.`,
    );
  }

  // the buggy twin: shortest counterexample from each
  console.log(
    "\nv1-hugetlb-drop, no-freed-vma-use: shortest counterexample (steps; one step = one lockdrop step = one d_step)",
  );
  const bugRows: string[][] = [];
  for (const [kind, label] of [
    ["drop-munmap", "hugetlb-uffd, munmap x1 + monitor"],
    ["drop-all-actors", "hugetlb-uffd-1 (munmap, invalidation, monitor, signal)"],
  ] as const) {
    const l = lockdropRun(kind, 1, "plain", 1);
    const trail = spinRun(work, kind, 1, "trail", { repeat: 1 });
    const full = spinRun(work, kind, 1, "raw", { ignoreAsserts: true, repeat: 1 });
    const lLen = l.violated["no-freed-vma-use"];
    bugRows.push([
      label,
      lLen === undefined ? "none" : String(lLen),
      trail.trail === null ? "none" : String(trail.trail),
      lLen !== undefined && lLen === trail.trail ? "yes" : "NO",
      `${l.states} / ${full.states}`,
      `${fmt(l.wallMs)} / ${fmt(trail.wallMs, 1)}`,
    ]);
  }
  table(
    [
      "scenario",
      "lockdrop BFS",
      "Spin pan -i",
      "same",
      "states L / S (full space)",
      "ms L (full BFS) / S (pan -i)",
    ],
    bugRows,
  );
  console.log(
    "  (Spin: spin -o1 -o2, cc -DNOREDUCE -DREACH, pan -E -i, trail steps counted in the .trail file; states: pan -A, every assertion ignored, as lockdrop explores on after a violation)",
  );
  rmSync(work, { recursive: true, force: true });
}

main();
