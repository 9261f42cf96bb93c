// Bad input: one paragraph that names the problem and the fix, exit code 2, and no
// stack trace unless --debug.
import { didYouMean } from "../reports/did-you-mean.js";

export class UsageError extends Error {}

export const DEFAULT_RUNS = 1000;
export const DEFAULT_SEED = 1;

export function known(kind: string, id: string, all: readonly string[], hint: string): UsageError {
  const kinds = kind.endsWith("y") ? `${kind.slice(0, -1)}ies` : `${kind}s`;
  return new UsageError(
    `unknown ${kind} "${id}"${didYouMean(id, all)}. Known ${kinds}: ${all.join(", ")}. ${hint}`,
  );
}

/**
 * The range each numeric option accepts: 0 runs or depth 0 would report "holds" having
 * explored nothing, and an absurd value (--pct 1000000) would hang or exhaust memory.
 */
export const LIMITS: Readonly<
  Record<string, readonly [min: number, max: number, example: number]>
> = {
  "--runs": [1, 10_000_000, 2000],
  "--depth": [1, 100_000, 200],
  "--pct": [1, 50, 3],
  "--shortest": [1, 100_000_000, 200_000],
  "--max-states": [1, 1_000_000_000, 1_000_000],
  "--max-memory": [64, 1_048_576, 4096],
  "--preemptions": [0, 1000, 2],
  "--workers": [1, 256, 2],
  "--shard-depth": [1, 1000, 8],
  // seconds a step of a design file may run before it is stopped (0 would stop every step)
  "--step-timeout": [1, 3600, 30],
};

/** What a value below an option's least would do, said where the user gives one. */
const BELOW_LEAST: Readonly<Record<string, string>> = {
  "--runs": "run no schedule and prove nothing",
  "--depth": "explore no step and prove nothing",
  "--pct": "give PCT no bug depth to schedule for",
  "--shortest": "search no state for a shorter counterexample",
  "--max-states": "stop before the first state and prove nothing",
  "--workers": "leave no thread to run the search on",
  "--shard-depth": "deal out no schedule prefix to the shards",
  "--step-timeout": "stop every step as soon as it starts",
};

/** A whole number within the option's range (LIMITS), or a UsageError saying which range. */
export function parseCount(name: string) {
  const [min, max, example] = LIMITS[name] ?? [0, Number.MAX_SAFE_INTEGER, 10];
  return (v: string): number => {
    const n = /^\s*[+-]?\d+\s*$/.test(v) ? Number(v) : Number.NaN;
    if (!Number.isSafeInteger(n))
      throw new UsageError(
        `${name} must be a whole number, got "${v}". Example: ${name} ${example}.`,
      );
    if (n < min || n > max)
      throw new UsageError(
        `${name} must be between ${min.toLocaleString("en-US")} and ${max.toLocaleString("en-US")}, got ${v}${n < min && min > 0 && n <= 0 && BELOW_LEAST[name] !== undefined ? ` (${name} ${n} would ${BELOW_LEAST[name]})` : ""}. Example: ${name} ${example}.`,
      );
    return n;
  };
}

/**
 * An option that names a file (`--out`, `--shard-out`, `--design-file`): an empty name
 * (an unset shell variable) is refused, where it would otherwise be taken for no option
 * and the file silently not written or not read.
 */
export function parseFileName(name: string) {
  return (v: string): string => {
    if (v.trim() === "")
      throw new UsageError(
        `${name} needs a file name, and got an empty one (an unset shell variable?), so ${name === "--design-file" ? "no design file would be read" : "nothing would be written"}. Fix: give a path, as in ${name} ${name === "--design-file" ? "./my-design.ts" : name === "--shard-out" ? "shard-1.json" : "cex.json"}, or drop the option.`,
      );
    return v;
  };
}

/** fast-check seeds are 32-bit integers. */
export function parseSeed(v: string): number {
  const n = /^\s*[+-]?\d+\s*$/.test(v) ? Number(v) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < -(2 ** 31) || n >= 2 ** 31)
    throw new UsageError(
      `--seed must be an integer between -2147483648 and 2147483647, got "${v}". Example: --seed 42.`,
    );
  return n;
}

/** `--shard i/n`: shard i (1-based) of n, 1 <= i <= n <= 10,000. */
export function parseShard(v: string): { index: number; count: number } {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(v);
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || !Number.isSafeInteger(index) || !Number.isSafeInteger(count))
    throw new UsageError(
      `--shard must be i/n, shard i of n counting from 1, got "${v}". Example: --shard 2/4 runs the second of four shards; \`lockdrop merge\` joins their --shard-out files.`,
    );
  if (count < 1 || count > 10_000 || index < 1 || index > count)
    throw new UsageError(
      `--shard ${v.trim()} names no shard: i must be between 1 and n, and n between 1 and 10,000 (shards count from 1). Example: --shard 1/${Math.min(Math.max(count, 2), 10_000)} for the first of ${Math.min(Math.max(count, 2), 10_000)}.`,
    );
  return { index, count };
}
