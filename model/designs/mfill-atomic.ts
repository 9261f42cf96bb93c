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
import {
  allocPage,
  copyFolioLocked,
  copyFromUser,
  FOLIO,
  folioPut,
  HFOLIO,
  isHugetlbDst,
  mfillInstall,
  mfillReturn,
  mfillWake,
} from "../kernel/mfill.js";
import { vmaEndReadOp } from "../kernel/vma-lock.js";
import { set, test } from "../locals.js";
import type { Design } from "../step.js";
import { getVma } from "./mfill-get-vma.js";
import { hugetlbPathUnreachable, mfillAtomicHugetlb } from "./mfill-hugetlb.js";

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
    ...mfillAtomicHugetlb("copied"),
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
  unreachable: hugetlbPathUnreachable(),
};
