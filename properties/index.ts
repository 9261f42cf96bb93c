// The property registry, in the order the matrix lists them.
import { faultFlagsLegal } from "./faults.js";
import { noCowOnReadonly, sentinelContainment, zeroUnlockedNotSuccess } from "./hmm-api.js";
import { noHugetlbLockAcrossDrop } from "./hugetlb.js";
import { fatalSignalEndsLoop, noDeadlock, noRetryLivelock } from "./liveness.js";
import { lockBalance, noSleepInAtomic } from "./locks.js";
import { pfnsUnderValidSeq, walkRestartsOnEbusy } from "./notifier.js";
import { uffdFaultCompletes } from "./progress.js";
import type { Property } from "./property.js";
import { uffdCopyRevalidates } from "./uffd.js";
import { noFreedVmaUse, noVmaUseAfterUnlock } from "./vma.js";

export const PROPERTIES: readonly Property[] = [
  noVmaUseAfterUnlock,
  noFreedVmaUse,
  noHugetlbLockAcrossDrop,
  lockBalance,
  walkRestartsOnEbusy,
  pfnsUnderValidSeq,
  uffdFaultCompletes,
  zeroUnlockedNotSuccess,
  noCowOnReadonly,
  sentinelContainment,
  faultFlagsLegal,
  uffdCopyRevalidates,
  noDeadlock,
  fatalSignalEndsLoop,
  noRetryLivelock,
  noSleepInAtomic,
];

export function propertyById(id: string): Property | undefined {
  return PROPERTIES.find((p) => p.id === id);
}
