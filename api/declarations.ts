// What a design file may declare beside its design: scenarios (with their VMAs, locks,
// objects, driver threads and actors) and properties. Each is validated with zod before
// anything runs, then registered under its id, so that the command line, the matrix
// workers and replay can name it; every problem is one paragraph that names the file,
// the entry and the fix (the CLI prints it and exits 2).

import { z } from "zod";
import type { Actor } from "../model/actor.js";
import { designRegistry } from "../model/designs/index.js";
import { badIdMessage, DuplicateIdError, ID_PATTERN } from "../model/registry.js";
import type { Scenario } from "../model/scenarios.js";
import { actorRegistry, runsIn, scenarioRegistry } from "../model/scenarios.js";
import type { Design, Op, Step } from "../model/step.js";
import { FAMILIES, withArticle } from "../model/step.js";
import { propertyRegistry } from "../properties/index.js";
import type { Property } from "../properties/property.js";

/** A problem with a declaration: one paragraph naming the entry and the fix. */
export class DeclarationError extends Error {}

const ID = ID_PATTERN;
const isFunction = (v: unknown): boolean => typeof v === "function";
const LOCK_KINDS = [
  "rwsem",
  "mutex",
  "spinlock",
  "seqcount",
  "refcount",
  "vma-lock",
  "rcu",
] as const;
const OBJ_STATES = ["allocated", "live", "detached", "freed"] as const;

const opSchema = z.object({
  name: z.string().min(1),
  outcomes: z.array(z.string()),
  run: z.custom<Op["run"]>(isFunction, { message: "run must be a function" }),
});
const actorSchema = z.object({
  id: z.string().regex(ID),
  lane: z.string().min(1).max(8),
  start: z.string(),
  steps: z.record(z.string(), z.object({ op: opSchema }).loose()),
  disruptive: z.boolean(),
  mutant: z.string().min(1).optional(),
});
const PRIVATE_HUGETLB = "a private hugetlb VMA (hugetlb: true, shared: false) is not modelled";
const NO_PMD_TABLE =
  "noPmdTable is for a hugetlb VMA (hugetlb: true) whose pages start neither mapped nor swapped";
const vmaSchema = z
  .object({
    name: z.string().min(1),
    pages: z.number().int().min(1).max(16),
    write: z.boolean(),
    shared: z.boolean(),
    hugetlb: z.boolean(),
    uffdMissing: z.boolean(),
    file: z.string().nullable().optional(),
    swapped: z.boolean().optional(),
    mapped: z.boolean().optional(),
    anonVma: z.boolean().optional(),
    noPmdTable: z.boolean().optional(),
  })
  .refine((v) => v.shared || !v.hugetlb, {
    // hugetlb_no_page() and hugetlb_wp() prepare a private mapping's anon_vma and use its
    // reservation map; neither is modelled
    message: PRIVATE_HUGETLB,
    path: ["shared"],
  })
  .refine((v) => v.noPmdTable !== true || (v.hugetlb && !v.mapped && !v.swapped), {
    // only walk_hugetlb_range() asks whether a PMD table is there (hugetlb_walk()), and
    // without one no page of the VMA can be mapped
    message: NO_PMD_TABLE,
    path: ["noPmdTable"],
  });
const scenarioSchema = z.object({
  id: z.string().regex(ID),
  title: z.string(),
  families: z.array(z.enum(FAMILIES)).min(1),
  vmas: z.array(vmaSchema).min(1),
  write: z.boolean(),
  actors: z.array(
    z.object({
      actor: z.object({ id: z.string() }).loose(),
      budget: z.number().int().min(0).max(1000).nullable(),
      lane: z.string().min(1).max(8).optional(),
    }),
  ),
  stepsPerPage: z.number().int().min(1),
  locks: z.array(z.object({ name: z.string().min(1), kind: z.enum(LOCK_KINDS) })).optional(),
  objects: z
    .array(z.object({ name: z.string().min(1), state: z.enum(OBJ_STATES).optional() }))
    .optional(),
  drivers: z.number().int().min(1).max(8).optional(),
  alongside: z.array(z.object({ id: z.string() }).loose()).optional(),
  uffd: z
    .object({ userModeOnly: z.boolean().optional(), sigbus: z.boolean().optional() })
    .optional(),
});
const propertySchema = z.object({
  id: z.string().regex(ID),
  ref: z.string(),
  statement: z.string().min(1),
  kind: z.enum(["safety", "liveness"]),
  applies: z.custom<Property["applies"]>(isFunction, { message: "applies must be a function" }),
  monitor: z.custom<Property["monitor"]>(isFunction, { message: "monitor must be a function" }),
  lasso: z
    .object({
      inLoop: z.custom(isFunction, { message: "inLoop must be a function" }),
      weaklyFair: z.array(z.string()),
      unfair: z.array(z.string()).optional(),
    })
    .loose()
    .optional(),
});

function zodProblem(kind: string, id: unknown, issue: z.core.$ZodIssue, value: unknown): string {
  const path = issue.path.map(String);
  const name = typeof id === "string" ? `${kind} "${id}"` : `a ${kind}`;
  const at = path.length ? path.join(".") : "it";
  if (path[0] === "locks" && path[2] === "kind") {
    const got = (value as { locks?: { kind?: unknown }[] }).locks?.[Number(path[1])]?.kind;
    return `${name}: lock ${JSON.stringify(got)} is not a lock kind lockdrop knows. Fix: declare { name, kind } with kind one of ${LOCK_KINDS.join(", ")}.`;
  }
  if (path[0] === "id") return badIdMessage(name, JSON.stringify(id), kind);
  if (issue.message === PRIVATE_HUGETLB)
    return `${name}: ${at}: ${PRIVATE_HUGETLB} (its faults prepare an anon_vma and use the reservation map, which lockdrop leaves out). Fix: declare hugetlb VMAs with shared: true, as MAP_SHARED hugetlbfs mappings.`;
  if (issue.message === NO_PMD_TABLE)
    return `${name}: ${at}: ${NO_PMD_TABLE}: only the hugetlb page walk looks for the PMD table (hugetlb_walk()), and a VMA without one maps nothing. Fix: drop noPmdTable, or declare the VMA with hugetlb: true and shared: true and without mapped or swapped.`;
  if (path[0] === "actors")
    return `${name}: actors.${path.slice(1).join(".")}: ${issue.message}. Fix: list actors as use(myActor, budget), with actor() from lockdrop/model and a budget of 0 or more (null: no bound).`;
  return `${name}: ${at}: ${issue.message}. Fix: declare it with ${kind === "property" ? "safety() or liveness()" : `${kind}()`} from lockdrop/model.`;
}

function parse<T>(schema: z.ZodType, kind: string, value: unknown): T {
  if (typeof value !== "object" || value === null)
    throw new DeclarationError(
      `a ${kind} entry is ${JSON.stringify(value)}, not a ${kind}. Fix: pass the id of a known ${kind}, or an object declared with ${kind === "property" ? "safety() or liveness()" : `${kind}()`}.`,
    );
  const r = schema.safeParse(value);
  if (!r.success)
    throw new DeclarationError(
      zodProblem(
        kind,
        (value as { id?: unknown }).id,
        r.error.issues[0] as z.core.$ZodIssue,
        value,
      ),
    );
  return value as T;
}

/** The actor's own step table: a start label that is a step, jumps to labels that exist. */
function checkActor(a: Actor, scenarioId: string): void {
  parse(actorSchema, "actor", a);
  const labels = Object.keys(a.steps);
  if (!Object.hasOwn(a.steps, a.start))
    throw new DeclarationError(
      `actor "${a.id}" (in scenario "${scenarioId}") has no start label: "${a.start}" is not one of its steps (${labels.join(", ") || "none"}). Fix: set start to the label of its entry step, the one that begins an operation.`,
    );
  for (const [label, step] of Object.entries(a.steps) as [string, Step][]) {
    const targets = [...Object.values(step.on ?? {}), ...(step.next ? [step.next] : [])];
    for (const to of targets)
      if (!Object.hasOwn(a.steps, to))
        throw new DeclarationError(
          `actor "${a.id}", step "${label}" jumps to unknown label "${to}". Fix: add a step "${to}" or jump to one of ${labels.join(", ")}.`,
        );
    for (const outcome of step.op.outcomes)
      if (step.on?.[outcome] === undefined && step.next === undefined)
        throw new DeclarationError(
          `actor "${a.id}", step "${label}": outcome "${outcome}" of ${step.op.name} goes nowhere. Fix: add on: { ${outcome}: "<label>" } or next: "<label>".`,
        );
  }
}

function add<T extends { readonly id: string }>(
  reg: { add(e: T, from: string): T },
  entry: T,
  file: string,
): void {
  try {
    reg.add(entry, file);
  } catch (e) {
    if (e instanceof DuplicateIdError) throw new DeclarationError(e.message);
    throw e;
  }
}

/** Validate a declared scenario and register it (and its actors) as declared in `file`. */
export function declareScenario(s: unknown, file: string, design?: Design): Scenario {
  const sc = parse<Scenario>(scenarioSchema, "scenario", s);
  for (const u of sc.actors) {
    checkActor(u.actor, sc.id);
    add(actorRegistry, u.actor, file);
  }
  // one column per thread in the lanes: two actors in one column could not be told apart
  const lanes = sc.actors.map((u) => ({ id: u.actor.id, lane: u.lane ?? u.actor.lane }));
  for (const [i, a] of lanes.entries()) {
    const other = lanes.slice(0, i).find((b) => b.lane === a.lane);
    if (other)
      throw new DeclarationError(
        `scenario "${sc.id}": actors "${other.id}" and "${a.id}" both print in lane "${a.lane}", so a counterexample could not tell them apart. Fix: give one a lane of its own, use(${a.id === other.id ? "actor" : "myActor"}, budget, "${a.lane}2"), or change its actor's lane.`,
      );
    if (/^T\d*$/.test(a.lane))
      throw new DeclarationError(
        `scenario "${sc.id}": actor "${a.id}" prints in lane "${a.lane}", the name of a driver thread (T, or T1, T2, ... with several). Fix: give it another lane, such as use(myActor, budget, "N").`,
      );
  }
  const locks = (sc.locks ?? []).map((l) => l.name);
  const dupLock = locks.find((n, i) => locks.indexOf(n) !== i);
  if (dupLock)
    throw new DeclarationError(
      `scenario "${sc.id}" declares the lock "${dupLock}" twice. Fix: give each lock a name of its own.`,
    );
  for (const d of sc.alongside ?? [])
    if (typeof d !== "object" || !designRegistry.get(d.id))
      throw new DeclarationError(
        `scenario "${sc.id}" runs an unknown design ${JSON.stringify(typeof d === "object" ? d.id : d)} alongside. Fix: pass a design object declared with design() (its file's default export), or a built-in design.`,
      );
  if (design && !runsIn(sc, design))
    throw new DeclarationError(
      `scenario "${sc.id}" is for ${sc.families.join(", ")} designs, and design "${design.id}" is ${withArticle(design.family)} caller. Fix: add "${design.family}" to the scenario's families.`,
    );
  add(scenarioRegistry, sc, file);
  return sc;
}

/** Validate a declared property and register it as declared in `file`. */
export function declareProperty(p: unknown, file: string): Property {
  const prop = parse<Property>(propertySchema, "property", p);
  for (const name of [...(prop.lasso?.weaklyFair ?? []), ...(prop.lasso?.unfair ?? [])])
    if (!actorRegistry.get(name))
      throw new DeclarationError(
        `property "${prop.id}": its loop must be fair to "${name}", which is no actor lockdrop knows (known: ${actorRegistry
          .all()
          .map((a) => a.id)
          .join(
            ", ",
          )}). Fix: name an actor by its id; every driver thread is in the fairness set already.`,
      );
  add(propertyRegistry, prop, file);
  return prop;
}

/** Register a design file's design under its id. */
export function declareDesign(d: Design, file: string): void {
  add(designRegistry, d, file);
}
