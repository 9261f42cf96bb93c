// The arena-backed visited set against a Map of strings, through several rehashes and
// with encodings of different lengths that share prefixes.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { StateSet } from "../engine/stateset.js";

const encodings = fc.array(fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 12 }), {
  minLength: 1,
  maxLength: 400,
});

describe("StateSet", () => {
  for (const compact of [false, true])
    it(`stores and finds states like a Map${compact ? " (hash-compact)" : ""}`, () => {
      fc.assert(
        fc.property(encodings, (list) => {
          const set = new StateSet(compact);
          const ref = new Map<string, number>();
          list.forEach((units, i) => {
            const u = Uint16Array.from(units);
            const key = units.join(",");
            expect(set.get(u, u.length)).toBe(ref.get(key));
            if (!ref.has(key)) {
              set.add(u, u.length, i);
              ref.set(key, i);
            }
          });
          expect(set.size).toBe(ref.size);
          for (const [key, i] of ref) {
            const u = Uint16Array.from(key === "" ? [] : key.split(",").map(Number));
            expect(set.get(u, u.length)).toBe(i);
          }
        }),
        { seed: 5, numRuns: 60 },
      );
    });

  it("reads only the first len units of the buffer it is given", () => {
    const set = new StateSet(false);
    set.add(Uint16Array.from([1, 2, 3, 9, 9]), 3, 7);
    expect(set.get(Uint16Array.from([1, 2, 3, 4]), 3)).toBe(7);
    expect(set.get(Uint16Array.from([1, 2]), 2)).toBeUndefined();
  });
});
