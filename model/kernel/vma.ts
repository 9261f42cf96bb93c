// VMA lookup under the mmap lock: vma_lookup() returns the VMA containing addr;
// find_vma() the first VMA ending above it. Only attached ("live") VMAs are in the tree.
import { refTo, useVma } from "../ghost.js";
import type { Op } from "../step.js";
import { op } from "../step.js";
import type { Page, Vma, World } from "../world.js";

export function vmaAt(w: World, addr: Page): Vma | null {
  return w.vmas.find((v) => v.state === "live" && v.start <= addr && addr < v.end) ?? null;
}

export function firstVmaAbove(w: World, addr: Page): Vma | null {
  let best: Vma | null = null;
  for (const v of w.vmas)
    if (v.state === "live" && v.end > addr && (best === null || v.start < best.start)) best = v;
  return best;
}

/** `into = vma_lookup(mm, addr)` */
export const vmaLookup = (addr: string, into: string): Op<"found" | "none"> =>
  op({
    name: `${into} = vma_lookup(mm, ${addr})`,
    outcomes: ["found", "none"],
    run: (k) => {
      const a = k.num(addr);
      const v = vmaAt(k.w as World, a);
      k.emit({ k: "lookup", tid: k.tid, vma: v?.id ?? null, addr: a });
      k.set(into, v ? refTo(k, v.id) : null);
      return v ? "found" : "none";
    },
  });

/** `if (userfaultfd_missing(vma))`: reads vma->vm_flags through the pointer. */
export const userfaultfdMissing = (ref: string): Op<"yes" | "no"> =>
  op({
    name: `if (userfaultfd_missing(${ref}))`,
    outcomes: ["yes", "no"],
    run: (k) => {
      const r = k.ref(ref);
      if (!r) throw new Error(`local "${ref}" holds no VMA pointer`);
      return useVma(k, r, `userfaultfd_missing(${ref})`).flags.uffdMissing ? "yes" : "no";
    },
  });
