// What a design file declares (scenarios, actors, locks, properties) is validated before
// anything runs: each malformed fixture in test/fixtures/extensions/ yields its own
// one-paragraph error naming the file, the entry and the fix, exit 2, no stack trace. A
// property whose check throws is a bug in the property at that step, never a pass.
import { describe, expect, it } from "vitest";
import { type CliResult, fewAtATime, runNode } from "./run-cli.js";

const lockdrop = (...args: string[]) => runNode("cli/bin.mjs", args);
const DIR = "test/fixtures/extensions";

/** fixture -> what its one paragraph must say (after "lockdrop: <file>: ") */
const EXPECTED: Record<string, RegExp> = {
  "01-scenario-id-taken.ts":
    /the scenario id "anon-uffd" is already taken by the scenario from lockdrop's built-ins\. Fix: give the scenario from .*01-scenario-id-taken\.ts an id of its own/,
  "02-property-id-taken.ts":
    /the property id "lock-balance" is already taken by the property from lockdrop's built-ins\. Fix: /,
  "03-two-scenarios-one-id.ts":
    /the scenario id "mine" is already taken by the scenario from .*03-two-scenarios-one-id\.ts\. Fix: /,
  "04-actor-no-start.ts":
    /actor "drv-cb" \(in scenario "ext-04"\) has no start label: "idle" is not one of its steps \(take, drop\)\. Fix: set start to the label of its entry step/,
  "05-actor-bad-jump.ts":
    /actor "drv-cb5", step "drop" jumps to unknown label "idel"\. Fix: add a step "idel" or jump to one of idle, drop\./,
  "06-unknown-actor.ts":
    /scenario "ext-06" names an unknown actor "munmapp" \(did you mean "munmap"\?\) \(known: munmap, .*\)\. Fix: pass the actor object, or the id of a built-in or declared actor\./,
  "07-unknown-design-alongside.ts":
    /scenario "ext-07" runs an unknown design "v9" alongside\. Fix: /,
  "08-lock-unknown-kind.ts":
    /scenario "ext-08": lock "semaphore" is not a lock kind lockdrop knows\. Fix: declare \{ name, kind \} with kind one of rwsem, mutex, spinlock, seqcount, refcount, vma-lock, rcu\./,
  "09-liveness-unknown-thread.ts":
    /property "writer-gets-in": its loop must be fair to "monitr", which is no actor lockdrop knows \(known: .*monitor.*\)\. Fix: /,
  "11-negative-budget.ts":
    /scenario "ext-11": actors\.0\.budget: .*>=0\. Fix: list actors as use\(myActor, budget\)/,
  "12-no-vmas.ts": /scenario "ext-12": vmas: .*>=1 items\. Fix: /,
  "13-family-mismatch.ts":
    /scenario "ext-13" is for gup designs, and design "ext-13" is an hmm caller\. Fix: add "hmm" to the scenario's families\./,
  "14-lock-declared-twice.ts": /scenario "ext-14" declares the lock "drv\.lock" twice\. Fix: /,
  "15-property-not-object.ts":
    /property "half-a-property": ref: .*Fix: declare it with safety\(\) or liveness\(\)/,
  "16-no-drivers.ts": /scenario "ext-16": drivers: .*>=1\. Fix: /,
  "17-actor-id-taken.ts":
    /the actor id "munmap" is already taken by the actor from lockdrop's built-ins\. Fix: /,
  "20-lane-taken.ts":
    /scenario "ext-20": actors "munmap" and "ext-20-invalidate" both print in lane "W", so a counterexample could not tell them apart\. Fix: /,
  "22-property-id-not-a-string.ts":
    /line \d+: safety\(\) property: the id must be letters, digits, "\.", "_" and "-" \(got 5\)\. Fix: /,
  "23-safety-misspelt-check.ts":
    /line 6: safety\(\) property "misspelt-check": unknown key "step" \(a safety property takes id, ref, statement, applies, check and atEnd\)\. Fix: rename "step" to "check"\./,
  "24-safety-description.ts":
    /line 5: safety\(\) property "no-statement": unknown key "description" .*Fix: rename "description" to "statement"\./,
  "25-liveness-no-loop.ts":
    /line 5: liveness\(\) property "no-loop": it has no inLoop \(a function, which a liveness property must have\)\. Fix: add inLoop: /,
  "26-liveness-fair-to-string.ts":
    /line 5: liveness\(\) property "fair-to-one": fairTo is "monitor", where it takes a list of actor ids\. Fix: give fairTo as \[/,
  "19-compose-duplicate.ts":
    /compose\(\): fragment 2 defines step "unlock", which an earlier fragment already defines\. Fix: rename one of them, or wrap fragment 2 in override\(\.\.\.\)/,
};

function onePlainParagraph(r: CliResult): void {
  expect(r.code).toBe(2);
  expect(r.out).toBe("");
  expect(r.err).not.toMatch(/\n\s+at /);
  expect(r.err).not.toMatch(/internal error/);
  expect(r.err.trim().split("\n")).toHaveLength(1);
  expect(r.err).toMatch(/Fix: /);
}

describe("malformed declarations in design files", () => {
  it("each yields its one-paragraph error naming the file and the entry, exit 2", async () => {
    const names = Object.keys(EXPECTED);
    expect(names.length).toBeGreaterThanOrEqual(15);
    const results = await fewAtATime(names, 4, (n) =>
      lockdrop("check", `${DIR}/${n}`, "--runs", "20"),
    );
    names.forEach((n, i) => {
      const r = results[i] as CliResult;
      onePlainParagraph(r);
      expect(r.err.startsWith(`lockdrop: ${DIR}/${n}: `), r.err).toBe(true);
      expect(r.err).toMatch(EXPECTED[n] as RegExp);
    });
  });

  it("reports a property's check that throws as a property error at that step, no verdict", async () => {
    const r = await lockdrop("check", `${DIR}/10-check-throws.ts`, "--runs", "20");
    onePlainParagraph(r);
    expect(r.err).toMatch(
      /property error: "reads-a-missing-local": its check threw: no local cookie \(at test\/fixtures\/extensions\/10-check-throws\.ts:10\), judging step "\S+" of .*no verdict was given/,
    );
  });

  it("reports a check that returns anything but a message or null as a property error, no verdict", async () => {
    const r = await lockdrop("check", `${DIR}/21-check-returns-boolean.ts`, "--runs", "20");
    onePlainParagraph(r);
    expect(r.err).toMatch(
      /property error: "returns-a-boolean": its check returned true, where a check returns null when the step keeps the property and a message saying what broke it when it does not, judging step "\S+" of .*no verdict was given/,
    );
  });

  it("names an actor's step that meets an undeclared object as it runs, with the scenario's fix", async () => {
    const r = await lockdrop("check", `${DIR}/27-actor-undeclared-object.ts`, "--runs", "20");
    onePlainParagraph(r);
    expect(r.err).toBe(
      `lockdrop: design error in ${DIR}/27-actor-undeclared-object.ts (actor "ext-27-reaper"), step "free": chunk_release(chunk) threw: no object "chunk" in this scenario (it declares: none). No verdict was given. Fix: declare it in the scenario's objects.\n`,
    );
  });

  it("refuses a lock the scenario does not declare before anything runs, naming the step and the fix", async () => {
    const r = await lockdrop("check", `${DIR}/18-undeclared-lock.ts`, "--runs", "20");
    onePlainParagraph(r);
    expect(r.err).toMatch(
      /18-undeclared-lock\.ts: design "ext-18", step "take": mutex_lock\(drv\.lock\) names the lock "drv\.lock", which scenario "ext-18" does not declare \(it declares: none\)\. Fix: add \{ name: "drv\.lock", kind: "mutex" \} to the scenario's locks\./,
    );
    // a built-in scenario named on the command line: the fix says how to add the lock
    const builtIn = await lockdrop(
      "check",
      "./examples/svm-first.ts",
      "--scenario",
      "anon-uffd-1",
      "--runs",
      "20",
    );
    onePlainParagraph(builtIn);
    expect(builtIn.err).toMatch(
      /names the lock "prange->lock", which scenario "anon-uffd-1" does not declare .*scenario\(\{ \.\.\.builtIn, id: "my-anon-uffd-1", locks: \[\{ name: "prange->lock", kind: "mutex" \}\] \}\)/,
    );
  });
});
