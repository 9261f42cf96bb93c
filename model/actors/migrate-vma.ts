// G: a device driver migrating a page of the mm to its device memory with migrate_vma
// (lib/test_hmm.c dmirror_migrate_to_device, and mm/migrate_device.c read at
// torvalds/linux 022a12de, a v6.15+ tree: migrate_vma_collect_pmd() walks with
// PGWALK_RDLOCK, maps the PTE table with pte_offset_map_lock(), folio_trylock()s a
// present page and only then replaces its PTE by a migration entry). It holds the mmap read lock across the whole migration; migrate_vma_setup()
// -> migrate_vma_collect() brackets its page-table walk with
// mmu_notifier_invalidate_range_start/end, the range initialised with
// mmu_notifier_range_init_owner(MMU_NOTIFY_MIGRATE, ..., pgmap_owner). The mirroring
// driver's own interval callback skips an invalidation of its own migration
// (dmirror_interval_invalidate, nouveau_svm_range_invalidate: event MMU_NOTIFY_MIGRATE
// and owner equal to its own pgmap owner -> return true without
// mmu_interval_set_seq()), so no read_retry of that driver sees it: the migration
// entries are what keep its hmm_range_fault() from mapping the old page.
//
// One page (page 0): collect puts a migration entry in place of a present PTE with the
// folio locked; migrate_vma_pages and migrate_vma_finalize put the new page in its place
// and unlock the folio. A page that is not present is not migrated (the hole a real
// migrate_vma_collect_hole marks for a fresh device page is left out). The zero page
// gets no folio lock and no migration entry: migrate_vma_pages() inserts the new page
// in its place between an invalidation start and end of its own (migrate_vma_insert_page).

import { type Actor, actor } from "../actor.js";
import {
  migrateVmaCollectPage,
  migrateVmaFinalize,
  migrateVmaInsertPage,
} from "../kernel/migrate.js";
import { mmapReadLock, mmapReadUnlock } from "../kernel/mmap-lock.js";
import {
  invalidateCallback,
  invalidateEnd,
  invalidateStart,
  userLock,
} from "../kernel/notifier.js";
import type { Ctx, Op } from "../step.js";
import { op } from "../step.js";

/** A step of the migration that only starts or ends an invalidation. */
const notify = (name: string, run: (k: Ctx) => void) =>
  op({
    name,
    outcomes: ["ok"],
    run: (k) => {
      run(k);
      return "ok";
    },
  });

// the driver's interval callback sees its own pgmap owner and returns at once
const start = notify(
  "migrate_vma_setup(): mmu_notifier_invalidate_range_start(MMU_NOTIFY_MIGRATE, owner = pgmap_owner)",
  invalidateStart,
);
const end = notify("migrate_vma_collect(): mmu_notifier_invalidate_range_end()", invalidateEnd);
const startOther = notify(
  "migrate_vma_setup(): mmu_notifier_invalidate_range_start(MMU_NOTIFY_MIGRATE, owner = its pgmap_owner)",
  invalidateStart,
);
const pagesStart = notify(
  "migrate_vma_pages(): mmu_notifier_invalidate_range_start(MMU_NOTIFY_MIGRATE, owner = pgmap_owner)",
  invalidateStart,
);
const pagesEnd = notify("migrate_vma_pages(): mmu_notifier_invalidate_range_end()", invalidateEnd);

/**
 * `otherDevice`: the driver of another device migrating page 0 to its device-private
 * memory (nouveau_dmem_migrate_vma, dmirror_migrate_to_device with a private pgmap).
 * Its MMU_NOTIFY_MIGRATE carries its own owner, which the HMM caller's interval
 * callback does not skip: it takes user_lock and sets the seq, as for any invalidation.
 * finalize leaves a device-private entry in the PTE.
 */
export function migrateVmaActor(o: { readonly otherDevice?: boolean } = {}): Actor {
  const other = o.otherDevice === true;
  /**
   * `label` starts an invalidation, then `next`; for another device's migration the HMM
   * caller's interval callback, not its owner's, runs first: a real invalidation under
   * user_lock (steps `${cb}cb_lock`, `${cb}cb`)
   */
  const startSteps = (label: string, startOp: Op<"ok">, cb: string, next: string) =>
    other
      ? {
          [label]: { op: startOp, next: `${cb}cb_lock` },
          [`${cb}cb_lock`]: { op: userLock(), next: `${cb}cb` },
          [`${cb}cb`]: { op: invalidateCallback(), next },
        }
      : { [label]: { op: startOp, next } };
  return actor({
    id: other ? "migrate-vma-other-device" : "migrate-vma",
    lane: "G",
    disruptive: true,
    title: other
      ? "another device's driver migrating page 0 to its device-private memory with migrate_vma, under the mmap read lock"
      : "the device driver migrating page 0 to device memory with migrate_vma_setup/pages/finalize, under the mmap read lock",
    start: "lock",
    steps: {
      lock: { op: mmapReadLock(), next: "start" },
      ...startSteps("start", other ? startOther : start, "", "collect"),
      collect: {
        op: migrateVmaCollectPage(0),
        on: { collected: "end", zero: "end_zero", skip: "end_skip" },
      },
      end: { op: end, next: "finalize" },
      end_skip: { op: end, next: "unlock" },
      // the zero page: migrate_vma_pages() inserts the new page between a start and an
      // end of its own (__migrate_device_pages(), v7.0); migrate_vma_finalize() has no
      // folio to unlock
      end_zero: { op: end, next: "pages_start" },
      ...startSteps("pages_start", pagesStart, "pages_", "insert"),
      insert: {
        op: migrateVmaInsertPage(other ? "device-private" : "present"),
        on: { ok: "pages_end", abort: "pages_end" },
      },
      pages_end: { op: pagesEnd, next: "unlock" },
      finalize: {
        op: migrateVmaFinalize(other ? "device-private" : "present"),
        next: "unlock",
      },
      unlock: { op: mmapReadUnlock(), next: "lock" },
    },
  });
}
