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
