// S6: fault flags are legal combinations (include/linux/mm_types.h, sanitize_fault_flags).
// S19: a fault only at an address inside the VMA it is given.
import { illegalFlags } from "../model/kernel/fault-flags.js";
import { vmaAt } from "../model/kernel/vma.js";
import type { Property } from "./property.js";
import { who } from "./property.js";

export const faultFlagsLegal: Property = {
  id: "fault-flags-legal",
  ref: "S6",
  statement:
    "fault flags are legal: never TRIED without ALLOW_RETRY, RETRY_NOWAIT without ALLOW_RETRY, VMA_LOCK with RETRY_NOWAIT, or UNSHARE with WRITE",
  kind: "safety",
  applies: () => true,
  monitor: () => ({
    step: ({ after, rec }) => {
      for (const e of rec.events) {
        if (e.k !== "fault") continue;
        const bad = illegalFlags(e.flags);
        if (bad.length > 0)
          return `${who(after, e.tid)} called handle_mm_fault(${e.flags.join("|")}): ${bad.join("; ")}${
            e.result === "VM_FAULT_SIGSEGV"
              ? " (the kernel WARNs and returns VM_FAULT_SIGSEGV)"
              : ""
          }.`;
      }
      return null;
    },
  }),
};

/**
 * S19: handle_mm_fault(vma, address, ...) is called only for an address inside vma.
 * Every caller in the kernel makes sure of it with the lock held: lock_mm_and_find_vma()
 * in the arch fault path, gup_vma_lookup() and `start >= vma->vm_end` in
 * __get_user_pages(), vma_lookup() on every try of fixup_user_fault(); the fault
 * itself does not check (do_anonymous_page() goes on to folio_add_new_anon_rmap(),
 * whose VM_BUG_ON_VMA(address < vma->vm_start || address + size > vma->vm_end) is the
 * only check, and only with CONFIG_DEBUG_VM; read in the 2023 mTHP mails). An address
 * outside the VMA gets a page with that VMA's anon_vma and protection: writable under a
 * range mprotect() made read-only, or mapped in a hole munmap() left. The bound that
 * goes stale is one taken from a VMA before a drop of the mmap lock (fault_end,
 * range->end) and used after it with a VMA looked up again for another address.
 */
export const faultAddrInVma: Property = {
  id: "fault-addr-in-vma",
  ref: "S19",
  statement:
    "handle_mm_fault(vma, addr) only for an address inside vma: a bound taken from a VMA before the lock was dropped (fault_end, range->end) is not used after it without a fresh lookup",
  kind: "safety",
  applies: () => true,
  monitor: () => ({
    step: ({ before, after, rec }) => {
      for (const e of rec.events) {
        if (e.k !== "fault") continue;
        const v = before.vmas[e.vma];
        if (!v || (v.start <= e.addr && e.addr < v.end)) continue;
        const there = vmaAt(before, e.addr);
        const drop = before.ghost.lastDrop[e.tid];
        return `${who(after, e.tid)} called handle_mm_fault(vma#${e.vma}, page ${e.addr}), but vma#${e.vma} covers [${v.start},${v.end}) and page ${e.addr} ${
          there ? `belongs to vma#${there.id}` : "is not mapped"
        }${drop ? `; ${who(after, e.tid)} last released the mmap lock at step ${drop.at} (${drop.what})` : ""}.`;
      }
      return null;
    },
  }),
};
