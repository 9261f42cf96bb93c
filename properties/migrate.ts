// S28: no migration entry reported as a valid pfn. mm/hmm.c hmm_vma_handle_pte() (v6.16
// tree; the same since v5.7): a PTE holding a migration entry is reported not valid when
// no fault is required, and otherwise the walker waits in migration_entry_wait() and
// returns -EBUSY. The entry's pfn names the folio being migrated: a device mapping of it
// misses the copy's writes and outlives the page, and the interval notifier of the
// migrating driver itself skips the MMU_NOTIFY_MIGRATE invalidation that
// migrate_vma_setup() sends with its own owner, so read_retry would not catch it.
import { HMM_PFN_VALID } from "../model/kernel/hmm.js";
import type { Property } from "./property.js";
import { who } from "./property.js";

export const migrationEntryNotValid: Property = {
  id: "migration-entry-not-valid",
  ref: "S28",
  statement:
    "hmm_range_fault() never reports a page whose PTE holds a migration entry as valid: it reports it not valid, or waits for the migration and walks again (-EBUSY)",
  kind: "safety",
  applies: (s) => s.actors.some((u) => u.actor.id === "migrate-vma"),
  monitor: () => ({
    step: ({ after, rec }) => {
      for (const e of rec.events) {
        if (e.k !== "hmm-pfn" || e.pte !== "migration" || (e.pfn & HMM_PFN_VALID) === 0) continue;
        return `${who(after, e.tid)}'s walk reported page ${e.page} valid from a migration entry: its pfn is the folio migrate_vma is moving away (hmm_vma_handle_pte must wait in migration_entry_wait() and return -EBUSY, or report it not valid).`;
      }
      return null;
    },
  }),
};
