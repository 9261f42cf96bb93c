// enum fault_flag (include/linux/mm_types.h) and the vm_fault_t values the model
// produces. Flags are kept as names so lanes and events read like the kernel. The enum
// and its legal-combination notes read at alvinsun039/linux-torvalds bb8275b39b48 (a
// v6.5-v6.9 mirror; FAULT_FLAG_ORIG_PTE_VALID, internal, is left out);
// sanitize_fault_flags() in mm/memory.c at gregkh/linux bb1d93eedc25 (a v6.11-era tree).
import { ArgumentError, shownValue } from "../step.js";

export const FAULT_FLAGS = [
  "WRITE",
  "MKWRITE",
  "ALLOW_RETRY",
  "RETRY_NOWAIT",
  "KILLABLE",
  "TRIED",
  "USER",
  "REMOTE",
  "INSTRUCTION",
  "INTERRUPTIBLE",
  "UNSHARE",
  "VMA_LOCK",
] as const;
export type FaultFlag = (typeof FAULT_FLAGS)[number];

/**
 * A primitive's list of fault flags, as given in a design file (not type-checked): each
 * must be one of FAULT_FLAGS, or the primitive refuses at once, naming the bad one.
 */
export function faultFlagList(primitive: string, flags: unknown): readonly FaultFlag[] {
  const known = FAULT_FLAGS as readonly string[];
  if (!Array.isArray(flags))
    throw new ArgumentError(
      `${primitive}: flags is a list of fault flags such as ["ALLOW_RETRY", "KILLABLE"], or a function of the step's context giving one, and got ${shownValue(flags)}`,
    );
  const bad = flags.find((f) => typeof f !== "string" || !known.includes(f));
  if (bad !== undefined)
    throw new ArgumentError(
      `${primitive}: ${shownValue(bad)} is not a fault flag; the flags are ${known.join(", ")} (FAULT_FLAG_ without its prefix)`,
    );
  return flags as readonly FaultFlag[];
}

export type VmFault =
  | "0"
  | "VM_FAULT_NOPAGE"
  | "VM_FAULT_RETRY"
  | "VM_FAULT_COMPLETED"
  | "VM_FAULT_SIGBUS"
  | "VM_FAULT_SIGSEGV"
  | "VM_FAULT_OOM";

/**
 * `vmret & VM_FAULT_ERROR` (include/linux/mm_types.h): the results a caller treats as
 * a failed fault. VM_FAULT_NOPAGE ("->fault installed the pte, not return page") is
 * not one: the access is tried again.
 */
export function isFaultError(r: VmFault): boolean {
  return r === "VM_FAULT_SIGBUS" || r === "VM_FAULT_SIGSEGV" || r === "VM_FAULT_OOM";
}

/**
 * Illegal combinations (S6), empty when legal: UNSHARE with WRITE and VMA_LOCK with
 * RETRY_NOWAIT are sanitize_fault_flags()'s (mm/memory.c); TRIED without ALLOW_RETRY
 * is the "unlisted combination" of enum fault_flag's comment (mm_types.h); RETRY_NOWAIT
 * without ALLOW_RETRY is handle_userfault()'s assertion ("nowait must allow retry";
 * BUG_ON, VM_WARN_ON_ONCE in later trees).
 */
export function illegalFlags(flags: readonly FaultFlag[]): string[] {
  const has = (f: FaultFlag) => flags.includes(f);
  const out: string[] = [];
  if (has("TRIED") && !has("ALLOW_RETRY")) out.push("FAULT_FLAG_TRIED without ALLOW_RETRY");
  if (has("RETRY_NOWAIT") && !has("ALLOW_RETRY"))
    out.push("FAULT_FLAG_RETRY_NOWAIT without ALLOW_RETRY");
  if (has("VMA_LOCK") && has("RETRY_NOWAIT")) out.push("FAULT_FLAG_VMA_LOCK with RETRY_NOWAIT");
  if (has("UNSHARE") && has("WRITE")) out.push("FAULT_FLAG_UNSHARE with WRITE");
  return out;
}

export function flagString(flags: readonly FaultFlag[]): string {
  return flags.length === 0 ? "0" : flags.join("|");
}

/**
 * Variants of the fault path for mutation tests and mutant designs. The default is the
 * kernel's behaviour.
 */
export interface FaultHandler {
  /** a broken handler returns VM_FAULT_RETRY without releasing the fault lock (S5) */
  readonly keepsLockOnRetry?: boolean;
  /** before seed 004 (6.4-6.5): a swap, migration or device-private entry under the VMA lock returns RETRY at once, lock held (a uffd-armed VMA never got the VMA lock then) */
  readonly preVmaLockSeries?: boolean;
  /**
   * a misbehaving vm_ops->fault that returns VM_FAULT_RETRY on every attempt without
   * FAULT_FLAG_TRIED and never tests FAULT_FLAG_ALLOW_RETRY: it releases the fault lock
   * only when ALLOW_RETRY allows it, but returns RETRY either way, breaking the contract
   * "RETRY or COMPLETED only when ALLOW_RETRY was passed" for a caller that did not pass
   * it. Andrew Morton: "don't write buggy fault handlers". A VMA backed by a file of the
   * driver `MISBEHAVING_DRIVER` (`file: "retrydrv:0"`) has this handler in any design.
   */
  readonly retryWithoutAllowRetry?: boolean;
}

/** The driver whose mappings have the misbehaving handler above (a VMA's `file` prefix). */
export const MISBEHAVING_DRIVER = "retrydrv";

/** Does a VMA with this backing `file` have the misbehaving vm_ops->fault? */
export function misbehavingFile(file: string | null | undefined): boolean {
  return file?.split(":")[0] === MISBEHAVING_DRIVER;
}
