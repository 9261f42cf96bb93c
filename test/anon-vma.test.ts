// vma->anon_vma as a field of each VMA, set where the kernel prepares it (read at v7.0):
//   - do_anonymous_page() for a write, do_cow_fault() and wp_page_copy() call
//     vmf_anon_prepare() (mm/memory.c): with FAULT_FLAG_VMA_LOCK and no anon_vma, only
//     after mmap_read_trylock() succeeds, else VM_FAULT_RETRY and vma_end_read()
//     (mm/internal.h); a read fault maps the zero page and prepares nothing;
//   - the uffd monitor's find_vma_and_prepare_anon() (mm/userfaultfd.c);
//   - __split_vma()'s anon_vma_clone() keeps it on both parts; zapping pages keeps it;
//   - fork's vma_needs_copy() (mm/memory.c) copies the page tables of a VMA with one;
//   - 6.4-6.5's lock_vma_under_rcu() refused an anonymous VMA without one.
import { describe, expect, it } from "vitest";
import { declareScenario } from "../api/declarations.js";
import { isEnabled } from "../engine/exec.js";
import { setupFor } from "../engine/run.js";
import type { Scenario, VmaSpec } from "../model/scenarios.js";
import type { StepRecord } from "../model/step.js";
import type { World } from "../model/world.js";
import { bench, calls, design, runAlone, scenario, tidOf } from "./helpers.js";

const faultEvent = (recs: readonly StepRecord[]) => {
  for (const rec of recs) for (const e of rec.events) if (e.k === "fault") return e;
  return undefined;
};

describe("vmf_anon_prepare() in the fault path", () => {
  /** vma-lock-fault's T on anon-uffd-1, run to the fault under the VMA lock. */
  function atVmaLockFault() {
    const b = bench(scenario("anon-uffd-1"), design("vma-lock-fault"));
    for (let i = 0; i < 20 && b.world.threads[0]?.pc !== "vl.fault"; i++) b.run(0);
    expect(b.world.threads[0]?.pc).toBe("vl.fault");
    expect(b.world.vmas[0]?.readers).toEqual([0]);
    return b;
  }

  it("under the VMA lock, with the mmap lock write-held, returns RETRY for the VMA lock's sake", () => {
    const b = atVmaLockFault();
    const w = tidOf(b.world, "W");
    b.world = { ...b.world, mmapLock: { readers: [], writer: w, waiters: [] } } as World;
    const r = runAlone(b.programs, b.world, 0, calls("handle_mm_fault"), 1);
    const e = faultEvent(r.recs);
    expect(e?.result).toBe("VM_FAULT_RETRY");
    expect(e?.retrySource).toBe("vma-lock");
    // vma_end_read() in the vmf_anon_prepare() wrapper; no message, no anon_vma
    expect(r.world.vmas[0]?.readers).toEqual([]);
    expect(r.world.uffd.waiting).toEqual([]);
    expect(r.world.vmas[0]?.anonVma).toBeUndefined();
    expect(r.world.threads[0]?.pc).toBe("vl.retry");
  });

  it("under the VMA lock, with mmap_read_trylock() succeeding, prepares it and goes on to handle_userfault()", () => {
    const b = atVmaLockFault();
    const r = runAlone(b.programs, b.world, 0, calls("handle_mm_fault"), 1);
    expect(faultEvent(r.recs)?.retrySource).toBe("userfaultfd");
    expect(r.world.vmas[0]?.anonVma).toBe(true);
    expect(r.world.uffd.waiting.map((x) => x.tid)).toEqual([0]);
    // the trylock was given back in the same step
    expect(r.world.mmapLock.readers).toEqual([]);
  });
});

describe("a scenario's VMA spec", () => {
  it("mapped: the pages a private VMA starts with are anonymous pages, so it has an anon_vma", () => {
    const w = setupFor(design("mainline-migrate"), scenario("anon-migrate")).world0;
    expect(w.ptes).toEqual(["rw"]);
    expect(w.vmas[0]?.anonVma).toBe(true);
    // without pages or swap entries, none
    expect(setupFor(design("v2"), scenario("anon-uffd")).world0.vmas[0]?.anonVma).toBeUndefined();
  });
});

describe("the anon_vma outlives the pages", () => {
  it("split: both parts keep it (anon_vma_clone)", () => {
    const s = scenario("anon-uffd-split");
    const setup = setupFor(design("v2"), s);
    const w0 = {
      ...setup.world0,
      vmas: setup.world0.vmas.map((v) => ({ ...v, anonVma: true })),
    } as World;
    const r = runAlone(setup.programs, w0, tidOf(w0, "W"), () => false, 12);
    expect(r.world.vmas.length).toBe(2);
    expect(r.world.vmas.map((v) => v.anonVma)).toEqual([true, true]);
  });

  it("fork copies the page tables of a VMA with an anon_vma and no page left (vma_needs_copy)", () => {
    const setup = setupFor(design("v2"), scenario("anon-fork"));
    const k = tidOf(setup.world0, "K");
    const dupOutcome = (w: World) =>
      runAlone(setup.programs, w, k, calls("for_each_vma"), 4).recs.at(-1)?.outcome;
    expect(setup.world0.ptes.every((p) => p === "none")).toBe(true);
    expect(dupOutcome(setup.world0)).toBe("ok");
    const zapped = {
      ...setup.world0,
      vmas: setup.world0.vmas.map((v) => ({ ...v, anonVma: true })),
    } as World;
    expect(dupOutcome(zapped)).toBe("cow");
  });
});

describe("6.4-6.5's lock_vma_under_rcu() (vma-lock-fault-pre)", () => {
  it("refuses an anonymous VMA without an anon_vma, and takes it once the mmap-lock fault prepared one", () => {
    const setup = setupFor(design("vma-lock-fault-pre"), scenario("anon-plain"));
    const r = runAlone(setup.programs, setup.world0, 0, (rec) => rec.labels.includes("exit"), 60);
    const locks = r.recs.filter(calls("vma = lock_vma_under_rcu")).map((rec) => rec.outcome);
    // page 0: refused, faulted under the mmap lock (which prepares it); page 1: locked
    expect(locks).toEqual(["none", "locked"]);
    expect(r.world.vmas[0]?.anonVma).toBe(true);
    expect(r.world.ptes).toEqual(["rw", "rw"]);
  });
});

describe("a private hugetlb VMA", () => {
  it("is refused in a scenario of one's own, in one paragraph naming the fix", () => {
    const s = {
      ...scenario("hugetlb-uffd"),
      id: "my-private-hugetlb",
      vmas: [
        {
          name: "h",
          pages: 1,
          write: true,
          shared: false,
          hugetlb: true,
          uffdMissing: false,
          file: "hugetlbfs:0",
        },
      ],
    };
    expect(() => declareScenario(s, "my.ts")).toThrow(
      /private hugetlb VMA .* is not modelled .* Fix: declare hugetlb VMAs with shared: true/,
    );
    expect(() => declareScenario(scenario("hugetlb-uffd"), "my.ts")).not.toThrow();
  });
});

describe("the zero page", () => {
  /** anon-migrate, but its page never written: T's read request faults it in. */
  const readOnly: Scenario = {
    ...scenario("anon-migrate"),
    id: "anon-migrate-read",
    vmas: [{ ...(scenario("anon-migrate").vmas[0] as VmaSpec), mapped: false }],
  };

  it("a read fault on a private anonymous VMA maps it, with no anon_vma; a write copies it", () => {
    const setup = setupFor(design("mainline-migrate"), readOnly);
    expect(setup.world0.ptes).toEqual(["none"]);
    const r = runAlone(setup.programs, setup.world0, 0, calls("handle_mm_fault"), 30);
    expect(r.world.ptes).toEqual(["zero"]);
    expect(r.world.vmas[0]?.anonVma).toBeUndefined();
    // a write fault on it: wp_page_copy() -> vmf_anon_prepare()
    const b = bench(scenario("anon-uffd-1"), design("vma-lock-fault"));
    b.world = { ...b.world, ptes: ["zero"] };
    // until the fault returns (the copy takes two turns of its step)
    const w = runAlone(b.programs, b.world, 0, (rec) => faultEvent([rec]) !== undefined, 20).world;
    expect(w.ptes).toEqual(["rw"]);
    expect(w.vmas[0]?.anonVma).toBe(true);
  });

  it("migrate_vma takes it without a folio lock or a migration entry, and inserts the new page", () => {
    const setup = setupFor(design("mainline-migrate"), readOnly);
    let w = runAlone(setup.programs, setup.world0, 0, calls("handle_mm_fault"), 30).world;
    // T gives the mmap lock back before G can take it
    w = runAlone(setup.programs, w, 0, calls("mmap_read_unlock"), 30).world;
    const g = tidOf(w, "G");
    const collect = runAlone(setup.programs, w, g, calls("migrate_vma_collect_pmd"), 10);
    expect(collect.recs.at(-1)?.outcome).toBe("zero");
    expect(collect.world.ptes).toEqual(["zero"]);
    expect(collect.world.folioLock).toEqual([null]);
    const done = runAlone(setup.programs, collect.world, g, calls("mmap_read_unlock"), 10);
    const ops = done.recs.flatMap((rec) => rec.ops);
    expect(
      ops.some((o) => o.startsWith("migrate_vma_pages(): mmu_notifier_invalidate_range_start")),
    ).toBe(true);
    expect(done.recs.find(calls("migrate_vma_insert_page"))?.outcome).toBe("ok");
    expect(done.world.ptes).toEqual(["rw"]);
    expect(done.world.vmas[0]?.anonVma).toBe(true);
  });
});

describe("the invalidation actor (try_to_unmap)", () => {
  it("starts only on a page whose PTE maps a folio: not the zero page, no entry", () => {
    const setup = setupFor(design("v2"), scenario("anon-uffd-1"));
    const i = tidOf(setup.world0, "I");
    // the page is not there yet: reclaim has no folio to unmap
    expect(setup.world0.ptes).toEqual(["none"]);
    expect(isEnabled(setup.world0, i, setup.programs)).toBe(false);
    for (const pte of ["ro", "rw", "cow"] as const) {
      expect(isEnabled({ ...setup.world0, ptes: [pte] }, i, setup.programs)).toBe(true);
    }
    for (const pte of ["zero", "swap", "migration", "device-private"] as const) {
      expect(isEnabled({ ...setup.world0, ptes: [pte] }, i, setup.programs)).toBe(false);
    }
  });

  it("clears the PTE at its end only if it still maps the folio it started from", () => {
    const setup = setupFor(design("v2"), scenario("anon-uffd-1"));
    const i = tidOf(setup.world0, "I");
    // begin, user_lock, invalidate(): the end is I's next step
    const started = (pte: "rw" | "cow") =>
      runAlone(setup.programs, { ...setup.world0, ptes: [pte] }, i, calls("invalidate()")).world;
    const end = (w: World) => runAlone(setup.programs, w, i, calls("zap pte")).world.ptes;
    expect(end(started("rw"))).toEqual(["none"]);
    expect(end(started("cow"))).toEqual(["none"]);
    // made writable in place (wp_page_reuse()) or shared by fork: the same folio
    expect(end({ ...started("rw"), ptes: ["cow"] })).toEqual(["none"]);
    // a write fault copied the shared page (wp_page_copy()): a new folio, left alone
    expect(end({ ...started("cow"), ptes: ["rw"] })).toEqual(["rw"]);
    // zapped meanwhile (munmap), or the zero page after it: nothing to clear
    expect(end({ ...started("rw"), ptes: ["none"] })).toEqual(["none"]);
    expect(end({ ...started("rw"), ptes: ["zero"] })).toEqual(["zero"]);
  });

  it("holds the folio lock from begin to end, and leaves a folio someone else holds", () => {
    const setup = setupFor(design("v2"), scenario("anon-uffd-1"));
    const i = tidOf(setup.world0, "I");
    const mapped: World = { ...setup.world0, ptes: ["rw"] };
    // shrink_folio_list(): a folio whose folio_trylock() fails is skipped
    expect(isEnabled({ ...mapped, folioLock: [0] }, i, setup.programs)).toBe(false);
    const begun = runAlone(setup.programs, mapped, i, calls("try_to_unmap")).world;
    expect(begun.folioLock).toEqual([i]);
    const ended = runAlone(setup.programs, begun, i, calls("zap pte")).world;
    expect(ended.folioLock).toEqual([null]);
  });
});
