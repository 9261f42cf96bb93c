// I: an invalidation that does not change the VMA layout, such as reclaim or migration
// unmapping one page through the rmap (try_to_unmap): invalidate_range_start (seq odd),
// the driver's invalidate() under user_lock, zap, invalidate_range_end. Hugetlb pages
// are unmapped only if hugetlb_vma_trylock_write succeeds, as the rmap walk does.
// try_to_unmap_one() read in mm/rmap.c at v7.0: range_start; page_vma_mapped_walk(),
// which finds only PTEs that map this folio; for a shared hugetlb folio trylock or abort
// the walk; clear the PTE; range_end on both paths. (A hugetlb folio reaches
// try_to_unmap() only after a memory failure; migration's try_to_migrate_one() takes
// the same trylock.)
//
// Reclaim and migration start from a folio, so the actor begins only on a page whose
// PTE maps one (`ro`, `rw` or `cow`): a none PTE, a swap or migration entry, a
// device-private entry and the zero page are in no folio's rmap. Its end clears the PTE
// only if it still maps that folio: not if a write fault copied the page meanwhile
// (`cow` became `rw` through wp_page_copy(), a new folio), nor if it was zapped. The
// PTE carries no folio identity, so a zap followed by a new fault of the same kind
// before the end would be taken for the old folio; no built-in scenario can do both
// (munmap frees the VMA it zaps).
//
// What the end leaves is none, which try_to_unmap_one() leaves only for a clean file
// folio and a lazy-free anonymous one (MADV_FREE, discarded clean: its `discard:`
// path). A swap-backed anonymous folio gets a swap entry, migration a migration entry,
// and a hugetlb folio after a memory failure a hwpoison entry; on those VMAs this lane
// stands for the lazy-free page, or for a hugetlbfs hole punch (hugetlb_vmdelete_list()
// takes the same hugetlb_vma_trylock_write() and leaves none); README, "Known
// differences from the kernel", says so. It holds the folio lock from begin to end, as
// try_to_unmap()'s caller does (shrink_folio_list() takes it with folio_trylock() and
// skips a folio it cannot lock), so migrate_vma's collect skips that page meanwhile.
//
// E (`swapOutActor`): the same walk, from reclaim of a swap-backed anonymous folio:
// shrink_folio_list() (mm/vmscan.c, v7.0) takes the folio with folio_trylock(), gives it
// a swap slot unless it is in the swap cache already (folio_alloc_swap(); a folio
// swapped in keeps its slot) and calls try_to_unmap(), whose try_to_unmap_one() stores
// the swap entry in each PTE that maps the folio (folio_dup_swap(), set_pte_at() of
// swp_pte); pageout() starts the write and unlocks the folio (one step with the end
// here). Only private anonymous VMAs: a file folio leaves none, and so does a shmem one
// (its swap entry goes into the page cache, not the PTE); a hugetlb one is not
// reclaimed. (An anonymous copy in a private file VMA would get a swap entry too; no
// actor reclaims one.) The entry is exclusive for a page only this mm maps ("swap") and
// shared for one fork left shared with a child ("swap-cow"); the next fault on it swaps
// it in through do_swap_page(), not handle_userfault(), on a userfaultfd-registered VMA
// too. The folio stays in the swap cache, unlocked: a fault that must read it back,
// whose read holds the folio lock, is the folio-lock holder's (model/actors/folio.ts).

import { type Actor, actor } from "../actor.js";
import { folioTrylock, folioUnlock } from "../kernel/folio.js";
import {
  invalidateCallback,
  invalidateEnd,
  invalidateStart,
  userLock,
} from "../kernel/notifier.js";
import { setPte } from "../kernel/pte.js";
import * as rwsem from "../rwsem.js";
import { op } from "../step.js";
import type { Pte, Vma, World } from "../world.js";

/** A PTE that maps a folio an rmap walk can find: not the zero page, no entry. */
const mapsFolio = (p: Pte | undefined): boolean => p === "ro" || p === "rw" || p === "cow";

/** What one rmap unmap starts on and leaves. */
interface RmapUnmap {
  readonly id: string;
  readonly lane: string;
  readonly title: string;
  /** the names of its first and last steps */
  readonly begin: string;
  readonly end: string;
  /** the VMAs whose folios it unmaps (absent: any page) */
  readonly vmas?: (v: Vma) => boolean;
  /** what the PTE holds after it, from what it held (a PTE that maps the folio) */
  readonly leaves: (p: Pte) => Pte;
}

/** Does the VMA, live, cover page p? */
const covers =
  (p: number) =>
  (v: Pick<Vma, "state" | "start" | "end">): boolean =>
    v.state !== "freed" && v.start <= p && p < v.end;

/** A private anonymous VMA of this mm: no file, not shared, not hugetlb. */
const privateAnon = (v: Vma): boolean =>
  v.mm === undefined && !v.flags.file && !v.flags.shared && !v.flags.hugetlb;

function rmapUnmapActor(u: RmapUnmap): Actor {
  const mine = u.vmas;
  /**
   * May it unmap page i: does its PTE map a folio that is not locked
   * (shrink_folio_list() skips a folio whose folio_trylock() fails), in one of its VMAs?
   */
  const canUnmap = (w: World, i: number): boolean => {
    if (!mapsFolio(w.ptes[i]) || w.folioLock[i] !== null) return false;
    if (!mine) return true;
    const at = covers(i);
    for (const v of w.vmas) if (at(v) && mine(v)) return true;
    return false;
  };
  /** the pages it may unmap, as its choice offers them */
  const unmappable = (w: World): string[] => {
    const out: string[] = [];
    for (let i = 0; i < w.ptes.length; i++) if (canUnmap(w, i)) out.push(`page ${i}`);
    return out;
  };
  const begin = op({
    name: u.begin,
    outcomes: ["ok"],
    // (asked of every state and every step of a random run: no list made)
    enabled: (w) => {
      for (let i = 0; i < w.ptes.length; i++) if (canUnmap(w, i)) return true;
      return false;
    },
    run: (k) => {
      const pages = unmappable(k.w as World);
      const page = Number(k.choose(pages).slice(5));
      k.set("page", page);
      // try_to_unmap()'s caller holds the folio lock across the walk
      folioTrylock(k, page);
      // a shared page a write fault may copy to a new folio before the end
      if (k.w.ptes[page] === "cow") k.set("cow", 1);
      invalidateStart(k);
      return "ok";
    },
  });
  const end = op({
    name: u.end,
    outcomes: ["ok"],
    run: (k) => {
      const p = k.num("page");
      const lock = k.w.vmas.find(covers(p))?.hugetlbLock;
      const locked = !lock || rwsem.tryAcquire(lock, k.tid, "write");
      const pte = k.w.ptes[p];
      // page_vma_mapped_walk() finds the PTE only if it still maps the folio
      const same = mapsFolio(pte) && !(k.get("cow") === 1 && pte === "rw");
      if (locked && same) setPte(k, p, u.leaves(pte as Pte));
      if (lock && locked) rwsem.release(lock, k.tid, "write");
      invalidateEnd(k);
      folioUnlock(k, p, "folio_unlock");
      return "ok";
    },
  });
  return actor({
    id: u.id,
    lane: u.lane,
    disruptive: true,
    title: u.title,
    start: "idle",
    steps: {
      idle: { op: begin, next: "cb_lock" },
      cb_lock: { op: userLock(), next: "cb" },
      cb: { op: invalidateCallback(), next: "zap_end" },
      zap_end: { op: end, next: "idle" },
    },
  });
}

/** I: reclaim or migration unmapping one page, leaving none (see above). */
export function invalidateActor(): Actor {
  return rmapUnmapActor({
    id: "invalidate",
    lane: "I",
    title: "rmap unmap of one page (reclaim/migration)",
    begin: "try_to_unmap(page): mmu_notifier_invalidate_range_start()",
    end: "zap pte; mmu_notifier_invalidate_range_end()",
    leaves: () => "none",
  });
}

/** E: reclaim of an anonymous page to swap, leaving a swap entry (see above). */
export function swapOutActor(): Actor {
  return rmapUnmapActor({
    id: "swap-out",
    lane: "E",
    title: "reclaim of one anonymous page to swap",
    begin:
      "shrink_folio_list(): to swap; try_to_unmap(page): mmu_notifier_invalidate_range_start()",
    end: "swap entry into the pte if it still maps the folio; mmu_notifier_invalidate_range_end(); pageout()",
    vmas: privateAnon,
    leaves: (p) => (p === "cow" ? "swap-cow" : "swap"),
  });
}
