// drm_gpusvm_scan_mm() (model/designs/gpusvm.ts): HMM without a fault request, and the
// err_free path that drops the notifier lock whether or not it was taken.
//   - drivers/gpu/drm/drm_gpusvm.c, v7.0: `if (err) goto err_free;` before
//     drm_gpusvm_notifier_lock(), and err_free: drm_gpusvm_notifier_unlock(), an up_read()
//     (include/drm/drm_gpusvm.h);
//   - mm/hmm.c, v7.0, hmm_vma_walk_hole(): without a required fault a hole is filled
//     (HMM_PFN_ERROR where no VMA is) and the walk goes on; -EFAULT only when a fault is
//     required there.
import { describe, expect, it } from "vitest";
import { exhaustiveRows } from "../engine/verdicts.js";
import { type Scenario, scenario } from "../model/scenarios.js";
import type { Design } from "../model/step.js";
import { propertyById } from "../properties/index.js";
import type { Property } from "../properties/property.js";
import { safety } from "../properties/property.js";
import { scenario as builtIn, design } from "./helpers.js";

function lockBalance(d: Design, s: Scenario) {
  const p = propertyById("lock-balance");
  if (!p) throw new Error("lock-balance");
  return exhaustive(d, s, p);
}

function exhaustive(d: Design, s: Scenario, p: Property) {
  const [row] = exhaustiveRows(d, s, [p], { depth: 200, maxStates: 400_000 });
  if (!row) throw new Error("no row");
  return row;
}

/** The OOM reaper's mmu_notifier_invalidate_range_start_nonblock() gets past the driver. */
const nonblockSucceeds = safety({
  id: "test-nonblock-start-succeeds",
  statement: "the OOM reaper's non-blocking invalidation never gets past the driver's callback",
  check: ({ after, rec }) => {
    if (!after.threads[rec.tid]?.program.startsWith("oom-reap")) return null;
    const mine = rec.events.filter((e) => e.k === "invalidate" && e.tid === rec.tid);
    const started = mine.some((e) => e.k === "invalidate" && e.phase === "start");
    const failed = mine.some((e) => e.k === "invalidate" && e.phase === "failed");
    return started && !failed ? "the non-blocking invalidate_range_start() succeeded" : null;
  },
});

const anon = {
  name: "anon",
  pages: 2,
  write: true,
  shared: false,
  hugetlb: false,
  uffdMissing: false,
};

/** munmap of the page range while the scan runs: a hole, no error. */
const unmapped = scenario({
  id: "test-gpusvm-munmap",
  families: ["hmm"],
  vmas: [anon],
  actors: [{ actor: "munmap", budget: 1 }],
});
/**
 * invalidations and the clock: -EBUSY once the deadline has passed. The scan faults
 * nothing in, so the pages start mapped for reclaim's rmap unmap to find them.
 */
const mapped = { ...anon, mapped: true };
const clocked = scenario({
  id: "test-gpusvm-clock",
  families: ["hmm"],
  vmas: [mapped],
  actors: [
    { actor: "invalidate", budget: 2 },
    { actor: "clock", budget: null },
  ],
});
/** a fatal signal: the v8 helper returns -EINTR at its first check. */
const killed = scenario({
  id: "test-gpusvm-killed",
  families: ["hmm"],
  vmas: [anon],
  actors: [{ actor: "signal", budget: 1 }],
});

describe("drm_gpusvm_scan_mm()", () => {
  it("v7.0: a hole left by munmap is no error, and the notifier lock balances", () => {
    const r = lockBalance(design("gpusvm-scan"), unmapped);
    expect(r.verdict).toBe("holds");
    expect(r.complete).toBe(true);
  });

  it("v7.0: -EBUSY after the deadline reaches err_free, which unlocks a lock never taken", () => {
    const r = lockBalance(design("gpusvm-scan"), clocked);
    expect(r.verdict).toBe("violated");
    expect(r.message).toBe(
      "T called drm_gpusvm_notifier_unlock(range->gpusvm) on user_lock (read) without holding it.",
    );
    // nothing but the deadline ends the v7.0 retry loop: without the clock it holds
    const noClock = scenario({
      id: "test-gpusvm-noclock",
      families: ["hmm"],
      vmas: [mapped],
      actors: [{ actor: "invalidate", budget: 2 }],
    });
    expect(lockBalance(design("gpusvm-scan"), noClock).verdict).toBe("holds");
  });

  it("v8: a fatal signal's -EINTR from the helper reaches err_free in 4 steps", () => {
    const r = lockBalance(design("gpusvm-scan-v8"), killed);
    expect(r.verdict).toBe("violated");
    expect(r.steps).toBe(4);
    expect(r.message).toMatch(/drm_gpusvm_notifier_unlock\(range->gpusvm\) .* without holding it/);
    // v7.0 has no -EINTR there (mmap_read_lock() is not killable and no fault is asked)
    expect(lockBalance(design("gpusvm-scan"), killed).verdict).toBe("holds");
  });

  it("refuses the OOM reaper's non-blocking invalidation, as drm_gpusvm_notifier_invalidate() does", () => {
    // `if (!mmu_notifier_range_blockable(mmu_range)) return false;` (v7.0): never past it
    const r = exhaustive(design("gpusvm-scan"), builtIn("anon-oom-reap"), nonblockSucceeds);
    expect(r.verdict).toBe("holds");
    expect(r.complete).toBe(true);
    // the documented driver's callback trylocks its mutex, and gets past it when free
    expect(exhaustive(design("mainline"), builtIn("anon-oom-reap"), nonblockSucceeds).verdict).toBe(
      "violated",
    );
  });
});
