// walk_page_range() (mm/pagewalk.c, read at v7.0, where its loop is in
// walk_page_range_mm_unsafe()): find_vma(mm, start), then VMA by VMA. The walker
// sets walk->vma and fetches the *next* VMA pointer before the callbacks run, and keeps
// both across them: a callback that drops the mmap lock leaves the walker holding
// dead pointers (S8). Locals: last, end, walk_vma, walk_next, addr, seg_end.
import { refTo, useVma } from "../ghost.js";
import type { Ctx, Op } from "../step.js";
import { op } from "../step.js";
import type { World } from "../world.js";
import { firstVmaAbove } from "./vma.js";

export type WalkOutcome = "hugetlb" | "pte" | "hole" | "done";
const OUTCOMES: readonly WalkOutcome[] = ["hugetlb", "pte", "hole", "done"];

/**
 * Enter the VMA in walk_vma at `addr`: test_walk, then walk_hugetlb_range or
 * walk_pgd_range; "hole" when walk_vma starts above addr, or there is none.
 */
export function enterWalkVma(k: Ctx, what: string): WalkOutcome {
  const ref = k.ref("walk_vma");
  if (!ref) return "hole";
  const vma = useVma(k, ref, what);
  const addr = k.num("addr");
  if (vma.start > addr) return "hole";
  const after = firstVmaAbove(k.w as World, vma.end);
  k.set("walk_next", after ? refTo(k, after.id) : null);
  k.set("seg_end", Math.min(vma.end, k.num("end")));
  return vma.flags.hugetlb ? "hugetlb" : "pte";
}

/** `walk_page_range(mm, last, end, &hmm_walk_ops, &hmm_vma_walk)`: the first VMA. */
export const walkPageRange = (): Op<WalkOutcome> =>
  op({
    name: "walk_page_range(mm, last, end): walk->vma = find_vma(mm, last)",
    outcomes: OUTCOMES,
    run: (k) => {
      const last = k.num("last");
      k.set("addr", last);
      // (the kernel returns -EINVAL for start >= end; hmm_range_fault() never asks)
      if (last >= k.num("end")) return "done";
      const v = firstVmaAbove(k.w as World, last);
      k.set("walk_vma", v ? refTo(k, v.id) : null);
      return enterWalkVma(k, "walk->vma (test_walk)");
    },
  });

/** The walker moves on to the next VMA through the pointer it cached before the callbacks. */
export const walkNextVma = (): Op<WalkOutcome> =>
  op({
    name: "walk_page_range: walk->vma = next",
    outcomes: OUTCOMES,
    run: (k) => {
      const addr = k.num("seg_end");
      k.set("addr", addr);
      if (addr >= k.num("end")) return "done";
      k.set("walk_vma", k.get("walk_next") ?? null);
      return enterWalkVma(k, "walk->vma = next (test_walk)");
    },
  });
