// Progress and Ctrl-C for long runs (--runs above 10,000). A fast-check plugin, installed
// globally, sees every schedule the random exploration runs: it draws a bar with runs/s
// on stderr when stderr is a terminal (never in CI, with --json, or into a pipe), and
// after Ctrl-C it makes the next schedule fail with Interrupted, which checkPair
// rethrows; main.ts then prints what was covered and exits 130. A second Ctrl-C exits
// at once. LOCKDROP_PROGRESS=1 forces the progress lines (plain, one per update) even
// without a terminal, for tests.

import { readSync } from "node:fs";
import fc from "fast-check";
import { exit } from "./exit-guard.js";

export const PROGRESS_THRESHOLD = 10_000;

/**
 * Ctrl-C, seen by whichever poller read it: the random search and the breadth-first
 * searches of one command stop together (check runs both, one after the other).
 */
const ctrlC = { pressed: false };

/** Was Ctrl-C pressed during this command (random or breadth-first search)? */
export function ctrlCPressed(): boolean {
  return ctrlC.pressed;
}

/**
 * Where the search runs. On the command's own thread (the default) a terminal's Ctrl-C
 * is read from stdin in raw mode between schedules. On a worker thread (check) the
 * command's thread takes SIGINT and SIGTERM and sets `stop[0]`, which the same polls
 * read instead; `tty` says whether the command's stderr is a terminal.
 */
interface ProgressHost {
  readonly tty: boolean;
  readonly stop: Int32Array | null;
}
let host: ProgressHost = { tty: process.stderr.isTTY === true, stop: null };

export function setProgressHost(h: ProgressHost): void {
  host = h;
}

/** The stop flag set by the command's thread, if this is a worker: Ctrl-C from there. */
function stopRequested(): boolean {
  if (host.stop !== null && Atomics.load(host.stop, 0) !== 0) ctrlC.pressed = true;
  return ctrlC.pressed;
}

/** The run was stopped by Ctrl-C; the message says what was covered. */
export class Interrupted extends Error {}

interface Coverage {
  /** schedules run in each exploration so far (one per design x scenario, plus replays) */
  readonly counts: number[];
  started: number;
}

function runsFromArgv(argv: readonly string[]): number | null {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const v = a === "--runs" ? argv[i + 1] : a.startsWith("--runs=") ? a.slice(7) : undefined;
    if (v !== undefined && /^\d+$/.test(v)) return Number(v);
  }
  return null;
}

const fmt = (n: number) => n.toLocaleString("en-US");

function coverageText(c: Coverage, runs: number): string {
  const full = c.counts.filter((n) => n >= runs).length;
  const partial = c.counts.filter((n) => n < runs && n > 1);
  const total = c.counts.reduce((a, b) => a + b, 0);
  const secs = (Date.now() - c.started) / 1000;
  const parts = [
    full === 0
      ? "no design/scenario pair was explored fully"
      : `${full} design/scenario pair${full === 1 ? " was" : "s were"} explored fully (${fmt(runs)} schedules each)`,
  ];
  const last = partial.at(-1);
  if (last !== undefined) parts.push(`the next stopped after ${fmt(last)} of ${fmt(runs)}`);
  const by = host.stop !== null && Atomics.load(host.stop, 0) === 2 ? "SIGTERM" : "Ctrl-C";
  return `interrupted by ${by} after ${fmt(total)} random schedules in ${secs.toFixed(1)} s: ${parts.join("; ")}. No verdicts were printed, because a partial run proves nothing about the schedules it did not reach. Fix: run again with a smaller --runs, or one --scenario and --property at a time.`;
}

/**
 * Install progress and Ctrl-C handling when the command line asks for a long run
 * (check, matrix and compare all explore through checkPair).
 */
export function installProgress(argv: readonly string[], env = process.env): void {
  const runs = runsFromArgv(argv);
  if (runs === null || runs <= PROGRESS_THRESHOLD) return;
  const forced = env.LOCKDROP_PROGRESS === "1";
  const tty = host.tty;
  const show = forced || (tty && !env.CI && !argv.includes("--json"));
  const cov: Coverage = { counts: [], started: Date.now() };
  let total = 0;
  let lastDraw = 0;
  let drawn = false;

  const clear = () => {
    if (drawn && tty && !forced) process.stderr.write("\r\u001b[2K");
    drawn = false;
  };
  const draw = (count: number) => {
    const now = Date.now();
    if (now - lastDraw < 200) return;
    lastDraw = now;
    const secs = Math.max(0.001, (now - cov.started) / 1000);
    const rate = Math.round(total / secs);
    const width = 24;
    const done = Math.min(width, Math.round((count / runs) * width));
    const line = `lockdrop [${"#".repeat(done)}${"-".repeat(width - done)}] ${fmt(count)}/${fmt(runs)} schedules (pair ${cov.counts.length})  ${fmt(rate)} runs/s  Ctrl-C stops`;
    if (tty && !forced) process.stderr.write(`\r\u001b[2K${line}`);
    else process.stderr.write(`${line}\n`);
    drawn = true;
  };

  // The exploration is synchronous, so a SIGINT handler would only run once it is over.
  // On a terminal, raw mode turns Ctrl-C into a byte on stdin instead, which the plugin
  // polls between schedules with a non-blocking read. Elsewhere Ctrl-C keeps its default
  // (the process ends at once; nothing was printed yet). Only where every long stretch
  // of work is random exploration in this thread or a search that polls too: matrix
  // explores on worker threads, so there a Ctrl-C byte would go unread and it keeps the
  // default.
  const stdin = process.stdin;
  const command = argv.find((a) => !a.startsWith("-"));
  // (the breadth-first pass of check after its random search polls on its own,
  // makeSearchProgress below)
  // (check and compare search on worker threads: a terminal's Ctrl-C arrives as SIGINT
  // on the command's thread, and reaches check's worker as its stop flag; no raw mode)
  const polled =
    (command === "check" || command === "compare") &&
    host.stop !== null &&
    !argv.includes("--exhaustive");
  const raw = host.stop === null && polled && tty && stdin.isTTY === true;
  const byte = Buffer.alloc(16);
  if (raw) {
    stdin.setRawMode(true);
    process.on("exit", () => stdin.setRawMode(false));
  }
  const pollCtrlC = () => {
    if (stopRequested() || !raw) return;
    let n = 0;
    try {
      n = readSync(0, byte, 0, byte.length, null);
    } catch {
      return; // EAGAIN: nothing typed
    }
    if (byte.subarray(0, n).includes(3)) {
      if (ctrlC.pressed) exit(130);
      ctrlC.pressed = true;
    }
  };
  process.on("exit", clear);

  fc.installGlobalPlugin(() => {
    const slot = cov.counts.length;
    cov.counts.push(0);
    return {
      decorateRun: (nested) => (v) => {
        if (ctrlC.pressed) {
          clear();
          return { error: new Interrupted(coverageText(cov, runs)) };
        }
        cov.counts[slot] = (cov.counts[slot] ?? 0) + 1;
        total++;
        if ((total & 63) === 0) {
          pollCtrlC();
          if (show) draw(cov.counts[slot] ?? 0);
        }
        return nested(v);
      },
      afterAll: clear,
    };
  });
}

/**
 * Progress for the exhaustive search (`--exhaustive`, and the breadth-first search of
 * `--shortest`): states and states/s on stderr when it is a terminal (not in CI, not
 * with --json); on a terminal Ctrl-C stops the search, which then reports how far it got.
 */
type SearchProgress = (p: { states: number; transitions: number; depth: number }) => boolean;
let searchProgress: SearchProgress | undefined;

export function exhaustiveProgress(
  argv: readonly string[],
  env = process.env,
): SearchProgress | undefined {
  // one reporter per process: every search of the run shares the Ctrl-C state
  searchProgress ??= makeSearchProgress(argv, env);
  return searchProgress;
}

function makeSearchProgress(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): SearchProgress | undefined {
  const tty = host.tty;
  const onWorker = host.stop !== null;
  // on a worker, the searches poll the stop flag even when nothing is drawn
  if (!onWorker && (!tty || env.CI || argv.includes("--json"))) return undefined;
  const draws = tty && !env.CI && !argv.includes("--json");
  const stdin = process.stdin;
  const raw = !onWorker && stdin.isTTY === true;
  if (raw) {
    stdin.setRawMode(true);
    process.on("exit", () => stdin.setRawMode(false));
  }
  const started = Date.now();
  const byte = Buffer.alloc(16);
  let lastDraw = 0;
  if (draws) process.on("exit", () => process.stderr.write("\r\u001b[2K"));
  return ({ states, transitions, depth }) => {
    // once Ctrl-C was pressed every later search stops at once too
    if (stopRequested()) return true;
    const now = Date.now();
    if (draws && now - lastDraw >= 200) {
      lastDraw = now;
      const rate = Math.round(states / Math.max(0.001, (now - started) / 1000));
      process.stderr.write(
        `\r\u001b[2Klockdrop exhaustive: depth ${depth}, ${fmt(states)} states, ${fmt(transitions)} transitions, ${fmt(rate)} states/s  Ctrl-C stops`,
      );
    }
    if (!raw) return false;
    try {
      const n = readSync(0, byte, 0, byte.length, null);
      if (byte.subarray(0, n).includes(3)) ctrlC.pressed = true;
      return ctrlC.pressed;
    } catch {
      return false;
    }
  };
}
