// vma->anon_vma and the anonymous fault that prepares it (mm/rmap.c __anon_vma_prepare(),
// mm/memory.c __vmf_anon_prepare() and do_anonymous_page(), mm/internal.h
// vmf_anon_prepare(); read as quoted from v7.0). vmf_anon_prepare() came with "mm: call
// wp_page_copy() under the VMA lock" (Oct 2023, v6.7); do_anonymous_page() uses it, and
// takes mmap_read_trylock() instead of always retrying, since Matthew Wilcox's Apr 2024
// series ("mm: Delay the check for a NULL anon_vma", "mm: Optimise vmf_anon_prepare()
// for VMAs without an anon_vma", v6.10), which also dropped lock_vma_under_rcu()'s
// refusal of an anonymous VMA without an anon_vma; vma_end_read() on RETRY moved into
// the vmf_anon_prepare() wrapper with "mm: change vmf_anon_prepare() to
// __vmf_anon_prepare()" (2024).
//
// vma->anon_vma is the VMA's `anonVma` (model/world.ts): absent while NULL (the anon_vma
// a fault will attach: its anon_vma_alloc() is not a step of its own), set once
// attached. mm->page_table_lock is a declared spinlock (PAGE_TABLE_LOCK), which a
// scenario that runs these ops declares. prepareAnonVma() is __anon_vma_prepare() as one
// step, for the paths that hold the mmap lock throughout (the fault's vmf_anon_prepare(),
// the uffd monitor's find_vma_and_prepare_anon()).
import { useVma } from "../ghost.js";
import type { Ctx, Op } from "../step.js";
import { op } from "../step.js";
import type { Vma, VmaId, VmaRef, World } from "../world.js";
import type { FaultFlag } from "./fault-flags.js";
import { releaseFaultLock } from "./fault-lock.js";
import { mmapReadTrylockFree } from "./mmap-lock.js";
import { setPte } from "./pte.js";
import { writeDeniedBy } from "./vma.js";
import { PAGE_TABLE_LOCK, vmaFieldDecision } from "./vma-field.js";

export { PAGE_TABLE_LOCK };

function vmaRef(k: Ctx, ref: string): VmaRef {
  const r = k.ref(ref);
  if (!r) throw new Error(`local "${ref}" holds no VMA pointer`);
  return r;
}

const anonVmaAttached = (k: Ctx, vma: VmaId): boolean => k.w.vmas[vma]?.anonVma === true;

/**
 * __anon_vma_prepare(vma) done in one step by a caller that holds the mmap lock (read
 * is enough) throughout: vma->anon_vma is set, or was already.
 */
export function prepareAnonVma(k: Ctx, vma: VmaId, by: string): void {
  const v = k.w.vmas[vma];
  if (!v || v.anonVma) return;
  v.anonVma = true;
  k.emit({ k: "note", tid: k.tid, text: `${by} attaches vma#${vma}'s anon_vma` });
}

/** A fault that maps an anonymous page here needs vma->anon_vma: a private VMA (hugetlb has its own path). */
export const needsAnonVma = (v: Vma): boolean => !v.flags.shared && !v.flags.hugetlb;

/**
 * vmf_anon_prepare(vmf), before a private VMA's first anonymous page: do_anonymous_page()
 * for a write, do_cow_fault(), wp_page_copy(). With vma->anon_vma set it does nothing;
 * else __anon_vma_prepare() runs under the caller's mmap lock, or under the VMA lock
 * only after mmap_read_trylock() succeeds (no writer holds the mmap lock or waits for
 * it; the trylock, the prepare and mmap_read_unlock() are one step here). When the
 * trylock fails the wrapper calls vma_end_read() and the fault returns VM_FAULT_RETRY:
 * then this returns false. (6.4-6.5 called anon_vma_prepare() unconditionally, safe only
 * because their lock_vma_under_rcu() refused a VMA without an anon_vma.)
 */
export function vmfAnonPrepare(k: Ctx, vma: Vma, flags: readonly FaultFlag[]): boolean {
  if (vma.anonVma) return true;
  if (!flags.includes("VMA_LOCK")) {
    prepareAnonVma(k, vma.id, "vmf_anon_prepare()");
    return true;
  }
  if (!mmapReadTrylockFree(k.w as World)) {
    releaseFaultLock(k, flags, vma.id, "vmf_anon_prepare(): mmap_read_trylock() failed");
    return false;
  }
  prepareAnonVma(k, vma.id, "vmf_anon_prepare(), under mmap_read_trylock(),");
  return true;
}

/**
 * `if (likely(vma->anon_vma))` (__vmf_anon_prepare, do_anonymous_page): a decision
 * about anon_vma, which the VMA lock or the mmap lock makes stable enough (a NULL seen
 * here is checked again under page_table_lock).
 */
export const vmaHasAnonVma = (ref: string): Op<"yes" | "no"> =>
  op({
    name: `if (likely(${ref}->anon_vma))`,
    outcomes: ["yes", "no"],
    run: (k) => {
      const v = useVma(k, vmaRef(k, ref), `${ref}->anon_vma`);
      vmaFieldDecision(k, v.id, "anon_vma", "read", `if (${ref}->anon_vma)`);
      return anonVmaAttached(k, v.id) ? "yes" : "no";
    },
  });

/**
 * The first half of __anon_vma_prepare(): mmap_assert_locked(mm); might_sleep();
 * anon_vma_chain_alloc(GFP_KERNEL); find_mergeable_anon_vma(vma), which reads the
 * neighbouring VMAs' anon_vma (hence the mmap lock), else anon_vma_alloc();
 * anon_vma_lock_write() (the new anon_vma's own rwsem, which no one else can hold yet,
 * is not modelled).
 */
export const anonVmaAlloc = (ref: string): Op<"ok"> =>
  op({
    name: `__anon_vma_prepare(${ref}): find_mergeable_anon_vma(${ref}) or anon_vma_alloc()`,
    outcomes: ["ok"],
    mightSleep: true,
    run: (k) => {
      useVma(k, vmaRef(k, ref), "find_mergeable_anon_vma");
      return "ok";
    },
  });

/**
 * Under mm->page_table_lock: `if (likely(!vma->anon_vma)) vma->anon_vma = anon_vma;`
 * ("set"), or another thread attached one first and ours is put back ("raced").
 */
export const anonVmaAttach = (ref: string): Op<"set" | "raced"> =>
  op({
    name: `if (!${ref}->anon_vma) ${ref}->anon_vma = anon_vma`,
    outcomes: ["set", "raced"],
    run: (k) => {
      const v = useVma(k, vmaRef(k, ref), `${ref}->anon_vma = anon_vma`);
      vmaFieldDecision(k, v.id, "anon_vma", "read", `if (!${ref}->anon_vma)`);
      if (anonVmaAttached(k, v.id)) {
        k.emit({
          k: "note",
          tid: k.tid,
          text: "put_anon_vma(allocated): another thread attached one",
        });
        return "raced";
      }
      vmaFieldDecision(k, v.id, "anon_vma", "write", `${ref}->anon_vma = anon_vma`);
      prepareAnonVma(k, v.id, "__anon_vma_prepare()");
      return "set";
    },
  });

/**
 * The rest of do_anonymous_page() once the anon_vma is there: alloc_anon_folio() (may
 * sleep), then under the PTE lock (not modelled) the entry is set, writable for a write
 * fault, unless another thread's fault set it first.
 */
export const doAnonymousPage = (ref: string, addr: string): Op<"ok"> =>
  op({
    name: `do_anonymous_page(): alloc_anon_folio(); set_pte_at(${addr})`,
    outcomes: ["ok"],
    mightSleep: true,
    run: (k) => {
      const v = useVma(k, vmaRef(k, ref), "do_anonymous_page");
      const a = k.num(addr);
      if (k.w.ptes[a] === "none") {
        const pte = v.flags.write ? "rw" : "ro";
        setPte(k, a, pte);
      }
      return "ok";
    },
  });

/**
 * `if (unlikely(access_error(error_code, vma)))` for a write fault (arch/x86/mm/fault.c):
 * a decision about vm_flags, made under the VMA lock or the mmap lock.
 */
export const accessError = (ref: string): Op<"ok" | "error"> =>
  op({
    name: `if (access_error(error_code, ${ref}))`,
    outcomes: ["ok", "error"],
    run: (k) => (writeDeniedBy(k, ref, "access_error") ? "error" : "ok"),
  });
