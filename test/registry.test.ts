// An id names one entry (model/registry.ts): a second entry under a taken id is refused,
// unless it is the same design's declaration loaded a second time by another module
// loader (a vitest test imports a design file, and checkDesignFile() loads it again).
import { describe, expect, it } from "vitest";
import { DuplicateIdError, registry } from "../model/registry.js";

describe("registry", () => {
  const reg = registry<{ readonly id: string; readonly n: number }>("registry-test-entry");
  const first = reg.add({ id: "drv-lock", n: 1 }, 'design "mydrv"', "mydrv");

  it("keeps the first copy of one design's declaration met again from another loader", () => {
    const again = reg.add({ id: "drv-lock", n: 1 }, "/home/me/lockdrop/mydrv.mts", "mydrv");
    expect(again).toBe(first);
    expect(reg.get("drv-lock")).toBe(first);
  });

  it("refuses the id for another design's entry, or an entry no design owns", () => {
    // the same design declaring two entries of one id in one place
    expect(() => reg.add({ id: "drv-lock", n: 2 }, 'design "mydrv"', "mydrv")).toThrow(
      DuplicateIdError,
    );
    expect(() => reg.add({ id: "drv-lock", n: 2 }, "other.mts", "otherdrv")).toThrow(
      DuplicateIdError,
    );
    expect(() => reg.add({ id: "drv-lock", n: 2 }, "other.mts")).toThrow(
      /the registry-test-entry id "drv-lock" is already taken by the registry-test-entry from design "mydrv"/,
    );
  });
});
