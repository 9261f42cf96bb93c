// X: another process maps an anonymous VMA, and vm_area_alloc() hands it the slot of a
// VMA this mm has just freed. The vm_area_struct cache is SLAB_TYPESAFE_BY_RCU since
// v6.15 ("mm: make vma cache SLAB_TYPESAFE_BY_RCU"; kernel/fork.c / mm/vma_init.c
// vma_state_init, vm_area_free without call_rcu): a freed VMA's memory may be reused at
// once by a VMA of any mm, while an RCU reader of this mm (lock_vma_under_rcu between
// mas_walk() and vma_start_read()) still holds a pointer to it. The new VMA is attached
// (vm_refcnt 1) in the other mm's tree and covers the same addresses (the case the
// range check alone cannot catch); the other mm's mmap_lock and its own
// vma_start_write() are not modelled (no thread of this model runs in that mm).
// The other mm is a `World.childMms` entry; the slot's `mm` names it.

import { type Actor, actor } from "../actor.js";
import { op } from "../step.js";
import type { World } from "../world.js";

/** Slots of this mm's VMAs that vm_area_free() has freed. */
const freedSlots = (w: World): string[] =>
  w.vmas.filter((v) => v.state === "freed" && v.mm === undefined).map((v) => `vma#${v.id}`);

const reuse = op({
  name: "mmap() in another process: vm_area_alloc() returns a freed vm_area_struct (SLAB_TYPESAFE_BY_RCU)",
  outcomes: ["ok"],
  enabled: (w) => freedSlots(w).length > 0,
  run: (k) => {
    const id = Number(k.choose(freedSlots(k.w as World)).slice(4));
    const v = k.w.vmas[id];
    if (!v) return "ok";
    const mm = k.w.childMms.length;
    const flags = { write: true, shared: false, hugetlb: false, uffdMissing: false };
    // child records are replaced, never mutated (model/parts.ts childMms)
    k.w.childMms.push({ vmas: [{ start: v.start, end: v.end, flags }] });
    k.w.vmas[id] = {
      id,
      start: v.start,
      end: v.end,
      flags,
      state: "live",
      hugetlbLock: null,
      readers: [],
      writeLocked: false,
      freedAt: v.freedAt,
      freedBy: v.freedBy,
      mm,
    };
    k.emit({
      k: "note",
      tid: k.tid,
      text: `another mm's new VMA takes vma#${id}'s slot`,
    });
    return "ok";
  },
});

export function otherMmActor(): Actor {
  return actor({
    id: "other-mm",
    lane: "X",
    disruptive: true,
    title:
      "another process's mmap(): its new VMA reuses a freed vm_area_struct (SLAB_TYPESAFE_BY_RCU)",
    start: "idle",
    steps: { idle: { op: reuse, next: "idle" } },
  });
}
