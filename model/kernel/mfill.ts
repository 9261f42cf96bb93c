// mm/userfaultfd.c with seed 003's locks-dropped copy: the ops
// UFFDIO_COPY is made of, and the identity of a VMA that the re-validation compares
// (flags, uffd ops, file and pgoff; 85668fda932a "verify VMA state across UFFDIO_COPY
// retry").
import { useVmaIn } from "../ghost.js";
import { exit } from "../locals.js";
import type { Ctx, Op } from "../step.js";
import { op } from "../step.js";
import type { Vma, World } from "../world.js";
import { prepareAnonVma } from "./anon-vma.js";
import { hugePteAlloc } from "./hugetlb.js";
import { setPte } from "./pte.js";
import { wakeUserfault } from "./userfaultfd.js";
import { vmaAt } from "./vma.js";
import { vmaStartRead } from "./vma-lock.js";

/** What re-validation compares: the VMA's kind, sharing, file/pgoff and uffd registration. */
export function vmaIdentity(v: Vma): string {
  const kind = v.flags.hugetlb ? "hugetlb" : v.flags.file ? v.flags.file : "anon";
  return `${kind}/${v.flags.shared ? "shared" : "private"}/${v.flags.uffdMissing ? "uffd" : "no-uffd"}`;
}

// uffd_mfill_lock() -> uffd_lock_vma() (mm/userfaultfd.c, v6.9-v7.0): lock_vma_under_rcu()
// first; a private VMA without an anon_vma is let go again (vma_end_read(): "We know
// we're going to need to use anon_vma, so check that early"), and then, as when
// lock_vma_under_rcu() fails, mmap_read_lock(), find_vma_and_prepare_anon(),
// vma_start_read_locked() and mmap_read_unlock().

/**
 * uffd_lock_vma()'s lock_vma_under_rcu() and its anon_vma check, in one step: true with
 * the VMA read-locked in local `into`; false for the mmap-lock fallback (no VMA there,
 * a write-locked one, or a private one without an anon_vma).
 */
export function uffdLockVmaRcu(k: Ctx, addr: number, into: string): boolean {
  const v = vmaAt(k.w as World, addr);
  if (!v || v.writeLocked || (!v.flags.shared && !v.anonVma)) return false;
  vmaStartRead(k, v.id, into);
  return true;
}

/**
 * Under the mmap read lock: find_vma_and_prepare_anon() (anon_vma_prepare() for a
 * private VMA) and vma_start_read_locked(), the VMA read-locked in local `into`; false
 * when there is no VMA at `addr` (-ENOENT).
 */
export function findVmaAndPrepareAnon(k: Ctx, addr: number, into: string): boolean {
  const v = vmaAt(k.w as World, addr);
  if (!v) return false;
  if (!v.flags.shared) prepareAnonVma(k, v.id, "find_vma_and_prepare_anon()");
  vmaStartRead(k, v.id, into);
  return true;
}

/** `into = uffd_lock_vma(mm, addr)`, its first half: "fallback" goes on under the mmap lock. */
export const uffdLockVma = (addr: string, into: string): Op<"locked" | "fallback"> =>
  op({
    name: `uffd_lock_vma(): ${into} = lock_vma_under_rcu(mm, ${addr})`,
    outcomes: ["locked", "fallback"],
    run: (k) => (uffdLockVmaRcu(k, k.num(addr), into) ? "locked" : "fallback"),
  });

/** The fallback under mmap_read_lock: "none" is -ENOENT, `into` then NULL. */
export const uffdLockVmaFallback = (addr: string, into: string): Op<"locked" | "none"> =>
  op({
    name: `${into} = find_vma_and_prepare_anon(mm, ${addr}); vma_start_read_locked(${into})`,
    outcomes: ["locked", "none"],
    run: (k) => {
      if (findVmaAndPrepareAnon(k, k.num(addr), into)) return "locked";
      k.set(into, null);
      return "none";
    },
  });

/**
 * The folio UFFDIO_COPY allocates, in local `folio` until it is installed or put: the
 * identity of the VMA it was allocated for (the series: vma_uffd_ops(vma)->alloc_folio()
 * makes a folio of that VMA's kind), or PAGE (v7.0: mfill_atomic_pte_copy()'s
 * vma_alloc_folio() or shmem_mfill_atomic_pte()'s shmem_alloc_folio(), an order-0 page
 * that is neither charged nor mapped until its install, so it fits any VMA of either kind).
 */
export const FOLIO = "folio";
export const PAGE = "order-0 page";

/** state->folio = vma_uffd_ops(vma)->alloc_folio(vma, addr): the folio belongs to this VMA's kind. */
export const allocFolio = (vma: string): Op<"ok"> =>
  op({
    name: `folio = vma_uffd_ops(${vma})->alloc_folio(${vma}, addr)`,
    outcomes: ["ok"],
    run: (k) => {
      k.set(FOLIO, vmaIdentity(useVmaIn(k, vma, "alloc_folio")));
      return "ok";
    },
  });

/**
 * v7.0's allocation in mfill_atomic_pte() under the VMA lock: vma_alloc_folio() in
 * mfill_atomic_pte_copy() for a private VMA, shmem_alloc_folio() in
 * shmem_mfill_atomic_pte() for a shared one (mm/userfaultfd.c, mm/shmem.c, v7.0).
 */
export const allocPage = (vma: string): Op<"ok"> =>
  op({
    name: `folio = ${vma}->vm_flags & VM_SHARED ? shmem_alloc_folio() : vma_alloc_folio()`,
    outcomes: ["ok"],
    run: (k) => {
      useVmaIn(k, vma, "mfill_atomic_pte");
      k.set(FOLIO, PAGE);
      return "ok";
    },
  });

/**
 * folio_put(folio) on an error path (v7.0 mfill_atomic_pte_copy()'s out_release,
 * mfill_atomic()'s and mfill_atomic_hugetlb()'s out:): the folio goes back, `folio = NULL`.
 */
export const folioPut = (name = "folio_put(folio)", local = FOLIO): Op<"ok"> =>
  op({
    name,
    outcomes: ["ok"],
    local: true,
    run: (k) => {
      k.set(local, null);
      return "ok";
    },
  });

/** `return ret`, as every design's thread ends (model/locals.ts). */
const RETURN = exit();

/**
 * The UFFDIO_COPY call returns `ret`: the thread ends. What the folio locals (`folio`,
 * and those of the functions it called) still hold is a folio allocated for the copy
 * that was neither installed nor put (uffd-copy-folio-put).
 */
export const mfillReturn = (locals: readonly string[] = [FOLIO]): Op<never> =>
  op({
    name: "return ret",
    outcomes: [],
    run: (k) => {
      const held = locals.map((l) => k.get(l)).find((v) => typeof v === "string");
      k.emit({ k: "mfill-return", tid: k.tid, folio: typeof held === "string" ? held : null });
      return RETURN.run(k);
    },
  });

/** mfill_copy_folio_locked(): copy_from_user with page faults disabled; fails if the source is not resident. */
export const copyFolioLocked = (
  name = "mfill_copy_folio_locked(): copy_from_user() under pagefault_disable()",
): Op<"copied" | "fault"> =>
  op({
    name,
    outcomes: ["copied", "fault"],
    run: (k) =>
      k.get("src_resident") === true ? "copied" : k.choose(["fault", "copied"] as const),
  });

/**
 * The copy from the source with every lock dropped and page faults enabled
 * (copy_from_user() in v7.0's mfill_atomic(), copy_folio_from_user() in
 * mfill_atomic_hugetlb(), the series' mfill_copy_folio_retry()): it may fault the source
 * in and sleep, so it is a step of its own, the window the retry's checks are for.
 * After it the source is resident; or it fails ("efault": the source is not mapped, or
 * was unmapped meanwhile; the model keeps no source VMA, so the schedule picks), and
 * the caller returns -EFAULT.
 */
export const copyFromUser = (name: string): Op<"ok" | "efault"> =>
  op({
    name: `${name}  /* may sleep and fault */`,
    outcomes: ["ok", "efault"],
    run: (k) => {
      k.emit({ k: "might-sleep", tid: k.tid, what: name });
      const r = k.choose(["ok", "efault"] as const);
      if (r === "ok") k.set("src_resident", true);
      return r;
    },
  });

/** The re-validation after the locks were dropped: same flags, uffd ops, file, pgoff? */
export const mfillRevalidate = (vma: string): Op<"same" | "changed"> =>
  op({
    name: `if (${vma} flags/uffd ops/file/pgoff changed) return -EAGAIN`,
    outcomes: ["same", "changed"],
    run: (k) => {
      return vmaIdentity(useVmaIn(k, vma, "revalidate")) === k.get(FOLIO) ? "same" : "changed";
    },
  });

/**
 * uffd_mfill_lock() -> validate_dst_vma(dst_vma, dst_end): the range lies in the VMA
 * (always, for the model's one page) and the VMA is registered with userfaultfd
 * (vm_userfaultfd_ctx.ctx, in any mode; the model's VMAs register for missing faults
 * only, so that is `uffdMissing` here); -ENOENT otherwise, after vma_end_read(). It runs on the
 * retry's mfill_get_vma() too, so a replacement VMA that is not registered is refused
 * (mm/userfaultfd.c at v7.0, and as seed 003's mails quote it).
 */
export const validateDstVma = (vma: string): Op<"yes" | "no"> =>
  op({
    name: `if (validate_dst_vma(${vma}, dst_end))`,
    outcomes: ["yes", "no"],
    run: (k) => {
      return useVmaIn(k, vma, "validate_dst_vma").flags.uffdMissing ? "yes" : "no";
    },
  });

/**
 * The folio allocated for `folioFor`, in local `local`, mapped at `a` in `v`: the event
 * S20 judges (does it fit the VMA?), then the entry; the folio is the page table's now
 * (*foliop = NULL in mfill_atomic_pte_copy(), hugetlb_mfill_atomic_pte()).
 */
function installFolio(k: Ctx, v: Vma, a: number, folioFor: string, local: string): void {
  const vmaIs = vmaIdentity(v);
  const fits = folioFor === PAGE ? !v.flags.hugetlb : folioFor === vmaIs;
  k.emit({ k: "mfill-install", tid: k.tid, vma: v.id, page: a, folioFor, vmaIs, fits });
  k.set(local, null);
  setPte(k, a, v.flags.write ? "rw" : "ro");
}

/**
 * mfill_atomic_install_pte(): map the folio into the (current) VMA under the PTE lock;
 * -EEXIST when the entry is no longer none (mm/userfaultfd.c, v6.16-v7.0).
 */
export const mfillInstall = (vma: string, addr: string): Op<"ok" | "eexist"> =>
  op({
    name: `mfill_atomic_install_pte(${vma}, ${addr}, folio)`,
    outcomes: ["ok", "eexist"],
    run: (k) => {
      const v = useVmaIn(k, vma, "mfill_atomic_install_pte");
      const a = k.num(addr);
      // a hugetlb VMA's table, as mfill_atomic_hugetlb()'s huge_pte_alloc() makes it
      if (v.flags.hugetlb) hugePteAlloc(k, v.id);
      if ((k.w.ptes[a] ?? "none") !== "none") return "eexist";
      installFolio(k, v, a, String(k.get(FOLIO)), FOLIO);
      return "ok";
    },
  });

/**
 * userfaultfd_copy() after mfill_atomic_copy() returned, every lock given back:
 * wake_userfault(ctx, &range) unless UFFDIO_COPY_MODE_DONTWAKE (fs/userfaultfd.c).
 */
export const mfillWake = (addr: string): Op<"ok"> =>
  op({
    name: "wake_userfault(ctx, &range)",
    outcomes: ["ok"],
    run: (k) => {
      wakeUserfault(k, "UFFDIO_COPY", k.num(addr));
      return "ok";
    },
  });

/** `if (is_vm_hugetlb_page(dst_vma))`: mfill_atomic() hands a hugetlb VMA to mfill_atomic_hugetlb(). */
export const isHugetlbDst = (vma: string): Op<"yes" | "no"> =>
  op({
    name: `if (is_vm_hugetlb_page(${vma}))`,
    outcomes: ["yes", "no"],
    run: (k) => {
      return useVmaIn(k, vma, "is_vm_hugetlb_page").flags.hugetlb ? "yes" : "no";
    },
  });

/** mfill_atomic_hugetlb()'s own folio, which its `out:` puts. */
export const HFOLIO = "hfolio";

/**
 * One huge page of mfill_atomic_hugetlb()'s loop, under hugetlb_fault_mutex and the
 * hugetlb VMA lock (mm/userfaultfd.c, mm/hugetlb.c, v7.0): huge_pte_alloc(); -EEXIST
 * unless the entry is none; hugetlb_mfill_atomic_pte() allocates a hugetlb folio,
 * copies the source with page faults disabled and installs it. When the source is not
 * resident it returns -ENOENT with the folio in `*foliop` (local `hfolio`), which a
 * retry copies from. One step: the fault mutex, which the model does not hold as a lock,
 * keeps a hugetlb fault of the same page out for as long.
 */
export const hugetlbMfillAtomicPte = (vma: string, addr: string): Op<"ok" | "eexist" | "enoent"> =>
  op({
    name: `hugetlb_mfill_atomic_pte(${vma}, ${addr}, &folio)  /* huge_pte_alloc(), copy, install */`,
    outcomes: ["ok", "eexist", "enoent"],
    run: (k) => {
      const v = useVmaIn(k, vma, "hugetlb_mfill_atomic_pte");
      const a = k.num(addr);
      hugePteAlloc(k, v.id);
      if ((k.w.ptes[a] ?? "none") !== "none") return "eexist";
      const vmaIs = vmaIdentity(v);
      const held = k.get(HFOLIO);
      if (typeof held !== "string" && k.get("src_resident") !== true) {
        if (k.choose(["fault", "copied"] as const) === "fault") {
          k.set(HFOLIO, vmaIs);
          return "enoent";
        }
      }
      installFolio(k, v, a, vmaIs, HFOLIO);
      return "ok";
    },
  });
