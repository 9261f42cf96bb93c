// How rows are computed from the exploration flags `check`, `matrix` and the matrix
// workers share: random schedules (default) or the exhaustive breadth-first engine.
import type { Scenario } from "../model/scenarios.js";
import type { Design } from "../model/step.js";
import type { Property } from "../properties/property.js";
import type { ExhaustiveOptions } from "./exhaustive.js";
import type { SetupSource } from "./pair-source.js";
import type { ShardSpec } from "./random.js";
import type { RowResult } from "./verdicts.js";
import { exhaustiveRows, verdictRows } from "./verdicts.js";

export const DEFAULT_SHORTEST_STATES = 100_000;

export interface ExplorationFlags {
  readonly runs: number;
  readonly seed: number;
  readonly pct?: number;
  /** true (default bound) or a bound on the states of the breadth-first search; false: off */
  readonly shortest?: number | boolean;
  readonly exhaustive?: boolean;
  /** exhaustive: the depth bound; none by default (the search runs to completion) */
  readonly depth?: number;
  readonly maxStates?: number;
  readonly maxMemory?: number;
  readonly hashCompact?: boolean;
  readonly preemptions?: number;
  readonly sleepSets?: boolean;
  readonly persistentSets?: boolean;
  /** this shard of the search only (README "Shards") */
  readonly shard?: ShardSpec;
  /** exhaustive shards: the length of the prefixes dealt out (engine/shard.ts) */
  readonly shardDepth?: number;
  /**
   * exhaustive: the threads one search runs on (engine/exhaustive-parallel.ts); 1 or
   * absent: this thread alone
   */
  readonly searchWorkers?: number;
  /** each further search thread's heap limit, in MiB */
  readonly searchHeapMiB?: number;
}

/**
 * `onProgress`: where the breadth-first searches report depth and states (the CLI's bar).
 * `source`: how another thread loads the pair again, for a search on several threads.
 */
export function rowsFor(
  o: ExplorationFlags,
  onProgress?: ExhaustiveOptions["onProgress"],
  source?: SetupSource,
): (d: Design, s: Scenario, props: readonly Property[]) => RowResult[] {
  const shortest = o.shortest === true ? DEFAULT_SHORTEST_STATES : o.shortest || undefined;
  const progress = o.exhaustive || shortest !== undefined ? onProgress : undefined;
  if (!o.exhaustive)
    return (d, s, props) =>
      verdictRows(d, s, props, {
        runs: o.runs,
        seed: o.seed,
        ...(o.pct !== undefined ? { pct: o.pct } : {}),
        ...(shortest !== undefined ? { shortest } : {}),
        ...(progress ? { onProgress: progress } : {}),
        ...(o.shard ? { shard: o.shard } : {}),
      });
  const shard = o.shard
    ? { spec: o.shard, ...(o.shardDepth !== undefined ? { depth: o.shardDepth } : {}) }
    : undefined;
  return (d, s, props) =>
    exhaustiveRows(
      d,
      s,
      props,
      {
        depth: o.depth ?? Number.POSITIVE_INFINITY,
        ...(o.maxStates !== undefined ? { maxStates: o.maxStates } : {}),
        ...(o.maxMemory !== undefined ? { maxMemoryMiB: o.maxMemory } : {}),
        ...(o.preemptions !== undefined ? { preemptions: o.preemptions } : {}),
        hashCompact: o.hashCompact === true,
        sleepSets: o.sleepSets === true,
        persistentSets: o.persistentSets === true,
        ...(progress ? { onProgress: progress } : {}),
      },
      shard,
      source && (o.searchWorkers ?? 1) > 1
        ? {
            workers: o.searchWorkers as number,
            source,
            ...(o.searchHeapMiB !== undefined ? { heapMiB: o.searchHeapMiB } : {}),
          }
        : undefined,
    );
}
