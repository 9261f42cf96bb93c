// Design code cannot take the tool down: a step that never returns is stopped by the
// watchdog of the worker it runs in, a step that keeps allocating by the worker's heap
// limit, and process.exit(), a thrown non-Error, a Proxy export or a throwing getter
// are each one paragraph with exit 2. Labels named like Object.prototype members work.
import { describe, expect, it } from "vitest";
import { type CliResult, runNode } from "./run-cli.js";

const lockdrop = (...args: string[]) => runNode("cli/bin.mjs", args);
const DIR = "test/fixtures/watchdog";

function designProblem(r: CliResult, why: RegExp): void {
  expect(r.code, r.err).toBe(2);
  expect(r.out).toBe("");
  expect(r.err).toMatch(why);
  expect(r.err.trim().split("\n")).toHaveLength(1);
  expect(r.err).not.toMatch(/\n\s+at |internal error/);
}

describe("design code under a watchdog", () => {
  it("stops a step that never returns, at that step, within the step limit", async () => {
    const t0 = performance.now();
    const r = await lockdrop("check", `${DIR}/loops.ts`, "--step-timeout", "1");
    const seconds = (performance.now() - t0) / 1000;
    designProblem(
      r,
      /design error in .*loops\.ts \(design "watchdog-loops"\), step "spin": the step .*ran for more than 1 s without returning, and was stopped/,
    );
    expect(seconds).toBeLessThan(30);
  });

  it("stops a design file whose top level never returns, before the command imports it", async () => {
    const r = await runNode("cli/bin.mjs", ["check", `${DIR}/loops-at-load.ts`], {
      ...process.env,
      LOCKDROP_LOAD_TIMEOUT: "2",
    });
    designProblem(r, /loops-at-load\.ts: the file did not finish loading within 2 s/);
  });

  it("stops a step that keeps allocating at the heap limit, with a message", async () => {
    const r = await lockdrop("check", `${DIR}/allocates.ts`, "--max-memory", "256");
    designProblem(
      r,
      /used more than its 256 MiB \(--max-memory\) and the heap limit of \d+ MiB above it and was stopped/,
    );
  });

  it("turns process.exit() in a step or at load, and a thrown non-Error, into design errors", async () => {
    const [step, load, odd] = await Promise.all([
      lockdrop("check", `${DIR}/exits-in-step.ts`),
      lockdrop("check", `${DIR}/exits-at-load.ts`),
      lockdrop("check", `${DIR}/throws-undefined.ts`),
    ]);
    designProblem(step as CliResult, /step "bail": bail out threw: process\.exit\(0\) was called/);
    designProblem(
      load as CliResult,
      /exits-at-load\.ts: the module failed to load: process\.exit\(0\) was called/,
    );
    designProblem(
      odd as CliResult,
      /step "odd": odd threw undefined, a value that is not an Error/,
    );
  });

  it("refuses a Proxy export and a throwing getter in one paragraph", async () => {
    const [proxy, getter] = await Promise.all([
      lockdrop("check", `${DIR}/proxy-export.ts`),
      lockdrop("check", `${DIR}/getter-throws.ts`),
    ]);
    designProblem(proxy as CliResult, /the default export is a Proxy, not a design\. Fix: /);
    designProblem(
      getter as CliResult,
      /reading the default export threw: steps are not ready\. Fix: /,
    );
  });

  it("treats labels named toString, constructor and hasOwnProperty as labels", async () => {
    const r = await lockdrop("check", `${DIR}/prototype-labels.ts`, "--runs", "50");
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/anon-plain +lock-balance +holds \(50 random runs\)/);
  });
});
