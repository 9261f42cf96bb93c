// `check --out FILE`: one lockdrop.cex/1 file per violation. With one violation the
// file is FILE; with several, each gets the scenario and property before the
// extension (cex.json -> cex.hugetlb-uffd.no-freed-vma-use.json). An existing file is
// never overwritten without --force: then nothing is written and the exit code is 2.
import {
  accessSync,
  constants,
  existsSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { dirname, extname, join, resolve } from "node:path";
import { setupFor } from "../engine/run.js";
import type { RowResult } from "../engine/verdicts.js";
import { scenarioById } from "../model/scenarios.js";
import type { Design } from "../model/step.js";
import { propertyById } from "../properties/index.js";
import type { Cex, ModuleRef } from "../reports/cex.js";
import { cexOfCounterexample, cexText } from "../reports/cex.js";
import { UsageError } from "./errors.js";
import { notADirectory } from "./out-dir.js";

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

/**
 * Before the run: can `--out` be written? Its directory must exist and be writable,
 * and without `--force` neither the file nor any name it may take for several
 * violations (`candidates`: scenario and property pairs) may exist. A problem is a
 * UsageError (exit 2) before anything is explored.
 */
export function checkOutTarget(
  out: string,
  candidates: readonly { readonly scenario: string; readonly property: string }[],
  force: boolean,
): void {
  const dir = dirname(resolve(out));
  const why = notADirectory(dir);
  if (why !== null)
    throw new UsageError(
      `--out ${out}: ${dir} ${why}, so the counterexample could not be written there; nothing was run. Fix: ${why === "does not exist" ? "create the directory, or choose another --out path" : "choose an --out path in a directory"}.`,
    );
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    throw new UsageError(
      `--out ${out}: the directory ${dir} is not writable; nothing was run. Fix: choose another --out path.`,
    );
  }
  if (existsSync(out) && statSync(out).isDirectory())
    throw new UsageError(
      `--out ${out} is a directory; nothing was run. Fix: give a file name, e.g. --out ${join(out, "cex.json")}.`,
    );
  if (existsSync(out) && !statSync(out).isFile())
    throw new UsageError(
      `--out ${out} is not a regular file (a device or a socket), and a counterexample replaces its target; nothing was run. Fix: give the path of a file.`,
    );
  if (force) return;
  const names = [
    out,
    ...candidates.map((c) =>
      targetName(out, { scenario: c.scenario, property: c.property } as Cex, true),
    ),
  ];
  const existing = names.filter((n) => existsSync(n));
  if (existing.length)
    throw new UsageError(
      `--out would overwrite ${existing.map((x) => `"${x}"`).join(", ")}; nothing was run or written. Pass --force to overwrite, or choose another --out name.`,
    );
}

/** Write `text` to `name` atomically: a temporary file beside it, then a rename. */
export function writeAtomic(name: string, text: string): void {
  const tmp = `${name}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, name);
  } catch (e) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // the temporary file could not be removed either; the target is untouched
    }
    throw e;
  }
}

/** A write that failed after the run: the verdicts are printed, the exit code is 5. */
export class WriteError extends Error {}

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
  for (const t of targets)
    try {
      writeAtomic(t.name, cexText(t.cex));
    } catch (e) {
      throw new WriteError(
        `could not write ${t.name}: ${(e as Error).message}. The verdicts above are complete; any earlier file of that name is untouched. Fix: free space or choose another --out path, and run again.`,
      );
    }
  return targets.map((t) => t.name);
}
