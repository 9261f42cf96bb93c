// The "did you mean" after a name nobody declared: a typo by edit distance, else the one
// known name the word contains or that contains it; nothing when neither is clear.
import { describe, expect, it } from "vitest";
import { closest, didYouMean } from "../reports/did-you-mean.js";

const ACTORS = ["munmap", "monitor", "monitor-copy", "invalidate", "signal", "clock"];

describe("didYouMean", () => {
  it("takes a typo by edit distance first", () => {
    expect(closest("munmapp", ACTORS)).toBe("munmap");
    expect(didYouMean("sigal", ACTORS)).toBe(' (did you mean "signal"?)');
  });

  it("takes the one known name the word contains, or that contains it", () => {
    expect(closest("uffd-monitor", ACTORS)).toBe("monitor");
    expect(closest("uffd-monitor-copy", ACTORS)).toBe("monitor-copy");
    expect(closest("rmap-invalidate-one", ACTORS)).toBe("invalidate");
    expect(closest("invalid", ACTORS)).toBe("invalidate");
  });

  it("says nothing when no name is near or several contain it", () => {
    // (under 4 characters: too short to guess from)
    expect(closest("mon", ACTORS)).toBeNull();
    expect(closest("the-monitor-and-its-copy-thread", ["monitor", "copy-thread"])).toBeNull();
    expect(didYouMean("hugetlb-fault-storm", ACTORS)).toBe("");
  });
});
