// mydrv's verdicts, run by `npm test`: a change to the design (or to lockdrop) that
// breaks one fails the test and prints the counterexample as thread lanes.
import { mutant, test } from "lockdrop/model";
import { checkDesign } from "lockdrop/vitest";
import { describe, it } from "vitest";
import mydrv from "./mydrv.mjs";

describe("mydrv", () => {
  it("keeps every property on the scenarios it lists", () => {
    checkDesign(mydrv, { runs: 500 }).expectAllHold();
  });

  it("would spin on a killed task without the fatal_signal_pending() check", () => {
    const spins = mutant(mydrv, "mydrv-spins", "starts again on !locked even when killed", {
      relock: {
        op: test("!locked", (k) => k.num("locked") === 0),
        on: { yes: "again", no: "take" },
      },
    });
    checkDesign(spins, { scenarios: ["anon-uffd"], runs: 500 }).expect({
      "fatal-signal-ends-loop": "violated",
    });
  });
});
