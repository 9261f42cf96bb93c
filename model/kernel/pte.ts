// One page's entry in the modelled page table, and the `pte` event that prints every
// change of it: set_pte_at(), pte_clear() and ptep_get_and_clear() in the kernel's
// page-table helpers (include/linux/pgtable.h, v7.0). Which entry a page gets is the
// caller's rule (fault.ts, cow.ts, migrate.ts, ...); this module only writes it.
import type { Ctx } from "../step.js";
import type { Pte } from "../world.js";

/** Page `page` now maps `pte` ("none" clears it); the trace shows the new entry. */
export function setPte(k: Ctx, page: number, pte: Pte): void {
  k.w.ptes[page] = pte;
  k.emit({ k: "pte", tid: k.tid, page, pte });
}
