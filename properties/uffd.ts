// S20: a folio allocated for one VMA is never installed into a different kind of VMA
// that took its place while UFFDIO_COPY had dropped its locks.
import type { Property } from "./property.js";
import { who } from "./property.js";

export const uffdCopyRevalidates: Property = {
  id: "uffd-copy-revalidates",
  ref: "S20",
  statement:
    "uffd copy re-validates: after the locks were dropped, the folio is installed only into a VMA of the kind it was allocated for",
  kind: "safety",
  applies: (_s, d) => d.family === "mfill",
  monitor: () => ({
    step: ({ after, rec }) => {
      for (const e of rec.events)
        if (e.k === "mfill-install" && !e.fits)
          return `${who(after, e.tid)} installed a folio allocated for a ${e.folioFor} VMA into vma#${e.vma}, which is ${e.vmaIs}: the range was unmapped and mapped again while the locks were dropped.`;
      return null;
    },
  }),
};

// S35: UFFDIO_COPY gives back every folio it allocated: by the time the call returns, the
// folio is installed or put. v7.0's mfill_atomic() carries its folio across `goto retry`
// and returns through mfill_atomic_hugetlb() without putting it when the retry finds a
// hugetlb VMA (mm/userfaultfd.c, v7.0).
export const uffdCopyFolioPut: Property = {
  id: "uffd-copy-folio-put",
  ref: "S35",
  statement:
    "uffd copy gives its folio back: when UFFDIO_COPY returns, the folio it allocated is installed or put, never still held",
  kind: "safety",
  applies: (_s, d) => d.family === "mfill",
  monitor: () => ({
    step: ({ after, rec }) => {
      for (const e of rec.events)
        if (e.k === "mfill-return" && e.folio !== null)
          return `${who(after, e.tid)}'s UFFDIO_COPY returned while its folio (${e.folio}, allocated before the locks were dropped) was neither installed nor put: the page is leaked.`;
      return null;
    },
  }),
};
