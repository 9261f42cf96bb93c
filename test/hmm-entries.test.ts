// hmm_vma_handle_pte() on entries that are not present (mm/hmm.c at v6.16): a swap entry
// is faulted in when the request needs a fault, a read request included; an entry this
// walker cannot handle (a migration entry: migration_entry_wait() is the hmm-migrate
// designs') is a clear error, never a pfn reported valid.
import { describe, expect, it } from "vitest";
import { exploreExhaustive } from "../engine/exhaustive.js";
import { setupFor } from "../engine/run.js";
import { mainline } from "../model/designs/mainline.js";
import { scenario, scenarioById } from "../model/scenarios.js";
import { ANON_PAGE, calls, runAlone } from "./helpers.js";

describe("hmm_vma_handle_pte on entries that are not present", () => {
  it("faults a swapped-out page in for a read request (it was reported valid)", () => {
    const s = scenario({
      id: "swapped-read",
      vmas: [{ ...ANON_PAGE, swapped: true }],
      write: false,
    });
    const setup = setupFor(mainline, s);
    const entry = calls("hmm_vma_handle_pte");
    const { world, recs } = runAlone(setup.programs, setup.world0, 0, entry);
    expect(world.ptes[0]).toBe("swap");
    expect(recs.filter(entry).map((r) => r.outcome)).toEqual(["fault"]);
  });

  it("stops with a design error naming the fix when this walker meets a migration entry", () => {
    const migrate = scenarioById("anon-migrate");
    if (!migrate) throw new Error("anon-migrate");
    const s = { ...migrate, id: "anon-migrate-hmm", families: ["hmm" as const] };
    expect(() => exploreExhaustive(setupFor(mainline, s), [], { depth: 60 })).toThrow(
      /migration entry at page 0, which this walker does not handle .*family "hmm-migrate"/,
    );
  });
});
