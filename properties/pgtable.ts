// Page-table pages (model/kernel/pgtable.ts). S29: a PTE table is not touched after it
// was freed; S30: no sleeping call while a PTE table is mapped.
import { blockedAsleep } from "../model/kernel/locks.js";
import { mappedPteTables } from "../model/kernel/pgtable.js";
import type { Scenario } from "../model/scenarios.js";
import type { World } from "../model/world.js";
import type { Property } from "./property.js";
import { who } from "./property.js";

/** The scenario has page tables of its own: it declares RCU, under which they are mapped. */
const mapsPageTables = (s: Scenario): boolean => (s.locks ?? []).some((l) => l.kind === "rcu");

/** The declared RCU locks `tid` is inside a read-side section of. */
function rcuHeld(w: World, tid: number): string[] {
  return Object.keys(w.locks).filter((n) => {
    const l = w.locks[n];
    return l?.kind === "rcu" && l.readers.includes(tid);
  });
}

/**
 * S29: mm/pgtable-generic.c (__pte_offset_map, pte_free_defer; v6.5 and later): a PTE
 * table can be removed from the pmd without the mmap lock (retract_page_tables()), and
 * a walker that mapped it before may still take its ptl and read it until pte_unmap():
 * so the table's page may be freed only after an RCU grace period (pte_free_defer).
 */
export const noPgtableUseAfterFree: Property = {
  id: "no-pgtable-use-after-free",
  ref: "S29",
  statement:
    "no page-table page is used after it was freed: a PTE table mapped with pte_offset_map() (or its ptl) is not touched once its page went back to the allocator",
  kind: "safety",
  applies: mapsPageTables,
  monitor: () => ({
    step: ({ after, rec }) => {
      const e = rec.events.find(
        (x) => x.k === "obj-use" && x.pgtable === true && x.objState === "freed",
      );
      if (e?.k !== "obj-use") return null;
      const f = after.objects[e.ref.obj];
      return `${who(after, e.tid)} touched the page table ${e.ref.obj} in ${e.what}, mapped at step ${e.ref.at}, but ${who(after, f?.freedBy ?? -1)} freed it at step ${f?.freedAt} (use-after-free of a page-table page: it was freed without waiting for the RCU grace period that pte_offset_map()'s readers rely on).`;
    },
  }),
};

/**
 * S30: since v6.5 pte_offset_map() enters an RCU read-side section (and kmap_local()s
 * the table with CONFIG_HIGHPTE) until pte_unmap(): the thread may not sleep in between
 * (mm/hmm.c hmm_vma_handle_pte() unmaps before migration_entry_wait() and before
 * faulting). Judged like no-sleep-in-atomic: a call that may sleep, or blocking on
 * anything but a spinlock, while inside a declared RCU section.
 */
export const noSleepWithPteMapped: Property = {
  id: "no-sleep-with-pte-mapped",
  ref: "S30",
  statement:
    "no sleeping call while a PTE table is mapped: between pte_offset_map() and pte_unmap() (an RCU read-side section) a thread never calls a function that may sleep, nor blocks on a sleeping lock",
  kind: "safety",
  applies: mapsPageTables,
  monitor: () => ({
    step: ({ before, after, rec }) => {
      const held = rcuHeld(before, rec.tid);
      if (held.length === 0) return null;
      const sleep = rec.events.find((e) => e.k === "might-sleep" && e.tid === rec.tid);
      if (!sleep && !blockedAsleep(after, rec.tid)) return null;
      const what = sleep && sleep.k === "might-sleep" ? sleep.what : (rec.ops[0] ?? "a sleep");
      const mapped = mappedPteTables(before, rec.tid);
      const tables =
        mapped.length > 0
          ? `the PTE table ${mapped.map((r) => `${r.obj} (mapped at step ${r.at})`).join(", ")} still mapped`
          : `inside the RCU read-side section of ${held.join(", ")}`;
      return `${who(after, rec.tid)} called ${what}, which may sleep, with ${tables}: pte_unmap() must come first (sleeping inside rcu_read_lock()).`;
    },
  }),
};
