// Per-VMA locks (seed 004): lock_vma_under_rcu() read-locks an
// attached VMA that is not write-locked, or returns NULL; vma_end_read() releases it.
// The write side (vma_start_write) lasts until the mmap write lock is released, and
// vma_mark_detached() waits for the readers to leave.
import { endVmaEpoch, refTo, useVma } from "../ghost.js";
import type { Ctx, Op } from "../step.js";
import { op } from "../step.js";
import type { VmaId, World } from "../world.js";
import { vmaAt } from "./vma.js";

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

export function vmaReadLocksHeld(w: World, tid: number): VmaId[] {
  return w.vmas.filter((v) => v.readers.includes(tid)).map((v) => v.id);
}

/** vma_start_read() that succeeded: `into` holds a pointer protected by the VMA lock. */
export function vmaStartRead(k: Ctx, vma: VmaId, into: string): void {
  k.w.vmas[vma]?.readers.push(k.tid);
  k.emit({ k: "lock", tid: k.tid, lock: { kind: "vma", vma }, mode: "read", granted: true });
  k.set(into, refTo(k, vma, "vma-lock"));
}

/**
 * `into = lock_vma_under_rcu(mm, addr)`. With `anonymousOnly`, as in 6.4-6.5 ("Only
 * anonymous vmas are supported for now": a file VMA goes to the mmap-lock path).
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
      if (!v || v.writeLocked || (opts.anonymousOnly && (v.flags.file || v.flags.hugetlb))) {
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
      const r = k.ref(ref);
      if (!r) throw new Error(`vma_end_read: local "${ref}" holds no VMA pointer`);
      useVma(k, r, "vma_end_read");
      vmaEndRead(k, r.vma, "vma_end_read");
      return "ok";
    },
  });
