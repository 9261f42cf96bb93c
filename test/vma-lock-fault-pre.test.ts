// The arch fault path as 6.4-6.5 had it (vma-lock-fault-pre): lock_vma_under_rcu()
// refused a VMA armed for userfaultfd ("Due to the possibility of userfault handler
// dropping mmap_lock, avoid it for now", removed by "mm: handle userfaults under VMA
// lock", v6.6), and the retry under the mmap lock after a swap RETRY had no
// FAULT_FLAG_TRIED (VM_FAULT_MAJOR -> FAULT_FLAG_TRIED came with v6.8). Since v6.8
// (vma-lock-fault) a folio RETRY under the VMA lock still retries as a first attempt
// when the folio was in the swap cache, which is not a major fault.
import { describe, expect, it } from "vitest";
import { setupFor } from "../engine/run.js";
import { designById } from "../model/designs/index.js";
import { scenarioById } from "../model/scenarios.js";
import type { StepRecord } from "../model/step.js";
import { calls, runAlone } from "./helpers.js";

/** Thread 0's steps alone until `until` (at most 30): each one's ops, outcome and fault flags. */
function runT(designId: string, scenarioId: string, until: (rec: StepRecord) => boolean) {
  const d = designById(designId);
  const s = scenarioById(scenarioId);
  if (!d || !s) throw new Error(`${designId} on ${scenarioId}`);
  const setup = setupFor(d, s);
  return runAlone(setup.programs, setup.world0, 0, until, 30).recs.map((rec) => {
    const fault = rec.events.find((e) => e.k === "fault");
    return {
      ops: rec.ops,
      outcome: rec.outcome,
      ...(fault?.k === "fault" ? { flags: fault.flags } : {}),
    };
  });
}

describe("vma-lock-fault-pre (6.4-6.5)", () => {
  it("faults a userfaultfd-armed VMA under the mmap lock: lock_vma_under_rcu() refuses it", () => {
    const faulted = calls("handle_mm_fault");
    const seen = runT("vma-lock-fault-pre", "anon-uffd-1", faulted);
    const lock = seen.find((r) => r.ops.some((o) => o.includes("lock_vma_under_rcu")));
    expect(lock?.outcome).toBe("none");
    expect(seen.at(-1)?.flags).toBeDefined();
    expect(seen.at(-1)?.flags).not.toContain("VMA_LOCK");
    // the series' design takes the VMA lock there
    const post = runT("vma-lock-fault", "anon-uffd-1", faulted);
    expect(post.at(-1)?.flags).toContain("VMA_LOCK");
  });

  it("retries a swap fault under the mmap lock without FAULT_FLAG_TRIED", () => {
    const seen = runT("vma-lock-fault-pre", "anon-swap", () => false);
    const faults = seen.filter((r) => r.flags !== undefined);
    expect(faults[0]?.flags).toContain("VMA_LOCK");
    expect(faults[0]?.outcome).toBe("retry");
    expect(faults[1]?.flags).toBeDefined();
    expect(faults[1]?.flags).not.toContain("VMA_LOCK");
    expect(faults[1]?.flags).not.toContain("TRIED");
  });
});

describe("vma-lock-fault (v6.8+)", () => {
  it("retries a folio RETRY under the mmap lock as a first attempt: the folio was in the swap cache, not MAJOR", () => {
    const d = designById("vma-lock-fault");
    const s = scenarioById("anon-swap");
    if (!d || !s) throw new Error("vma-lock-fault on anon-swap");
    const { programs, world0 } = setupFor(d, s);
    const faultOf = (rec: StepRecord) => rec.events.find((e) => e.k === "fault");
    // F locks page 0's folio; T faults under the VMA lock and sleeps for the unlock
    const f1 = runAlone(programs, world0, 1, () => true, 1);
    expect(f1.recs[0]?.ops.some((o) => o.startsWith("folio_lock"))).toBe(true);
    const t1 = runAlone(programs, f1.world, 0, calls("handle_mm_fault"), 30);
    const first = faultOf(t1.recs.at(-1) as StepRecord);
    expect(first?.k === "fault" && first.flags).toContain("VMA_LOCK");
    expect(first?.k === "fault" && first.result).toBe("VM_FAULT_RETRY");
    // F unlocks and wakes T, whose next attempt takes the mmap lock, still without TRIED
    const f2 = runAlone(programs, t1.world, 1, () => true, 1);
    expect(f2.recs[0]?.ops.some((o) => o.startsWith("folio_unlock"))).toBe(true);
    const t2 = runAlone(programs, f2.world, 0, calls("handle_mm_fault"), 30);
    const second = faultOf(t2.recs.at(-1) as StepRecord);
    expect(second?.k === "fault" && second.flags).toBeTruthy();
    if (second?.k !== "fault") return;
    expect(second.flags).not.toContain("VMA_LOCK");
    expect(second.flags).not.toContain("TRIED");
  });
});
