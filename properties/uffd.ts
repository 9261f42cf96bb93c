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
        if (e.k === "mfill-install" && e.folioFor !== e.vmaIs)
          return `${who(after, e.tid)} installed a folio allocated for a ${e.folioFor} VMA into vma#${e.vma}, which is ${e.vmaIs}: the range was unmapped and mapped again while the locks were dropped.`;
      return null;
    },
  }),
};
