// `check --out FILE`: one lockdrop.cex/1 file per violation. With one violation the
// file is FILE; with several, each gets the scenario and property before the
// extension (cex.json -> cex.hugetlb-uffd.no-freed-vma-use.json). An existing file is
// never overwritten without --force: then nothing is written and the exit code is 2.
import { existsSync, writeFileSync } from "node:fs";
import { dirname, extname, resolve } from "node:path";
import { setupFor } from "../engine/run.js";
import type { RowResult } from "../engine/verdicts.js";
import { scenarioById } from "../model/scenarios.js";
import type { Design } from "../model/step.js";
import { propertyById } from "../properties/index.js";
import type { Cex, ModuleRef } from "../reports/cex.js";
import { cexOfCounterexample, cexText } from "../reports/cex.js";
import { UsageError } from "./errors.js";

/** The file of each violated row, in row order (rows whose schedule does not replay are left out). */
export function cexOfRows(
  rows: readonly RowResult[],
  design: Design,
): { row: RowResult; cex: Cex }[] {
  const out: { row: RowResult; cex: Cex }[] = [];
  for (const row of rows) {
    const c = row.counterexample;
    const scenario = scenarioById(row.scenario);
    const property = propertyById(row.property);
    if (!c || !scenario || !property) continue;
    const cex = cexOfCounterexample(c, setupFor(design, scenario), property);
    if (cex) out.push({ row, cex });
  }
  return out;
}

export function targetName(out: string, cex: Cex, several: boolean): string {
  if (!several) return out;
  const ext = extname(out);
  const base = ext ? out.slice(0, -ext.length) : out;
  return `${base}.${cex.scenario}.${cex.property}${ext || ".json"}`;
}

/** Check the targets first, then write them all; returns the names written. */
export function writeCexFiles(
  files: readonly { cex: Cex }[],
  out: string,
  force: boolean,
  /** a user design's file relative to a directory (each file records it relative to its own) */
  moduleFrom?: (dir: string) => ModuleRef | undefined,
): string[] {
  const several = files.length > 1;
  const targets = files.map((f) => {
    const name = targetName(out, f.cex, several);
    const module = moduleFrom?.(dirname(resolve(name)));
    return { name, cex: module ? { ...f.cex, module } : f.cex };
  });
  const existing = targets.filter((t) => existsSync(t.name)).map((t) => t.name);
  if (existing.length && !force)
    throw new UsageError(
      `--out would overwrite ${existing.map((x) => `"${x}"`).join(", ")}; nothing was written. Pass --force to overwrite, or choose another --out name.`,
    );
  for (const t of targets) writeFileSync(t.name, cexText(t.cex));
  return targets.map((t) => t.name);
}
