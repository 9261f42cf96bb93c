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
// The anon_vma of a VMA is a declared object of the scenario, named anonVmaOf(vma):
// "allocated" while vma->anon_vma is NULL (the anon_vma a fault will attach; its
// anon_vma_alloc() is not a step of its own), "live" once attached. mm->page_table_lock
// is a declared spinlock (PAGE_TABLE_LOCK). A scenario that runs these ops declares both.
import { useVma } from "../ghost.js";
import type { Ctx, Op } from "../step.js";
import { op } from "../step.js";
import type { VmaId, VmaRef } from "../world.js";
import { writeDeniedBy } from "./vma.js";
import { PAGE_TABLE_LOCK, vmaFieldDecision } from "./vma-field.js";

export { PAGE_TABLE_LOCK };

/** The declared object that stands for `vma->anon_vma`. */
export const anonVmaOf = (vma: VmaId): string => `anon_vma(vma#${vma})`;

function vmaRef(k: Ctx, ref: string): VmaRef {
  const r = k.ref(ref);
  if (!r) throw new Error(`local "${ref}" holds no VMA pointer`);
  return r;
}

function anonVmaAttached(k: Ctx, vma: VmaId): boolean {
  const o = k.w.objects[anonVmaOf(vma)];
  if (!o)
    throw new Error(
      `no object "${anonVmaOf(vma)}" in this scenario: declare it in the scenario's objects (state "allocated": vma->anon_vma is NULL)`,
    );
  return o.state === "live";
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
      const name = anonVmaOf(v.id);
      const o = k.w.objects[name];
      // object records are replaced, never mutated (model/parts.ts)
      if (o) k.w.objects[name] = { ...o, state: "live" };
      k.emit({ k: "obj-state", tid: k.tid, obj: name, state: "live" });
      k.emit({ k: "note", tid: k.tid, text: `attaches vma#${v.id}'s anon_vma` });
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
        k.w.ptes[a] = pte;
        k.emit({ k: "pte", tid: k.tid, page: a, pte });
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
