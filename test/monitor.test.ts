// The monitor's UFFDIO_COPY, uffd_mfill_lock() -> uffd_lock_vma() (mm/userfaultfd.c,
// v6.9-v7.0): lock_vma_under_rcu(), then, for a private VMA without an anon_vma,
// vma_end_read() and the mmap-lock fallback, whose find_vma_and_prepare_anon()
// prepares one. A read fault prepares none, so the first copy after one falls back;
// the VMA then has an anon_vma, and the next copy keeps the VMA lock, even once the
// pages are zapped (the anon_vma stays with the VMA).
import { describe, expect, it } from "vitest";
import { setupFor } from "../engine/run.js";
import { v2 } from "../model/designs/v2.js";
import type { Scenario } from "../model/scenarios.js";
import type { StepRecord } from "../model/step.js";
import { calls, runAlone, scenario, tidOf } from "./helpers.js";

/** anon-uffd (2 pages), the caller asking for read access: read faults. */
const readFaults: Scenario = { ...scenario("anon-uffd"), id: "anon-uffd-read", write: false };

describe("the monitor's uffd_lock_vma()", () => {
  it("falls back to mmap_read_lock for a VMA without an anon_vma, then not again", () => {
    const setup = setupFor(v2, readFaults);
    const m = tidOf(setup.world0, "M");
    const copy = (w: typeof setup.world0) => {
      // T runs until it sleeps in handle_userfault(); M reads the message and copies
      const t = runAlone(setup.programs, w, 0, (r) => r.events.some((e) => e.k === "fault"), 80);
      const r = runAlone(setup.programs, t.world, m, calls("uffd_mfill_unlock"), 10);
      return { world: r.world, recs: r.recs };
    };
    const lockOutcome = (recs: StepRecord[]) => recs.find(calls("uffd_lock_vma"))?.outcome;
    const first = copy(setup.world0);
    expect(first.world.ptes[0]).toBe("rw");
    expect(lockOutcome(first.recs)).toBe("fallback");
    expect(first.recs.some(calls("mmap_read_lock"))).toBe(true);
    expect(first.world.vmas[0]?.anonVma).toBe(true);
    // MADV_DONTNEED of the page: the anon_vma stays
    const zapped = { ...first.world, ptes: first.world.ptes.map(() => "none" as const) };
    const second = copy(zapped);
    expect(second.world.ptes.filter((p) => p === "rw")).toHaveLength(1);
    expect(lockOutcome(second.recs)).toBe("locked");
    expect(second.recs.some(calls("mmap_read_lock"))).toBe(false);
  });
});
