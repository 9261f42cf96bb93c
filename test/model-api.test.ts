// lockdrop/model's step() helper: outcome names are checked by TypeScript (tsc runs
// over test/, so a wrong name below would fail the typecheck without the directive).
import { exit, handleMmFault, hmmFaultFlags, type Step, step, test } from "lockdrop/model";
import { describe, expect, it } from "vitest";

describe("lockdrop/model step()", () => {
  it("builds the same step as the object form", () => {
    const fault = handleMmFault("vma", "addr", hmmFaultFlags("ALLOW_RETRY"));
    const s: Step = step(fault, { on: { ok: "done", retry: "again" }, next: "fail" });
    expect(s).toEqual({ op: fault, on: { ok: "done", retry: "again" }, next: "fail" });
    expect(step(exit(), {})).toEqual({ op: expect.objectContaining({ outcomes: [] }) });
  });

  it("rejects an outcome the primitive does not have, at compile time", () => {
    const cond = test("x", () => true);
    // @ts-expect-error: test() has outcomes "yes" and "no" only
    const s = step(cond, { on: { maybe: "a" } });
    expect(Object.keys(s.on ?? {})).toEqual(["maybe"]);
  });
});
