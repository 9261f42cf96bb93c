// Growing the typed arrays the searches keep their tables in (the visited set's kept
// part ids, hash lanes, the tree, the lasso graph, the persistent sets' caches): a
// longer array of the same kind with the old contents first.

type Growable = Int32Array | Int16Array | Uint8Array;

/** `a`'s contents in a new array of its kind, twice as long or `atLeast` long, whichever is more. */
export function grown<T extends Growable>(a: T, atLeast = 0): T {
  const b = new (a.constructor as new (n: number) => T)(Math.max(2 * a.length, atLeast));
  (b as Int32Array).set(a);
  return b;
}
