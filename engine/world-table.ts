// The world table (model/parts.ts) compiled for the hot path, as zod compiles a schema
// into a parser: a part is read as `w.mmapLock`, not `w[name]`, so that every access
// site sees one property of one shape (a keyed read over nine names goes megamorphic
// in V8 and cost the exhaustive search about 12%). The generated code only reads and
// builds objects; test/world-table.test.ts holds it to the table read generically.
import { WORLD_PARTS } from "../model/parts.js";
import type { Thread, World } from "../model/world.js";

const NAMES = WORLD_PARTS.map((p) => {
  if (!/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(p.name))
    throw new Error(`world part "${p.name}" is not an identifier`);
  return p.name;
});

/** `readPart[i](w)`: world part i of `w`. */
export const readPart: readonly ((w: World) => unknown)[] = NAMES.map(
  (name) => new Function("w", `return w.${name};`) as (w: World) => unknown,
);

/**
 * A new world from a clock, the step's copies (`parts[i]`, undefined where untouched),
 * the input world `b` for the rest, and the threads: one object literal of a fixed shape.
 */
export const buildWorld = new Function(
  "clock",
  "parts",
  "b",
  "threads",
  `return { clock, ${NAMES.map((n, i) => `${n}: parts[${i}] === undefined ? b.${n} : parts[${i}]`).join(", ")}, threads };`,
) as (clock: number, parts: readonly unknown[], b: World, threads: readonly Thread[]) => World;

/**
 * The draft's accessor of each part (engine/draft.ts): the first read copies the part
 * from the input world (`this.base`) with the table's `copy` into `this.parts[i]`.
 */
export function partAccessors(): Record<string, PropertyDescriptor> {
  const out: Record<string, PropertyDescriptor> = {};
  WORLD_PARTS.forEach((part, i) => {
    const name = NAMES[i] as string;
    out[name] = {
      get: new Function(
        "copy",
        `return function () { let v = this.parts[${i}]; if (v === undefined) { v = copy(this.base.${name}); this.parts[${i}] = v; } return v; };`,
      )(part.copy) as () => unknown,
      set: new Function(`return function (v) { this.parts[${i}] = v; };`)() as (v: unknown) => void,
    };
  });
  return out;
}

/**
 * `sameParts(w, p, out)`: for each part, whether world `w` (one step from `p`) has it
 * as `p` had it: the same object, or equal by the part's `unchanged` test. One compiled
 * function, so each comparison reads one property of one shape (the collapsed search
 * asks this for every state it reaches).
 */
export const sameParts = new Function(
  "unchanged",
  `return function (w, p, out) { ${NAMES.map(
    (n, i) =>
      `out[${i}] = w.${n} === p.${n}${WORLD_PARTS[i]?.unchanged ? ` || unchanged[${i}](w.${n}, p.${n})` : ""};`,
  ).join(" ")} };`,
)(WORLD_PARTS.map((p) => p.unchanged)) as (w: World, p: World, out: boolean[]) => void;
