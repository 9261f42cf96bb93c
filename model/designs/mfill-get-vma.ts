// mfill_get_vma() -> uffd_mfill_lock() (mm/userfaultfd.c, v6.9-v7.0, and seed 003's
// helper of that name): the step table every UFFDIO_COPY design looks its destination
// VMA up with, on the first try and on each retry.
import { uffdLockVma, uffdLockVmaFallback, validateDstVma } from "../kernel/mfill.js";
import { mmapReadLock, mmapReadUnlock } from "../kernel/mmap-lock.js";
import { vmaEndReadOp } from "../kernel/vma-lock.js";
import type { Steps } from "../step.js";

/**
 * mfill_get_vma() -> uffd_mfill_lock(): per-VMA lock, or the mmap-lock fallback;
 * validate_dst_vma(). Labels `${p}.*`; -ENOENT goes on at `fail`.
 */
export function getVma(p: string, then: string, fail = "enoent"): Steps {
  return {
    [p]: {
      op: uffdLockVma("dst", "vma"),
      on: { locked: `${p}.validate`, fallback: `${p}.mmap` },
    },
    [`${p}.mmap`]: { op: mmapReadLock(), next: `${p}.lookup` },
    [`${p}.lookup`]: {
      op: uffdLockVmaFallback("dst", "vma"),
      on: { locked: `${p}.unlock`, none: `${p}.enoent` },
    },
    [`${p}.unlock`]: { op: mmapReadUnlock(), next: `${p}.validate` },
    [`${p}.enoent`]: { op: mmapReadUnlock(), next: fail },
    [`${p}.validate`]: { op: validateDstVma("vma"), on: { yes: then, no: `${p}.invalid` } },
    [`${p}.invalid`]: { op: vmaEndReadOp("vma"), next: fail },
  };
}
