// Registries of what can be named on a command line or in a test: designs, scenarios,
// actors and properties. The built-ins are added exactly as a user's entries are
// (`register`), when their modules load; a user's are added when the module that
// declares them is loaded (a design file, `lockdrop/vitest`'s checkDesign), in every
// process and worker that loads it. An id names one entry: adding a different entry
// under a taken id is refused, adding the same entry again (a module loaded twice) is
// not.

export interface Entry {
  readonly id: string;
}

export class DuplicateIdError extends Error {
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

export function registry<T extends Entry>(kind: string): Registry<T> {
  const byId = new Map<string, { readonly entry: T; readonly from: string }>();
  return {
    kind,
    add(entry, from) {
      const had = byId.get(entry.id);
      if (had !== undefined) {
        if (had.entry === entry) return entry;
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
