// follow-pmd: a GUP-style walk of one address over a PMD-mapped THP, as mm/gup.c
// follow_pmd_mask() reads since "mm/gup: handle huge pmd for follow_pmd_mask()" (v6.10,
// unchanged in v6.12), with the caller's mmap_read_lock around it:
//   pmdval = pmdp_get_lockless(pmd);           none: no_page_table()
//   if (!pmd_leaf(pmdval)) return follow_page_pte(vma, address, pmd, ...);
//   ptl = pmd_lock(mm, pmd); pmdval = *pmd;    the re-read under the lock
//   if (!pmd_leaf(pmdval)) { spin_unlock(ptl); return follow_page_pte(...); }
//   page = follow_huge_pmd(vma, address, pmd, flags, ctx); spin_unlock(ptl);
// follow_page_pte() maps the PTE table through pte_offset_map_lock(), which reads the
// pmd again itself (model/kernel/thp.ts followPagePte). Before v6.10 the same rule was
// `if (unlikely(!pmd_trans_huge(*pmd)))` under the lock, then follow_trans_huge_pmd().
//
// follow-pmd-norecheck (mutant): takes pmd_lock but acts on the lockless value, without
// the re-read, so a split between the read and pmd_lock leaves it calling
// follow_huge_pmd() on a pmd that now points to a PTE table.
import { EFAULT } from "../errno.js";
import { spinLock, spinUnlock } from "../kernel/locks.js";
import { mmapReadLock, mmapReadUnlock } from "../kernel/mmap-lock.js";
import {
  followHugePmd,
  followPagePte,
  pmdpGetLockless,
  pmdReadLocked,
  THP,
} from "../kernel/thp.js";
import { exit, set } from "../locals.js";
import type { Design } from "../step.js";
import { mutant } from "./mutate.js";
import { unreachable } from "./unreachable.js";

const NEVER_NONE =
  "the thp scenarios never clear the whole pmd (no zap_huge_pmd() of the full HPAGE_PMD_SIZE range, no collapse or retraction that frees the PTE table): the pmd holds the huge entry, then the PTE table";

/** The edges of the walk that the thp scenarios never reach: an empty pmd. */
const pmdNeverNone = [
  ...unreachable("read", ["none"], NEVER_NONE),
  ...unreachable("pte", ["nomap"], NEVER_NONE),
  ...unreachable("nopage", ["ok"], NEVER_NONE),
];

export const followPmd: Design = {
  id: "follow-pmd",
  title:
    "follow_pmd_mask(): lockless pmd read, then pmd_lock and a re-read before follow_huge_pmd()",
  summary:
    "A GUP-style walker under mmap_read_lock reads the pmd without its lock only to choose a path: for a huge pmd it takes pmd_lock and reads the pmd again, and follows the huge entry only if it is still there, else it maps the PTE table that a split installed (pte_offset_map_lock re-reads the pmd itself).",
  source: "mm/gup.c follow_pmd_mask (v6.10-6.12)",
  family: "thp",
  start: "start",
  steps: {
    start: { op: set({ ret: 0 }), next: "lock" },
    lock: { op: mmapReadLock(), next: "read" },
    read: { op: pmdpGetLockless(), on: { huge: "pmd_lock", table: "pte", none: "nopage" } },
    pmd_lock: { op: spinLock(THP.lock), next: "reread" },
    reread: {
      op: pmdReadLocked(),
      on: { huge: "huge", table: "unlock_pte", none: "unlock_none" },
    },
    huge: { op: followHugePmd(), next: "unlock" },
    unlock: { op: spinUnlock(THP.lock), next: "unlock_mm" },
    unlock_pte: { op: spinUnlock(THP.lock), next: "pte" },
    unlock_none: { op: spinUnlock(THP.lock), next: "nopage" },
    pte: { op: followPagePte(), on: { page: "unlock_mm", nomap: "nopage" } },
    nopage: {
      op: set({ ret: EFAULT }, "return no_page_table(vma, flags, address)"),
      next: "unlock_mm",
    },
    unlock_mm: { op: mmapReadUnlock(), next: "exit" },
    exit: { op: exit() },
  },
  unreachable: [
    ...pmdNeverNone,
    ...unreachable("reread", ["none"], NEVER_NONE),
    ...unreachable("unlock_none", ["ok"], NEVER_NONE),
  ],
};

const NO_REREAD = "follow-pmd-norecheck never re-reads the pmd under pmd_lock";

export const followPmdNorecheck: Design = {
  ...mutant(
    followPmd,
    "follow-pmd-norecheck",
    "The walker takes pmd_lock after a lockless read that saw a huge pmd, but does not read the pmd again under it: it calls follow_huge_pmd() on the value it read before the lock, which a concurrent split_huge_pmd() may have replaced by a PTE table.",
    { pmd_lock: { op: spinLock(THP.lock), next: "huge" } },
  ),
  source: "mutant of follow-pmd",
  unreachable: [
    ...pmdNeverNone,
    ...unreachable("reread", ["huge", "table", "none"], NO_REREAD),
    ...unreachable("unlock_pte", ["ok"], NO_REREAD),
    ...unreachable("unlock_none", ["ok"], NO_REREAD),
  ],
};
