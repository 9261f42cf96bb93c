// walk_page_range / walk_hugetlb_range as the HMM designs use them.
import { describe, expect, it } from "vitest";
import { hmmWalk } from "../model/designs/hmm-walk.js";
import { mmapReadLock } from "../model/kernel/mmap-lock.js";
import { set } from "../model/locals.js";
import * as rwsem from "../model/rwsem.js";
import type { Design } from "../model/step.js";
import { isVmaRef } from "../model/world.js";
import { bench, mini, scenario } from "./helpers.js";

function walker(): Design {
  return mini(
    {
      lock: { op: mmapReadLock(), next: "walk" },
      ...hmmWalk(),
      "pte.fault": { op: set({ ret: 1 }, "fault (test)"), next: "walk.ret" },
      "hugetlb.fault": { op: set({ ret: 2 }, "fault (test)"), next: "hugetlb.unlock_ret" },
      "walk.ret": { op: set({}, "walk returned"), next: "exit" },
    },
    "lock",
  );
}

describe("the page walker", () => {
  it("keeps walk->vma and the cached next VMA, and walks into the hugetlb VMA under its lock", () => {
    const b = bench(scenario("two-vmas"), walker());
    // all pages present: the walk visits every page without faulting
    b.world = { ...b.world, ptes: ["rw", "rw", "rw"] };
    b.run(); // lock + walk start (walk is not local: only the lock)
    b.run(); // walk_page_range -> pte
    const t = b.world.threads[0];
    expect(isVmaRef(t?.locals.walk_vma) && t?.locals.walk_vma.vma).toBe(0);
    expect(isVmaRef(t?.locals.walk_next) && t?.locals.walk_next.vma).toBe(1);
    b.run(); // page 0
    b.run(); // page 1
    b.run(); // end of the VMA
    b.run(); // walk->vma = next -> hugetlb
    b.run(); // hugetlb_vma_lock_read
    const lock = b.world.vmas[1]?.hugetlbLock;
    expect(lock && rwsem.holdsRead(lock, 0)).toBe(true);
    b.run(); // page 2
    expect(b.world.threads[0]?.locals.pfns).toEqual([3, 3, 3]);
    b.run(); // end
    b.run(); // hugetlb_vma_unlock_read through walk_vma
    const after = b.world.vmas[1]?.hugetlbLock;
    expect(after && rwsem.holds(after, 0)).toBe(false);
  });

  it("stops at the first page that needs a fault and records it", () => {
    const b = bench(scenario("anon-uffd"), walker());
    b.world = { ...b.world, ptes: ["rw", "none"] };
    for (let i = 0; i < 4; i++) b.run();
    const l = b.world.threads[0]?.locals;
    expect(l?.ret).toBe(1);
    expect(l?.last).toBe(1);
    expect(l?.fault_addr).toBe(1);
    expect(l?.fault_end).toBe(2);
  });
});
