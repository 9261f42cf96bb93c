// VMA lookup under the mmap lock: vma_lookup() returns the VMA containing addr;
// find_vma() the first VMA ending above it. Only attached ("live") VMAs are in the tree.
// Read at v7.0: include/linux/mm.h vma_lookup (mtree_load), mm/mmap.c find_vma
// (mt_find), mm/vma.c __mmap_new_vma/__split_vma/vma_link (vma_start_write).
import { refTo, useVmaIn } from "../ghost.js";
import type { Ctx, Op } from "../step.js";
import { op } from "../step.js";
import type { Draft, Page, Vma, VmaFlags, VmaId, World } from "../world.js";
import { setPte } from "./pte.js";
import { vmaFieldDecision } from "./vma-field.js";

/** A VMA of this mm in the tree (a slot reused by another mm's VMA is not). */
export const inTree = (v: Vma): boolean => v.state === "live" && v.mm === undefined;

/**
 * A private anonymous VMA: vma_is_anonymous() (no vm_ops; a MAP_SHARED anonymous mapping
 * is shmem, a file) and not VM_SHARED. do_anonymous_page() serves its missing pages (a
 * read maps the zero page) and migrate_vma_insert_page() fills only such a VMA.
 */
export const privateAnon = (v: Vma): boolean =>
  !v.flags.shared && !v.flags.file && !v.flags.hugetlb;

export function vmaAt(w: World, addr: Page): Vma | null {
  return w.vmas.find((v) => inTree(v) && v.start <= addr && addr < v.end) ?? null;
}

/**
 * A new vm_area_struct, attached: its own hugetlb VMA lock when it is a shared hugetlb
 * mapping (hugetlb_vma_lock_alloc), no per-VMA readers. `writeLocked` for one inserted
 * under vma_start_write (__mmap_new_vma, __split_vma, copy_vma). `anonVma` when it shares
 * the anon_vma of the VMA it was copied from (anon_vma_clone(), copy_vma()); a new
 * mapping has none.
 */
export function newVma(
  id: VmaId,
  start: Page,
  end: Page,
  flags: VmaFlags,
  writeLocked: boolean,
  anonVma = false,
): Draft<Vma> {
  return {
    id,
    start,
    end,
    flags,
    state: "live",
    hugetlbLock: flags.hugetlb && flags.shared ? { readers: [], writer: null, waiters: [] } : null,
    readers: [],
    writeLocked,
    freedAt: null,
    freedBy: null,
    // last, as a later `vma.anonVma = true` adds it (stateKey keeps construction order)
    ...(anonVma ? { anonVma: true } : {}),
  };
}

/** Is there a mapped VMA for a syscall to act on? */
export function anyLiveVma(w: World): boolean {
  return w.vmas.some(inTree);
}

/** The VMA a syscall acts on (munmap, madvise): the schedule picks one, printed `vma#N`. */
export function chooseLiveVma(k: Ctx): Vma {
  const live = k.w.vmas.filter((v) => inTree(v as Vma)).map((v) => `vma#${v.id}`);
  const v = k.w.vmas[Number(k.choose(live).slice(4))];
  if (!v) throw new Error("chooseLiveVma: no VMA is mapped (the op must be enabled by anyLiveVma)");
  return v as Vma;
}

/** zap_pte_range() over a whole VMA: every present or swapped PTE becomes none. */
export function zapPtes(k: Ctx, vma: VmaId): void {
  const v = k.w.vmas[vma];
  if (!v) return;
  for (let p = v.start; p < v.end; p++)
    if (k.w.ptes[p] !== "none") {
      setPte(k, p, "none");
    }
}

export function firstVmaAbove(w: World, addr: Page): Vma | null {
  let best: Vma | null = null;
  for (const v of w.vmas)
    if (inTree(v) && v.end > addr && (best === null || v.start < best.start)) best = v;
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
      return useVmaIn(k, ref, `userfaultfd_missing(${ref})`).flags.uffdMissing ? "yes" : "no";
    },
  });

/**
 * A caller's own test, under the lock it holds, that a write may not fault the VMA in
 * `ref`: true when vma->vm_flags lacks VM_WRITE. x86's access_error()
 * (arch/x86/mm/fault.c), GUP's check_vma_flags() without FOLL_FORCE and
 * fixup_user_fault()'s vma_permits_fault() (mm/gup.c), read at v7.0, all test it before
 * handle_mm_fault(); hmm_vma_fault() does the same (model/kernel/hmm.ts, -EPERM). `fn`
 * names the kernel function, for the VMA use and the vm_flags decision it records.
 */
export function writeDeniedBy(k: Ctx, ref: string, fn: string): boolean {
  const v = useVmaIn(k, ref, `${fn}(${ref})`);
  vmaFieldDecision(k, v.id, "vm_flags", "read", `${fn}(): ${ref}->vm_flags & VM_WRITE`);
  return !v.flags.write;
}

/** `if (cond)` where `cond` calls `fn` on the VMA in `ref` (writeDeniedBy). */
export const writeDenied = (cond: string, fn: string, ref: string): Op<"yes" | "no"> =>
  op({
    name: `if (${cond})`,
    outcomes: ["yes", "no"],
    run: (k) => (writeDeniedBy(k, ref, fn) ? "yes" : "no"),
  });
