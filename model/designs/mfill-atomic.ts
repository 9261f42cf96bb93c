// mfill-atomic: UFFDIO_COPY as v7.0 has it (mm/userfaultfd.c mfill_atomic(), read in
// v7.0), before seed 003's series moved the retry into the copy and removed this one
// ("userfaultfd: mfill_atomic(): remove retry logic", 6ab703034f14, in 7.1):
//
//   folio = NULL;
//   retry:
//   dst_vma = uffd_mfill_lock(dst_mm, dst_start, len);    // -ENOENT: goto out
//   if (is_vm_hugetlb_page(dst_vma))
//       return mfill_atomic_hugetlb(ctx, dst_vma, dst_start, src_start, len, flags);
//   err = mfill_atomic_pte(dst_pmd, dst_vma, dst_addr, src_addr, flags, &folio);
//       // mfill_atomic_pte_copy(): if (!*foliop) { folio = vma_alloc_folio();
//       //   copy under pagefault_disable(), on failure *foliop = folio, -ENOENT }
//       // else { folio = *foliop; *foliop = NULL; }   install, or out_release: folio_put
//   if (err == -ENOENT) {
//       up_read(&ctx->map_changing_lock); uffd_mfill_unlock(dst_vma);
//       if (copy_from_user(kaddr, src_addr, PAGE_SIZE)) { err = -EFAULT; goto out; }
//       goto retry;                                       // folio still held
//   }
//   out_unlock: up_read(&ctx->map_changing_lock); uffd_mfill_unlock(dst_vma);
//   out: if (folio) folio_put(folio);
//   return copied ? copied : err;         // userfaultfd_copy(): wake_userfault() if >= 0
//
// The retry carries the folio into whatever VMA uffd_mfill_lock() finds at dst_start
// then. Between an anonymous and a shmem VMA that is harmless: the folio is an order-0
// page, charged and mapped only when installed. A hugetlb VMA returns through
// mfill_atomic_hugetlb(), which has a folio of its own and never sees this one: the
// page is leaked (uffd-copy-folio-put). mfill_atomic_hugetlb() does the same for any
// size and alignment of the range (its -EINVAL for a misaligned range returns the same
// way), so the model's one page loses nothing there.
//
// Not drawn: down_read(&ctx->map_changing_lock) and the mmap_changing check (-EAGAIN),
// which only non-cooperative events set and no scenario has (a failed check only puts
// the folio); mfill_atomic_hugetlb()'s vma_hpagesize checks (the model's pages have one
// size); hugetlb_fault_mutex_table[hash], taken before hugetlb_vma_lock_read(): the
// copy and install under it are one step (model/kernel/mfill.ts).
import { EEXIST, EFAULT, ENOENT } from "../errno.js";
import { hugetlbVmaLockRead, hugetlbVmaUnlockRead } from "../kernel/hugetlb.js";
import {
  allocPage,
  copyFolioLocked,
  copyFromUser,
  FOLIO,
  folioPut,
  HFOLIO,
  hugetlbMfillAtomicPte,
  isHugetlbDst,
  mfillInstall,
  mfillReturn,
  mfillWake,
} from "../kernel/mfill.js";
import { vmaEndReadOp } from "../kernel/vma-lock.js";
import { set, test } from "../locals.js";
import type { Design, Steps } from "../step.js";
import { getVma } from "./mfill-copy.js";
import { unreachable } from "./unreachable.js";

/**
 * mfill_atomic_hugetlb() (mm/userfaultfd.c, v7.0), entered with the VMA read-locked; its
 * own folio is local `hfolio`. Its retry looks the VMA up again and refuses anything but
 * a hugetlb VMA (-ENOENT, out_unlock_vma); `out:` puts its folio.
 */
function mfillAtomicHugetlb(): Steps {
  return {
    "h.lock": { op: hugetlbVmaLockRead("vma"), next: "h.pte" },
    "h.pte": {
      op: hugetlbMfillAtomicPte("vma", "dst"),
      on: { ok: "h.unlock", eexist: "h.eexist", enoent: "h.drop" },
    },
    "h.unlock": { op: hugetlbVmaUnlockRead("vma"), next: "h.out_unlock" },
    "h.eexist": { op: hugetlbVmaUnlockRead("vma"), next: "h.eexist.ret" },
    "h.eexist.ret": { op: set({ ret: EEXIST }), next: "h.out_unlock" },
    // err == -ENOENT: the source is not resident; copy it with every lock dropped
    "h.drop": { op: hugetlbVmaUnlockRead("vma"), next: "h.drop.vma" },
    "h.drop.vma": { op: vmaEndReadOp("vma"), next: "h.copy_user" },
    "h.copy_user": {
      op: copyFromUser("copy_folio_from_user(folio, src_addr)"),
      on: { ok: "h.retry", efault: "h.efault" },
    },
    "h.efault": { op: set({ ret: EFAULT }), next: "h.out" },
    ...getVma("h.retry", "h.retry.hugetlb", "h.enoent"),
    "h.retry.hugetlb": { op: isHugetlbDst("vma"), on: { yes: "h.lock", no: "h.not_hugetlb" } },
    "h.not_hugetlb": { op: set({ ret: ENOENT }), next: "h.out_unlock" },
    // out_unlock: up_read(&ctx->map_changing_lock); out_unlock_vma: uffd_mfill_unlock()
    "h.out_unlock": { op: vmaEndReadOp("vma"), next: "h.out" },
    "h.enoent": { op: set({ ret: ENOENT }), next: "h.out" },
    "h.out": { op: folioPut("if (folio) folio_put(folio)", HFOLIO), next: "copied" },
  };
}

const ONE_REMAP =
  "uffd-copy-hugetlb maps its hugetlb VMA once and for good, and mfill_atomic_hugetlb() is entered only once it is there: its retry finds that same shared, registered hugetlb VMA, which lock_vma_under_rcu() takes";
const NO_SECOND_WRITER =
  "no mfill scenario with a hugetlb VMA has a second writer of its page (uffd-copy-race's two copies go to an anonymous VMA)";

export const mfillAtomicDesign: Design = {
  id: "mfill-atomic",
  title: "UFFDIO_COPY as v7.0 has it: mfill_atomic() retries with its folio held",
  summary:
    "v7.0's mfill_atomic(): when the copy under the VMA lock faults on the source, the loop drops its locks, copies with page faults enabled and goes back to retry: with the folio still held, into whatever VMA is at the address now. A hugetlb VMA there is handed to mfill_atomic_hugetlb(), and the folio is never put.",
  source: "mm/userfaultfd.c mfill_atomic(), v7.0 (the retry seed 003's series removes)",
  family: "mfill",
  start: "start",
  steps: {
    start: {
      op: set(
        { dst: (k) => k.num("rstart"), ret: 0, [FOLIO]: null },
        "UFFDIO_COPY(dst, src): folio = NULL",
      ),
      next: "retry",
    },
    ...getVma("retry", "hugetlb", "enoent"),
    hugetlb: { op: isHugetlbDst("vma"), on: { yes: "h.lock", no: "pte" } },
    ...mfillAtomicHugetlb(),
    // mfill_atomic_pte() -> mfill_atomic_pte_copy() (shmem_mfill_atomic_pte() alike)
    pte: {
      op: test("!*foliop", (k) => k.get(FOLIO) === null),
      on: { yes: "alloc", no: "install" },
    },
    alloc: { op: allocPage("vma"), next: "copy" },
    copy: {
      op: copyFolioLocked(
        "pagefault_disable(); copy_from_user(kaddr, src_addr, PAGE_SIZE); pagefault_enable()",
      ),
      on: { copied: "install", fault: "drop" },
    },
    // err == -ENOENT: *foliop = folio; unlock, copy, goto retry
    drop: { op: vmaEndReadOp("vma"), next: "copy_user" },
    copy_user: {
      op: copyFromUser("copy_from_user(kaddr, src_addr, PAGE_SIZE)"),
      on: { ok: "retry", efault: "efault" },
    },
    efault: { op: set({ ret: EFAULT }), next: "out" },
    install: { op: mfillInstall("vma", "dst"), on: { ok: "out_unlock", eexist: "out_release" } },
    // mfill_atomic_pte_copy()'s out_release
    out_release: { op: folioPut(), next: "eexist" },
    eexist: { op: set({ ret: EEXIST }), next: "out_unlock" },
    out_unlock: { op: vmaEndReadOp("vma"), next: "out" },
    enoent: { op: set({ ret: ENOENT }), next: "out" },
    out: { op: folioPut("if (folio) folio_put(folio)"), next: "copied" },
    // userfaultfd_copy(): if (ret < 0) goto out; ... wake_userfault(ctx, &range)
    copied: { op: test("ret >= 0", (k) => k.num("ret") >= 0), on: { yes: "wake", no: "exit" } },
    wake: { op: mfillWake("dst"), next: "exit" },
    exit: { op: mfillReturn([FOLIO, HFOLIO]) },
  },
  unreachable: [
    ...unreachable("h.pte", ["eexist"], NO_SECOND_WRITER),
    ...unreachable("h.eexist", ["ok"], NO_SECOND_WRITER),
    ...unreachable("h.eexist.ret", ["ok"], NO_SECOND_WRITER),
    ...unreachable("h.retry", ["fallback"], ONE_REMAP),
    ...unreachable("h.retry.mmap", ["ok"], ONE_REMAP),
    ...unreachable("h.retry.lookup", ["locked", "none"], ONE_REMAP),
    ...unreachable("h.retry.unlock", ["ok"], ONE_REMAP),
    ...unreachable("h.retry.enoent", ["ok"], ONE_REMAP),
    ...unreachable("h.retry.validate", ["no"], ONE_REMAP),
    ...unreachable("h.retry.invalid", ["ok"], ONE_REMAP),
    ...unreachable("h.retry.hugetlb", ["no"], ONE_REMAP),
    ...unreachable("h.not_hugetlb", ["ok"], ONE_REMAP),
    ...unreachable("h.enoent", ["ok"], ONE_REMAP),
  ],
};
