// S33: no migration entry reported as a valid pfn. mm/hmm.c hmm_vma_handle_pte() (v6.16
// tree; the same since v5.7): a PTE holding a migration entry is reported not valid when
// no fault is required, and otherwise the walker waits in migration_entry_wait() and
// returns -EBUSY. The entry's pfn names the folio being migrated: a device mapping of it
// misses the copy's writes and outlives the page, and the interval notifier of the
// migrating driver itself skips the MMU_NOTIFY_MIGRATE invalidation that
// migrate_vma_setup() sends with its own owner, so read_retry would not catch it.
import { HMM_PFN_VALID } from "../model/kernel/hmm.js";
import { devicePrivatePte } from "../model/world.js";
import type { Property } from "./property.js";
import { who } from "./property.js";

export const migrationEntryNotValid: Property = {
  id: "migration-entry-not-valid",
  ref: "S33",
  statement:
    "hmm_range_fault() never reports a page whose PTE holds a migration entry as valid: it reports it not valid, or waits for the migration and walks again (-EBUSY)",
  kind: "safety",
  applies: (s) => s.actors.some((u) => u.actor.id.startsWith("migrate-vma")),
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

/**
 * S34: no other device's private page reported as valid. mm/hmm.c hmm_vma_handle_pte()
 * (v6.16; since 08ddddda667b, "mm/hmm: check the device private page owner in
 * hmm_range_fault()", v5.7): a device-private entry is returned as-is only when its
 * pgmap's owner is range->dev_private_owner; any other is faulted (do_swap_page ->
 * migrate_to_ram brings it back to system memory, since "mm/hmm: fault non-owner
 * device private entries", Jul 2022; before, the call failed with -EFAULT) or reported
 * not valid. Its pfn is
 * memory of another device, which the caller's device cannot reach.
 */
export const devicePrivateOwner: Property = {
  id: "device-private-owner",
  ref: "S34",
  statement:
    "hmm_range_fault() never reports a device-private page of another owner than range->dev_private_owner as valid: it faults it back to system memory (migrate_to_ram) or reports it not valid",
  kind: "safety",
  applies: (s) => s.actors.some((u) => u.actor.id === "migrate-vma-other-device"),
  monitor: () => ({
    step: ({ after, rec }) => {
      for (const e of rec.events) {
        if (e.k !== "hmm-pfn" || !devicePrivatePte(e.pte) || (e.pfn & HMM_PFN_VALID) === 0)
          continue;
        return `${who(after, e.tid)}'s walk reported page ${e.page} valid from a device-private entry of another device (pgmap->owner != range->dev_private_owner): its pfn is that device's private memory (hmm_vma_handle_pte must fault it back with migrate_to_ram, or report it not valid).`;
      }
      return null;
    },
  }),
};
