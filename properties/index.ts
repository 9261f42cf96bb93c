// The property registry, in the order the matrix lists them.
import { noHugetlbLockAcrossDrop } from "./hugetlb.js";
import { lockBalance } from "./locks.js";
import { pfnsUnderValidSeq, walkRestartsOnEbusy } from "./notifier.js";
import { uffdFaultCompletes } from "./progress.js";
import type { Property } from "./property.js";
import { noFreedVmaUse, noVmaUseAfterUnlock } from "./vma.js";

export const PROPERTIES: readonly Property[] = [
  noVmaUseAfterUnlock,
  noFreedVmaUse,
  noHugetlbLockAcrossDrop,
  lockBalance,
  walkRestartsOnEbusy,
  pfnsUnderValidSeq,
  uffdFaultCompletes,
];

export function propertyById(id: string): Property | undefined {
  return PROPERTIES.find((p) => p.id === id);
}
