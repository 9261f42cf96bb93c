// User design files: each malformed fixture in test/fixtures/designs/ yields its own
// one-paragraph error naming the file, the step and the fix, exit code 2, and no stack
// trace; a step that throws while the model runs is a design error at that step.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { handleMmFault, hmmCallWithTimeout, mutexLock } from "lockdrop/model";
import { describe, expect, it } from "vitest";
import { type CliResult, fewAtATime, runNode } from "./run-cli.js";

const lockdrop = (...args: string[]) => runNode("cli/bin.mjs", args);

const DIR = "test/fixtures/designs";

/** fixture -> what its one paragraph must say (after "lockdrop: <file>: ") */
const EXPECTED: Record<string, RegExp> = {
  "01-unknown-label.ts":
    /step "again": next jumps to unknown label "again\.lokced" \(did you mean "again\.locked"\?\)\. Fix: /,
  "02-bad-outcome.ts":
    /2 problems\. \(1\) step "do_fault\.one": handle_mm_fault\(.*\) has no outcome "retyr" \(did you mean "retry"\?\); it returns ok, retry, completed, error\. Fix: .* \(2\) step "do_fault\.one": outcome "retry" of handle_mm_fault\(.*\) goes nowhere\. Fix: /,
  "03-no-initial-step.ts":
    /the thread has no initial step: start label "begin" is not a step\. Fix: set start to one of again, /,
  "04-unknown-scenario.ts":
    /scenarios: unknown scenario "hugetlb-uff" \(did you mean "hugetlb-uffd"\?\)\. Known scenarios: anon-uffd, .*Fix: /,
  "05-unknown-property.ts":
    /properties: unknown property "no-freed-vma-uses" \(did you mean "no-freed-vma-use"\?\)\. .*Fix: /,
  "06-bad-family.ts":
    /family "hmmm" is not one of hmm, gup, fault, mfill, thp, pgwalk, anon-fault, hugetlbfs, hmm-migrate\. Fix: /,
  "07-op-not-called.ts":
    /step "lock": op is a function \(mmapReadLock\), not an op; .*Fix: write op: mmapReadLock\(/,
  "08-no-default-export.ts":
    /the file has no default export\. Fix: end it with export default design\(/,
  "09-outcome-goes-nowhere.ts":
    /step "check_locked": outcome "no" of if \(!locked\) goes nowhere\. Fix: add on: \{ no: /,
  "11-module-throws.ts":
    /the module failed to load: mutant fixture-module-throws: v2 has no step "unlock\.after"\. Fix: /,
  "12-unknown-step-key.ts":
    /step "lock" has unknown key "nxt" \(did you mean "next"\?\)\. Fix: a step has only op, next and on\./,
  "13-id-taken.ts": /the id "v2" is already taken by a built-in design\. Fix: /,
  "20-next-not-a-label.ts":
    /step "lock": next must be a step label \(a string\), and is 42\. Fix: write next: "<label>", the label of the step that follows\./,
  "18-plain-object.ts":
    /the default export is a plain object, not one design\(\) made, so it has no "title" .*Fix: export default design\(/,
  "16-bad-argument.ts":
    /mmuIntervalReadBegin\(\): its argument names a local of the thread, a string such as "seq", and got 42\. Fix: pass the primitive what the message says/,
  "17-walk-callback-missing.ts":
    /step "hugetlb\.entry": outcome "hole" jumps to "hugetlb\.hole", which hmmWalk\(\) leaves to the design \(hugetlb_walk\(\) found no PMD table .*\), and the design has no such step\. Fix: add a step "hugetlb\.hole", or compose the walk with a fault fragment that defines it: recordFaultInCallbacks\(\)/,
  "14-unreachable-bad-outcome.ts":
    /unreachable: \{ label: "do_fault\.one", outcome: "complete" \}: handle_mm_fault\(.*\) has no outcome "complete" \(did you mean "completed"\?\); it returns ok, retry, completed, error\. Fix: /,
};

function onePlainParagraph(r: CliResult): void {
  expect(r.code).toBe(2);
  expect(r.out).toBe("");
  expect(r.err).not.toMatch(/\n\s+at /);
  expect(r.err).not.toMatch(/internal error/);
  expect(r.err.trim().split("\n")).toHaveLength(1);
}

describe("malformed design files", () => {
  it("each yields its one-paragraph error, exit 2, no stack trace", async () => {
    const names = Object.keys(EXPECTED);
    const results = await fewAtATime(names, 4, (n) =>
      lockdrop("check", `${DIR}/${n}`, "--runs", "20"),
    );
    names.forEach((n, i) => {
      const r = results[i] as CliResult;
      onePlainParagraph(r);
      expect(r.err.startsWith(`lockdrop: ${DIR}/${n}: `)).toBe(true);
      expect(r.err).toMatch(EXPECTED[n] as RegExp);
    });
  });

  it("has primitives refuse an argument of the wrong kind when the file builds its steps", () => {
    expect(() => handleMmFault("vma", "addr", 7 as never)).toThrow(
      /handleMmFault\(\): flags is a list of fault flags such as \["ALLOW_RETRY", "KILLABLE"\], or a function of the step's context giving one, and got 7/,
    );
    expect(() => handleMmFault("vma", "addr", ["ALLOW_RETRY", "KILABLE"] as never)).toThrow(
      /handleMmFault\(\): "KILABLE" is not a fault flag; the flags are WRITE, /,
    );
    expect(() => handleMmFault("vma", 3 as never, [])).toThrow(
      /handleMmFault\(\): addr names a local/,
    );
    expect(() => hmmCallWithTimeout("api", { timeout: 1 } as never)).toThrow(
      /hmmCallWithTimeout\(\): the timeout \(a local, or a whole number of jiffies\) names a local of the thread, a string such as "seq", and got \{"timeout":1\}/,
    );
    expect(() => mutexLock(42 as never)).toThrow(
      /mutex_lock\(\): the lock is named by a string, as the scenario declares it .* and got 42/,
    );
    // what they are meant to take still builds
    expect(handleMmFault("vma", "addr", ["ALLOW_RETRY"]).name).toBe(
      "handle_mm_fault(vma, addr, ALLOW_RETRY)",
    );
  });

  it("reports a step that throws during exploration as a design error at that step", async () => {
    const r = await lockdrop("check", `${DIR}/10-step-throws.ts`, "--runs", "20");
    onePlainParagraph(r);
    expect(r.err).toMatch(
      /^lockdrop: design error in test\/fixtures\/designs\/10-step-throws\.ts \(design "fixture-step-throws"\), step "check_locked": local "lockd" was never set, so there is no number to read \(set it in an earlier step, or check its spelling\)\. This is a bug in the design's step, not a property violation/,
    );
    // --debug: the stack of what the step threw, on the worker thread, names the file's line
    const debug = await lockdrop("--debug", "check", `${DIR}/10-step-throws.ts`, "--runs", "20");
    expect(debug.code).toBe(2);
    expect(debug.err).toMatch(/Caused by: .*\n(\s+at .*\n)*\s+at .*10-step-throws\.ts:\d+:\d+/);
  });

  it("reports an op that returns an outcome it does not declare as a design error at that step", async () => {
    const r = await lockdrop("check", `${DIR}/15-undeclared-outcome.ts`, "--runs", "20");
    onePlainParagraph(r);
    expect(r.err).toMatch(
      /^lockdrop: design error in test\/fixtures\/designs\/15-undeclared-outcome\.ts \(design "fixture-undeclared-outcome"\), step "check_locked": if \(!locked\) returned the outcome "maybe", which it does not declare \(its outcomes: "yes", "no"\)/,
    );
    // --debug prints the stack and no longer tells the user to run with --debug
    const debug = await lockdrop(
      "--debug",
      "check",
      `${DIR}/15-undeclared-outcome.ts`,
      "--runs",
      "20",
    );
    expect(debug.code).toBe(2);
    expect(debug.err).not.toMatch(/run with --debug/);
    expect(debug.err).toMatch(/\n\s+at /);
  });

  it("says an op returned nothing when its run has no return", async () => {
    const r = await lockdrop("check", `${DIR}/19-returns-nothing.ts`, "--runs", "20");
    onePlainParagraph(r);
    expect(r.err).toMatch(
      /step "check_locked": if \(!locked\) returned nothing \(a run with no `return`\?\), where it must return one of its outcomes \("yes", "no"\)\. This is a bug in the design's step/,
    );
  });

  it("reports a step that throws in an exhaustive search on two threads as a design error at that step", async () => {
    // the step throws on one of the threads; the other must stop with it, not wait at a barrier
    const r = await lockdrop(
      "check",
      `${DIR}/10-step-throws.ts`,
      "--exhaustive",
      "--workers",
      "2",
      "--step-timeout",
      "60",
    );
    expect(r.code).toBe(2);
    onePlainParagraph(r);
    expect(r.err).toMatch(
      /^lockdrop: design error in test\/fixtures\/designs\/10-step-throws\.ts \(design "fixture-step-throws"\), step "check_locked": local "lockd" was never set, so there is no number to read \(set it in an earlier step, or check its spelling\)\./,
    );
  });

  it("runs design files in matrix too (on its worker threads), design errors included", async () => {
    const [ok, bad] = await Promise.all([
      lockdrop(
        "matrix",
        "--design",
        `${DIR}/_own-defaults.ts`,
        "--scenario",
        "anon-plain",
        "--runs",
        "50",
      ),
      lockdrop("matrix", "--design", `${DIR}/10-step-throws.ts`, "--runs", "20"),
    ]);
    expect(ok.code).toBe(0);
    // the properties the file names (only lock-balance), as check takes them
    expect(ok.out).toMatch(/== fixture-own-defaults\n\s+anon-plain\n\s+lock-balance\s+holds\n*$/);
    onePlainParagraph(bad);
    expect(bad.err).toMatch(
      /design error in .*10-step-throws\.ts \(design "fixture-step-throws"\), step "check_locked"/,
    );
  });

  it("says where to install lockdrop when a design file outside any project cannot import it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lockdrop-alone-"));
    const file = join(dir, "mine.ts");
    writeFileSync(
      file,
      'import { design } from "lockdrop/model";\nexport default design({ id: "alone", family: "hmm", start: "exit", steps: {} });\n',
    );
    const r = await lockdrop("check", file, "--runs", "20");
    onePlainParagraph(r);
    expect(r.err).toMatch(
      /it imports lockdrop\/model, which Node cannot find from the file's folder: .* Fix: install lockdrop in the project the file lives in and run `npx lockdrop init` there/,
    );
  });

  it("refuses a design file whose lockdrop/model is another install than the command's", async () => {
    // a project with its own copy of lockdrop/model: what the file declares would go into
    // that copy's registries, which this command never reads. The copy is known by the
    // mark its design() leaves on the export, or else by its record of itself.
    const project = (model: string[]) => {
      const dir = mkdtempSync(join(tmpdir(), "lockdrop-copy-"));
      const pkg = join(dir, "node_modules", "lockdrop");
      mkdirSync(pkg, { recursive: true });
      writeFileSync(
        join(pkg, "package.json"),
        JSON.stringify({ name: "lockdrop", type: "module", exports: { "./model": "./model.js" } }),
      );
      writeFileSync(join(pkg, "model.js"), model.join("\n"));
      writeFileSync(
        join(dir, "package.json"),
        JSON.stringify({ name: "elsewhere", type: "module" }),
      );
      const file = join(dir, "mine.ts");
      writeFileSync(
        file,
        'import { design } from "lockdrop/model";\nexport default design({ id: "mine", family: "hmm", start: "exit", steps: {} });\n',
      );
      return file;
    };
    const marks = project([
      "export const design = (spec) => Object.defineProperty({ title: spec.id, summary: '', source: 'copy', ...spec }, Symbol.for('lockdrop.model.copy'), { value: import.meta.url });",
    ]);
    const records = project([
      'const copies = Symbol.for("lockdrop.model.copies");',
      "globalThis[copies] ??= new Set();",
      "globalThis[copies].add(import.meta.url);",
      "export const design = (spec) => ({ title: spec.id, summary: '', source: 'copy', ...spec });",
    ]);
    for (const file of [marks, records]) {
      const r = await lockdrop("check", file, "--runs", "20");
      onePlainParagraph(r);
      expect(r.err).toMatch(
        /it imports lockdrop\/model from .*node_modules\/lockdrop\/model\.js, another install than this lockdrop's \(.*api\/model\.ts\).* Fix: run the lockdrop installed beside the design file/,
      );
    }
  });

  it("names a .mts file with a syntax error by its own name, and --debug shows what esbuild said", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lockdrop-syntax-"));
    const file = join(dir, "broken.mts");
    writeFileSync(file, 'export default {\n  id: "x",,\n};\n');
    const r = await lockdrop("check", file, "--runs", "20");
    onePlainParagraph(r);
    expect(r.err).toMatch(/broken\.mts:2:\d+: ERROR: /);
    expect(r.err).not.toMatch(/broken\.ts/);
    const debug = await lockdrop("--debug", "check", file, "--runs", "20");
    expect(debug.code).toBe(2);
    expect(debug.err).toMatch(/\nCaused by: .*Error/);
  });

  it("refuses a LOCKDROP_LOAD_TIMEOUT that is not a number of seconds", async () => {
    for (const v of ["abc", "0", "2.5"]) {
      const r = await runNode("cli/bin.mjs", ["check", `${DIR}/_base-design.ts`, "--runs", "5"], {
        ...process.env,
        LOCKDROP_LOAD_TIMEOUT: v,
      });
      onePlainParagraph(r);
      expect(r.err).toMatch(
        new RegExp(
          `LOCKDROP_LOAD_TIMEOUT must be a whole number of seconds between 1 and 3,600, got "${v}"\\.`,
        ),
      );
    }
  });

  it("names a missing file", async () => {
    const r = await lockdrop("check", "./no-such-design.ts");
    onePlainParagraph(r);
    expect(r.err).toMatch(/no-such-design\.ts: no such file/);
  });

  it("uses the scenarios and properties a design file names, unless the command line does", async () => {
    const own = await lockdrop("check", `${DIR}/_own-defaults.ts`, "--runs", "100");
    expect(own.code).toBe(0);
    const verdicts = own.out.split("\n").filter((l) => /holds|VIOLATED|n\/a/.test(l));
    expect(verdicts).toEqual([expect.stringMatching(/^anon-plain\s+lock-balance\s+holds/)]);
    const given = await lockdrop(
      "check",
      `${DIR}/_own-defaults.ts`,
      "--scenario",
      "anon-uffd",
      "--runs",
      "100",
    );
    expect(given.out).toMatch(/^anon-uffd\s+lock-balance\s+holds/m);
    expect(given.out).not.toMatch(/^anon-plain/m);
  });

  it("runs a well-formed design file like a built-in design", async () => {
    const r = await lockdrop(
      "check",
      `${DIR}/_base-design.ts`,
      "--scenario",
      "anon-uffd",
      "--property",
      "lock-balance",
      "zero-unlocked-not-success",
      "--runs",
      "200",
    );
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/anon-uffd\s+lock-balance\s+holds \(200 random runs\)/);
    expect(r.out).toMatch(/^lockdrop check test\/fixtures\/designs\/_base-design\.ts \(seed 1/);
  });
});
