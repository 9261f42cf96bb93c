// S20: a folio allocated for one VMA is never installed into a VMA that cannot take it,
// which took its place while UFFDIO_COPY had dropped its locks.
import { withArticle } from "../model/step.js";
import type { Property } from "./property.js";
import { who } from "./property.js";

export const uffdCopyRevalidates: Property = {
  id: "uffd-copy-revalidates",
  ref: "S20",
  statement:
    "uffd copy installs a folio only where it fits: after the locks were dropped, a folio a VMA's uffd ops made (the series' alloc_folio()) goes only into a VMA of the kind it was allocated for; v7.0's plain order-0 page, charged only at install, fits any anonymous or shmem VMA",
  kind: "safety",
  applies: (_s, d) => d.family === "mfill",
  monitor: () => ({
    step: ({ after, rec }) => {
      for (const e of rec.events)
        if (e.k === "mfill-install" && !e.fits)
          return `${who(after, e.tid)} installed a folio allocated for ${withArticle(e.folioFor)} VMA into vma#${e.vma}, which is ${e.vmaIs}: the range was unmapped and mapped again while the locks were dropped.`;
      return null;
    },
  }),
};

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
