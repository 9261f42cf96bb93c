// UFFDIO_COPY's steps after seed 003 (mm/userfaultfd.c as the series quotes it, on
// v6.16-v7.0): uffd_mfill_lock() runs validate_dst_vma() on every mfill_get_vma(), the
// retry's included; mfill_atomic_install_pte() fails with -EEXIST when the entry is no
// longer none; userfaultfd_copy() wakes the range only after every lock is given back;
// uffd_lock_vma() lets a private VMA without an anon_vma go again and prepares one
// under the mmap read lock (find_vma_and_prepare_anon()).
import { describe, expect, it } from "vitest";
import { setupFor } from "../engine/run.js";
import { mfillCopyDesign, mfillCopyNorevalidate } from "../model/designs/mfill-copy.js";
import { EEXIST, ENOENT } from "../model/errno.js";
import type { StepRecord } from "../model/step.js";
import { calls, exited, runAlone, scenario, tidOf } from "./helpers.js";

const ops = (recs: readonly StepRecord[]) => recs.flatMap((r) => r.ops);

describe("UFFDIO_COPY", () => {
  it("falls back to the mmap lock for a VMA without an anon_vma, and keeps the VMA lock once it has one", () => {
    const setup = setupFor(mfillCopyDesign, scenario("uffd-copy-race"));
    const lockOutcomes = (recs: readonly StepRecord[]) =>
      recs.filter(calls("uffd_lock_vma")).map((r) => r.outcome);
    const first = runAlone(setup.programs, setup.world0, 0, exited);
    // the source faults (pick 0): the retry's mfill_get_vma() finds the anon_vma
    expect(lockOutcomes(first.recs)).toEqual(["fallback", "locked"]);
    expect(first.recs.filter(calls("mmap_read_lock"))).toHaveLength(1);
    expect(first.world.vmas[0]?.anonVma).toBe(true);
    const second = runAlone(setup.programs, first.world, 1, exited);
    expect(lockOutcomes(second.recs)).toEqual(["locked", "locked"]);
    expect(second.recs.some(calls("mmap_read_lock"))).toBe(false);
  });

  it("two monitor threads copy one page: the second gets -EEXIST and wakes nothing", () => {
    const setup = setupFor(mfillCopyDesign, scenario("uffd-copy-race"));
    const first = runAlone(setup.programs, setup.world0, 0, exited);
    expect(first.world.threads[0]?.locals.ret).toBe(0);
    expect(first.world.ptes[0]).toBe("rw");
    // the wake comes after vma_end_read(), outside every lock
    const o = ops(first.recs);
    expect(o.indexOf("wake_userfault(ctx, &range)")).toBeGreaterThan(
      o.lastIndexOf("vma_end_read(vma)"),
    );
    const second = runAlone(setup.programs, first.world, 1, exited);
    expect(second.world.threads[1]?.locals.ret).toBe(EEXIST);
    expect(second.recs.find(calls("mfill_atomic_install_pte"))?.outcome).toBe("eexist");
    expect(ops(second.recs)).not.toContain("wake_userfault(ctx, &range)");
  });

  for (const design of [mfillCopyDesign, mfillCopyNorevalidate])
    it(`${design.id}: the retry's validate_dst_vma() refuses a replacement VMA not registered with userfaultfd`, () => {
      const setup = setupFor(design, scenario("uffd-copy-unregistered"));
      // T's copy under the VMA lock faults on the source (pick 0) and it drops the lock
      let w = runAlone(setup.programs, setup.world0, 0, calls("vma_end_read")).world;
      // munmap, then mmap of a shmem VMA without userfaultfd at the same address
      const m = tidOf(w, "W");
      w = runAlone(setup.programs, w, m, calls("mmap_write_unlock"), 40).world;
      w = runAlone(setup.programs, w, m, calls("mmap_write_unlock"), 40).world;
      expect(w.vmas.some((v) => v.state === "live" && !v.flags.uffdMissing)).toBe(true);
      const t = runAlone(setup.programs, w, 0, exited);
      expect(t.recs.find(calls("if (validate_dst_vma"))?.outcome).toBe("no");
      expect(t.recs.some(calls("mfill_atomic_install_pte"))).toBe(false);
      expect(t.world.threads[0]?.locals.ret).toBe(ENOENT);
      expect(t.world.ptes[0] ?? "none").toBe("none");
    });
});
