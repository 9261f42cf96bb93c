// mydrv's own expectations, run with the rest of the driver's tests (`npm test`).
import { checkDesign } from "lockdrop/vitest";
import { describe, it } from "vitest";
import mydrvFirst from "./mydrv-first.js";
import mydrvKillable from "./mydrv-killable.js";

describe("mydrv on hmm_range_fault_unlockable()", () => {
  it("the first attempt unlocks a lock the API already dropped", () => {
    checkDesign(mydrvFirst, { scenarios: ["anon-uffd"], runs: 500 }).expect({
      "lock-balance": "violated",
      "zero-unlocked-not-success": "violated",
    });
  });

  it("the final version keeps every safety property and stops when killed", () => {
    checkDesign(mydrvKillable, {
      scenarios: ["anon-uffd", "hugetlb-uffd"],
      runs: 500,
    }).expectAllHold();
  });
});
