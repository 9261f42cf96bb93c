// The property registry, in the order the matrix lists them.

import { BUILT_IN, type Registry, registry } from "../model/registry.js";
import { faultAddrInVma, faultFlagsLegal } from "./faults.js";
import { noCowOnReadonly, sentinelContainment, zeroUnlockedNotSuccess } from "./hmm-api.js";
import { noHugetlbLockAcrossDrop } from "./hugetlb.js";
import { fatalSignalEndsLoop, noDeadlock, noRetryLivelock } from "./liveness.js";
import { lockBalance, noSleepInAtomic } from "./locks.js";
import { devicePrivateOwner, migrationEntryNotValid } from "./migrate.js";
import { notifierStartEndPaired, pfnsUnderValidSeq, walkRestartsOnEbusy } from "./notifier.js";
import { noPgtableUseAfterFree, noSleepWithPteMapped } from "./pgtable.js";
import { uffdFaultCompletes } from "./progress.js";
import type { Property } from "./property.js";
import { pmdDecisionCurrent } from "./thp.js";
import {
  callerDeadlineBoundsCall,
  condReschedTerminates,
  condReschedTerminatesRt,
  retryOnlyWithAllowRetry,
  timeoutBoundsNotifierRetries,
  workerCallEnds,
  workerUffdWaitEnds,
} from "./time.js";
import { uffdCopyFolioPut, uffdCopyRevalidates } from "./uffd.js";
import { noFreedVmaUse, noVmaUseAfterUnlock, vmaFieldUnderLock, vmaOfOwnMm } from "./vma.js";

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
  uffdCopyFolioPut,
  noDeadlock,
  fatalSignalEndsLoop,
  noRetryLivelock,
  noSleepInAtomic,
  faultAddrInVma,
  // the v8 series' timeouts and its lock-drop contract (properties/time.ts)
  callerDeadlineBoundsCall,
  timeoutBoundsNotifierRetries,
  condReschedTerminates,
  condReschedTerminatesRt,
  workerCallEnds,
  workerUffdWaitEnds,
  retryOnlyWithAllowRetry,
  // notifiers (properties/notifier.ts)
  notifierStartEndPaired,
  // THP at PMD level (properties/thp.ts)
  pmdDecisionCurrent,
  // page tables (properties/pgtable.ts)
  noPgtableUseAfterFree,
  noSleepWithPteMapped,
  // VMA objects: the lock of each field, and VMAs of another mm (properties/vma.ts)
  vmaFieldUnderLock,
  vmaOfOwnMm,
  // migration entries (properties/migrate.ts)
  migrationEntryNotValid,
  devicePrivateOwner,
];

/** Every property that can be named: the built-ins, then those of loaded user modules. */
export const propertyRegistry: Registry<Property> = registry<Property>("property");
for (const p of PROPERTIES) propertyRegistry.add(p, BUILT_IN);

export function propertyById(id: string): Property | undefined {
  return propertyRegistry.get(id);
}
