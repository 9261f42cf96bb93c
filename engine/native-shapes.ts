// Values that came from another thread (by structured clone), rebuilt with the shapes
// this thread's own code gives them. V8 gives an object a hidden class (a map) by how
// it was made: an object literal `{ a, b }` and JSON.parse share one, but an object the
// structured-clone deserializer makes has another, and so has every object spread from
// it. Code optimised for the one deoptimises when it meets the other ("wrong map") and
// is compiled again; a thread of the parallel search that worked on cloned worlds did
// so hundreds of times, on two cores where the compiler's threads take from the
// searching ones. Rebuilt here by an object literal of the same keys in the same order
// (one small compiled builder per list of keys, as engine/world-table.ts compiles the
// world's), an object gets the map a literal of those keys has. Strings likewise: the
// deserializer's are not internalized, as every string literal of the model is, and
// code that compares a status's `kind` with a literal deoptimises on them ("wrong
// instance type"); a property name is internalized, so a string is taken back as one.

type Builder = (values: readonly unknown[]) => Record<string, unknown>;

const builders = new Map<string, Builder>();

/** strings met so far, each as the one internalized string of its text */
const strings = new Map<string, string>();

/** `s` as the internalized string of its text (a property name always is one). */
function internalized(s: string): string {
  let i = strings.get(s);
  if (i === undefined) {
    i = Object.keys({ [s]: 0 })[0] as string;
    // (a world's strings are names, labels and kinds, a few hundred; a design whose
    // strings keep changing only loses the remembering)
    if (strings.size >= 1 << 16) strings.clear();
    strings.set(i, i);
  }
  return i;
}

function builderFor(keys: readonly string[]): Builder {
  const sig = keys.join("\u0000");
  let b = builders.get(sig);
  if (b === undefined) {
    // (a key "__proto__" written plainly in a literal would set the prototype, not
    // define the property that a local of that name is: it is written computed)
    const body = keys
      .map((k, i) => `${k === "__proto__" ? `["__proto__"]` : JSON.stringify(k)}: v[${i}]`)
      .join(", ");
    b = new Function("v", `return { ${body} };`) as Builder;
    builders.set(sig, b);
  }
  return b;
}

/**
 * `v` rebuilt with literal shapes, deeply: plain objects by an object literal of their
 * keys, arrays as new arrays, strings internalized; other values as they are. An
 * object met twice (shared within `v`, or with an earlier call given the same `seen`)
 * is rebuilt once and shared.
 */
export function nativeShapes<T>(v: T, seen: Map<object, unknown> = new Map()): T {
  if (typeof v === "string") return internalized(v) as T;
  if (typeof v !== "object" || v === null) return v;
  const had = seen.get(v);
  if (had !== undefined) return had as T;
  if (Array.isArray(v)) {
    const out: unknown[] = [];
    seen.set(v, out);
    for (let i = 0; i < v.length; i++) out.push(nativeShapes(v[i], seen));
    return out as T;
  }
  if (Object.getPrototypeOf(v) !== Object.prototype) return v;
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o);
  const values: unknown[] = new Array(keys.length);
  for (let i = 0; i < keys.length; i++) values[i] = nativeShapes(o[keys[i] as string], seen);
  const out = builderFor(keys)(values);
  seen.set(v, out);
  return out as T;
}
