// Bad input: one paragraph that names the problem and the fix, exit code 2, and no
// stack trace unless --debug.
export class UsageError extends Error {}

export const DEFAULT_RUNS = 1000;
export const DEFAULT_SEED = 1;

export function known(kind: string, id: string, all: readonly string[], hint: string): UsageError {
  return new UsageError(`unknown ${kind} "${id}". Known ${kind}s: ${all.join(", ")}. ${hint}`);
}

export function parseCount(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0)
      throw new UsageError(`${name} must be a whole number, got "${v}". Example: ${name} 2000.`);
    return n;
  };
}

export function parseSeed(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n))
    throw new UsageError(`--seed must be an integer, got "${v}". Example: --seed 42.`);
  return n;
}
