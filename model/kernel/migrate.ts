// Migration entries (include/linux/swapops.h, mm/migrate.c, mm/migrate_device.c, read in
// a v6.16 tree): a page under migration has its PTE replaced by a migration entry under
// the PTL while its folio is locked; remove_migration_ptes() puts the new page in its
// place, and folio_unlock() then wakes whoever sleeps in migration_entry_wait().
import type { Op } from "../step.js";
import { op } from "../step.js";
import type { World } from "../world.js";
import { prepareAnonVma } from "./anon-vma.js";
import { copyHoldsFolio } from "./cow.js";
import { folioTrylock, folioUnlock, folioWait } from "./folio.js";
import { setPte } from "./pte.js";
import { privateAnon, vmaAt } from "./vma.js";

/**
 * `pte_unmap(ptep); migration_entry_wait(mm, pmdp, addr)` (mm/migrate.c): under the PTL
 * it re-reads the PTE; if it is still a migration entry it sleeps, uninterruptibly
 * (migration_entry_wait_on_locked), until the migration unlocks the folio; otherwise it
 * returns at once. `page` is the local holding the address.
 */
export const migrationEntryWait = (page = "addr"): Op<"ok"> =>
  op({
    name: "pte_unmap(ptep); migration_entry_wait(mm, pmdp, addr)",
    outcomes: ["ok"],
    run: (k) => {
      const p = k.num(page);
      const holder = k.w.folioLock[p];
      if (k.w.ptes[p] === "migration" && holder !== null && holder !== k.tid)
        folioWait(k, p, { exclusive: false, killable: false });
      return "ok";
    },
  });

/**
 * migrate_vma_collect_pmd() for one page (mm/migrate_device.c): under the PTL, a present
 * page whose folio it can trylock gets a migration entry in place of its PTE (the old
 * permission is kept in the local `mig_pte`, as the entry's own write bit); the zero
 * page is marked MIGRATE_PFN_MIGRATE as it is, no folio locked and no entry set (with
 * MIGRATE_VMA_SELECT_SYSTEM, which the modelled drivers pass: v7.0); a page that is not
 * present, or whose folio lock is busy, is not migrated ("skip"), nor one a fault is
 * copying: the fault's folio reference makes migrate_vma_check_page() fail and the
 * entry is restored before migrate_vma_setup() returns (taken here as no entry at all).
 */
export const migrateVmaCollectPage = (page: number): Op<"collected" | "zero" | "skip"> =>
  op({
    name: "migrate_vma_collect_pmd(): folio_trylock(folio); set_pte_at(migration entry)",
    outcomes: ["collected", "zero", "skip"],
    run: (k) => {
      const pte = k.w.ptes[page];
      if (pte === "zero") {
        k.set("mig_page", page);
        k.emit({
          k: "note",
          tid: k.tid,
          text: `the zero page at page ${page}: no folio lock, no entry`,
        });
        return "zero";
      }
      // a page fork() shared ("cow") is migrated too: try_to_migrate() puts the entry in
      // the child's page table as well (not modelled), and remove_migration_ptes() maps
      // the new page shared again, read-only and not exclusive
      if (pte !== "ro" && pte !== "rw" && pte !== "cow") return "skip";
      if (copyHoldsFolio(k.w as World, page)) return "skip";
      if (!folioTrylock(k, page)) return "skip";
      k.set("mig_page", page);
      k.set("mig_pte", pte);
      setPte(k, page, "migration");
      return "collected";
    },
  });

/**
 * migrate_vma_pages() then migrate_vma_finalize(): the new page takes the old one's
 * place (remove_migration_ptes: the migration entry becomes a PTE of the new page, with
 * the entry's permission, if the PTE still holds it), and folio_unlock() wakes the
 * migration_entry_wait() sleepers. The new page is device-coherent or system memory
 * (a present PTE), or with `dest` "device-private" the device's private memory (a
 * device-private entry), which migrate_vma_pages() refuses for a file page ("For now
 * only support anonymous memory migrating to device private or coherent memory",
 * mm/migrate_device.c v7.0): the old page is mapped back as it was. A file page is one
 * of a shared file mapping, or a private file mapping's "cow" entry (the model does
 * not tell it from an anonymous page fork shared there).
 */
export const migrateVmaFinalize = (dest: "present" | "device-private" = "present"): Op<"ok"> =>
  op({
    name: "migrate_vma_pages(); migrate_vma_finalize(): remove_migration_ptes(); folio_unlock()",
    outcomes: ["ok"],
    run: (k) => {
      const page = k.num("mig_page");
      const was = k.get("mig_pte");
      const v = vmaAt(k.w as World, page);
      const filePage = !!v?.flags.file && (v.flags.shared || was === "cow");
      const old = was === "rw" || was === "cow" ? was : "ro";
      // a page fork shared stays shared in device memory
      const next =
        dest === "device-private" && !filePage
          ? was === "cow"
            ? "device-private-cow"
            : "device-private"
          : old;
      if (k.w.ptes[page] === "migration") {
        setPte(k, page, next);
      }
      folioUnlock(k, page, "migrate_vma_finalize: folio_unlock");
      return "ok";
    },
  });

/**
 * migrate_vma_insert_page() (mm/migrate_device.c, v7.0), what migrate_vma_pages() does
 * for a page collected without a folio (the zero page here), between its own
 * MMU_NOTIFY_MIGRATE start and end: only for an anonymous VMA, anon_vma_prepare(), then
 * under the PTL the new page replaces the entry if it is still none or the zero page
 * (the address space stable, the VMA not armed for userfaultfd missing faults);
 * otherwise it backs off ("abort").
 */
export const migrateVmaInsertPage = (
  dest: "present" | "device-private" = "present",
): Op<"ok" | "abort"> =>
  op({
    name: "migrate_vma_insert_page(): anon_vma_prepare(vma); set_pte_at(new page)",
    outcomes: ["ok", "abort"],
    run: (k) => {
      const page = k.num("mig_page");
      const v = vmaAt(k.w as World, page);
      if (!v || !privateAnon(v)) return "abort";
      prepareAnonVma(k, v.id, "migrate_vma_insert_page(): anon_vma_prepare()");
      const pte = k.w.ptes[page];
      if (k.w.mm.unstable || (pte !== "none" && pte !== "zero") || v.flags.uffdMissing)
        return "abort";
      const next = dest === "device-private" ? "device-private" : v.flags.write ? "rw" : "ro";
      setPte(k, page, next);
      return "ok";
    },
  });
