// P: mprotect(addr, PAGE_SIZE, PROT_READ) on one page of a writable VMA: VM_WRITE is
// cleared between a walk and a fault. do_mprotect_pkey() -> mprotect_fixup() (mm/mprotect.c
// at torvalds/linux 003fde4492c8), under mmap_write_lock_killable():
//   - vma_modify_flags() -> vma_modify() (mm/vma.c at 01c373e9a5ce): a merge with a
//     neighbour first (vma_merge_existing_range), else __split_vma(vma, start, 1) when
//     the range starts inside the VMA and __split_vma(vma, end, 0) when it ends inside
//     it: the original vm_area_struct keeps the range, the new ones the parts outside;
//   - vma_start_write(vma); vm_flags_reset_once(vma, newflags): VM_WRITE cleared;
//   - change_protection(): for a hugetlb VMA hugetlb_change_protection() (mm/hugetlb.c
//     at 0010b838db9f): mmu_notifier_invalidate_range_start(), hugetlb_vma_lock_write(),
//     the entries made read-only, hugetlb_vma_unlock_write(), invalidate_range_end();
//     otherwise change_pud_range() starts the invalidation only once it meets a
//     populated page table, and change_pte_range() makes present entries read-only.
//   - mmap_write_unlock().
// The model starts the non-hugetlb invalidation when a page of the range has an entry
// (a populated table without one changes no entry, only the sequence). Merges are not
// modelled: a range whose new flags would merge with a neighbour is a design error
// (no built-in scenario can reach one: the actor runs once, on one VMA or on VMAs of
// different kinds; a hugetlb VMA never merges, VM_DONTEXPAND being in VM_SPECIAL).

import { type Actor, actor } from "../actor.js";
import { hugetlbLockWriteOp, hugetlbUnlockWrite } from "../kernel/hugetlb.js";
import { mmapWriteLock, mmapWriteUnlock } from "../kernel/mmap-lock.js";
import {
  invalidateCallback,
  invalidateEnd,
  invalidateRangeStart,
  userLock,
} from "../kernel/notifier.js";
import { vmaAt } from "../kernel/vma.js";
import {
  anyPte,
  setVmaFlags,
  splitVma,
  vmaStartWrite,
  wrprotect,
  wrprotectRangeEnd,
} from "../kernel/vma-layout.js";
import type { Ctx } from "../step.js";
import { op } from "../step.js";
import type { Vma, VmaFlags, World } from "../world.js";

const target = (k: Ctx) => k.num("target");

/** The pages mprotect(PROT_READ) would change: every page of a live VMA with VM_WRITE. */
function writable(w: World): string[] {
  const out: string[] = [];
  for (const v of w.vmas)
    if (v.state === "live" && v.flags.write)
      for (let p = v.start; p < v.end; p++) out.push(`page ${p}`);
  return out.sort((a, b) => Number(a.slice(5)) - Number(b.slice(5)));
}

const sameFlags = (a: VmaFlags, b: VmaFlags) =>
  a.write === b.write &&
  a.shared === b.shared &&
  a.hugetlb === b.hugetlb &&
  a.uffdMissing === b.uffdMissing &&
  (a.file ?? null) === (b.file ?? null);

/** A live neighbour that vma_merge_existing_range() could merge the changed range with. */
function mergeCandidate(w: World, v: Vma, addr: number, flags: VmaFlags): Vma | null {
  if (v.flags.hugetlb) return null;
  for (const n of w.vmas) {
    if (n.state !== "live" || n.id === v.id || !sameFlags(n.flags, flags)) continue;
    if (addr === v.start && n.end === v.start) return n;
    if (addr + 1 === v.end && n.start === v.end) return n;
  }
  return null;
}

const begin = op({
  name: "mprotect(addr, PAGE_SIZE, PROT_READ)",
  outcomes: ["ok"],
  enabled: (w) => writable(w).length > 0,
  run: (k) => {
    k.set("addr", Number(k.choose(writable(k.w as World)).slice(5)));
    return "ok";
  },
});

/**
 * vma_modify_flags(): the VMA is found again under the lock and split at the range
 * edges (__split_vma() write-locks it first); then mprotect_fixup()'s own
 * vma_start_write(vma), which waits for the readers when no split did.
 */
const modify = op({
  name: "mprotect_fixup(): vma_modify_flags() (__split_vma() at the range edges); vma_start_write(vma)",
  outcomes: ["ok", "none"],
  run: (k) => {
    const addr = k.num("addr");
    const v = vmaAt(k.w as World, addr);
    // nothing mapped there (-ENOMEM), or VM_WRITE already clear (newflags == oldflags)
    if (!v?.flags.write) return "none";
    const merge = mergeCandidate(k.w as World, v, addr, { ...v.flags, write: false });
    if (merge)
      throw new Error(
        `mprotect(PROT_READ) of page ${addr} would merge vma#${v.id} with vma#${merge.id} (vma_merge_existing_range), which the model does not implement`,
      );
    if (!vmaStartWrite(k, v.id)) return "ok";
    if (v.start < addr) splitVma(k, v.id, addr, true);
    if (addr + 1 < v.end) splitVma(k, v.id, addr + 1, false);
    k.set("target", v.id);
    return "ok";
  },
});

/** vm_flags_reset_once(vma, newflags) (the VMA is write-locked); then which change_protection(). */
const flags = op({
  name: "vm_flags_reset_once(vma, newflags)",
  outcomes: ["ok", "hugetlb", "ptes"],
  run: (k) => {
    const v = k.w.vmas[target(k)];
    if (!v) return "ok";
    setVmaFlags(k, v.id, { write: false });
    if (v.flags.hugetlb) return "hugetlb";
    return anyPte(k, v.start, v.end) ? "ptes" : "ok";
  },
});

const invStart = (what: string) => invalidateRangeStart(what);

const ptesReadOnly = wrprotectRangeEnd(
  "change_pte_range(): entries read-only; mmu_notifier_invalidate_range_end()",
);

const hugetlbLock = hugetlbLockWriteOp("hugetlb_change_protection(): hugetlb_vma_lock_write(vma)");

const hugetlbReadOnly = op({
  name: "entries read-only; hugetlb_vma_unlock_write(vma); mmu_notifier_invalidate_range_end()",
  outcomes: ["ok"],
  run: (k) => {
    const v = k.w.vmas[target(k)];
    if (v) {
      wrprotect(k, v.start, v.end);
      hugetlbUnlockWrite(k, v.id);
    }
    invalidateEnd(k);
    return "ok";
  },
});

export function mprotectReadOnlyActor(): Actor {
  return actor({
    id: "mprotect-ro",
    lane: "P",
    disruptive: true,
    title: "mprotect(2) of one page to PROT_READ: split, VM_WRITE cleared, entries write-protected",
    start: "idle",
    steps: {
      idle: { op: begin, next: "wlock" },
      wlock: { op: mmapWriteLock(), next: "modify" },
      modify: { op: modify, on: { ok: "flags", none: "unlock" } },
      flags: { op: flags, on: { hugetlb: "h_inv_start", ptes: "inv_start", ok: "unlock" } },
      inv_start: { op: invStart("change_pud_range()"), next: "inv_lock" },
      inv_lock: { op: userLock(), next: "inv_cb" },
      inv_cb: { op: invalidateCallback(), next: "ptes" },
      ptes: { op: ptesReadOnly, next: "unlock" },
      h_inv_start: { op: invStart("hugetlb_change_protection()"), next: "h_inv_lock" },
      h_inv_lock: { op: userLock(), next: "h_inv_cb" },
      h_inv_cb: { op: invalidateCallback(), next: "h_lock" },
      h_lock: { op: hugetlbLock, next: "h_ptes" },
      h_ptes: { op: hugetlbReadOnly, next: "unlock" },
      unlock: { op: mmapWriteUnlock(), next: "idle" },
    },
  });
}
