// mfill-copy: seed 003's "userfaultfd: retry copying with locks dropped in
// mfill_atomic_pte_copy()". The monitor's UFFDIO_COPY:
//   mfill_get_vma();
//   if (is_vm_hugetlb_page(vma)) return mfill_atomic_hugetlb(...);   // left as v7.0 has it
//   folio = ops->alloc_folio(vma);
//   if (mfill_copy_folio_locked() fails) {       // source not resident
//       mfill_put_vma();                         // drop every lock
//       copy_from_user();                        // may sleep, fault, ... (-EFAULT)
//       mfill_get_vma();                         // the range may be another VMA now
//       [re-validate flags, uffd ops, file, pgoff: -EAGAIN if changed]
//       mfill_get_pmd(); }
//   install the folio (-EEXIST if the entry is not none); mfill_put_vma();
//   [every error path after the allocation puts the folio first, as v7.0's
//    mfill_atomic_pte_copy() does at out_release: the cover letter does not show the
//    series' error paths, so this is the model's reading]
//   userfaultfd_copy(): wake_userfault().
// mfill_get_vma() -> uffd_mfill_lock(): the per-VMA lock or the mmap-lock fallback (a
// private VMA without an anon_vma takes it, and has one after), then validate_dst_vma() (-ENOENT for a VMA not registered with userfaultfd).
// mfill-copy-norevalidate is the series as posted, before 85668fda932a.
import { EAGAIN, EEXIST, EFAULT, ENOENT } from "../errno.js";
import {
  allocFolio,
  copyFolioLocked,
  copyFromUser,
  FOLIO,
  folioPut,
  HFOLIO,
  isHugetlbDst,
  mfillInstall,
  mfillReturn,
  mfillRevalidate,
  mfillWake,
} from "../kernel/mfill.js";
import { vmaEndReadOp } from "../kernel/vma-lock.js";
import { set, test } from "../locals.js";
import type { Design, Steps } from "../step.js";
import { getVma } from "./mfill-get-vma.js";
import { hugetlbPathUnreachable, mfillAtomicHugetlb } from "./mfill-hugetlb.js";

function mfillCopy(revalidate: boolean): Steps {
  return {
    start: {
      op: set({ dst: (k) => k.num("rstart"), ret: 0 }, "UFFDIO_COPY(dst, src)"),
      next: "get",
    },
    ...getVma("get", "hugetlb"),
    // the series leaves hugetlb out: mfill_atomic() still hands it mfill_atomic_hugetlb()
    hugetlb: { op: isHugetlbDst("vma"), on: { yes: "h.lock", no: "alloc" } },
    ...mfillAtomicHugetlb("copied"),
    alloc: { op: allocFolio("vma"), next: "copy" },
    copy: { op: copyFolioLocked(), on: { copied: "install", fault: "put" } },
    // mfill_copy_folio_retry()
    put: { op: vmaEndReadOp("vma"), next: "copy_user" },
    copy_user: {
      op: copyFromUser("copy_from_user(folio, src)"),
      on: { ok: "reget", efault: "efault.put" },
    },
    // the copy failed: -EFAULT, and the copy's error path puts the folio
    "efault.put": { op: folioPut(), next: "efault" },
    efault: { op: set({ ret: EFAULT }), next: "exit" },
    // the retry finds no VMA it may use: the copy's error path puts the folio
    ...getVma("reget", revalidate ? "revalidate" : "pmd", "reget.put"),
    "reget.put": { op: folioPut(), next: "enoent" },
    ...(revalidate
      ? {
          revalidate: { op: mfillRevalidate("vma"), on: { same: "pmd", changed: "eagain.put" } },
          "eagain.put": { op: folioPut(), next: "eagain" },
          eagain: { op: vmaEndReadOp("vma"), next: "eagain.ret" },
          "eagain.ret": { op: set({ ret: EAGAIN }), next: "exit" },
        }
      : {}),
    pmd: { op: set({}, "mfill_get_pmd(state)  /* re-check the PMD */"), next: "install" },
    install: { op: mfillInstall("vma", "dst"), on: { ok: "done", eexist: "eexist.put" } },
    "eexist.put": { op: folioPut(), next: "eexist" },
    done: { op: vmaEndReadOp("vma"), next: "wake" },
    wake: { op: mfillWake("dst"), next: "exit" },
    eexist: { op: vmaEndReadOp("vma"), next: "eexist.ret" },
    "eexist.ret": { op: set({ ret: EEXIST }), next: "exit" },
    enoent: { op: set({ ret: ENOENT }), next: "exit" },
    // userfaultfd_copy(): if (ret < 0) goto out; ... wake_userfault(ctx, &range)
    copied: { op: test("ret >= 0", (k) => k.num("ret") >= 0), on: { yes: "wake", no: "exit" } },
    exit: { op: mfillReturn([FOLIO, HFOLIO]) },
  };
}

export const mfillCopyDesign: Design = {
  id: "mfill-copy",
  title: "UFFDIO_COPY retried with locks dropped, VMA state re-validated",
  summary:
    "When the copy under the VMA lock faults on the source, mfill drops every lock, copies with page faults enabled, looks the destination VMA up again and, before installing the folio, checks that the VMA's flags, uffd ops, file and pgoff are those the folio was allocated for (-EAGAIN otherwise).",
  source: "seed 003 with 85668fda932a (verify VMA state across UFFDIO_COPY retry)",
  family: "mfill",
  start: "start",
  steps: mfillCopy(true),
  unreachable: hugetlbPathUnreachable(),
};

export const mfillCopyNorevalidate: Design = {
  id: "mfill-copy-norevalidate",
  title: "UFFDIO_COPY retried with locks dropped, as posted (no re-validation)",
  summary:
    "The seed-003 retry as posted: after dropping the locks and copying, mfill_get_vma() finds whatever VMA is at the address now and the folio allocated for the old VMA is installed into it.",
  source: "seed 003 (userfaultfd: retry copying with locks dropped in mfill_atomic_pte_copy())",
  family: "mfill",
  start: "start",
  steps: mfillCopy(false),
  unreachable: hugetlbPathUnreachable(),
};
