// I: an invalidation that does not change the VMA layout, such as reclaim or migration
// unmapping one page through the rmap (try_to_unmap): invalidate_range_start (seq odd),
// the driver's invalidate() under user_lock, zap, invalidate_range_end. Hugetlb pages
// are unmapped only if hugetlb_vma_trylock_write succeeds, as the rmap walk does.
// try_to_unmap_one() read in mm/rmap.c at gregkh/linux 155f9686bd80 (a v6.11-era tree):
// range_start; for a shared hugetlb folio trylock or abort the walk; clear the PTE;
// range_end on both paths. (A hugetlb folio reaches try_to_unmap() only after a memory
// failure; migration's try_to_migrate_one() takes the same trylock.)

import { type Actor, actor } from "../actor.js";
import {
  invalidateCallback,
  invalidateEnd,
  invalidateStart,
  userLock,
} from "../kernel/notifier.js";
import { setPte } from "../kernel/pte.js";
import * as rwsem from "../rwsem.js";
import { op } from "../step.js";
import type { Pte } from "../world.js";

/** The pages an rmap walk may unmap: any but the zero page, which is in no rmap. */
const unmappable = (ptes: readonly Pte[]): string[] =>
  ptes.flatMap((p, i) => (p === "zero" ? [] : [`page ${i}`]));

const begin = op({
  name: "try_to_unmap(page): mmu_notifier_invalidate_range_start()",
  outcomes: ["ok"],
  enabled: (w) => unmappable(w.ptes).length > 0,
  run: (k) => {
    const pages = unmappable(k.w.ptes);
    k.set("page", Number(k.choose(pages).slice(5)));
    invalidateStart(k);
    return "ok";
  },
});

const zapEnd = op({
  name: "zap pte; mmu_notifier_invalidate_range_end()",
  outcomes: ["ok"],
  run: (k) => {
    const p = k.num("page");
    const vma = k.w.vmas.find((v) => v.state !== "freed" && v.start <= p && p < v.end);
    const lock = vma?.hugetlbLock;
    const locked = !lock || rwsem.tryAcquire(lock, k.tid, "write");
    // a read fault may have mapped the zero page since begin: try_to_unmap() leaves it
    if (locked && k.w.ptes[p] !== "none" && k.w.ptes[p] !== "zero") {
      setPte(k, p, "none");
    }
    if (lock && locked) rwsem.release(lock, k.tid, "write");
    invalidateEnd(k);
    return "ok";
  },
});

export function invalidateActor(): Actor {
  return actor({
    id: "invalidate",
    lane: "I",
    disruptive: true,
    title: "rmap unmap of one page (reclaim/migration)",
    start: "idle",
    steps: {
      idle: { op: begin, next: "cb_lock" },
      cb_lock: { op: userLock(), next: "cb" },
      cb: { op: invalidateCallback(), next: "zap_end" },
      zap_end: { op: zapEnd, next: "idle" },
    },
  });
}
