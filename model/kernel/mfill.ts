// mm/userfaultfd.c with seed 003's locks-dropped copy: the ops
// UFFDIO_COPY is made of, and the identity of a VMA that the re-validation compares
// (flags, uffd ops, file and pgoff; 85668fda932a "verify VMA state across UFFDIO_COPY
// retry").
import { useVma } from "../ghost.js";
import type { Op } from "../step.js";
import { op } from "../step.js";
import type { Vma, World } from "../world.js";
import { wakeUserfault } from "./userfaultfd.js";
import { vmaAt } from "./vma.js";
import { vmaStartRead } from "./vma-lock.js";

/** What re-validation compares: the VMA's kind, sharing, file/pgoff and uffd registration. */
export function vmaIdentity(v: Vma): string {
  const kind = v.flags.hugetlb ? "hugetlb" : v.flags.file ? v.flags.file : "anon";
  return `${kind}/${v.flags.shared ? "shared" : "private"}/${v.flags.uffdMissing ? "uffd" : "no-uffd"}`;
}

/** uffd_lock_vma() fallback: under mmap_read_lock, vma_lookup() and vma_start_read(). */
export const lookupAndVmaStartRead = (addr: string, into: string): Op<"locked" | "none"> =>
  op({
    name: `${into} = vma_lookup(mm, ${addr}); vma_start_read(${into})`,
    outcomes: ["locked", "none"],
    run: (k) => {
      const v = vmaAt(k.w as World, k.num(addr));
      if (!v) {
        k.set(into, null);
        return "none";
      }
      vmaStartRead(k, v.id, into);
      return "locked";
    },
  });

/** state->folio = vma_uffd_ops(vma)->alloc_folio(vma, addr): the folio belongs to this VMA's kind. */
export const allocFolio = (vma: string): Op<"ok"> =>
  op({
    name: `folio = vma_uffd_ops(${vma})->alloc_folio(${vma}, addr)`,
    outcomes: ["ok"],
    run: (k) => {
      const r = k.ref(vma);
      if (!r) throw new Error(`local "${vma}" holds no VMA pointer`);
      k.set("folio_for", vmaIdentity(useVma(k, r, "alloc_folio")));
      return "ok";
    },
  });

/** mfill_copy_folio_locked(): copy_from_user with page faults disabled; fails if the source is not resident. */
export const copyFolioLocked = (): Op<"copied" | "fault"> =>
  op({
    name: "mfill_copy_folio_locked(): copy_from_user() under pagefault_disable()",
    outcomes: ["copied", "fault"],
    run: (k) =>
      k.get("src_resident") === true ? "copied" : k.choose(["fault", "copied"] as const),
  });

/** The re-validation after the locks were dropped: same flags, uffd ops, file, pgoff? */
export const mfillRevalidate = (vma: string): Op<"same" | "changed"> =>
  op({
    name: `if (${vma} flags/uffd ops/file/pgoff changed) return -EAGAIN`,
    outcomes: ["same", "changed"],
    run: (k) => {
      const r = k.ref(vma);
      if (!r) throw new Error(`local "${vma}" holds no VMA pointer`);
      return vmaIdentity(useVma(k, r, "revalidate")) === k.get("folio_for") ? "same" : "changed";
    },
  });

/** mfill_atomic_install_pte(): map the folio into the (current) VMA and wake the range. */
export const mfillInstall = (vma: string, addr: string): Op<"ok"> =>
  op({
    name: `mfill_atomic_install_pte(${vma}, ${addr}, folio); wake the range`,
    outcomes: ["ok"],
    run: (k) => {
      const r = k.ref(vma);
      if (!r) throw new Error(`local "${vma}" holds no VMA pointer`);
      const v = useVma(k, r, "mfill_atomic_install_pte");
      const a = k.num(addr);
      k.emit({
        k: "mfill-install",
        tid: k.tid,
        vma: v.id,
        page: a,
        folioFor: String(k.get("folio_for")),
        vmaIs: vmaIdentity(v),
      });
      k.w.ptes[a] = v.flags.write ? "rw" : "ro";
      k.emit({ k: "pte", tid: k.tid, page: a, pte: v.flags.write ? "rw" : "ro" });
      wakeUserfault(k, "UFFDIO_COPY", a);
      return "ok";
    },
  });
