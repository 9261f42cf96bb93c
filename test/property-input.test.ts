// safety() and liveness() refuse what they cannot take when they are called (a design
// file is not type-checked): an unknown key, a required key missing, a value of the
// wrong kind, each with the key and the fix; what they can take passes.
import { describe, expect, it } from "vitest";
import { checkPropertyInput, PropertyInputError } from "../properties/input.js";
import { liveness, safety } from "../properties/property.js";

const refused = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(PropertyInputError);
    return (e as Error).message;
  }
  throw new Error("not refused");
};

describe("what safety() and liveness() take", () => {
  it("takes every key it documents", () => {
    const s = safety({
      id: "all-keys",
      ref: "here",
      statement: "x",
      applies: () => true,
      check: () => null,
      atEnd: () => null,
    });
    expect(s.kind).toBe("safety");
    const l = liveness({
      id: "all-keys-l",
      ref: "here",
      statement: "x",
      applies: () => true,
      inLoop: () => true,
      fairTo: ["monitor"],
      notFairTo: ["munmap"],
      progress: () => false,
      describe: () => "loop",
    });
    expect(l.kind).toBe("liveness");
  });

  it("names an unknown key, and the key it stands for when one is missing", () => {
    expect(
      refused(() => checkPropertyInput("safety", { id: "a", statement: "s", step: () => null })),
    ).toBe(
      'safety() property "a": unknown key "step" (a safety property takes id, ref, statement, applies, check and atEnd). Fix: rename "step" to "check".',
    );
    // two missing: no guess at which
    expect(refused(() => checkPropertyInput("safety", { id: "a", step: () => null }))).toMatch(
      /unknown key "step" .*Fix: remove "step", or rename it to the key it stands for\./,
    );
    expect(
      refused(() =>
        checkPropertyInput("liveness", {
          id: "a",
          statement: "s",
          inLoop: () => true,
          fair: ["x"],
        }),
      ),
    ).toMatch(
      /liveness\(\) property "a": unknown key "fair" \(a liveness property takes id, ref, statement, applies, inLoop, fairTo, notFairTo, progress and describe\)/,
    );
  });

  it("names a required key missing and a value of the wrong kind", () => {
    expect(refused(() => checkPropertyInput("safety", { id: "a", check: () => null }))).toBe(
      'safety() property "a": it has no statement (a non-empty string, which a safety property must have). Fix: add statement: "what must hold, in a sentence".',
    );
    expect(
      refused(() => checkPropertyInput("safety", { id: "a", statement: "", check: () => null })),
    ).toMatch(/statement is an empty string, where it takes a non-empty string/);
    expect(
      refused(() => checkPropertyInput("safety", { id: "a", statement: "s", check: "yes" })),
    ).toMatch(/check is "yes", where it takes a function\. Fix: give check as /);
    expect(
      refused(() => checkPropertyInput("liveness", { id: 7, statement: "s", inLoop: () => true })),
    ).toMatch(
      /^liveness\(\) property: the id must be letters, digits, "\.", "_" and "-" \(got 7\)\. Fix: /,
    );
    expect(
      refused(() =>
        checkPropertyInput("liveness", {
          id: "a",
          statement: "s",
          inLoop: () => true,
          notFairTo: [1],
        }),
      ),
    ).toMatch(/notFairTo is \[1\], where it takes a list of actor ids/);
    expect(refused(() => checkPropertyInput("safety", null))).toMatch(
      /^safety\(\) takes one object, and was given null\. Fix: /,
    );
  });
});
