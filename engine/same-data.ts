// Deep equality of the world's plain data (arrays, plain objects, primitives), for the
// draft (engine/draft.ts): a step copies a part the first time it touches it, reads
// included, and a part it only read comes out equal to the input's, which the new
// world then shares instead of the copy.

/**
 * `a` and `b` hold the same plain data: equal primitives, or arrays (objects) of the
 * same length (own keys) with the same data at each index (key). A key whose value is
 * undefined counts as a key, so an object that lacks it differs (the draft then keeps
 * its copy, which is only a missed saving).
 */
export function sameData(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameData(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  let n = 0;
  for (const k in x) {
    if (!Object.hasOwn(y, k) || !sameData(x[k], y[k])) return false;
    n++;
  }
  for (const _ in y) n--;
  return n === 0;
}
