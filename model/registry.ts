// Registries of what can be named on a command line or in a test: designs, scenarios,
// actors and properties. The built-ins are added exactly as a user's entries are
// (`register`), when their modules load; a user's are added when the module that
// declares them is loaded (a design file, `lockdrop/vitest`'s checkDesign), in every
// process and worker that loads it. An id names one entry: adding a different entry
// under a taken id is refused, adding the same entry again (a module loaded twice) is
// not.

/** What an id that a command line names may be: letters, digits, ".", "_" and "-". */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** The message for an id that is not ID_PATTERN: `name` the entry, `shown` the id given. */
export function badIdMessage(name: string, shown: string, kind: string): string {
  return `${name}: the id must be letters, digits, ".", "_" and "-" (got ${shown}). Fix: give it an id such as "my-${kind}".`;
}

export interface Entry {
  readonly id: string;
}

/**
 * `instanceof` that holds across copies of lockdrop in one process (see `registry`): a
 * class branded with `Symbol.for(name)` recognises an instance made by any copy.
 */
export function branded(name: string): {
  readonly brand: symbol;
  readonly hasInstance: (x: unknown) => boolean;
} {
  const brand = Symbol.for(`lockdrop.${name}`);
  return {
    brand,
    hasInstance: (x) => typeof x === "object" && x !== null && brand in x,
  };
}

const DUPLICATE = branded("DuplicateIdError");

export class DuplicateIdError extends Error {
  readonly [DUPLICATE.brand] = true;
  static override [Symbol.hasInstance](x: unknown): boolean {
    return DUPLICATE.hasInstance(x);
  }
  constructor(
    readonly kind: string,
    readonly id: string,
    readonly firstFrom: string,
    readonly from: string,
  ) {
    super(
      `the ${kind} id "${id}" is already taken by the ${kind} from ${firstFrom}. Fix: give the ${kind} from ${from} an id of its own, e.g. "${id}-mine".`,
    );
  }
}

export interface Registry<T extends Entry> {
  /** "design", "scenario", "actor" or "property", for messages */
  readonly kind: string;
  /** Add `entry`, declared in `from` (a file, or "lockdrop" for the built-ins). */
  add(entry: T, from: string): T;
  get(id: string): T | undefined;
  /** where the entry with this id was declared */
  source(id: string): string | undefined;
  /** every entry, in the order added */
  all(): readonly T[];
}

/**
 * The registry of `kind`. It is kept on globalThis, so that every copy of lockdrop in
 * the process shares it: a .ts design file in a CommonJS package gets its own copy of
 * `lockdrop/model` through tsx's require hook, and its `use("monitor", ...)` or its own
 * scenario must find and reach the same entries as the command's copy. The built-ins,
 * which every copy adds, are kept as the first copy added them.
 */
export function registry<T extends Entry>(kind: string): Registry<T> {
  const key = Symbol.for(`lockdrop.registry.${kind}`);
  const shared = globalThis as unknown as Record<
    symbol,
    Map<string, { readonly entry: T; readonly from: string }>
  >;
  shared[key] ??= new Map();
  const byId = shared[key];
  return {
    kind,
    add(entry, from) {
      const had = byId.get(entry.id);
      if (had !== undefined) {
        if (had.entry === entry) return entry;
        if (had.from === BUILT_IN && from === BUILT_IN) return had.entry;
        // One file loaded twice, by two module loaders, in one thread (a vitest test
        // imports a design for checkDesign(), and checkDesignFile() loads the file with
        // Node's loader): two objects that declare alike. Anything else under a taken
        // id is refused.
        if (had.from !== BUILT_IN && from !== BUILT_IN && sameDeclaration(had.entry, entry))
          return had.entry;
        throw new DuplicateIdError(kind, entry.id, had.from, from);
      }
      byId.set(entry.id, { entry, from });
      return entry;
    },
    get: (id) => byId.get(id)?.entry,
    source: (id) => byId.get(id)?.from,
    all: () => [...byId.values()].map((x) => x.entry),
  };
}

/** Where the built-ins are declared, in messages. */
export const BUILT_IN = "lockdrop's built-ins";

/**
 * Do two declarations declare alike: the same data, the same step tables (labels, op
 * names and outcomes) and the same kinds of function in the same places? Two module
 * loaders give the same source two sets of objects, with functions that differ only in
 * identity (and in how each loader compiled them), so functions compare by place only.
 */
export function sameDeclaration(a: unknown, b: unknown): boolean {
  return declarationText(a) === declarationText(b);
}

function declarationText(x: unknown): string {
  const seen = new Set<unknown>();
  const walk = (v: unknown): unknown => {
    if (typeof v === "function") return "[function]";
    if (v === null || typeof v !== "object") return v;
    if (seen.has(v)) return "[cycle]";
    seen.add(v);
    const out = Array.isArray(v)
      ? v.map(walk)
      : Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, walk((v as Record<string, unknown>)[k])]),
        );
    seen.delete(v);
    return out;
  };
  return JSON.stringify(walk(x));
}
