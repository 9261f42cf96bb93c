// Ghost state: facts the kernel does not store but a reviewer reasons with. A VMA
// pointer is (vma, epoch); every release of the mmap lock by the holder ends its epoch,
// so a later dereference through an old pointer is visible even if the memory "looks
// fine" in the model (README "Properties", S1, S2).

import { holds } from "./rwsem.js";
import type { Ctx } from "./step.js";
import type { Draft, Tid, Vma, VmaId, VmaRef, World } from "./world.js";

export function holdsMmap(w: World, tid: Tid): boolean {
  return holds(w.mmapLock, tid);
}

/** A pointer to `vma` looked up now, under the thread's current epoch. */
export function refTo(k: Ctx, vma: VmaId, via: "mmap" | "vma-lock" = "mmap"): VmaRef {
  const epoch = via === "mmap" ? k.w.ghost.epoch[k.tid] : k.w.ghost.vmaEpoch[k.tid];
  return via === "mmap"
    ? { vma, epoch: epoch ?? 0, at: k.w.clock }
    : { vma, via, epoch: epoch ?? 0, at: k.w.clock };
}

/** Is the pointer still protected by the lock it was obtained under? */
export function isProtected(w: World, tid: Tid, ref: VmaRef): boolean {
  if (ref.via === "vma-lock")
    return (
      (w.vmas[ref.vma]?.readers.includes(tid) ?? false) &&
      (w.ghost.vmaEpoch[tid] ?? 0) === ref.epoch
    );
  return holdsMmap(w, tid) && (w.ghost.epoch[tid] ?? 0) === ref.epoch;
}

/** Dereference a VMA pointer: records the use with its ghost facts, returns the VMA. */
export function useVma(k: Ctx, ref: VmaRef, what: string): Draft<Vma> {
  const vma = k.w.vmas[ref.vma];
  if (!vma) throw new Error(`no vma#${ref.vma}`);
  k.emit({
    k: "vma-use",
    tid: k.tid,
    ref: { ...ref },
    what,
    vmaState: vma.state,
    protected: isProtected(k.w as World, k.tid, ref),
  });
  return vma;
}

/** useVma() through the pointer in thread local `local`; a design error if it holds none. */
export function useVmaIn(k: Ctx, local: string, what: string): Draft<Vma> {
  const r = k.ref(local);
  if (!r) throw new Error(`${what}: local "${local}" holds no VMA pointer`);
  return useVma(k, r, what);
}

/** The thread released the mmap lock: its VMA pointers die with the epoch. */
export function endEpoch(k: Ctx, what: string): void {
  // the arrays are shared between worlds (engine/draft.ts LazyWorld): replace, never mutate
  const g = k.w.ghost;
  g.epoch = with1(g.epoch, k.tid, (g.epoch[k.tid] ?? 0) + 1);
  g.lastDrop = with1(g.lastDrop, k.tid, { at: k.w.clock, what });
}

/** A copy of `a` with element `i` set to `v`. */
function with1<T>(a: readonly T[], i: number, v: T): T[] {
  const b = a.slice();
  b[i] = v;
  return b;
}

/** The thread left a VMA read lock: pointers from lock_vma_under_rcu die. */
export function endVmaEpoch(k: Ctx): void {
  const g = k.w.ghost;
  g.vmaEpoch = with1(g.vmaEpoch, k.tid, (g.vmaEpoch[k.tid] ?? 0) + 1);
}
