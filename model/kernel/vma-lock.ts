// Per-VMA locks (seed 004): lock_vma_under_rcu() read-locks an
// attached VMA that is not write-locked, or returns NULL; vma_end_read() releases it.
// The write side (vma_start_write) lasts until the mmap write lock is released, and
// vma_mark_detached() waits for the readers to leave.
import { endVmaEpoch, refTo, useVmaIn } from "../ghost.js";
import { addHolder } from "../rwsem.js";
import type { Ctx, Op } from "../step.js";
import { op } from "../step.js";
import type { VmaId, World } from "../world.js";
import { vmaAt } from "./vma.js";
import { vmaFieldDecision } from "./vma-field.js";

/** vma_end_read(vma) on `vma`, by thread k.tid; wakes a detacher waiting for readers. */
export function vmaEndRead(k: Ctx, vma: VmaId, by: string): void {
  const v = k.w.vmas[vma];
  if (!v) return;
  const i = v.readers.indexOf(k.tid);
  k.emit({
    k: "unlock",
    tid: k.tid,
    lock: { kind: "vma", vma },
    mode: "read",
    held: i >= 0,
    by,
  });
  if (i < 0) return;
  v.readers.splice(i, 1);
  endVmaEpoch(k);
  if (v.readers.length === 0) {
    const waiting = k.w.threads
      .filter(
        (t) =>
          t.status.kind === "blocked" &&
          t.status.on.kind === "vma-readers" &&
          t.status.on.vma === vma,
      )
      .map((t) => t.id);
    k.wake(waiting, "vma_end_read");
  }
}

/** vma_start_read() that succeeded: `into` holds a pointer protected by the VMA lock. */
export function vmaStartRead(k: Ctx, vma: VmaId, into: string): void {
  const v = k.w.vmas[vma];
  if (v) addHolder(v.readers, k.tid);
  k.emit({ k: "lock", tid: k.tid, lock: { kind: "vma", vma }, mode: "read", granted: true });
  k.set(into, refTo(k, vma, "vma-lock"));
}

/**
 * `into = lock_vma_under_rcu(mm, addr)`. With `anonymousOnly`, as in 6.4-6.5 ("Only
 * anonymous vmas are supported for now": a file VMA goes to the mmap-lock path; an
 * anonymous VMA without an anon_vma too, "find_mergeable_anon_vma uses adjacent vmas
 * which are not locked", until v6.10 let vmf_anon_prepare() take mmap_read_trylock();
 * and a VMA armed for userfaultfd is read-locked and let go again, "Due to the
 * possibility of userfault handler dropping mmap_lock, avoid it for now", until "mm:
 * handle userfaults under VMA lock", v6.6).
 */
export const lockVmaUnderRcu = (
  addr: string,
  into: string,
  opts: { readonly anonymousOnly?: boolean } = {},
): Op<"locked" | "none"> =>
  op({
    name: `${into} = lock_vma_under_rcu(mm, ${addr})`,
    outcomes: ["locked", "none"],
    run: (k) => {
      const v = vmaAt(k.w as World, k.num(addr));
      if (
        !v ||
        v.writeLocked ||
        (opts.anonymousOnly &&
          (v.flags.file || v.flags.hugetlb || v.flags.uffdMissing || !v.anonVma))
      ) {
        k.set(into, null);
        return "none";
      }
      vmaStartRead(k, v.id, into);
      return "locked";
    },
  });

/** `vma_end_read(vma)` */
export const vmaEndReadOp = (ref: string): Op<"ok"> =>
  op({
    name: `vma_end_read(${ref})`,
    outcomes: ["ok"],
    run: (k) => {
      vmaEndRead(k, useVmaIn(k, ref, "vma_end_read").id, "vma_end_read");
      return "ok";
    },
  });

// lock_vma_under_rcu() step by step, with the vm_refcnt of v6.15+ (mm/mmap_lock.c
// lock_vma_under_rcu() and vma_start_read(), a static inline there in v7.0 and in a
// header before; read in torvalds/linux at v6.15 and in v7.0, where the vm_mm check is
// in vma_start_read() since "mm: fix a UAF when vma->mm is freed after
// vma->vm_refcnt got dropped", v6.16). Between mas_walk() under rcu_read_lock() and
// vma_start_read(), the VMA may be detached, freed and, its cache being
// SLAB_TYPESAFE_BY_RCU since v6.15 ("mm: make vma cache SLAB_TYPESAFE_BY_RCU"), reused
// by a new VMA of another mm. The model's per-VMA `readers` are the references
// vma_start_read() adds to vm_refcnt, a live VMA has the attach reference, and
// `writeLocked` is vm_lock_seq == mm_lock_seq.

/** `rcu_read_lock(); vma = mas_walk(&mas)`: the slot of this mm's VMA at `addr`, in local `into`. */
export const masWalk = (addr: string, into: string): Op<"found" | "none"> =>
  op({
    name: `rcu_read_lock(); ${into} = mas_walk(&mas) /* ${addr} */`,
    outcomes: ["found", "none"],
    run: (k) => {
      const v = vmaAt(k.w as World, k.num(addr));
      if (!v) return "none";
      k.set(into, v.id);
      return "found";
    },
  });

/**
 * `vma = vma_start_read(mm, vma)` on the slot in local `slot` (a pointer read under RCU,
 * no reference yet): "busy" when write-locked (vm_lock_seq == mm_lock_seq: NULL);
 * "eagain" when vm_refcnt is 0 (detached, or freed: the slot is still a vm_area_struct;
 * lock_vma_under_rcu walks again); otherwise the reference is taken and, with
 * `checkMm` (the kernel's), vma->vm_mm is compared with mm: a slot reused by another
 * mm's VMA is put back ("other-mm": NULL). "locked": `into` holds the VMA, protected by
 * its read lock.
 */
export const vmaStartReadRcu = (
  slot: string,
  into: string,
  opts: { readonly checkMm?: boolean } = {},
): Op<"locked" | "busy" | "eagain" | "other-mm"> =>
  op({
    name:
      opts.checkMm === false
        ? `${into} = vma_start_read(mm, ${slot}) without the vm_mm check`
        : `${into} = vma_start_read(mm, ${slot}): vm_refcnt++, then vma->vm_mm == mm?`,
    outcomes: ["locked", "busy", "eagain", "other-mm"],
    run: (k) => {
      const id = k.num(slot);
      const v = k.w.vmas[id];
      if (!v) throw new Error(`vma_start_read: no slot vma#${id}`);
      // another mm's write lock is another mm_lock_seq: it does not match ours
      if (v.writeLocked && v.mm === undefined) return "busy";
      if (v.state !== "live") return "eagain";
      vmaStartRead(k, id, into);
      if (opts.checkMm !== false) {
        vmaFieldDecision(k, id, "vm_mm", "read", "vma_start_read(): vma->vm_mm != mm");
        if (v.mm !== undefined) {
          k.emit({
            k: "note",
            tid: k.tid,
            text: `vma#${id} now belongs to another mm: vma_refcount_put()`,
          });
          k.set(into, null);
          vmaEndRead(k, id, "vma_start_read: vma->vm_mm != mm, vma_refcount_put");
          return "other-mm";
        }
      }
      return "locked";
    },
  });

/** `if (address < vma->vm_start || address >= vma->vm_end)` (lock_vma_under_rcu, after vma_start_read). */
export const vmaRangeCheck = (ref: string, addr: string): Op<"in" | "out"> =>
  op({
    name: `if (${addr} < ${ref}->vm_start || ${addr} >= ${ref}->vm_end)`,
    outcomes: ["in", "out"],
    run: (k) => {
      const v = useVmaIn(k, ref, `${ref}->vm_start/vm_end`);
      vmaFieldDecision(
        k,
        v.id,
        "vm_start/vm_end",
        "read",
        "lock_vma_under_rcu(): address in [vm_start, vm_end)?",
      );
      const a = k.num(addr);
      return v.start <= a && a < v.end ? "in" : "out";
    },
  });
