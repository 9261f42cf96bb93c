// Return codes as the kernel spells them, and HMM's private sentinels (mm/hmm.c v2+).
export const EPERM = -1;
export const ENOENT = -2;
export const EINTR = -4;
export const EAGAIN = -11;
export const EFAULT = -14;
export const EBUSY = -16;
export const EEXIST = -17;
export const EINVAL = -22;
export const ENOLCK = -37;

/** v2 patch 1: a walk callback found something to fault (defined as -EAGAIN). */
export const HMM_FAULT_PENDING = EAGAIN;
/** v2 patch 2: hmm_do_fault() dropped the mmap lock (defined as -ENOLCK). */
export const HMM_FAULT_UNLOCKED = ENOLCK;

const names: Record<number, string> = {
  0: "0",
  [EPERM]: "-EPERM",
  [ENOENT]: "-ENOENT",
  [EINTR]: "-EINTR",
  [EAGAIN]: "-EAGAIN",
  [EFAULT]: "-EFAULT",
  [EBUSY]: "-EBUSY",
  [EEXIST]: "-EEXIST",
  [EINVAL]: "-EINVAL",
  [ENOLCK]: "-ENOLCK",
};

export function errnoName(n: number): string {
  return names[n] ?? String(n);
}
