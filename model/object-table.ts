// Every object with a lifetime in a world, as an instance of the generic object a
// scenario can declare (model/world.ts Obj: allocated, live, detached, freed): the VMAs
// (live in the tree, detached by vma_mark_detached, freed by vm_area_free), each shared
// hugetlb VMA's hugetlb_vma_lock (freed by __hugetlb_zap_end before its VMA), the
// userfaultfd context (detached once userfaultfd_release set ctx->released: no fault
// reaches it any more; its final free after the last reference is not modelled), the
// mmu interval notifier subscription (live for the whole run), and the declared objects.
// The use-after-free property reads this table, so a freed object of a user's is
// reported by the same code and in the same words as a freed VMA.
import type { ObjState, Tid, VmaId, World } from "./world.js";

export type ObjectName =
  | { readonly kind: "vma"; readonly vma: VmaId }
  | { readonly kind: "hugetlb-lock"; readonly vma: VmaId }
  | { readonly kind: "uffd-ctx" }
  | { readonly kind: "notifier" }
  | { readonly kind: "named"; readonly name: string };

export interface ObjectInstance {
  readonly ref: ObjectName;
  /** its name in messages: vma#0, hugetlb_vma_lock(vma#0), userfaultfd ctx, ... */
  readonly label: string;
  readonly state: ObjState;
  /** Ghost: the clock tick and thread that freed it (null while not freed or not known). */
  readonly freedAt: number | null;
  readonly freedBy: Tid | null;
}

export function objectLabel(ref: ObjectName): string {
  switch (ref.kind) {
    case "vma":
      return `vma#${ref.vma}`;
    case "hugetlb-lock":
      return `hugetlb_vma_lock(vma#${ref.vma})`;
    case "uffd-ctx":
      return "userfaultfd ctx";
    case "notifier":
      return "mmu_interval_notifier";
    case "named":
      return ref.name;
  }
}

const live = { state: "live", freedAt: null, freedBy: null } as const;

/** The object `ref` names, or undefined if the world has none such. */
export function objectOf(w: World, ref: ObjectName): ObjectInstance | undefined {
  const label = objectLabel(ref);
  switch (ref.kind) {
    case "vma": {
      const v = w.vmas[ref.vma];
      return v && { ref, label, state: v.state, freedAt: v.freedAt, freedBy: v.freedBy };
    }
    case "hugetlb-lock": {
      // only shared hugetlb VMAs have one (hugetlb_vma_lock_alloc); freed by the VMA's
      // last unmap before the VMA (no ghost of its own: the VMA's, once that is freed too)
      const v = w.vmas[ref.vma];
      if (!v || !(v.flags.hugetlb && v.flags.shared)) return undefined;
      return v.hugetlbLock
        ? { ref, label, ...live }
        : { ref, label, state: "freed", freedAt: v.freedAt, freedBy: v.freedBy };
    }
    case "uffd-ctx":
      return {
        ref,
        label,
        ...live,
        state: w.uffd.released ? "detached" : "live",
      };
    case "notifier":
      return { ref, label, ...live };
    case "named": {
      const o = w.objects[ref.name];
      return o && { ref, label, state: o.state, freedAt: o.freedAt, freedBy: o.freedBy };
    }
  }
}

/**
 * Every object of the world: the VMAs, their hugetlb VMA locks, the userfaultfd context,
 * the notifier subscription, then the declared objects by name.
 */
export function objectInstances(w: World): ObjectInstance[] {
  const refs: ObjectName[] = [
    ...w.vmas.map((v) => ({ kind: "vma", vma: v.id }) as const),
    ...w.vmas.map((v) => ({ kind: "hugetlb-lock", vma: v.id }) as const),
    { kind: "uffd-ctx" },
    { kind: "notifier" },
    ...Object.keys(w.objects).map((name) => ({ kind: "named", name }) as const),
  ];
  const out: ObjectInstance[] = [];
  for (const ref of refs) {
    const o = objectOf(w, ref);
    if (o) out.push(o);
  }
  return out;
}
