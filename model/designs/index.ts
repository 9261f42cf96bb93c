// The built-in designs, in the order the matrix lists them.
import type { Design } from "../step.js";
import { mainline } from "./mainline.js";
import { v1HugetlbDrop } from "./v1-hugetlb-drop.js";
import { v2 } from "./v2.js";

export const DESIGNS: readonly Design[] = [mainline, v1HugetlbDrop, v2];

export function designById(id: string): Design | undefined {
  return DESIGNS.find((d) => d.id === id);
}
