// release_fault_lock(vmf): the mmap read lock, or the per-VMA lock with
// FAULT_FLAG_VMA_LOCK (include/linux/mm.h, seed 004; read at v7.0, its
// CONFIG_PER_VMA_LOCK form: vma_end_read() or mmap_read_unlock()).
import type { Ctx } from "../step.js";
import type { VmaId } from "../world.js";
import type { FaultFlag } from "./fault-flags.js";
import { releaseMmap } from "./mmap-lock.js";
import { vmaEndRead } from "./vma-lock.js";

export function releaseFaultLock(
  k: Ctx,
  flags: readonly FaultFlag[],
  vma: VmaId,
  by: string,
): void {
  if (flags.includes("VMA_LOCK")) vmaEndRead(k, vma, by);
  else releaseMmap(k, "read", by);
}
