// Mutation sanity (issue 3): break a primitive or a caller the way mutant
// designs are built, and the checker must report a violation.
import { describe, expect, it } from "vitest";
import { verdictRows } from "../engine/verdicts.js";
import { documentedCaller } from "../model/designs/callers.js";
import { mainline } from "../model/designs/mainline.js";
import { mutant } from "../model/designs/mutate.js";
import { v2 } from "../model/designs/v2.js";
import { handleMmFault } from "../model/kernel/fault.js";
import { hmmFaultFlags } from "../model/kernel/hmm.js";
import { runsIn, SCENARIOS } from "../model/scenarios.js";
import { prop, scenario } from "./helpers.js";

describe("mutation sanity", () => {
  it("catches handle_mm_fault keeping the mmap lock on RETRY", () => {
    const broken = mutant(
      v2,
      "v2-broken-retry",
      "handle_userfault returns RETRY without releasing",
      {
        "do_fault.one": {
          op: handleMmFault("fault_vma", "fault_addr", hmmFaultFlags("ALLOW_RETRY", "KILLABLE"), {
            keepsLockOnRetry: true,
          }),
          on: {
            ok: "do_fault.next",
            retry: "do_fault.unlocked",
            completed: "do_fault.unlocked",
            error: "do_fault.efault",
          },
        },
      },
    );
    const [row] = verdictRows(broken, scenario("anon-uffd"), [prop("lock-balance")], {
      runs: 200,
      seed: 7,
    });
    expect(row?.verdict).toBe("violated");
    expect(row?.message).toMatch(/\*locked = 0 but the mmap lock is held/);
    // and the unmutated design holds it
    const [ok] = verdictRows(v2, scenario("anon-uffd"), [prop("lock-balance")], {
      runs: 200,
      seed: 7,
    });
    expect(ok?.verdict).toBe("holds");
  });

  it("catches a mainline caller without mmu_interval_read_retry", () => {
    const noRetry = mutant(
      mainline,
      "mainline-no-read-retry",
      "consumes pfns without read_retry",
      documentedCaller({ readRetry: false }),
    );
    const verdict = SCENARIOS.filter((s) => runsIn(s, noRetry)).map(
      (s) =>
        verdictRows(noRetry, s, [prop("pfns-under-valid-seq")], { runs: 1000, seed: 7 })[0]
          ?.verdict,
    );
    expect(verdict).toContain("violated");
  });

  it("mutants must replace existing steps", () => {
    expect(() => mutant(v2, "x", "", { nope: { op: handleMmFault("a", "b", []) } })).toThrow(
      /no step "nope"/,
    );
  });
});
