// The built-in designs, in the order the matrix lists them.
import type { Design } from "../step.js";
import { gup, gupFixup } from "./gup.js";
import { mainline } from "./mainline.js";
import { mfillCopyDesign, mfillCopyNorevalidate } from "./mfill-copy.js";
import { mshv } from "./mshv.js";
import { mainlineNoReadRetry, v2IgnoresLocked, v2UnlockAfterDrop } from "./mutants.js";
import { rfc } from "./rfc.js";
import { v1 } from "./v1.js";
import { v1HugetlbDrop } from "./v1-hugetlb-drop.js";
import { v1HugetlbHold } from "./v1-hugetlb-hold.js";
import { v2 } from "./v2.js";
import { v5 } from "./v5.js";
import { v8 } from "./v8.js";
import { vmaLockFault, vmaLockFaultPre, vmaLockNowait } from "./vma-lock-fault.js";

export const DESIGNS: readonly Design[] = [
  mainline,
  rfc,
  v1,
  v1HugetlbDrop,
  v1HugetlbHold,
  mshv,
  v2,
  v5,
  v8,
  gup,
  gupFixup,
  vmaLockFault,
  vmaLockFaultPre,
  mfillCopyDesign,
  mfillCopyNorevalidate,
  v2IgnoresLocked,
  mainlineNoReadRetry,
  v2UnlockAfterDrop,
  vmaLockNowait,
];

export function designById(id: string): Design | undefined {
  return DESIGNS.find((d) => d.id === id);
}
