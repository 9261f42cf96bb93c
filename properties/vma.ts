// S1 and S2: VMA pointers outlive neither the lock they were looked up under nor the VMA.
// The same holds for pointers to the objects a scenario declares (model/kernel/objects.ts):
// a use after the lock of the lookup was released, or after the object was freed.
import type { Event } from "../model/events.js";
import { VMA_FIELD_RULES } from "../model/kernel/vma-field.js";
import type { ObjectName } from "../model/object-table.js";
import { objectLabel, objectOf } from "../model/object-table.js";
import type { Property, StepView } from "./property.js";
import { who } from "./property.js";

type Use = Extract<Event, { k: "vma-use" }>;
type ObjUse = Extract<Event, { k: "obj-use" }>;

/** The use of a declared object's pointer after its lock was released, in words. */
function objUseAfterUnlock(w: StepView["after"], e: ObjUse): string {
  return `${who(w, e.tid)} used ${e.ref.obj} (looked up under ${e.ref.via} at step ${e.ref.at}) in ${e.what} after releasing ${e.ref.via}; re-taking it does not revive the pointer.`;
}

/** A use of a freed object (a VMA, a declared object: model/object-table.ts), in words. */
function freedUse(w: StepView["after"], tid: number, ref: ObjectName, what: string, at: number) {
  const o = objectOf(w, ref);
  return `${who(w, tid)} used ${objectLabel(ref)} in ${what}, but ${who(w, o?.freedBy ?? -1)} freed it at step ${o?.freedAt} (use-after-free; the pointer was looked up at step ${at}).`;
}

export const noVmaUseAfterUnlock: Property = {
  id: "no-vma-use-after-unlock",
  ref: "S1",
  statement:
    "no VMA use after *locked=0: a VMA pointer is dereferenced only while the mmap lock it was looked up under is still held",
  kind: "safety",
  applies: () => true,
  monitor: () => ({
    step: ({ before, after, rec }) => {
      for (const e of rec.events) {
        if (e.k === "obj-use" && !e.protected) return objUseAfterUnlock(after, e);
        if (e.k !== "vma-use" || e.protected) continue;
        if (after.threads[e.tid]?.role !== "driver") continue;
        const drop = after.ghost.lastDrop[e.tid];
        const held = before.mmapLock.readers.includes(e.tid) || before.mmapLock.writer === e.tid;
        return `${who(after, e.tid)} used vma#${e.ref.vma} (looked up at step ${e.ref.at}, epoch ${e.ref.epoch}) in ${e.what}${
          drop ? ` after ${drop.what} released the mmap lock at step ${drop.at}` : ""
        }${held ? "; the lock it holds now was re-taken, which does not revive the pointer" : ""}.`;
      }
      return null;
    },
  }),
};

export const noFreedVmaUse: Property = {
  id: "no-freed-vma-use",
  ref: "S2",
  statement:
    "no use of a freed VMA, of its hugetlb_vma_lock, or of an object a scenario declares, through a pointer kept from before",
  kind: "safety",
  applies: () => true,
  monitor: () => ({
    step: ({ after, rec }) => {
      // a page-table page's is no-pgtable-use-after-free's (properties/pgtable.ts)
      const o = rec.events.find(
        (x): x is ObjUse => x.k === "obj-use" && x.objState === "freed" && x.pgtable !== true,
      );
      if (o) return freedUse(after, o.tid, { kind: "named", name: o.ref.obj }, o.what, o.ref.at);
      const l = rec.events.find(
        (x): x is Extract<Event, { k: "hugetlb-lock-free" }> =>
          x.k === "hugetlb-lock-free" && x.woken.length > 0,
      );
      if (l)
        return `${who(after, l.tid)} freed vma#${l.vma}'s hugetlb_vma_lock in __hugetlb_vma_unlock_write_free, and its up_write woke ${l.woken.map((t) => who(after, t)).join(", ")}, asleep on that lock, onto the freed lock (use-after-free of the lock).`;
      const e = rec.events.find((x): x is Use => x.k === "vma-use" && x.vmaState === "freed");
      if (!e) return null;
      return freedUse(after, e.tid, { kind: "vma", vma: e.ref.vma }, e.what, e.ref.at);
    },
  }),
};

type FieldEvent = Extract<Event, { k: "vma-field" }>;

function heldText(e: FieldEvent): string {
  const h = e.held;
  const held = [
    h.mmap ? `mmap_lock (${h.mmap})` : null,
    h.vma ? `vma#${e.vma}'s VMA lock (${h.vma})` : null,
    h.pageTableLock ? "mm->page_table_lock" : null,
  ].filter((x) => x !== null);
  return held.length === 0 ? "no lock" : held.join(", ");
}

/**
 * S31: a decision about a VMA field is made only under the lock that protects the field
 * (include/linux/mm_types.h; VMA_FIELD_RULES in model/kernel/vma-field.ts): vm_start,
 * vm_end and vm_flags are read under the mmap lock or the VMA lock and written under
 * both write locks; vm_mm is trusted only with a reference on the VMA; vma->anon_vma is
 * attached with the mmap lock and mm->page_table_lock held (__anon_vma_prepare).
 */
export const vmaFieldUnderLock: Property = {
  id: "vma-field-under-lock",
  ref: "S31",
  statement:
    "a decision about a VMA field (vm_start/vm_end, vm_flags, vm_mm, anon_vma) is made only under the lock that protects that field",
  kind: "safety",
  applies: () => true,
  monitor: () => ({
    step: ({ after, rec }) => {
      for (const e of rec.events) {
        if (e.k !== "vma-field") continue;
        const rule = VMA_FIELD_RULES[e.field];
        if (rule[e.access](e.held)) continue;
        const need = e.access === "read" ? rule.readText : rule.writeText;
        return `${who(after, e.tid)} ${e.access === "read" ? "decided on" : "wrote"} vma#${e.vma}->${e.field} in ${e.what} holding ${heldText(e)}; that needs ${need}.`;
      }
      return null;
    },
  }),
};

/**
 * S32: a thread uses only VMAs of its own mm. The vm_area_struct cache is
 * SLAB_TYPESAFE_BY_RCU (v6.15+): a VMA found by mas_walk() under RCU may have been freed
 * and its slot given to another mm's VMA before vma_start_read() took a reference, which
 * is why vma_start_read() compares vma->vm_mm with mm and lock_vma_under_rcu() checks the
 * address against vm_start/vm_end again (mm/mmap_lock.c, include/linux/mmap_lock.h).
 */
export const vmaOfOwnMm: Property = {
  id: "vma-of-own-mm",
  ref: "S32",
  statement:
    "a VMA pointer is used only while the VMA belongs to the thread's mm: a slot reused by another mm's VMA (SLAB_TYPESAFE_BY_RCU) is never treated as its own",
  kind: "safety",
  applies: () => true,
  monitor: () => ({
    step: ({ before, after, rec }) => {
      for (const e of rec.events) {
        if (e.k !== "vma-use") continue;
        if (before.vmas[e.ref.vma]?.mm === undefined) continue;
        return `${who(after, e.tid)} used vma#${e.ref.vma} in ${e.what}, but that slot was freed and now holds a VMA of another mm (reused through the SLAB_TYPESAFE_BY_RCU vm_area_struct cache): lock_vma_under_rcu() must check vma->vm_mm == mm and the address against vm_start/vm_end after vma_start_read().`;
      }
      return null;
    },
  }),
};
