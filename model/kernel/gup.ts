// mm/gup.c pieces: follow_page_mask() (is the page there, writable if FOLL_WRITE?) and
// pinning it (follow_page_pte() and can_follow_write_pte(), read at v7.0). The retry
// driver itself (__get_user_pages_locked) is written as steps in model/designs/gup.ts
// so that it reads like the kernel function.
import { useVmaIn } from "../ghost.js";
import type { Op } from "../step.js";
import { op } from "../step.js";
import { presentPte } from "../world.js";

/** `page = follow_page_mask(vma, addr, foll_flags)`: present (and writable if asked) or not. */
export const followPageMask = (vma: string, addr: string): Op<"page" | "fault"> =>
  op({
    name: `page = follow_page_mask(${vma}, ${addr}, foll_flags)`,
    outcomes: ["page", "fault"],
    run: (k) => {
      useVmaIn(k, vma, "follow_page_mask");
      const pte = k.w.ptes[k.num(addr)];
      const write = k.get("foll_write") === true;
      return pte === "rw" || (presentPte(pte) && !write) ? "page" : "fault";
    },
  });
