// release_fault_lock(vmf): the mmap read lock, or the per-VMA lock with
// FAULT_FLAG_VMA_LOCK (include/linux/mm.h, seed 004).
import type { Ctx } from "../step.js";
import type { FaultFlag } from "./fault-flags.js";
import { releaseMmap } from "./mmap-lock.js";

export function releaseFaultLock(k: Ctx, flags: readonly FaultFlag[], by: string): void {
  if (flags.includes("VMA_LOCK")) throw new Error("FAULT_FLAG_VMA_LOCK is not modelled yet");
  releaseMmap(k, "read", by);
}
