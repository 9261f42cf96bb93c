// Long runs (--runs above 10,000): a progress bar with runs/s on a terminal only, quiet
// in CI, with --json and into a pipe; Ctrl-C stops cleanly, says what was covered and
// exits 130. The terminal is a pty from util-linux `script`.
import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";

interface Result {
  readonly code: number | null;
  readonly out: string;
  readonly err: string;
}

const ENV: NodeJS.ProcessEnv = { ...process.env, LOCKDROP_PROGRESS: "" };
delete ENV.CI;

/** Run the CLI; on a pty when `tty`, typing Ctrl-C once the bar shows when `ctrlC`. */
function lockdrop(
  args: readonly string[],
  o: { tty: boolean; ctrlC?: boolean; env?: NodeJS.ProcessEnv; when?: string },
): Promise<Result> {
  const cmd = ["node", "cli/bin.mjs", ...args].join(" ");
  const p = o.tty
    ? spawn("script", ["-qefc", cmd, "/dev/null"], { env: { ...ENV, ...o.env } })
    : spawn(process.execPath, ["cli/bin.mjs", ...args], { env: { ...ENV, ...o.env } });
  return new Promise((done) => {
    let out = "";
    let err = "";
    let sent = false;
    p.stdout.on("data", (d) => {
      out += d;
      if (o.ctrlC && !sent && out.includes(o.when ?? "runs/s")) {
        sent = true;
        p.stdin.write("\u0003");
      }
    });
    p.stderr.on("data", (d) => {
      err += d;
    });
    // biome-ignore lint/suspicious/noControlCharactersInRegex: strips colour escapes
    const plain = (x: string) => x.replace(/\u001b\[[0-9;]*m/g, "");
    p.on("close", (code) => done({ code, out: plain(out), err: plain(err) }));
  });
}

const LONG = ["check", "v2", "--scenario", "anon-uffd", "--runs", "500000"];
const JUST_LONG = [
  "check",
  "v2",
  "--scenario",
  "anon-plain",
  "--property",
  "lock-balance",
  "--runs",
  "10001",
];

// check's breadth-first pass after the random search: long on two-vmas with this bound
const LONG_SHORTEST = [
  "check",
  "v2-ignores-locked",
  "--scenario",
  "two-vmas",
  "anon-uffd",
  "--property",
  "uffd-fault-completes",
  "--runs",
  "200",
  "--shortest",
  "5000000",
];

describe("progress and Ctrl-C", () => {
  it("stops check's breadth-first pass on Ctrl-C, and the random search after it", async () => {
    const r = await lockdrop(LONG_SHORTEST, { tty: true, ctrlC: true, when: "states/s" });
    expect(r.out).toMatch(/lockdrop exhaustive: depth \d+, [\d,]+ states/);
    expect(r.code).toBe(130);
    expect(r.out).toMatch(/lockdrop: interrupted by Ctrl-C/);
    expect(r.out).not.toMatch(/\n\s+at /);
  });

  it("shows runs/s on a terminal; Ctrl-C stops, prints the coverage and exits 130", async () => {
    const r = await lockdrop(LONG, { tty: true, ctrlC: true });
    expect(r.code).toBe(130);
    expect(r.out).toMatch(
      /lockdrop \[[#-]+\] [\d,]+\/500,000 schedules \(pair 1\) +[\d,]+ runs\/s/,
    );
    expect(r.out).toMatch(
      /lockdrop: interrupted by Ctrl-C after [\d,]+ random schedules in [\d.]+ s: no design\/scenario pair was explored fully; the next stopped after [\d,]+ of 500,000\. No verdicts were printed/,
    );
    expect(r.out).not.toMatch(/\n\s+at /);
    expect(r.out).not.toMatch(/holds|VIOLATED/);
  });

  it("stays quiet into a pipe, in CI and with --json", async () => {
    const [pipe, ci, json] = await Promise.all([
      lockdrop(JUST_LONG, { tty: false }),
      lockdrop(JUST_LONG, { tty: true, env: { CI: "1" } }),
      lockdrop([...JUST_LONG, "--json"], { tty: true }),
    ]);
    expect(pipe.code).toBe(0);
    expect(pipe.err).toBe("");
    expect(pipe.out).toMatch(/lock-balance\s+holds \(10001 random runs\)/);
    expect(ci.code).toBe(0);
    expect(ci.out).not.toMatch(/runs\/s/);
    expect(ci.out).toMatch(/lock-balance\s+holds/);
    expect(json.code).toBe(0);
    expect(json.out).not.toMatch(/runs\/s/);
    expect(json.out).toMatch(/"schema": "lockdrop\.check\/1"/);
  });
});
