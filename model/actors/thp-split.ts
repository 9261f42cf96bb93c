// H: madvise(addr + PAGE_SIZE, PAGE_SIZE, MADV_DONTNEED) on the second page of a
// PMD-mapped THP, which splits the huge pmd without the mmap write lock. mm/madvise.c
// (v6.10-6.12): MADV_DONTNEED changes no VMA, so madvise takes mmap_read_lock;
// madvise_dontneed_single_vma -> zap_page_range_single -> unmap_single_vma ->
// zap_pmd_range (mm/memory.c), which finds a huge pmd with a range shorter than
// HPAGE_PMD_SIZE and calls __split_huge_pmd() (mm/huge_memory.c): an mmu notifier
// invalidation over the huge range, pmd_lock(), a re-check of pmd_trans_huge(*pmd) under
// it, __split_huge_pmd_locked(), spin_unlock(), the end of the invalidation; then
// zap_pte_range() clears the page's PTE in the table the split installed.
// zap_page_range_single's own invalidation, which encloses the split's, is not modelled.
//
// `nolock` (mutant): the split neither takes pmd_lock nor re-checks the pmd under it.
// The pmd_lock is what orders a split against a walker that re-read the pmd under the
// same lock; the 2016 race of split_huge_pmd_address() (its pmd_present() check made
// outside the ptl, read in the linux-mm thread of its fix) is this mistake's kind.

import { type Actor, actor } from "../actor.js";
import { spinLock, spinUnlock } from "../kernel/locks.js";
import { mmapReadLock, mmapReadUnlock } from "../kernel/mmap-lock.js";
import { invalidateEnd, invalidateRangeStart } from "../kernel/notifier.js";
import { pmdTransHuge, splitHugePmdLocked, THP, zapPte } from "../kernel/thp.js";
import { op, type Steps } from "../step.js";

const lock = mmapReadLock();
const begin = op({
  name: "madvise(addr + PAGE_SIZE, PAGE_SIZE, MADV_DONTNEED): mmap_read_lock(mm)",
  outcomes: ["ok"],
  mightSleep: true,
  run: (k) => lock.run(k),
});

const end = op({
  name: "__split_huge_pmd(): mmu_notifier_invalidate_range_end(&range)",
  outcomes: ["ok"],
  run: (k) => {
    invalidateEnd(k);
    return "ok";
  },
});

export function thpDontneedActor(o: { readonly nolock?: boolean } = {}): Actor {
  const split: Steps = o.nolock
    ? {
        split: { op: splitHugePmdLocked(), next: "end" },
      }
    : {
        pmd_lock: { op: spinLock(THP.lock), next: "recheck" },
        recheck: { op: pmdTransHuge(), on: { yes: "split", no: "unlock" } },
        split: { op: splitHugePmdLocked(), next: "unlock" },
        unlock: { op: spinUnlock(THP.lock), next: "end" },
      };
  return actor({
    id: o.nolock ? "thp-dontneed-split-nolock" : "thp-dontneed",
    lane: "H",
    disruptive: true,
    ...(o.nolock
      ? { mutant: "it splits the huge pmd without pmd_lock, which __split_huge_pmd() takes" }
      : {}),
    title: o.nolock
      ? "MADV_DONTNEED of part of a THP, mutated to split the huge pmd without pmd_lock"
      : "MADV_DONTNEED of part of a THP: zap_pmd_range() splits the huge pmd (__split_huge_pmd)",
    start: "begin",
    steps: {
      begin: { op: begin, next: "pmd" },
      // zap_pmd_range(): a huge pmd, a range shorter than HPAGE_PMD_SIZE
      pmd: { op: pmdTransHuge(), on: { yes: "start", no: "zap" } },
      start: {
        op: invalidateRangeStart("__split_huge_pmd()"),
        next: o.nolock ? "split" : "pmd_lock",
      },
      ...split,
      end: { op: end, next: "zap" },
      zap: { op: zapPte(1), next: "unlock_mm" },
      unlock_mm: { op: mmapReadUnlock(), next: "begin" },
    },
  });
}
