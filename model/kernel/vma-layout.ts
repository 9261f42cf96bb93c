// VMA layout changes, as kernel primitives: __split_vma(), the new flags of
// mprotect_fixup(), copy_vma() and move_page_tables() of mremap(), and the copy of a
// VMA into a child mm by dup_mmap(). All of them run under the mmap write lock, and
// write-lock each VMA they change first (vma_start_write: lock_vma_under_rcu() fails
// on it from then on, and the writer waits for the VMA's readers to leave); the write
// locks end with mmap_write_unlock() or mmap_write_downgrade() (model/kernel/mmap-lock.ts).
//
// Read in: mm/vma.c at torvalds/linux 01c373e9a5ce (a 6.12-era tree: __split_vma,
// vms_gather_munmap_vmas, vma_modify, vma_link, copy_vma); mm/mprotect.c at
// 003fde4492c8 (mprotect_fixup, change_pud_range); mm/mremap.c at 000c0691ec6a (a
// 6.16-era tree: move_vma, copy_vma_and_data, move_page_tables); mm/hugetlb.c at
// 0010b838db9f (hugetlb_change_protection); kernel/fork.c dup_mmap() as quoted in the
// mails of "fork: lock VMAs of the parent process when forking" (Suren Baghdasaryan,
// Jul 2023) and of the __mt_dup() conversion (2023); mm/memory.c copy_page_range() and
// vma_needs_copy() as quoted from v6.18; "hugetlb: fix vma lock handling during split
// vma and range unmapping" (Mike Kravetz, Oct 2022 mail) for hugetlb_vm_op_open();
// "mm/hugetlb: unshare page tables during VMA split, not before" (Jann Horn, Jun 2025
// stable mail) for hugetlb_split().
import type { Ctx, Op } from "../step.js";
import { op } from "../step.js";
import type { Draft, Page, Pte, Vma, VmaFlags, VmaId } from "../world.js";
import { invalidateEnd } from "./notifier.js";
import { setPte } from "./pte.js";
import { newVma } from "./vma.js";

const span = (start: Page, end: Page) => `[${start},${end})`;

/**
 * vma_start_write(vma): the VMA is write-locked at once, so that lock_vma_under_rcu()
 * fails on it from here on (a waiting writer makes down_read_trylock() fail before
 * 6.15; after it the flag __vma_start_write() adds to vm_refcnt, VMA_LOCK_OFFSET until
 * VM_REFCNT_EXCLUDE_READERS_FLAG in v7.0, mm/mmap_lock.c), and the caller waits for the
 * readers it already has. Returns false when it must wait: the thread sleeps and its
 * step runs again once the last reader leaves (vma_end_read wakes it).
 */
export function vmaStartWrite(k: Ctx, vma: VmaId): boolean {
  const v = k.w.vmas[vma];
  if (!v) return true;
  v.writeLocked = true;
  if (v.readers.length === 0) return true;
  k.emit({ k: "note", tid: k.tid, text: `vma_start_write(vma#${vma}) waits for its readers` });
  k.block({ kind: "vma-readers", vma }, undefined, { again: true });
  return false;
}

/**
 * __split_vma(vmi, vma, addr, new_below) (mm/vma.c): new = vm_area_dup(vma) takes
 * [vm_start, addr) when new_below, else [addr, vm_end), and the original
 * vm_area_struct keeps the other part; a VMA pointer kept from before therefore still
 * points at the original, now smaller. A shared hugetlb VMA's new part gets a
 * hugetlb_vma_lock of its own (vm_ops->open = hugetlb_vm_op_open allocates one when
 * the copied vm_private_data is not its own); hugetlb_split() unshares PMDs without
 * taking the hugetlb VMA lock (the VMA and the file rmap are write-locked). Both VMAs
 * are write-locked (vma_start_write(vma); vma_start_write(new)): the caller has
 * already waited for vma's readers (vmaStartWrite), and new has none. Returns new's id.
 */
export function splitVma(k: Ctx, vma: VmaId, addr: Page, newBelow: boolean): VmaId {
  const v = k.w.vmas[vma];
  if (!v || addr <= v.start || addr >= v.end)
    throw new Error(`__split_vma: page ${addr} is not strictly inside vma#${vma}`);
  const id = k.w.vmas.length;
  const part = newBelow ? { start: v.start, end: addr } : { start: addr, end: v.end };
  // flags objects are replaced, never mutated: the new VMA may share the old one's
  k.w.vmas.push(
    withTableOf(v, newVma(id, part.start, part.end, v.flags, true, v.anonVma === true)),
  );
  if (newBelow) v.start = addr;
  else v.end = addr;
  v.writeLocked = true;
  k.emit({
    k: "vma-change",
    tid: k.tid,
    vma: id,
    text: `splits vma#${vma}: vma#${vma} = ${span(v.start, v.end)}, new vma#${id} = ${span(part.start, part.end)}`,
  });
  return id;
}

/** How a flags change reads in the lanes: "-VM_WRITE", "-VM_UFFD_MISSING". */
function flagDiff(before: VmaFlags, after: VmaFlags): string {
  const out: string[] = [];
  if (before.write !== after.write) out.push(`${after.write ? "+" : "-"}VM_WRITE`);
  if (before.uffdMissing !== after.uffdMissing)
    out.push(`${after.uffdMissing ? "+" : "-"}VM_UFFD_MISSING`);
  return out.join(" ") || "unchanged";
}

/**
 * vm_flags_reset(vma, newflags) (mprotect_fixup, after vma_start_write(vma); the uffd
 * flags in userfaultfd_reset_ctx() likewise): the VMA's flags are replaced.
 */
export function setVmaFlags(k: Ctx, vma: VmaId, change: Partial<VmaFlags>): void {
  const v = k.w.vmas[vma];
  if (!v) return;
  const before = v.flags;
  v.flags = { ...before, ...change };
  k.emit({
    k: "vma-change",
    tid: k.tid,
    vma,
    text: `vma#${vma} ${span(v.start, v.end)}: ${flagDiff(before, v.flags)}`,
  });
}

/**
 * copy_vma(&vma, new_addr, len, pgoff, &need_rmap_locks) for an mremap() move to
 * `to`: new_vma = vm_area_dup(vma) over [to, to + len), vm_ops->open (a fresh
 * hugetlb_vma_lock for a shared hugetlb VMA), vma_link() -> vma_start_write(new_vma)
 * and the store into the tree. The page table grows to cover the new range (pages the
 * scenario did not lay out are unmapped address space). The caller chooses `to` with a
 * gap before it, so vma_merge_new_range() finds no neighbour to merge with.
 */
export function copyVma(k: Ctx, vma: VmaId, to: Page): VmaId {
  const v = k.w.vmas[vma];
  if (!v) throw new Error(`copy_vma: no vma#${vma}`);
  const len = v.end - v.start;
  while (k.w.ptes.length < to + len) {
    k.w.ptes.push("none");
    k.w.folioLock.push(null);
    k.w.folioWaiters.push([]);
  }
  const id = k.w.vmas.length;
  k.w.vmas.push(withTableOf(v, newVma(id, to, to + len, v.flags, true, v.anonVma === true)));
  k.emit({
    k: "vma-change",
    tid: k.tid,
    vma: id,
    text: `new vma#${id} = ${span(to, to + len)}, a copy of vma#${vma}`,
  });
  return id;
}

/**
 * move_ptes() of move_page_tables() (move_hugetlb_page_tables() for hugetlb): each
 * entry of `from`'s range moves to the same offset in `to`'s, the old one left none.
 * A page whose folio is locked or waited on is not moved: the model keys folio locks
 * by address, which a move would change (no scenario combines them).
 */
export function movePtes(k: Ctx, from: VmaId, to: VmaId): void {
  const a = k.w.vmas[from];
  const b = k.w.vmas[to];
  if (!a || !b) throw new Error(`move_page_tables: no vma#${a ? to : from}`);
  for (let i = 0; i < a.end - a.start; i++) {
    const p = a.start + i;
    const q = b.start + i;
    if (k.w.folioLock[p] !== null || (k.w.folioWaiters[p]?.length ?? 0) > 0)
      throw new Error(
        `move_page_tables: page ${p} has its folio locked or waited on, which the model does not move`,
      );
    const pte = k.w.ptes[p] ?? "none";
    if (pte === "none") continue;
    setPte(k, p, "none");
    setPte(k, q, pte);
  }
}

/** Does any page of [start, end) have a page-table entry (present or swapped)? */
export function anyPte(k: Ctx, start: Page, end: Page): boolean {
  for (let p = start; p < end; p++) if ((k.w.ptes[p] ?? "none") !== "none") return true;
  return false;
}

/** mprotect's change_pte_range() without VM_WRITE: the entries it changes. */
const WRITE_PROTECTED: Partial<Record<Pte, Pte>> = { rw: "ro" };
/** fork's copy_pte_range() on the parent of a COW mapping: the entries it shares. */
const SHARED_BY_FORK: Partial<Record<Pte, Pte>> = {
  rw: "cow",
  ro: "cow",
  swap: "swap-cow",
  "device-private": "device-private-cow",
};

/**
 * Write-protect [start, end): every writable entry becomes read-only (change_pte_range()
 * for mprotect without VM_WRITE). With `shared`, fork's copy_present_pte() on the parent
 * of a COW mapping (mm/memory.c, v7.0): folio_try_dup_anon_rmap_pte() clears
 * PageAnonExclusive and ptep_set_wrprotect() the writable entry, so every anonymous
 * page, writable or read-only, is now shared with the child, and a write copies it
 * ("cow"); copy_nonpresent_pte() clears a swap entry's exclusive bit ("swap-cow") and
 * shares a device-private entry, a writable one made readable ("device-private-cow").
 * The zero page stays (no folio).
 */
export function wrprotect(k: Ctx, start: Page, end: Page, shared = false): void {
  const table = shared ? SHARED_BY_FORK : WRITE_PROTECTED;
  for (let p = start; p < end; p++) {
    const before = k.w.ptes[p];
    const after = before === undefined ? undefined : table[before];
    if (after === undefined) continue;
    setPte(k, p, after);
  }
}

/**
 * An actor's step that write-protects the VMA in its local `vma` (wrprotect) and ends
 * the invalidation around it: mprotect's change_pte_range(), fork's copy_pte_range()
 * (`fork`: the pages become shared with the child).
 */
export const wrprotectRangeEnd = (name: string, vma = "target", fork = false): Op<"ok"> =>
  op({
    name,
    outcomes: ["ok"],
    run: (k) => {
      const v = k.w.vmas[k.num(vma)];
      if (v) wrprotect(k, v.start, v.end, fork);
      invalidateEnd(k);
      return "ok";
    },
  });

/**
 * A VMA made from `v` (a split part, or mremap's copy) without a PMD table where `v` has
 * none: a split part covers the same addresses, and move_hugetlb_page_tables()
 * allocates tables at the destination only for entries it moves, of which a VMA
 * without a table has none (mm/hugetlb.c, v7.0).
 */
function withTableOf(v: Pick<Vma, "noPmdTable">, made: Draft<Vma>): Draft<Vma> {
  return v.noPmdTable === true ? { ...made, noPmdTable: true } : made;
}
