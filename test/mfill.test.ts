// UFFDIO_COPY's steps after seed 003 (mm/userfaultfd.c as the series quotes it, on
// v6.16-v7.0): uffd_mfill_lock() runs validate_dst_vma() on every mfill_get_vma(), the
// retry's included; mfill_atomic_install_pte() fails with -EEXIST when the entry is no
// longer none; userfaultfd_copy() wakes the range only after every lock is given back;
// uffd_lock_vma() lets a private VMA without an anon_vma go again and prepares one
// under the mmap read lock (find_vma_and_prepare_anon()). And v7.0's own mfill_atomic()
// (mm/userfaultfd.c, v7.0), whose retry carries its folio into whatever VMA is there.
import { describe, expect, it } from "vitest";
import { step } from "../engine/exec.js";
import { exploreExhaustive } from "../engine/exhaustive.js";
import { setupFor } from "../engine/run.js";
import { mfillAtomicDesign } from "../model/designs/mfill-atomic.js";
import { mfillCopyDesign, mfillCopyNorevalidate } from "../model/designs/mfill-copy.js";
import { EAGAIN, EEXIST, EFAULT, ENOENT } from "../model/errno.js";
import { set } from "../model/locals.js";
import type { Design, Programs, StepRecord } from "../model/step.js";
import type { World } from "../model/world.js";
import { calls, exited, prop, runAlone, scenario, tidOf } from "./helpers.js";

const ops = (recs: readonly StepRecord[]) => recs.flatMap((r) => r.ops);

/** W (munmap with a remap) runs to its second mmap_write_unlock(): unmapped, and mapped again. */
function remapByW(programs: Programs, w: World): World {
  const m = tidOf(w, "W");
  const unmapped = runAlone(programs, w, m, calls("mmap_write_unlock"), 40).world;
  return runAlone(programs, unmapped, m, calls("mmap_write_unlock"), 40).world;
}

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
      const dropped = runAlone(setup.programs, setup.world0, 0, calls("vma_end_read")).world;
      // munmap, then mmap of a shmem VMA without userfaultfd at the same address
      const w = remapByW(setup.programs, dropped);
      expect(w.vmas.some((v) => v.state === "live" && !v.flags.uffdMissing)).toBe(true);
      const t = runAlone(setup.programs, w, 0, exited);
      expect(t.recs.find(calls("if (validate_dst_vma"))?.outcome).toBe("no");
      expect(t.recs.some(calls("mfill_atomic_install_pte"))).toBe(false);
      expect(t.world.threads[0]?.locals.ret).toBe(ENOENT);
      expect(t.world.ptes[0] ?? "none").toBe("none");
    });
});

/** The exhaustive verdicts of the two UFFDIO_COPY properties: [S20, S35]. */
function copyVerdicts(d: Design, scen: string): string[] {
  const ids = ["uffd-copy-revalidates", "uffd-copy-folio-put"];
  const r = exploreExhaustive(setupFor(d, scenario(scen)), ids.map(prop), { depth: 200 });
  expect(r.complete).toBe(true);
  return ids.map((id) => (r.counterexamples.has(id) ? "violated" : "holds"));
}

describe("UFFDIO_COPY's folio across a retry", () => {
  /** T's copy faults on the source and drops its locks; W unmaps and maps again. */
  function remapped(d: Design, scen: string) {
    const setup = setupFor(d, scenario(scen));
    const dropped = runAlone(setup.programs, setup.world0, 0, calls("vma_end_read")).world;
    return { setup, w: remapByW(setup.programs, dropped) };
  }
  const returned = (recs: readonly StepRecord[]) =>
    recs.flatMap((r) => r.events).find((e) => e.k === "mfill-return");

  it("v7.0 returns through mfill_atomic_hugetlb() with the folio its retry carried: installed by the hugetlb path, leaked", () => {
    const { setup, w } = remapped(mfillAtomicDesign, "uffd-copy-hugetlb");
    expect(w.vmas.some((v) => v.state === "live" && v.flags.hugetlb)).toBe(true);
    const t = runAlone(setup.programs, w, 0, exited);
    expect(t.recs.find(calls("if (is_vm_hugetlb_page"))?.outcome).toBe("yes");
    expect(t.recs.some(calls("hugetlb_mfill_atomic_pte"))).toBe(true);
    // the copy succeeded (a hugetlb folio of its own), the order-0 page is still held
    expect(t.world.threads[0]?.locals.ret).toBe(0);
    expect(t.world.ptes[0]).toBe("rw");
    expect(returned(t.recs)).toMatchObject({ folio: "order-0 page" });
    // mfill_atomic_hugetlb()'s out: puts its own folio; mfill_atomic()'s out: never runs
    const labels = t.recs.flatMap((r) => r.labels);
    expect(labels).toContain("h.out");
    expect(labels).not.toContain("out");
  });

  it("S20 and S35, exhaustively: v7.0 leaks only where a hugetlb VMA takes the range, the series never", () => {
    const rows: [Design, string, string, string][] = [
      [mfillAtomicDesign, "uffd-copy-hugetlb", "holds", "violated"],
      // an order-0 page fits a shmem VMA: charged and added to the page cache at install
      [mfillAtomicDesign, "uffd-copy", "holds", "holds"],
      // the series' re-validation: -EAGAIN, and the folio put
      [mfillCopyDesign, "uffd-copy-hugetlb", "holds", "holds"],
      // as posted, the anonymous folio goes into the hugetlb VMA through the PTE path
      [mfillCopyNorevalidate, "uffd-copy-hugetlb", "violated", "holds"],
      // a hugetlb destination from the start: mfill_atomic_hugetlb()'s own retry, whose
      // lookup finds the anonymous VMA mapped in its place (-ENOENT), puts its own folio
      [mfillAtomicDesign, "uffd-copy-hugetlb-dst", "holds", "holds"],
      [mfillCopyDesign, "uffd-copy-hugetlb-dst", "holds", "holds"],
    ];
    for (const [d, scen, s20, s35] of rows)
      expect([d.id, scen, ...copyVerdicts(d, scen)]).toEqual([d.id, scen, s20, s35]);
  });

  it("a copy_from_user() that fails returns -EFAULT with the folio put; one that forgets the put leaks", () => {
    const setup = setupFor(mfillAtomicDesign, scenario("uffd-copy"));
    // the copy under the lock faults (pick 0), the unlocked copy fails (pick 1)
    const picks = [0, 1];
    let w = setup.world0;
    const recs: StepRecord[] = [];
    while (recs.length < 40 && !recs.some(exited)) {
      const [next, rec] = step(
        w,
        0,
        picks[recs.filter((x) => x.choices > 0).length] ?? 0,
        setup.programs,
      );
      w = next;
      recs.push(rec);
    }
    expect(recs.find(calls("copy_from_user(kaddr"))?.outcome).toBe("efault");
    expect(w.threads[0]?.locals.ret).toBe(EFAULT);
    expect(returned(recs)).toMatchObject({ folio: null });
    expect(recs.some(calls("wake_userfault"))).toBe(false);
    // the series' -EFAULT path without its folio_put(): S35 finds it
    const leaky: Design = {
      ...mfillCopyDesign,
      id: "mfill-copy-efault-leak",
      steps: {
        ...mfillCopyDesign.steps,
        "efault.put": { op: set({}, "/* no folio_put() */"), next: "efault" },
      },
    };
    expect(copyVerdicts(leaky, "uffd-copy")).toEqual(["holds", "violated"]);
  });

  it("mfill_atomic_hugetlb() holds the hugetlb VMA lock under the VMA lock alone, which S7 allows", () => {
    for (const d of [mfillAtomicDesign, mfillCopyDesign]) {
      const setup = setupFor(d, scenario("uffd-copy-hugetlb-dst"));
      const t = runAlone(setup.programs, setup.world0, 0, calls("hugetlb_vma_lock_read"));
      // uffd_mfill_lock(): lock_vma_under_rcu() on the shared hugetlb VMA, no mmap lock
      expect(t.world.mmapLock.readers).not.toContain(0);
      expect(t.world.vmas[0]?.readers).toContain(0);
      expect(t.world.vmas[0]?.hugetlbLock?.readers).toContain(0);
      const r = exploreExhaustive(setup, [prop("no-hugetlb-lock-across-drop")], { depth: 200 });
      expect([d.id, r.complete, r.counterexamples.size]).toEqual([d.id, true, 0]);
    }
  });

  it("v7.0 installs the order-0 page into a shmem VMA that took the range", () => {
    const { setup, w } = remapped(mfillAtomicDesign, "uffd-copy");
    const t = runAlone(setup.programs, w, 0, exited);
    const install = t.recs.flatMap((r) => r.events).find((e) => e.k === "mfill-install");
    expect(install).toMatchObject({ folioFor: "order-0 page", fits: true });
    expect(returned(t.recs)).toMatchObject({ folio: null });
  });

  it("the series re-validates, gets -EAGAIN for the hugetlb VMA and puts its folio", () => {
    const { setup, w } = remapped(mfillCopyDesign, "uffd-copy-hugetlb");
    const t = runAlone(setup.programs, w, 0, exited);
    expect(t.recs.find(calls("if (vma flags/uffd ops/file/pgoff changed)"))?.outcome).toBe(
      "changed",
    );
    expect(t.world.threads[0]?.locals.ret).toBe(EAGAIN);
    expect(t.recs.some(calls("folio_put(folio)"))).toBe(true);
    expect(returned(t.recs)).toMatchObject({ folio: null });
  });

  it("v7.0's hugetlb path retries on its own and puts its own folio", () => {
    // the range is a hugetlb VMA when the copy starts: W remaps before T looks it up
    const setup = setupFor(mfillAtomicDesign, scenario("uffd-copy-hugetlb"));
    const t = runAlone(setup.programs, remapByW(setup.programs, setup.world0), 0, exited, 60);
    // pick 0: the copy under the hugetlb VMA lock faults on the source, then succeeds
    expect(t.recs.filter(calls("hugetlb_mfill_atomic_pte")).map((r) => r.outcome)).toEqual([
      "enoent",
      "ok",
    ]);
    expect(t.recs.some(calls("folio = vma->vm_flags & VM_SHARED"))).toBe(false);
    expect(
      runAlone(setup.programs, setup.world0, 0, exited).recs.some(calls("folio = vma->vm_flags")),
    ).toBe(true);
    expect(t.world.threads[0]?.locals.ret).toBe(0);
    expect(returned(t.recs)).toMatchObject({ folio: null });
  });
});
