// mainline-migrate: today's hmm_range_fault() and the documented caller, with the
// walker's rule for migration entries (mm/hmm.c hmm_vma_handle_pte(), v6.16 tree): a
// required page under migration makes the walker unmap the PTE table, sleep in
// migration_entry_wait() and return -EBUSY, and hmm_range_fault() walks again from that
// page. Family hmm-migrate: it runs only in the migration scenarios. Its mutant
// mainline-migrate-valid reads the migration entry as a present page instead.
import { hmmWalkEntryMigration } from "../kernel/hmm.js";
import { migrationEntryWait } from "../kernel/migrate.js";
import type { Design, Steps, Unreachable } from "../step.js";
import { compose } from "../step.js";
import { documentedCaller } from "./callers.js";
import { hmmWalk } from "./hmm-walk.js";
import { hmmRangeFault, hmmVmaFaultInCallbacks } from "./mainline.js";
import { mutant } from "./mutate.js";
import { forbiddenWithoutAllowRetry, unreachable } from "./unreachable.js";

/** hmm_vma_handle_pte() with migration entries, and its -EBUSY after the wait. */
export function hmmWalkMigration(
  o: { readonly asValid?: boolean; readonly anyOwner?: boolean } = {},
): Steps {
  return {
    ...hmmWalk(),
    "pte.entry": {
      op: hmmWalkEntryMigration(o),
      on: {
        next: "pte.entry",
        end: "walk.next",
        fault: "pte.fault",
        eperm: "walk.eperm",
        migration: "pte.migration_wait",
      },
    },
    // then `return -EBUSY` (the fault callbacks' pte.ebusy: ret = -EBUSY, to walk.ret)
    "pte.migration_wait": { op: migrationEntryWait("addr"), next: "pte.ebusy" },
  };
}

/** Edges the migration scenarios (one anonymous page, no uffd) never reach, and why. */
export function migrateUnreachable(): Unreachable[] {
  const oneAnonVma =
    "the hmm-migrate scenarios have one anonymous VMA of one page, without userfaultfd: no hugetlb VMA, no hole, no second VMA, no refused write";
  return [
    ...unreachable("walk", ["hugetlb", "hole", "done"], oneAnonVma),
    ...unreachable("walk.next", ["hugetlb", "pte", "hole"], oneAnonVma),
    ...unreachable("walk.hole", ["ok"], oneAnonVma),
    ...unreachable("walk.eperm", ["ok"], oneAnonVma),
    ...unreachable("pte.entry", ["eperm"], oneAnonVma),
    ...unreachable("hugetlb.lock", ["ok"], oneAnonVma),
    ...unreachable("hugetlb.entry", ["next", "end", "fault", "eperm", "hole"], oneAnonVma),
    ...unreachable("hugetlb.eperm", ["ok"], oneAnonVma),
    ...unreachable("hugetlb.unlock", ["ok"], oneAnonVma),
    ...unreachable("hugetlb.unlock_ret", ["ok"], oneAnonVma),
    ...unreachable("hugetlb.fault", ["ok"], oneAnonVma),
    ...unreachable("hugetlb.relock", ["ok"], oneAnonVma),
    ...unreachable("hugetlb.fault_one", ["ok", "error"], oneAnonVma),
    ...forbiddenWithoutAllowRetry("hugetlb.fault_one"),
    ...unreachable("hugetlb.fault_next", ["more", "done"], oneAnonVma),
    ...unreachable("hugetlb.ebusy", ["ok"], oneAnonVma),
    ...unreachable("hugetlb.efault", ["ok"], oneAnonVma),
    ...unreachable("hugetlb.hole", ["ok", "error"], oneAnonVma),
    ...forbiddenWithoutAllowRetry("hugetlb.hole"),
    ...unreachable("hole.ebusy", ["ok"], oneAnonVma),
    ...unreachable("hole.efault", ["ok"], oneAnonVma),
    ...forbiddenWithoutAllowRetry("pte.fault"),
    ...unreachable(
      "pte.fault",
      ["error"],
      "a read fault on an anonymous page without userfaultfd never fails (do_anonymous_page maps the zero page or a new one)",
    ),
    ...unreachable("pte.fault_next", ["more"], oneAnonVma),
    ...unreachable("pte.efault", ["ok"], oneAnonVma),
    ...unreachable("check_err", ["yes"], `${oneAnonVma}; no fault fails`),
  ];
}

export const mainlineMigrate: Design = {
  id: "mainline-migrate",
  title: "hmm_range_fault() today with migration entries, and the documented caller",
  summary:
    "mainline's walk with hmm_vma_handle_pte()'s migration rule: a page under migration that must be faulted makes the walker sleep in migration_entry_wait() and return -EBUSY, and hmm_range_fault() walks again from that page; without a fault requested the entry is reported not valid.",
  source: "mm/hmm.c hmm_vma_handle_pte() and hmm_range_fault() (v6.16); Documentation/mm/hmm.rst",
  family: "hmm-migrate",
  start: "again",
  steps: compose(documentedCaller(), hmmRangeFault(), hmmWalkMigration(), hmmVmaFaultInCallbacks()),
  unreachable: migrateUnreachable(),
};

export const mainlineMigrateValid: Design = {
  ...mutant(
    mainlineMigrate,
    "mainline-migrate-valid",
    "The walker reads a migration entry as a present read-only page and reports its pfn valid, instead of waiting for the migration and walking again (-EBUSY): the driver maps the old page while migrate_vma copies it away, and its notifier, which skips its own MMU_NOTIFY_MIGRATE, never says retry.",
    { "pte.entry": hmmWalkMigration({ asValid: true })["pte.entry"] as Design["steps"][string] },
  ),
  unreachable: [
    ...migrateUnreachable(),
    ...unreachable(
      "pte.entry",
      ["migration"],
      "the mutant reads a migration entry as a present page and never waits for it",
    ),
    ...unreachable(
      "pte.migration_wait",
      ["ok"],
      "the mutant reads a migration entry as a present page and never waits for it",
    ),
  ],
};

const NEVER_FAULTS =
  "the migration scenarios start with a page the process wrote, and this mutant reports another device's private page valid where the others fault it back: its walker never faults";

export const mainlineMigrateAnyOwner: Design = {
  ...mutant(
    mainlineMigrate,
    "mainline-migrate-any-owner",
    "hmm_range_fault() before 08ddddda667b (v5.7): the walker reports every device-private page valid, whatever device owns it, instead of only those of range->dev_private_owner; the caller programs its device with another device's private memory.",
    { "pte.entry": hmmWalkMigration({ anyOwner: true })["pte.entry"] as Design["steps"][string] },
  ),
  unreachable: [
    ...migrateUnreachable(),
    ...unreachable("pte.entry", ["fault"], NEVER_FAULTS),
    ...unreachable("pte.fault", ["ok"], NEVER_FAULTS),
    ...unreachable("pte.fault_next", ["done"], NEVER_FAULTS),
  ],
};
