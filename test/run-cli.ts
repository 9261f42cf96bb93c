// Running the `lockdrop` command (or another node entry) from tests, the way a user
// would, without npx.
import { spawn, spawnSync } from "node:child_process";

export interface CliResult {
  readonly code: number | null;
  readonly out: string;
  readonly err: string;
}

/** `lockdrop args...`, synchronously. */
export function lockdrop(...args: string[]): CliResult {
  const r = spawnSync(process.execPath, ["cli/bin.mjs", ...args], { encoding: "utf8" });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/**
 * `lockdrop args...` without a terminal (CI set), sent `sig` once it has run `afterMs`:
 * what it printed and its exit code.
 */
export function signalled(
  args: readonly string[],
  sig: NodeJS.Signals,
  afterMs: number,
): Promise<CliResult> {
  return new Promise((done) => {
    const p = spawn(process.execPath, ["cli/bin.mjs", ...args], {
      env: { ...process.env, CI: "1" },
    });
    let out = "";
    let err = "";
    p.stdout.on("data", (d) => {
      out += d;
    });
    p.stderr.on("data", (d) => {
      err += d;
    });
    setTimeout(() => p.kill(sig), afterMs);
    p.on("close", (code) => done({ code, out, err }));
  });
}

/** `node entry args...` without blocking the test runner (for many runs in parallel). */
export function runNode(
  entry: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<CliResult> {
  return new Promise((done) => {
    const p = spawn(process.execPath, [entry, ...args], { env: { ...env } });
    let out = "";
    let err = "";
    p.stdout.on("data", (d) => {
      out += d;
    });
    p.stderr.on("data", (d) => {
      err += d;
    });
    p.on("close", (code) => done({ code, out, err }));
  });
}

/** `lockdrop check <design> --scenario <scenario> ...more`, as a user runs it. */
export function checkOn(design: string, scenario: string, ...more: string[]): Promise<CliResult> {
  return runNode("cli/bin.mjs", ["check", design, "--scenario", scenario, ...more]);
}

/**
 * `f` of each item, at most `n` at a time (in order of the items): many CLI processes
 * started at once on a 2-core machine load so slowly that a design file can pass the
 * 30 s load limit.
 */
export async function fewAtATime<T, R>(
  items: readonly T[],
  n: number,
  f: (item: T) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await f(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  return out;
}
