// mydrv's verdicts, run by `npm test`. Edit: the expectations as the design changes, and
// a mutant for each mistake it must not make, so that the checks are seen to catch it. A
// change to the design, its scenarios or properties (or to lockdrop) that breaks one
// fails the test and prints the counterexample as thread lanes.
import { mutant, PROPERTIES, test, userUnlock } from "lockdrop/model";
import { checkDesign, checkDesignFile } from "lockdrop/vitest";
import { describe, it } from "vitest";
import mydrv from "./mydrv.mjs";
import { noMmapLockUnderRangeLock } from "./property.mjs";
import { anonUffd, hugetlbUffd } from "./scenario.mjs";

// random schedules per scenario: a few hundred keep `npm test` fast; raise them, or run
// `npx lockdrop check lockdrop/mydrv.mts --exhaustive`, for a deeper search
const runs = 300;

describe("mydrv", () => {
  it("keeps the properties it lists on the scenarios it lists", () => {
    // mydrv.mts lists them: mydrv's own property and scenarios among them
    checkDesign(mydrv, { runs }).expectAllHold();
  });

  it("holds when loaded as a file, as `lockdrop check` loads it", async () => {
    // on a worker thread, with each step under a watchdog: a step that never returns
    // fails the test instead of hanging `npm test`
    const file = await checkDesignFile(new URL("./mydrv.mts", import.meta.url), { runs });
    file.expectAllHold();
  });

  it("keeps every built-in property with one mydrv thread", () => {
    // with one driver thread, also those that follow one thread's calls (see mydrv.mts)
    checkDesign(mydrv, {
      scenarios: [anonUffd, hugetlbUffd],
      properties: [noMmapLockUnderRangeLock, ...PROPERTIES],
      runs,
    }).expectAllHold();
  });

  it("would spin on a killed task without the fatal_signal_pending() check", () => {
    const spins = mutant(mydrv, "mydrv-spins", "starts again on !locked even when killed", {
      relock: {
        op: test("!locked", (k) => k.num("locked") === 0),
        on: { yes: "again", no: "range_lock" },
      },
    });
    checkDesign(spins, { scenarios: [anonUffd], runs }).expect({
      "fatal-signal-ends-loop": "violated",
    });
  });

  it("would take the mmap lock under mrange->lock if a collision kept it", () => {
    const keeps = mutant(mydrv, "mydrv-keeps-range-lock", "retries with mrange->lock held", {
      collision: { op: userUnlock(), next: "again" },
    });
    checkDesign(keeps, { scenarios: [anonUffd], runs }).expect({
      "no-mmap-lock-under-range-lock": "violated",
    });
  });
});
