// drm_gpusvm_get_pages() (model/designs/gpusvm-get-pages.ts), v7.0 and after the v8
// series, and worker-call-ends (properties/time.ts):
//   - drivers/gpu/drm/drm_gpusvm.c, v7.0: `retry: if (time_after(jiffies, timeout))
//     return -EBUSY;`, an absolute deadline armed once; `if (flags.unmapped)` under the
//     notifier lock, set by xe_svm_invalidate() -> drm_gpusvm_range_set_unmapped() on
//     MMU_NOTIFY_UNMAP (drivers/gpu/drm/xe/xe_svm.c, v7.0);
//   - "[PATCH v2 4/4] fixup! drm/gpusvm: ..." (Jul 14 2026) removes that check and passes
//     a relative budget to hmm_range_fault_unlocked_timeout();
//   - the fixup series' cover letter keeps nouveau's outer deadline "because nouveau
//     faults are handled from a GPU fault worker, so userspace fatal signals cannot break
//     an endless stream of invalidations".
import { describe, expect, it } from "vitest";
import { runSchedule, setupFor } from "../engine/run.js";
import { exhaustiveRows } from "../engine/verdicts.js";
import { type Scenario, scenario } from "../model/scenarios.js";
import type { Design } from "../model/step.js";
import type { Property } from "../properties/property.js";
import { safety } from "../properties/property.js";
import { scenario as builtIn, design, prop } from "./helpers.js";

function exhaustive(d: Design, s: Scenario, p: Property) {
  const [row] = exhaustiveRows(d, s, [p], { depth: Number.POSITIVE_INFINITY, maxStates: 400_000 });
  if (!row) throw new Error("no row");
  return row;
}

/** One anonymous page and one munmap: an MMU_NOTIFY_UNMAP invalidation. */
const unmapped = scenario({
  id: "test-get-pages-munmap",
  families: ["hmm"],
  vmas: [
    { name: "anon", pages: 1, write: true, shared: false, hugetlb: false, uffdMissing: false },
  ],
  actors: [{ actor: "munmap", budget: 1 }],
});

describe("drm_gpusvm_get_pages()", () => {
  it("holds the safety properties in v7.0 and after v8, and maps pages only under a valid seq", () => {
    for (const id of ["gpusvm-get-pages", "gpusvm-get-pages-v8"])
      for (const p of ["pfns-under-valid-seq", "lock-balance", "no-vma-use-after-unlock"])
        for (const s of [builtIn("anon-uffd-1"), builtIn("invalidate-storm"), unmapped]) {
          const r = exhaustive(design(id), s, prop(p));
          expect(r.verdict, `${id} ${p} ${s.id}`).toBe("holds");
          expect(r.complete, `${id} ${p} ${s.id}`).toBe(true);
        }
  });

  it("fails a userfaultfd page with -EFAULT in v7.0 (no FAULT_FLAG_ALLOW_RETRY), not after v8", () => {
    const p = prop("uffd-fault-completes");
    expect(exhaustive(design("gpusvm-get-pages"), builtIn("anon-uffd-1"), p).verdict).toBe(
      "violated",
    );
    expect(exhaustive(design("gpusvm-get-pages-v8"), builtIn("anon-uffd-1"), p).verdict).toBe(
      "holds",
    );
  });

  it("returns -EFAULT at flags.unmapped after munmap's invalidation, which only its driver marks", () => {
    // reached: munmap's invalidation (MMU_NOTIFY_UNMAP) between the helper's return and
    // drm_gpusvm_notifier_lock()
    const marked = safety({
      id: "test-unmapped-seen",
      statement: "get_pages never finds its range marked unmapped",
      check: ({ rec }) =>
        rec.labels[0] === "unmapped" && rec.outcome === "yes" ? "flags.unmapped" : null,
    });
    const d = design("gpusvm-get-pages-v8");
    const r = exhaustive(d, unmapped, marked);
    expect(r.verdict).toBe("violated");
    const cex = r.counterexample;
    if (!cex) throw new Error("no counterexample");
    const run = runSchedule(setupFor(d, unmapped), cex.schedule, []);
    expect(run.final.threads[0]?.status.kind).toBe("done");
    expect(run.final.threads[0]?.locals.ret).toBe(-14);
    // a driver that does not mark its range (marksUnmapped unset) never sees it
    const unmarked: Design = { ...d, id: "test-get-pages-unmarked", marksUnmapped: false };
    expect(setupFor(unmarked, unmapped).world0.notifier.marksUnmapped).toBeUndefined();
    expect(exhaustive(unmarked, unmapped, marked).verdict).toBe("holds");
  });
});

describe("worker-call-ends (T5)", () => {
  const p = prop("worker-call-ends");

  it("applies to callers in a kernel worker, on scenarios with invalidations and the clock", () => {
    expect(p.applies(builtIn("invalidate-storm"), design("gpusvm-get-pages-v8"))).toBe(true);
    expect(p.applies(builtIn("invalidate-storm"), design("nouveau-v8"))).toBe(true);
    // mshv's call is an ioctl: a fatal signal reaches it
    expect(p.applies(builtIn("invalidate-storm"), design("mshv-v8"))).toBe(false);
    expect(p.applies(builtIn("anon-uffd-1"), design("gpusvm-get-pages-v8"))).toBe(false);
  });

  it("holds where a deadline the caller armed once bounds the restarts: v7.0 get_pages, nouveau-v8", () => {
    for (const id of ["gpusvm-get-pages", "nouveau-v8"]) {
      const r = exhaustive(design(id), builtIn("invalidate-storm"), p);
      expect(r.verdict, id).toBe("holds");
      expect(r.complete, id).toBe(true);
    }
  });

  it("is violated by get_pages after the fixup: each collision calls the helper with a fresh budget", () => {
    const r = exhaustive(design("gpusvm-get-pages-v8"), builtIn("invalidate-storm"), p);
    expect(r.verdict).toBe("violated");
    expect(r.message).toMatch(/never returns, although time passes/);
    const cex = r.counterexample;
    if (!cex) throw new Error("no counterexample");
    // the loop goes through a read_retry collision under the notifier lock, and time
    // passes in it (the clock ticks the helper's deadline, which the next call re-arms)
    const setup = setupFor(design("gpusvm-get-pages-v8"), builtIn("invalidate-storm"));
    const run = runSchedule(setup, cex.schedule, [p], { noCompletion: true });
    const v = run.violations.find((x) => x.property === p.id);
    expect(v?.loopStart).toBeTypeOf("number");
    const loop = run.trace.slice(v?.loopStart ?? 0);
    expect(loop.some((r) => r.labels[0] === "read_retry" && r.outcome === "retry")).toBe(true);
    const clock = setup.world0.threads.findIndex((t) => t.program === "clock");
    expect(loop.some((r) => r.tid === clock)).toBe(true);
  });

  it("is violated by the nouveau mutant that passes a timeout of 0 once its deadline has come", () => {
    const r = exhaustive(design("nouveau-v8-zero-timeout"), builtIn("invalidate-storm"), p);
    expect(r.verdict).toBe("violated");
  });
});
