// An id names one entry (model/registry.ts): a second entry under a taken id is refused,
// unless it declares alike: one file loaded a second time by another module loader (a
// vitest test imports a design for checkDesign(), and checkDesignFile() loads the file).
import { describe, expect, it } from "vitest";
import { DuplicateIdError, registry, sameDeclaration } from "../model/registry.js";

interface Entry {
  readonly id: string;
  readonly locks: readonly string[];
  readonly run: () => string;
}

describe("registry", () => {
  const reg = registry<Entry>("registry-test-entry");
  // two loaders compile the same source into two functions
  const first = reg.add({ id: "drv", locks: ["drv.lock"], run: () => "a" }, 'design "mydrv"');

  it("keeps the first copy of a declaration met again alike, from another loader or place", () => {
    const again = reg.add({ id: "drv", locks: ["drv.lock"], run: () => "b" }, "/w/mydrv.mts");
    expect(again).toBe(first);
    // and from the same place: checkDesignFile() declares the file's design object again
    // as `design "mydrv"`, as checkDesign() did with the test's own copy
    expect(reg.add({ id: "drv", locks: ["drv.lock"], run: () => "c" }, 'design "mydrv"')).toBe(
      first,
    );
    expect(reg.get("drv")).toBe(first);
  });

  it("refuses another declaration under the id, whoever declares it", () => {
    for (const from of ['design "mydrv"', "/w/v2/mydrv.mts"])
      expect(() => reg.add({ id: "drv", locks: ["OTHER"], run: () => "a" }, from)).toThrow(
        DuplicateIdError,
      );
    expect(() => reg.add({ id: "drv", locks: ["OTHER"], run: () => "a" }, "x.mts")).toThrow(
      /the registry-test-entry id "drv" is already taken by the registry-test-entry from design "mydrv"/,
    );
  });

  it("compares data, key order aside, and functions by place only", () => {
    expect(
      sameDeclaration({ a: 1, b: [1, { c: () => 1 }] }, { b: [1, { c: () => 2 }], a: 1 }),
    ).toBe(true);
    expect(sameDeclaration({ a: 1, f: () => 1 }, { a: 1, f: 1 })).toBe(false);
    expect(sameDeclaration({ a: [1, 2] }, { a: [2, 1] })).toBe(false);
  });
});
