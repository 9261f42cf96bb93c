// Shard i/n of an exhaustive search (README "Shards"). Every shard enumerates, breadth
// first and with the search's own reductions, every state k steps from the initial one
// (the "prefixes": the schedule to each state at depth k that can still step). Shard i
// takes the prefixes whose schedule hashes to i - 1 modulo n and searches on from their
// end states with a visited set of its own, so two shards may explore a state twice.
// Violations no longer than k are found by the enumeration itself; only shard 1 reports
// them. A shortest counterexample longer than k passes through a state at depth k, which
// some shard starts from: the shortest over all shards is the unsharded search's.
import type { Property } from "../properties/property.js";
import type {
  ExhaustiveCounterexample,
  ExhaustiveOptions,
  ExhaustiveResult,
} from "./exhaustive.js";
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
  /** prefix length; capped at the depth bound */
  k: number,
): ExhaustiveResult {
  const prefixDepth = Math.min(k, opts.depth);
  const head = exploreExhaustive(setup, props, {
    ...opts,
    depth: prefixDepth,
    keepBoundary: true,
  });
  // stopped in the enumeration: no shard can say which prefixes it would have had
  if (head.stoppedBy !== null)
    return shard.index === 1 ? head : { ...head, counterexamples: new Map() };
  const roots = (head.boundary ?? []).filter((p) => takes(shard, p));
  const tail =
    prefixDepth < opts.depth && roots.length > 0
      ? exploreExhaustive(setup, props, { ...opts, roots })
      : null;
  const found = new Map<string, ExhaustiveCounterexample>(tail ? tail.counterexamples : new Map());
  if (shard.index === 1)
    for (const [id, c] of head.counterexamples) {
      const other = found.get(id);
      if (!other || c.schedule.length <= other.schedule.length) found.set(id, c);
    }
  // the prefixes below the depth bound were handed on; only those at the bound stay a frontier
  const headFrontier = prefixDepth < opts.depth ? 0 : head.frontier;
  const states = head.states + (tail?.states ?? 0);
  return {
    states,
    transitions: head.transitions + (tail?.transitions ?? 0),
    depth: Math.max(head.depth, tail?.depth ?? 0),
    complete: (tail?.complete ?? true) && headFrontier === 0,
    stoppedBy: tail?.stoppedBy ?? null,
    frontier: headFrontier + (tail?.frontier ?? 0),
    ms: head.ms + (tail?.ms ?? 0),
    omissionProbability:
      head.omissionProbability === null
        ? null
        : Math.min(1, head.omissionProbability + (tail?.omissionProbability ?? 0)),
    counterexamples: found,
  };
}
