// GUP's page loop (mm/gup.c __get_user_pages() at v7.0): at its retry: label a pending
// SIGKILL ends the walk before every follow_page_mask(), the one after a fault that
// returned 0 included.
import { describe, expect, it } from "vitest";
import { step } from "../engine/exec.js";
import { setupFor } from "../engine/run.js";
import { gup } from "../model/designs/gup.js";
import { scenarioById } from "../model/scenarios.js";
import { calls, runAlone } from "./helpers.js";

describe("get_user_pages_remote's page loop", () => {
  it("checks for a fatal signal after the VMA lookup and check, before follow_page_mask()", () => {
    const s = scenarioById("anon-uffd-1");
    if (!s) throw new Error("anon-uffd-1");
    const setup = setupFor(gup, s);
    const signal = setup.world0.threads.findIndex((t) => t.name === "S");
    expect(signal).toBeGreaterThan(0);
    // T runs to its VMA lookup and check_vma_flags(), then the signal comes, then T goes on
    let w = runAlone(setup.programs, setup.world0, 0, calls("if (check_vma_flags"), 20).world;
    [w] = step(w, signal, 0, setup.programs);
    expect(w.threads[0]?.fatal).toBe(true);
    const [, rec] = step(w, 0, 0, setup.programs);
    expect(rec.ops[0]).toBe("if (fatal_signal_pending(current))");
    expect(rec.outcome).toBe("yes");
  });
});
