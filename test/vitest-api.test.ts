// The vitest API as a user's suite would use it: `lockdrop/vitest` and `lockdrop/model`
// through the package's own exports.
import { AssertionError } from "node:assert";
import { DESIGNS, mutant, set } from "lockdrop/model";
import { checkDesign, checkDesignFile } from "lockdrop/vitest";
import { describe, expect, it } from "vitest";

const v2 = DESIGNS.find((d) => d.id === "v2");
if (!v2) throw new Error("no v2");

describe("lockdrop/vitest", () => {
  it("returns verdicts and passes when they are the expected ones", () => {
    const c = checkDesign("v1-hugetlb-drop", {
      scenarios: ["hugetlb-uffd"],
      properties: ["no-freed-vma-use", "lock-balance"],
      runs: 300,
    });
    expect(c.verdict("no-freed-vma-use")).toBe("violated");
    expect(c.lanes("no-freed-vma-use")).toMatch(/frees vma#0's hugetlb_vma_lock; wakes T/);
    c.expect({ "no-freed-vma-use": "violated", "lock-balance": "holds" });
  });

  it("throws an AssertionError that prints the thread lanes on an unexpected violation", () => {
    const c = checkDesign("v1-hugetlb-drop", {
      scenarios: ["hugetlb-uffd"],
      properties: ["no-freed-vma-use"],
      runs: 300,
    });
    let thrown: unknown;
    try {
      c.expect({ "hugetlb-uffd": { "no-freed-vma-use": "holds" } });
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(AssertionError);
    const msg = (thrown as Error).message;
    expect(msg).toMatch(
      /^lockdrop: v1-hugetlb-drop on hugetlb-uffd: expected no-freed-vma-use to hold, but it is VIOLATED in \d+ steps:/,
    );
    expect(msg).toMatch(/T \(v1-hugetlb-drop\)\s+W \(munmap\)/);
    expect(msg).toMatch(/>>\s+VIOLATION no-freed-vma-use: W freed vma#0's hugetlb_vma_lock/);
    // and how to see it again from a shell
    expect(msg).toMatch(/\n {2}replay: npx lockdrop replay ld1\.\S+$/);
  });

  it("prints a lasso's loop in the lanes of an unexpected liveness violation", () => {
    const c = checkDesign("v2", {
      scenarios: ["anon-uffd-killed"],
      properties: ["fatal-signal-ends-loop"],
      runs: 300,
    });
    expect(() => c.expect({ "fatal-signal-ends-loop": "holds" })).toThrow(
      /steps \d+-\d+ form the loop; it comes back to the state after step \d+/,
    );
  });

  it("checks a user's own mutant, and says when an expected violation was not found", () => {
    // the caller forgets that *locked = 0 means the lock is gone, and unlocks anyway
    const unlocks = mutant(v2, "v2-unlocks-anyway", "mmap_read_unlock() whatever *locked says", {
      "seg.done": { op: set({}, "(no check of locked)"), next: "unlock" },
    });
    const c = checkDesign(unlocks, {
      scenarios: ["anon-uffd"],
      properties: ["lock-balance", "no-freed-vma-use"],
      runs: 300,
    });
    c.expect({ "lock-balance": "violated" });
    expect(() => c.expect({ "no-freed-vma-use": "violated" })).toThrow(
      /expected no-freed-vma-use to be violated, but it held in 300 random schedules \(seed 1\)/,
    );
    expect(() => checkDesign("v2", { runs: 10 }).verdict("lock-balance")).toThrow(
      /name the scenario of "lock-balance"/,
    );
    // a mistyped key names what was checked, and the closest of it
    const checked = checkDesign("v2", { scenarios: ["anon-uffd-1"], runs: 5 });
    expect(() => checked.expect({ "no-freed-vma-uses": "holds" })).toThrow(
      /expect\(\): "no-freed-vma-uses" is not a property checked for v2 \(did you mean "no-freed-vma-use"\?\)\. Checked: no-vma-use-after-unlock, no-freed-vma-use,/,
    );
    // a verdict that is none (JavaScript, or a cast) is named, not read as n/a
    const notAVerdict = { "lock-balance": "hold" } as unknown as Record<string, "holds">;
    expect(() => checked.expect(notAVerdict)).toThrow(
      /expect\(\): the verdict expected of "lock-balance" is "hold", which is not a verdict \(did you mean "holds"\?\)\. A verdict is one of holds, violated, unknown, n\/a\./,
    );
    const nested = { "anon-uffd-1": { "lock-balance": "VIOLATED" } } as unknown as Record<
      string,
      Record<string, "violated">
    >;
    expect(() => checked.expect(nested)).toThrow(
      /the verdict expected of "lock-balance" on "anon-uffd-1" is "VIOLATED", which is not a verdict \(did you mean "violated"\?\)/,
    );
    expect(() => checked.expect({ "lock-balance": "n/a" })).toThrow(
      /expected lock-balance to be n\/a, but it held in 5 random schedules/,
    );
    expect(() => checked.expect({ "anon-uffd-2": { "lock-balance": "holds" } })).toThrow(
      /expect\(\): "anon-uffd-2" is not a scenario v2 was checked on \(did you mean "anon-uffd-1"\?\)\. Checked on: anon-uffd-1\./,
    );
    expect(() => checkDesign("v2", { scenarios: ["anon-ufd"], runs: 5 })).toThrow(
      /unknown scenario "anon-ufd" \(did you mean "anon-uffd"\?\)/,
    );
  });

  it("refuses options that would check nothing, before running anything", () => {
    const bad: Record<string, unknown>[] = [
      { runs: 0 },
      { runs: Number.NaN },
      { runs: Number("") - Number("x") },
      { runs: -3 },
      { runs: 2.5 },
      { scenarios: [] },
      { properties: [] },
      { seed: 2 ** 40 },
      { runz: 100 },
    ];
    for (const o of bad)
      expect(() => checkDesign(v2, o as never), JSON.stringify(o)).toThrow(
        /checkDesign\(\): .*Nothing was checked\. Fix: /,
      );
    // the design violates nothing here, so only the refusal can make these throw
    expect(() =>
      checkDesign("v2", {
        scenarios: ["anon-plain"],
        properties: ["lock-balance"],
        runs: 20,
      }).expect({
        "lock-balance": "holds",
      }),
    ).not.toThrow();
  });

  it("says what each verdict rests on (its strength)", () => {
    const c = checkDesign("v2", {
      scenarios: ["anon-uffd-1"],
      properties: ["lock-balance"],
      runs: 20,
    });
    expect(c.rows[0]?.strength).toEqual({ kind: "random", runs: 20 });
  });

  it("checks a design file by its module URL on a worker thread, under the step watchdog", async () => {
    const c = await checkDesignFile(new URL("../examples/svm-first.ts", import.meta.url), {
      runs: 300,
    });
    expect(c.verdict("no-deadlock")).toBe("violated");
    expect(c.lanes("no-deadlock")).toMatch(/mutex_lock\(prange->lock\)/);
    await expect(
      checkDesignFile(new URL("./fixtures/watchdog/loops.ts", import.meta.url), {
        runs: 5,
        stepTimeout: 1,
      }),
    ).rejects.toThrow(/step "spin": the step .*ran for more than 1 s without returning/);
  });
});
