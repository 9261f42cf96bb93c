// `--shard-out FILE` of check and matrix: the rows of this shard as a lockdrop.shard/1
// file (reports/shard.ts) for `lockdrop merge`. The target is checked before the search
// (a missing directory is exit 2, before anything is explored); it replaces an earlier
// shard file only with --force, and never another file. A write that fails after the search is exit 5, with the
// verdicts already printed.
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { DEFAULT_SHARD_DEPTH } from "../engine/shard.js";
import type { RowResult } from "../engine/verdicts.js";
import type { Design } from "../model/step.js";
import type { ShardOptions } from "../reports/shard.js";
import { SHARD_SCHEMA, shardFileOf, shardText } from "../reports/shard.js";
import { UsageError } from "./errors.js";
import { notADirectory } from "./out-dir.js";

/** The flags of cli/exploration.ts that a shard file records. */
export interface ShardFlags {
  readonly seed: number;
  readonly runs: number;
  readonly pct?: number;
  readonly shortest?: number | boolean;
  readonly exhaustive?: boolean;
  readonly depth: number;
  readonly maxStates?: number;
  readonly maxMemory?: number;
  readonly hashCompact?: boolean;
  readonly preemptions?: number;
  readonly sleepSets?: boolean;
  readonly persistentSets?: boolean;
  readonly shard?: { readonly index: number; readonly count: number };
  readonly shardDepth?: number;
  readonly shardOut?: string;
}

/** Before the search: can FILE be written, and is it new, or an earlier shard file and --force given? */
export function checkShardTarget(file: string, force: boolean): void {
  const dir = dirname(resolve(file));
  const why = notADirectory(dir);
  if (why !== null)
    throw new UsageError(
      `--shard-out ${file}: ${dir} ${why}. Fix: ${why === "does not exist" ? "create it first, or name a file in an existing directory" : "name a file in a directory"}.`,
    );
  if (!existsSync(file)) return;
  let schema: unknown;
  try {
    schema = (JSON.parse(readFileSync(file, "utf8")) as { schema?: unknown }).schema;
  } catch {
    schema = undefined;
  }
  if (schema !== SHARD_SCHEMA)
    throw new UsageError(
      `--shard-out ${file}: that file exists and is not a ${SHARD_SCHEMA} file; it is never overwritten. Fix: name another file, or remove it first.`,
    );
  if (!force)
    throw new UsageError(
      `--shard-out ${file}: that shard file exists, from an earlier search; it is replaced only with --force. Fix: add --force to replace it, or name another file.`,
    );
}

function optionsOf(o: ShardFlags): ShardOptions {
  const ex = o.exhaustive === true;
  return {
    mode: ex ? "exhaustive" : "random",
    seed: o.seed,
    runs: o.runs,
    ...(!ex && o.pct !== undefined ? { pct: o.pct } : {}),
    ...(!ex && o.shortest !== undefined ? { shortest: o.shortest } : {}),
    ...(ex ? { depth: o.depth } : {}),
    ...(ex && o.maxStates !== undefined ? { maxStates: o.maxStates } : {}),
    ...(o.maxMemory !== undefined ? { maxMemory: o.maxMemory } : {}),
    ...(ex && o.hashCompact ? { hashCompact: true } : {}),
    ...(ex && o.preemptions !== undefined ? { preemptions: o.preemptions } : {}),
    ...(ex && o.sleepSets ? { sleepSets: true } : {}),
    ...(ex && o.persistentSets ? { persistentSets: true } : {}),
  };
}

/**
 * Write the shard file if `--shard-out` asked for one: true when written (or not asked),
 * false when the write failed (the message is printed; the caller exits 5).
 */
export function writeShardOut(
  o: ShardFlags,
  what: {
    readonly command: "check" | "matrix";
    readonly designs: readonly Design[];
    readonly scenarios: readonly string[];
    readonly properties: readonly string[];
    readonly rows: readonly RowResult[];
  },
): boolean {
  if (!o.shardOut) return true;
  const file = shardFileOf({
    ...what,
    options: optionsOf(o),
    shardDepth: o.exhaustive ? (o.shardDepth ?? DEFAULT_SHARD_DEPTH) : null,
    shard: o.shard ?? { index: 1, count: 1 },
  });
  const tmp = `${o.shardOut}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, shardText(file));
    renameSync(tmp, o.shardOut);
  } catch (e) {
    console.error(
      `lockdrop: could not write the shard file ${o.shardOut} (${(e as Error).message}); the verdicts above stand. Fix: free space or fix permissions, and run this shard again.`,
    );
    return false;
  }
  console.error(`wrote ${o.shardOut}`);
  return true;
}
