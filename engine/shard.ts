// Shard i/n of an exhaustive search (README "Shards"). Every shard searches breadth
// first, with the search's own reductions, every state up to k steps from the initial
// one (the "prefixes": the schedule to each state first reached at depth k). At depth k
// shard i keeps the states whose schedule hashes to i - 1 modulo n and searches on from
// them; a state another shard took is expanded here only if this shard reaches it
// again from below, so two shards may explore a state twice. Everything reachable from
// a shard's own prefixes is in its graph, with the depths of the unsharded search:
//   - a shortest counterexample longer than k passes through a state at depth k, which
//     some shard keeps, and that shard finds it at the same length;
//   - a shortest lasso's loop is reachable from its first state: the shard that keeps
//     the depth-k state of its stem (or, for a stem shorter than k, of its loop) has
//     the whole loop, at the same depth.
// Every shard finds the violations no longer than k; merge keeps the shortest.
import type { Property } from "../properties/property.js";
import type { ExhaustiveOptions, ExhaustiveResult } from "./exhaustive.js";
import { exploreExhaustive } from "./exhaustive.js";
import type { ShardSpec } from "./random.js";
import type { Choice, Setup } from "./run.js";
import type { RowResult } from "./verdicts.js";

/** The prefix length when `--shard-depth` is not given. */
export const DEFAULT_SHARD_DEPTH = 8;

/** FNV-1a over the schedule's choices: the same shard for a prefix on every machine. */
export function prefixHash(schedule: readonly Choice[]): number {
  let h = 0x811c9dc5;
  for (const c of schedule)
    for (const v of [c.t, c.p ?? 0, -1]) {
      h ^= v & 0xff;
      h = Math.imul(h, 0x01000193);
      h ^= (v >>> 8) & 0xff;
      h = Math.imul(h, 0x01000193);
    }
  return h >>> 0;
}

/** Does shard `shard` take this prefix? */
export function takes(shard: ShardSpec, prefix: readonly Choice[]): boolean {
  return prefixHash(prefix) % shard.count === shard.index - 1;
}

export function exploreShard(
  setup: Setup,
  props: readonly Property[],
  opts: ExhaustiveOptions,
  shard: ShardSpec,
  /** prefix length */
  k: number,
): ExhaustiveResult {
  return exploreExhaustive(setup, props, {
    ...opts,
    shard: { at: k, takes: (schedule) => takes(shard, schedule) },
  });
}

/**
 * The rows of one random search computed as `parts.length` shards of its run indices
 * (`--workers`: one shard per worker), joined into the rows the search run whole gives:
 * a violated row is the one shrunk from the failing run with the lowest index (as one
 * worker would have found it first), a row holds over the runs of every part, and a row
 * some part left unknown stays unknown. The result does not depend on how many parts.
 */
export function joinRunShards(parts: readonly (readonly RowResult[])[]): RowResult[] {
  const first = parts[0] ?? [];
  return first.map((row, j) => {
    const same = parts.map((p) => p[j] as RowResult);
    const runs = same.reduce((n, r) => n + r.runs, 0);
    const violated = same
      .filter((r) => r.verdict === "violated")
      .sort(
        (a, b) =>
          (a.counterexample?.runIndex ?? Number.MAX_SAFE_INTEGER) -
          (b.counterexample?.runIndex ?? Number.MAX_SAFE_INTEGER),
      );
    const pick = violated[0] ?? same.find((r) => r.verdict === "unknown") ?? row;
    if (pick.verdict === "n/a") return pick;
    return {
      ...pick,
      runs,
      ...(pick.strength.kind === "random" ? { strength: { ...pick.strength, runs } } : {}),
    };
  });
}
