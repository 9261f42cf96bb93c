// What `safety()` and `liveness()` were given, checked when they are called: a design
// file is not type-checked, and a misspelt key (`step` for `check`, `description` for
// `statement`) would otherwise surface only in the middle of a search, as a check that
// "threw: f is not a function". The error names the property, the key and the fix.

import { badIdMessage, branded, ID_PATTERN } from "../model/registry.js";
import { shownValue } from "../model/step.js";

const PROPERTY_INPUT_ERROR = branded("PropertyInputError");

/** `safety()` or `liveness()` was given something it cannot take (one paragraph with the fix). */
export class PropertyInputError extends Error {
  readonly [PROPERTY_INPUT_ERROR.brand] = true;
  static override [Symbol.hasInstance](x: unknown): boolean {
    return PROPERTY_INPUT_ERROR.hasInstance(x);
  }
}

type Kind = "string" | "function" | "strings";

/** The keys each declaration takes, with their kinds; `true`: required. */
const KEYS: Record<"safety" | "liveness", Record<string, readonly [Kind, boolean]>> = {
  safety: {
    id: ["string", true],
    ref: ["string", false],
    statement: ["string", true],
    applies: ["function", false],
    check: ["function", true],
    atEnd: ["function", false],
  },
  liveness: {
    id: ["string", true],
    ref: ["string", false],
    statement: ["string", true],
    applies: ["function", false],
    inLoop: ["function", true],
    fairTo: ["strings", false],
    notFairTo: ["strings", false],
    progress: ["function", false],
    describe: ["function", false],
  },
};

/** How the fix writes each key's value */
const EXAMPLE: Record<string, string> = {
  id: '"my-property"',
  ref: '"the kernel function it comes from"',
  statement: '"what must hold, in a sentence"',
  applies: "(scenario, design) => true",
  check: "({ before, after, rec }) => null",
  atEnd: "({ world, end }) => null",
  inLoop: "(w) => true",
  fairTo: '["monitor"]',
  notFairTo: '["munmap"]',
  progress: "(before, after) => false",
  describe: '(prefix, loop) => "..."',
};

const fits = (kind: Kind, v: unknown): boolean =>
  kind === "strings"
    ? Array.isArray(v) && v.every((x) => typeof x === "string")
    : kind === "string"
      ? typeof v === "string" && v.length > 0
      : typeof v === "function";

const what = (kind: Kind): string =>
  kind === "strings"
    ? "a list of actor ids"
    : kind === "string"
      ? "a non-empty string"
      : "a function";

/** Refuse what `safety()` or `liveness()` cannot take: an unknown key, a missing or ill-typed one. */
export function checkPropertyInput(decl: "safety" | "liveness", input: unknown): void {
  const keys = KEYS[decl];
  const names = Object.keys(keys);
  const list = `${names.slice(0, -1).join(", ")} and ${names.at(-1)}`;
  if (typeof input !== "object" || input === null || Array.isArray(input))
    throw new PropertyInputError(
      `${decl}() takes one object, and was given ${shownValue(input)}. Fix: declare it as ${decl}({ id: "my-property", statement: "...", ${decl === "safety" ? "check: (v) => null" : "inLoop: (w) => ..."} }).`,
    );
  const given = input as Record<string, unknown>;
  const id = typeof given.id === "string" ? `"${given.id}"` : "(no id)";
  const at = `${decl}() property ${id}`;
  const missing = names.filter((k) => keys[k]?.[1] === true && given[k] === undefined);
  const unknown = Object.keys(given).filter((k) => !Object.hasOwn(keys, k));
  if (unknown.length > 0) {
    const u = unknown[0] as string;
    // one unknown key and one missing: most likely the one written for the other
    const fix =
      unknown.length === 1 && missing.length === 1
        ? `rename "${u}" to "${missing[0]}"`
        : `remove "${u}", or rename it to the key it stands for`;
    throw new PropertyInputError(
      `${at}: unknown key "${u}" (a ${decl} property takes ${list}). Fix: ${fix}.`,
    );
  }
  if (given.id !== undefined && (typeof given.id !== "string" || !ID_PATTERN.test(given.id)))
    throw new PropertyInputError(
      badIdMessage(`${decl}() property`, shownValue(given.id), "property"),
    );
  for (const k of names) {
    const [kind, required] = keys[k] as readonly [Kind, boolean];
    const v = given[k];
    if (v === undefined && !required) continue;
    if (v === undefined)
      throw new PropertyInputError(
        `${at}: it has no ${k} (${what(kind)}, which a ${decl} property must have). Fix: add ${k}: ${EXAMPLE[k]}.`,
      );
    if (!fits(kind, v))
      throw new PropertyInputError(
        `${at}: ${k} is ${shownValue(v)}, where it takes ${what(kind)}. Fix: give ${k} as ${EXAMPLE[k]}.`,
      );
  }
}
