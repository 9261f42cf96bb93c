// Where a result file is to go: its directory must exist and be one.
import { existsSync, statSync } from "node:fs";

/** Why `dir` cannot hold a new file ("does not exist", "is a file, not a directory"), or null. */
export function notADirectory(dir: string): string | null {
  if (!existsSync(dir)) return "does not exist";
  return statSync(dir).isDirectory() ? null : "is a file, not a directory";
}
