// The built-in designs, in the order the matrix lists them.
import { BUILT_IN, type Registry, registry } from "../registry.js";
import type { Design } from "../step.js";
import { anonFault, anonFaultNoRecheck, anonFaultPrepareVmaLocked } from "./anon-fault.js";
import { followPmd, followPmdNorecheck } from "./follow-pmd.js";
import { gpusvmScan, gpusvmScanV8 } from "./gpusvm.js";
import { gpusvmGetPages, gpusvmGetPagesV8 } from "./gpusvm-get-pages.js";
import { gup, gupFixup } from "./gup.js";
import { hugetlbfsFault, hugetlbfsFaultNoVmaLock } from "./hugetlbfs-fault.js";
import { mainline } from "./mainline.js";
import {
  mainlineMigrate,
  mainlineMigrateAnyOwner,
  mainlineMigrateValid,
} from "./mainline-migrate.js";
import { mfillAtomicDesign } from "./mfill-atomic.js";
import { mfillCopyDesign, mfillCopyNorevalidate } from "./mfill-copy.js";
import { mshv } from "./mshv.js";
import { mainlineNoReadRetry, v2IgnoresLocked, v2UnlockAfterDrop } from "./mutants.js";
import { rfc } from "./rfc.js";
import { v1 } from "./v1.js";
import { v1HugetlbDrop } from "./v1-hugetlb-drop.js";
import { v1HugetlbHold } from "./v1-hugetlb-hold.js";
import { v2 } from "./v2.js";
import { v5 } from "./v5.js";
import { v8 } from "./v8.js";
import { mshvV8, nouveauV8, nouveauV8ZeroTimeout, odpV8 } from "./v8-callers.js";
import { v8Legacy, v8Timeout, v8TimeoutLocalLocked } from "./v8-timeout.js";
import { vmaLockFault, vmaLockFaultPre, vmaLockNowait } from "./vma-lock-fault.js";
import { hmmVmaWalkPmd, walkPteRange, walkPteRangeSleepMapped } from "./walk-pte-range.js";

export const DESIGNS: readonly Design[] = [
  mainline,
  rfc,
  v1,
  v1HugetlbDrop,
  v1HugetlbHold,
  mshv,
  v2,
  v5,
  v8,
  gup,
  gupFixup,
  vmaLockFault,
  vmaLockFaultPre,
  mfillCopyDesign,
  mfillCopyNorevalidate,
  // UFFDIO_COPY as v7.0 has it, before the series
  mfillAtomicDesign,
  v2IgnoresLocked,
  mainlineNoReadRetry,
  v2UnlockAfterDrop,
  vmaLockNowait,
  // the v8 series with its Jul 14 2026 fixups, and its callers
  v8Timeout,
  mshvV8,
  nouveauV8,
  odpV8,
  v8Legacy,
  nouveauV8ZeroTimeout,
  v8TimeoutLocalLocked,
  // drm_gpusvm_scan_mm(): HMM without faulting, and its err_free path (v7.0 and v8)
  gpusvmScan,
  gpusvmScanV8,
  // drm_gpusvm_get_pages(), the range fault xe's GPU fault worker calls (v7.0 and v8)
  gpusvmGetPages,
  gpusvmGetPagesV8,
  // a walker over a PMD-mapped THP (family thp: only the thp scenarios)
  followPmd,
  followPmdNorecheck,
  // page-table walkers (family pgwalk: the page-table scenarios only)
  walkPteRange,
  hmmVmaWalkPmd,
  walkPteRangeSleepMapped,
  // VMA objects: lock_vma_under_rcu's checks and vma->anon_vma (issue 18)
  anonFault,
  anonFaultPrepareVmaLocked,
  anonFaultNoRecheck,
  // the hugetlbfs file side (family hugetlbfs: only the hugetlbfs-* scenarios)
  hugetlbfsFault,
  hugetlbfsFaultNoVmaLock,
  // hmm_range_fault() with migration entries (family hmm-migrate)
  mainlineMigrate,
  mainlineMigrateValid,
  mainlineMigrateAnyOwner,
];

/** Every design that can be named: the built-ins, then those of loaded design files. */
export const designRegistry: Registry<Design> = registry<Design>("design");
for (const d of DESIGNS) designRegistry.add(d, BUILT_IN);

export function designById(id: string): Design | undefined {
  return designRegistry.get(id);
}

/** Is this one of the designs that ship with lockdrop? */
export function isBuiltInDesign(id: string): boolean {
  return designRegistry.source(id) === BUILT_IN;
}
