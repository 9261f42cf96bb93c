// Reclaim of an anonymous page to swap (the swap-out actor, model/actors/invalidate.ts):
// try_to_unmap_one() stores a swap entry where the rmap unmap actor leaves none, and the
// next fault on the page swaps it in through do_swap_page(), on a VMA registered with
// userfaultfd too, without handle_userfault().
import { produce } from "immer";
import { describe, expect, it } from "vitest";
import { enabledThreads } from "../engine/exec.js";
import { holdsMmap } from "../model/ghost.js";
import { handleMmFault } from "../model/kernel/fault.js";
import { mmapReadLock } from "../model/kernel/mmap-lock.js";
import { vmaLookup } from "../model/kernel/vma.js";
import { set } from "../model/locals.js";
import { scenario as declare } from "../model/scenarios.js";
import { ANON_PAGE, bench, completeRow, design, mini, scenario, tidOf } from "./helpers.js";

/** T: mmap_read_lock, vma_lookup(page 0), a write fault that may retry, its outcome. */
const writer = mini({
  lock: { op: mmapReadLock(), next: "lookup" },
  lookup: { op: vmaLookup("start", "vma"), next: "fault" },
  fault: {
    op: handleMmFault("vma", "start", ["WRITE", "ALLOW_RETRY", "KILLABLE"]),
    on: { ok: "was_ok", retry: "was_retry", completed: "was_retry", error: "was_error" },
  },
  was_ok: { op: set({ outcome: "ok" }), next: "exit" },
  was_retry: { op: set({ outcome: "retry" }), next: "exit" },
  was_error: { op: set({ outcome: "error" }), next: "exit" },
});

/** E swaps out page `page` of the bench, all four of its steps. */
function swapOut(b: ReturnType<typeof bench>, page: number): number {
  const e = tidOf(b.world, "E");
  b.run(e, page); // shrink_folio_list(): folio_alloc_swap(); try_to_unmap(page): range_start
  expect(b.world.folioLock[page]).toBe(e);
  b.run(e); // mutex_lock(user_lock)
  b.run(e); // invalidate()
  b.run(e); // swap entry into the pte; range_end; pageout() unlocks the folio
  return e;
}

describe("reclaim of an anonymous page to swap", () => {
  it("leaves a swap entry, and a fault on the uffd-registered page swaps it in", () => {
    const b = bench(scenario("anon-uffd-swap-out"), writer);
    expect(b.world.ptes.slice(0, 2)).toEqual(["rw", "rw"]);
    swapOut(b, 0);
    expect(b.world.ptes[0]).toBe("swap");
    expect(b.world.ptes[1]).toBe("rw");
    expect(b.world.folioLock[0]).toBe(null);
    b.run(); // mmap_read_lock
    b.run(); // vma_lookup
    b.run(); // handle_mm_fault -> do_swap_page(), not handle_userfault()
    b.run();
    expect(b.world.threads[0]?.locals.outcome).toBe("ok");
    expect(b.world.ptes[0]).toBe("rw");
    expect(b.world.uffd.waiting).toEqual([]);
    expect(holdsMmap(b.world, 0)).toBe(true);
  });

  it("leaves a shared entry for a page fork left shared, which comes back to be copied", () => {
    const b = bench(scenario("anon-uffd-swap-out"), writer);
    b.world = produce(b.world, (w) => {
      w.ptes[0] = "cow";
    });
    swapOut(b, 0);
    expect(b.world.ptes[0]).toBe("swap-cow");
    // T's write fault: do_swap_page() maps it read-only and shared, and the write
    // copies it (wp_page_copy(), between an invalidation's start and end)
    b.run(); // mmap_read_lock
    b.run(); // vma_lookup
    b.run(); // handle_mm_fault: swapped in as "cow", the copy begun
    expect(b.world.ptes[0]).toBe("cow");
    for (let i = 0; i < 8 && b.world.threads[0]?.status.kind !== "done"; i++) b.run();
    expect(b.world.threads[0]?.locals.outcome).toBe("ok");
    expect(b.world.ptes[0]).toBe("rw");
  });

  it("leaves the PTE alone when a write fault copied the shared page meanwhile", () => {
    const b = bench(scenario("anon-uffd-swap-out"), writer);
    b.world = produce(b.world, (w) => {
      w.ptes[0] = "cow";
    });
    const e = tidOf(b.world, "E");
    b.run(e, 0); // try_to_unmap(page 0) starts on the shared folio
    b.world = produce(b.world, (w) => {
      w.ptes[0] = "rw"; // wp_page_copy(): a new folio, which the walk does not find
    });
    b.run(e);
    b.run(e);
    b.run(e);
    expect(b.world.ptes[0]).toBe("rw");
    expect(b.world.folioLock[0]).toBe(null);
  });

  it("starts only on a mapped page of a private anonymous VMA", () => {
    const mixed = declare({
      id: "swap-out-mixed",
      vmas: [
        { ...ANON_PAGE, uffdMissing: true, mapped: true },
        {
          ...ANON_PAGE,
          name: "hugetlb",
          shared: true,
          hugetlb: true,
          file: "hugetlbfs:0",
          mapped: true,
        },
      ],
      actors: [{ actor: "swap-out", budget: 2 }],
    });
    const b = bench(mixed, writer);
    const e = tidOf(b.world, "E");
    expect(enabledThreads(b.world, b.programs)).toContain(e);
    expect(b.world.ptes).toEqual(["rw", "rw"]);
    swapOut(b, 0);
    expect(b.world.ptes).toEqual(["swap", "rw"]);
    // the hugetlb page is mapped and its folio free, but no swap-out takes it
    expect(enabledThreads(b.world, b.programs)).not.toContain(e);
  });
});

describe("no-retry-livelock beside a userfaultfd monitor", () => {
  // one page, registered with userfaultfd: the monitor fills it, reclaim swaps it out,
  // and the next fault swaps it in, where a folio-lock holder may be in the way
  const withHolder = (holder: string) =>
    declare({
      id: `swap-out-monitor-${holder}`,
      vmas: [{ ...ANON_PAGE, uffdMissing: true }],
      actors: [
        { actor: "swap-out", budget: 1 },
        { actor: holder, budget: holder === "folio" ? 1 : null },
        { actor: "monitor", budget: null },
      ],
    });
  const livelock = (holder: string) =>
    completeRow(design("v2"), withHolder(holder), "no-retry-livelock");

  it("does not count a loop of UFFDIO_WAKE answers, which leave the fault unresolved", () => {
    const row = livelock("folio");
    expect(row?.complete).toBe(true);
    expect(row?.verdict).toBe("holds");
  });

  it("still finds v2's loop behind a holder that relocks the swapped page's folio", () => {
    const row = livelock("folio-contended");
    expect(row?.verdict).toBe("violated");
    expect(row?.message).toMatch(/lasso/);
  });
});
