// Bad input: one paragraph that names the problem and the fix, exit code 2, and no
// stack trace unless --debug.
export class UsageError extends Error {}

export const DEFAULT_RUNS = 1000;
export const DEFAULT_SEED = 1;

export function known(kind: string, id: string, all: readonly string[], hint: string): UsageError {
  return new UsageError(`unknown ${kind} "${id}". Known ${kind}s: ${all.join(", ")}. ${hint}`);
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
        `${name} must be between ${min.toLocaleString("en-US")} and ${max.toLocaleString("en-US")}, got ${v}${n < min && min > 0 && n <= 0 ? ` (${name} ${n} would ${name === "--runs" ? "run no schedule" : "explore nothing"} and prove nothing)` : ""}. Example: ${name} ${example}.`,
      );
    return n;
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
