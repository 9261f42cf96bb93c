// S28: a walker acts on a pmd entry only while the pmd still holds it. mm/gup.c
// follow_pmd_mask (v6.10-6.12) and mm/huge_memory.c __pmd_trans_huge_lock: a value read
// with pmdp_get_lockless() only picks the path; before following a huge entry the walker
// takes pmd_lock and reads the pmd again, and pte_offset_map_lock() re-reads it before
// mapping a PTE table. __split_huge_pmd() replaces the huge entry under the same
// pmd_lock, so a decision re-read under it cannot go stale while it is held.
import type { Event } from "../model/events.js";
import type { Property } from "./property.js";
import { who } from "./property.js";

type PmdUse = Extract<Event, { k: "pmd-use" }>;

const asWords = (as: PmdUse["as"]) => (as === "huge" ? "a huge pmd entry" : "a PTE table");

export const pmdDecisionCurrent: Property = {
  id: "pmd-decision-current",
  ref: "S28",
  statement:
    "a walker acts on a pmd entry (follows a huge pmd, maps a PTE table) only while the pmd still holds it: a lockless read only picks the path, and the value used is re-read under pmd_lock (follow_pmd_mask, pmd_trans_huge_lock) or by pte_offset_map_lock",
  kind: "safety",
  applies: (s) => (s.objects ?? []).some((o) => o.name === "huge_pmd"),
  monitor: () => ({
    step: ({ after, rec }) => {
      const e = rec.events.find((x): x is PmdUse => x.k === "pmd-use" && x.state !== "live");
      if (!e) return null;
      const read = e.readLocked ? "read under pmd_lock" : "read with pmdp_get_lockless()";
      const lock = e.lockHeld ? "with pmd_lock held" : "without pmd_lock";
      return `${who(after, e.tid)} acted on the pmd as ${asWords(e.as)} in ${e.what} ${lock}, on a value ${read} that the pmd no longer holds: it now holds ${e.now === "none" ? "nothing" : asWords(e.now)} (a split replaced the entry since the read).`;
    },
  }),
};
