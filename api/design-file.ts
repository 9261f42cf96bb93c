// Loading a user's design file and validating what it exports, before anything runs.
// Every problem becomes one paragraph that names the file, the step label and the fix
// (the CLI prints it and exits 2). The shape is checked with zod; the step table (labels,
// outcomes, jumps) by the checks below, which know what each primitive can return.
import { existsSync } from "node:fs";
import { extname, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { types } from "node:util";
import { z } from "zod";
import { WALK_CALLBACKS } from "../model/designs/hmm-walk.js";
import { DESIGNS, designRegistry } from "../model/designs/index.js";
import { BUILT_IN } from "../model/registry.js";
import type { Scenario } from "../model/scenarios.js";
import {
  actorRegistry,
  programsFor,
  runsIn,
  SCENARIOS,
  scenarioById,
  scenarioRegistry,
  UnknownActorError,
  undeclaredLockOrObject,
} from "../model/scenarios.js";
import type { Design, Op, Step } from "../model/step.js";
import { ComposeError, DesignError, FAMILIES, PropertyCheckError, stepAt } from "../model/step.js";
import { propertyRegistry } from "../properties/index.js";
import { PropertyInputError } from "../properties/input.js";
import { didYouMean } from "../reports/did-you-mean.js";
import {
  DeclarationError,
  declareDesign,
  declareProperty,
  declareScenario,
} from "./declarations.js";
import type { DesignSpec } from "./model.js";

/** A problem with a design file: one paragraph, meant for the user as it is. */
export class DesignFileError extends Error {
  constructor(
    readonly file: string,
    message: string,
    /** what the module threw while loading, for --debug */
    options?: { readonly cause?: unknown },
  ) {
    super(`${file}: ${message}`, options);
  }
}

export interface LoadedDesign {
  /** the path as the user typed it */
  readonly file: string;
  readonly design: Design;
  /** scenarios and properties the file asks for when the command line names none */
  readonly scenarios: readonly string[] | undefined;
  readonly properties: readonly string[] | undefined;
}

const EXAMPLE = 'export default design({ id: "my-patch", family: "hmm", start: "again", steps })';

/** Does a command-line argument name a design file rather than a built-in id? */
export function looksLikeDesignFile(arg: string): boolean {
  return !arg.startsWith("-") && /\.(m|c)?(t|j)s$/.test(arg);
}

const isFunction = (v: unknown): boolean => typeof v === "function";

const opSchema = z.object({
  name: z.string().min(1),
  outcomes: z.array(z.string()),
  local: z.boolean().optional(),
  run: z.custom<Op["run"]>(isFunction, { message: "run must be a function" }),
  enabled: z.custom<NonNullable<Op["enabled"]>>(isFunction).optional(),
});

const stepSchema = z.strictObject({
  op: opSchema,
  next: z.string().optional(),
  on: z.record(z.string(), z.string()).optional(),
});

const specSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/),
  title: z.string(),
  summary: z.string(),
  source: z.string(),
  family: z.enum(FAMILIES),
  start: z.string(),
  steps: z.record(z.string(), stepSchema),
  // an object is checked field by field where it is declared (api/declarations.ts),
  // which names the field that is wrong
  scenarios: z.array(z.union([z.string(), z.object({}).loose()])).optional(),
  properties: z.array(z.union([z.string(), z.object({}).loose()])).optional(),
  unreachable: z
    .array(z.strictObject({ label: z.string(), outcome: z.string(), reason: z.string() }))
    .optional(),
  invalidateNonblock: z.enum(["trylock", "refuse"]).optional(),
  marksUnmapped: z.boolean().optional(),
  runsFrom: z.enum(["task", "worker", "either"]).optional(),
});

const list = (xs: readonly string[], max = 12): string =>
  xs.length > max ? `${xs.slice(0, max).join(", ")}, ...` : xs.join(", ");

/** One sentence for the first zod issue, with the step label when it is inside a step. */
function shapeProblem(issue: z.core.$ZodIssue, value: Record<string, unknown>): string {
  const [top, label, field, sub] = issue.path.map(String);
  if (top === "steps" && label !== undefined) {
    const at = `step "${label}"`;
    const step = (value.steps as Record<string, unknown>)[label];
    if (issue.code === "unrecognized_keys")
      return `${at} has unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `"${k}"`).join(", ")}${didYouMean(issue.keys[0] ?? "", ["op", "next", "on"])}. Fix: a step has only op, next and on.`;
    if (field === undefined)
      return `${at} is not a step object. Fix: write it as { op: mmapReadLock(), next: "<label>" }.`;
    if (field === "op") {
      const o = (step as Record<string, unknown>).op;
      if (o === undefined)
        return `${at} has no op. Fix: give it the kernel primitive it performs, e.g. { op: mmapReadLock(), next: "<label>" }.`;
      if (typeof o === "function")
        return `${at}: op is a function${o.name ? ` (${o.name})` : ""}, not an op; a primitive is called to make one. Fix: write op: ${o.name || "primitive"}(...) with its arguments.`;
      return `${at}: op is not an op (${sub ?? "value"}: ${issue.message}). Fix: use a primitive from lockdrop/model, or build one with op({ name, outcomes, run }).`;
    }
    if (field === "on")
      return `${at}: "on" must map outcome names to labels (${issue.message}). Fix: write it as on: { yes: "again", no: "take" }, one label per outcome of the op.`;
    if (field === "next") {
      const got = (step as Record<string, unknown>).next;
      return `${at}: next must be a step label (a string), and is ${JSON.stringify(got) ?? String(got)}. Fix: write next: "<label>", the label of the step that follows.`;
    }
  }
  if (top === "unreachable")
    return `unreachable: each entry is { label, outcome, reason }, the step's label, an outcome of its op and why no scenario reaches it (${label === undefined ? issue.message : `entry ${Number(label) + 1}: ${issue.message}`}). Fix: e.g. unreachable: [{ label: "do_fault.one", outcome: "completed", reason: "..." }], or forbiddenWithoutAllowRetry("label") from lockdrop/model.`;
  if (top === "family")
    return `family ${JSON.stringify(value.family)} is not one of ${FAMILIES.join(", ")}. Fix: set family to the kind of caller the patch is (hmm for hmm_range_fault* callers).`;
  if (top === "id")
    return `the design needs an id of letters, digits, ".", "_" and "-" (got ${JSON.stringify(value.id)}). Fix: ${EXAMPLE}.`;
  if (top === "start")
    return `the design has no start label. Fix: set start to the label of the step the thread begins with.`;
  if (top === "steps")
    return `steps must be a table of labelled steps { label: { op, next, on } }. Fix: ${EXAMPLE}.`;
  return `${top ?? "the export"}: ${issue.message}. Fix: ${EXAMPLE}.`;
}

/** The step table's own problems: labels, outcomes and jumps. */
function tableProblems(spec: DesignSpec): string[] {
  const labels = Object.keys(spec.steps);
  const out: string[] = [];
  if (labels.length === 0) out.push(`the design has no steps. Fix: ${EXAMPLE}.`);
  else if (!stepAt(spec, spec.start))
    out.push(
      `the thread has no initial step: start label "${spec.start}" is not a step${didYouMean(spec.start, labels)}. Fix: set start to one of ${list(labels)}, or add a step "${spec.start}".`,
    );
  const jump = (label: string, what: string, to: string) =>
    Object.hasOwn(WALK_CALLBACKS, to)
      ? `step "${label}": ${what} jumps to "${to}", which hmmWalk() leaves to the design (${WALK_CALLBACKS[to]}), and the design has no such step. Fix: add a step "${to}", or compose the walk with a fault fragment that defines it: recordFaultInCallbacks() (v2 and later), hmmVmaFaultInCallbacks() (mainline) or droppableFaultInCallbacks() (v1).`
      : `step "${label}": ${what} jumps to unknown label "${to}"${didYouMean(to, labels)}. Fix: add a step "${to}" or jump to an existing label.`;
  for (const [label, step] of Object.entries(spec.steps) as [string, Step][]) {
    const outcomes = step.op.outcomes;
    for (const [outcome, to] of Object.entries(step.on ?? {})) {
      if (!outcomes.includes(outcome))
        out.push(
          `step "${label}": ${step.op.name} has no outcome "${outcome}"${didYouMean(outcome, outcomes)}; it returns ${outcomes.length ? list(outcomes) : "nothing (it ends the thread)"}. Fix: key "on" by those outcome names.`,
        );
      if (!stepAt(spec, to)) out.push(jump(label, `outcome "${outcome}"`, to));
    }
    if (step.next !== undefined && !stepAt(spec, step.next))
      out.push(jump(label, "next", step.next));
    for (const outcome of outcomes)
      if (!(step.on && Object.hasOwn(step.on, outcome)) && step.next === undefined)
        out.push(
          `step "${label}": outcome "${outcome}" of ${step.op.name} goes nowhere. Fix: add on: { ${outcome}: "<label>" } or next: "<label>".`,
        );
  }
  return [...out, ...unreachableProblems(spec, labels)];
}

/** The `unreachable` list's own problems: each entry names an edge of the table, once, with a reason. */
function unreachableProblems(spec: DesignSpec, labels: readonly string[]): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const u of spec.unreachable ?? []) {
    const at = `unreachable: { label: "${u.label}", outcome: "${u.outcome}" }`;
    const step = stepAt(spec, u.label);
    if (!step)
      out.push(
        `${at} names no step: there is no label "${u.label}"${didYouMean(u.label, labels)}. Fix: name a label of the step table (\`lockdrop coverage\` lists every edge).`,
      );
    else if (!step.op.outcomes.includes(u.outcome))
      out.push(
        `${at}: ${step.op.name} has no outcome "${u.outcome}"${didYouMean(u.outcome, step.op.outcomes)}; it returns ${step.op.outcomes.length ? list(step.op.outcomes) : "nothing (it ends the thread)"}. Fix: name one of those outcomes.`,
      );
    if (u.reason.trim() === "")
      out.push(
        `${at} gives no reason. Fix: say in one sentence why no scenario reaches it (the kernel rule, or what the model cannot do).`,
      );
    const key = `${u.label}\u0000${u.outcome}`;
    if (seen.has(key)) out.push(`${at} is listed twice. Fix: list each edge once.`);
    seen.add(key);
  }
  return out;
}

function idProblems(spec: DesignSpec): string[] {
  const out: string[] = [];
  const scenarioIds = scenarioRegistry.all().map((s) => s.id);
  for (const id of (spec.scenarios ?? []).filter((x): x is string => typeof x === "string")) {
    const s = scenarioById(id);
    if (!s)
      out.push(
        `scenarios: unknown scenario "${id}"${didYouMean(id, scenarioIds)}. Known scenarios: ${scenarioIds.join(", ")}. Fix: use one of them (\`lockdrop list\`).`,
      );
    else if (!runsIn(s, spec))
      out.push(
        `scenarios: a ${spec.family} design does not run in "${id}" (it is for ${s.families.join(", ")} designs). Fix: use one of ${SCENARIOS.filter(
          (x) => runsIn(x, spec),
        )
          .map((x) => x.id)
          .join(", ")}.`,
      );
  }
  const propertyIds = propertyRegistry.all().map((p) => p.id);
  for (const id of (spec.properties ?? []).filter((x): x is string => typeof x === "string"))
    if (!propertyIds.includes(id))
      out.push(
        `properties: unknown property "${id}"${didYouMean(id, propertyIds)}. Known properties: ${propertyIds.join(", ")}. Fix: use one of them (\`lockdrop list\`).`,
      );
  const actors = Object.keys(programsFor(SCENARIOS[0] as Scenario, { ...spec, id: "" })).filter(
    (x) => x !== "",
  );
  if (DESIGNS.some((d) => d.id === spec.id) || actors.includes(spec.id))
    out.push(
      `the id "${spec.id}" is already taken by a built-in ${actors.includes(spec.id) ? "actor" : "design"}. Fix: give the design an id of its own, e.g. "${spec.id}-mine".`,
    );
  return out;
}

/** Validate a module's default export; throws DesignFileError naming the first problem. */
export function validateDesignExport(value: unknown, file: string): DesignSpec {
  if (types.isProxy(value))
    throw new DesignFileError(
      file,
      `the default export is a Proxy, not a design. Fix: export the plain object design() returns, ${EXAMPLE}.`,
    );
  try {
    return validateExport(value, file);
  } catch (e) {
    if (e instanceof DesignFileError) throw e;
    throw new DesignFileError(
      file,
      `reading the default export threw: ${oneParagraph(e instanceof Error ? e.message : String(e))}. Fix: export a plain design object (no getters that throw), ${EXAMPLE}.`,
    );
  }
}

function validateExport(value: unknown, file: string): DesignSpec {
  if (value === undefined)
    throw new DesignFileError(
      file,
      `the file has no default export. Fix: end it with ${EXAMPLE} (import { design } from "lockdrop/model").`,
    );
  if (typeof value === "function")
    throw new DesignFileError(
      file,
      `the default export is a function, not a design. Fix: export the design itself, ${EXAMPLE}.`,
    );
  if (typeof value !== "object" || value === null)
    throw new DesignFileError(
      file,
      `the default export is ${JSON.stringify(value)}, not a design. Fix: ${EXAMPLE}.`,
    );
  const parsed = specSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0] as z.core.$ZodIssue;
    // a plain object, not made by design(): the fields design() fills in are missing
    const field = String(issue.path[0]);
    if (
      ownData(value, Symbol.for("lockdrop.model.copy")) === undefined &&
      ["title", "summary", "source"].includes(field) &&
      (value as Record<string, unknown>)[field] === undefined
    )
      throw new DesignFileError(
        file,
        `the default export is a plain object, not one design() made, so it has no "${field}" (design() fills in title, summary and source). Fix: ${EXAMPLE}, with design imported from "lockdrop/model".`,
      );
    throw new DesignFileError(file, shapeProblem(issue, value as Record<string, unknown>));
  }
  const spec = value as DesignSpec;
  const problems = [...tableProblems(spec), ...idProblems(spec)];
  if (problems.length > 0)
    throw new DesignFileError(
      file,
      problems.length === 1
        ? (problems[0] as string)
        : `${problems.length} problems. ${problems
            .slice(0, MAX_PROBLEMS)
            .map((p, i) => `(${i + 1}) ${p}`)
            .join(
              " ",
            )}${problems.length > MAX_PROBLEMS ? ` (${problems.length - MAX_PROBLEMS} more after these: fix these and run again.)` : ""}`,
    );
  return spec;
}

/** How many of a design table's problems one message lists. */
const MAX_PROBLEMS = 5;

function oneParagraph(message: string): string {
  return message
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && !/^\s*at /.test(l))
    .join(" ");
}

/** Set in a thread whose module hooks include tsx's (cli/bin.mjs, engine/hooks.mjs). */
const TSX = Symbol.for("lockdrop.tsx");

/**
 * tsx's hooks in this thread, once, for a TypeScript design file. The command and its
 * worker threads register them at start; a test runner may not have. vitest transforms
 * a checkout's sources, but not an installed lockdrop, whose import() is then Node's
 * own, which knows no .ts or .mts. Registered before the first import: Node keeps a
 * failed import's error for that URL.
 */
async function typeScriptHooks(): Promise<void> {
  const g = globalThis as { [TSX]?: boolean };
  if (g[TSX] === true) return;
  const [esm, cjs] = await Promise.all([import("tsx/esm/api"), import("tsx/cjs/api")]);
  esm.register();
  cjs.register();
  g[TSX] = true;
}

/** Import a design file and validate it. */
export async function loadDesignFile(file: string, cwd = process.cwd()): Promise<LoadedDesign> {
  const abs = resolve(cwd, file);
  if (!existsSync(abs))
    throw new DesignFileError(
      file,
      `no such file (looked for ${relative(cwd, abs) || abs}). Fix: give the path of a .ts file that exports a design, relative to the current directory.`,
    );
  let mod: Record<string, unknown>;
  const copiesBefore = new Set(modelCopies());
  try {
    if (/\.[cm]?ts$/.test(abs)) await typeScriptHooks();
    mod = (await import(pathToFileURL(abs).href)) as Record<string, unknown>;
  } catch (e) {
    // declarations that refuse themselves at load say what to fix already
    if (e instanceof ComposeError) throw new DesignFileError(file, oneParagraph(e.message));
    if (e instanceof UnknownActorError) {
      const named = `unknown actor "${e.actorId}"`;
      throw new DesignFileError(
        file,
        oneParagraph(e.message.replace(named, `${named}${didYouMean(e.actorId, e.known)}`)),
      );
    }
    // (with the line of the safety() or liveness() call, which may be in a module the
    // design file imports)
    if (e instanceof PropertyInputError) {
      const at = userFrame(e);
      const here = at?.startsWith(`${relative(cwd, abs)}:`) ? `line ${at.split(":").at(-1)}` : at;
      throw new DesignFileError(file, `${here ? `${here}: ` : ""}${oneParagraph(e.message)}`);
    }
    // a primitive refused its argument: the message names the primitive and the argument
    if (e instanceof Error && e.name === "ArgumentError")
      throw new DesignFileError(
        file,
        `${oneParagraph(e.message)}. Fix: pass the primitive what the message says (the guide, docs/writing-a-design.md, shows each).`,
        { cause: e },
      );
    // esbuild (through tsx) names a .mts or .cts file by its .ts twin in a syntax error
    // (as "path:line:col"), unless that .ts file is real
    const twin = abs.replace(/\.[cm]ts$/, ".ts");
    const raw = e instanceof Error ? e.message : String(e);
    const msg = oneParagraph(
      twin === abs || existsSync(twin) ? raw : raw.replaceAll(`${twin}:`, `${abs}:`),
    );
    throw new DesignFileError(
      file,
      /Cannot find (module|package) 'lockdrop(\/model)?'/.test(raw)
        ? `it imports lockdrop/model, which Node cannot find from the file's folder: no lockdrop is installed in its project (Node: "${/Cannot find (module|package) '[^']+'/.exec(raw)?.[0]}"). Fix: install lockdrop in the project the file lives in and run \`npx lockdrop init\` there (README, "Using lockdrop from your own repository"), or keep the file inside this checkout, as examples/ does.`
        : `the module failed to load: ${msg}${msg.endsWith(".") ? "" : "."} Fix: make the file run on its own (\`npx tsx ${file}\` shows the full error).`,
      { cause: e },
    );
  }
  const exported = defaultExport(mod);
  refuseOtherCopy(file, exported, copiesBefore);
  const spec = validateDesignExport(exported, file);
  return { file, design: spec, ...declareAll(spec, file) };
}

/**
 * The module's default export. A `.ts` file of a package without "type": "module" is
 * CommonJS, compiled from `export default` to `exports.default` (marked __esModule);
 * Node's import() of it gives `module.exports` itself as the default (tsx's loader and
 * vitest's unwrap it, plain Node does not: the vitest API in a user's project).
 */
export function defaultExport(mod: Record<string, unknown>): unknown {
  const d = mod.default;
  // a Proxy is validateDesignExport()'s to refuse; esbuild (tsx) defines the CommonJS
  // `default` as a getter, so it is read as such, and a getter that throws leaves the
  // export to validateDesignExport() as it is
  if (ownData(d, "__esModule") !== true) return d;
  try {
    const inner = (d as Record<string, unknown>).default;
    return inner === undefined ? d : inner;
  } catch {
    return d;
  }
}

/** `o[key]` if `o` is a plain object (no Proxy) with it as an own data property. */
function ownData(o: unknown, key: PropertyKey): unknown {
  if (typeof o !== "object" || o === null || types.isProxy(o)) return undefined;
  return Object.getOwnPropertyDescriptor(o, key)?.value;
}

/** This install's `lockdrop/model`: api/model.ts, or .js in the build, beside this file. */
const OWN_MODEL = new URL(`./model${extname(fileURLToPath(import.meta.url))}`, import.meta.url)
  .href;

/** The copies of lockdrop/model this process has loaded (api/model.ts records each). */
function modelCopies(): readonly string[] {
  const copies = (globalThis as Record<symbol, Set<string> | undefined>)[
    Symbol.for("lockdrop.model.copies")
  ];
  return [...(copies ?? [])];
}

/**
 * A design file whose `lockdrop/model` is another install than the command's would
 * declare into registries the command does not read. The copy is the one whose
 * `design()` made the export (it marks it), else one the file's import brought in.
 */
function refuseOtherCopy(file: string, exported: unknown, before: ReadonlySet<string>): void {
  const mark = ownData(exported, Symbol.for("lockdrop.model.copy"));
  const other =
    typeof mark === "string"
      ? mark !== OWN_MODEL
        ? mark
        : undefined
      : modelCopies().find((url) => url !== OWN_MODEL && !before.has(url));
  if (other === undefined) return;
  throw new DesignFileError(
    file,
    `it imports lockdrop/model from ${fileURLToPath(other)}, another install than this lockdrop's (${fileURLToPath(OWN_MODEL)}), whose registries this command does not read. Fix: run the lockdrop installed beside the design file (\`npx lockdrop\` in its project), or install this one there.`,
  );
}

/**
 * Register what a design file declares: its scenarios (and their actors), its
 * properties, the design itself. Returns the ids of the scenarios and properties it
 * asks for. Throws DesignFileError naming the entry and the fix.
 */
export function declareAll(
  spec: DesignSpec,
  file: string,
  /** register the design itself under its id (a file named on the command line) */
  withDesign = true,
): { scenarios: readonly string[] | undefined; properties: readonly string[] | undefined } {
  try {
    const scenarios = spec.scenarios?.map((s) =>
      typeof s === "string" ? s : declareScenario(s, file, spec).id,
    );
    const properties = spec.properties?.map((p) =>
      typeof p === "string" ? p : declareProperty(p, file).id,
    );
    if (withDesign && !DESIGNS.includes(spec)) declareDesign(spec, file);
    for (const id of scenarios ?? []) {
      const s = scenarioById(id);
      const problem = s && runsIn(s, spec) ? undeclaredLockOrObject(s, spec) : null;
      if (problem) throw new DeclarationError(problem);
    }
    return { scenarios, properties };
  } catch (e) {
    if (e instanceof DeclarationError) throw new DesignFileError(file, e.message);
    throw e;
  }
}

/** A DesignError raised while exploring, as one paragraph that names the step. */
export function describeDesignError(e: DesignError, fileOf: (id: string) => string | undefined) {
  if (e instanceof PropertyCheckError) {
    const file = fileOf(e.program);
    const at = userFrame(e.cause);
    return `property error: "${e.property}": ${oneParagraph(e.detail)}${at ? ` (at ${at})` : ""}, judging step "${e.label}" of ${file ? `${file} (design "${e.program}")` : `"${e.program}"`}. This is a bug in the property's check, not a violation, and no verdict was given. Fix: make the check handle this state (run with --debug for the stack trace).`;
  }
  // an actor's step (a program that is no design), named as such with the file that
  // declared it, if not lockdrop's own
  const actor =
    designRegistry.get(e.program) === undefined && actorRegistry.get(e.program) !== undefined;
  const source = actor ? actorRegistry.source(e.program) : fileOf(e.program);
  const file = source === BUILT_IN ? undefined : source;
  const kind = actor ? "actor" : "design";
  const where = file ? `${file} (${kind} "${e.program}")` : `${kind} "${e.program}"`;
  const detail = oneParagraph(e.message.replace(`${e.program}, step "${e.label}": `, ""));
  // a lock or object the scenario does not declare, met by a step that names it only as
  // it runs (model/kernel/objects.ts, locks.ts): the fix is the scenario's
  const undeclared = /^(.*); (declare (?:it|.+) in the scenario's (?:locks|objects))$/.exec(detail);
  if (undeclared)
    return `design error in ${where}, step "${e.label}": ${undeclared[1]}. No verdict was given. Fix: ${undeclared[2]}.`;
  return `design error in ${where}, step "${e.label}": ${detail}. This is a bug in the ${kind}'s step, not a property violation, and no verdict was given. Fix: make the step handle this state (run with --debug for the stack trace).`;
}

/** lockdrop's own source folders: a frame in one is not where a user's code went wrong. */
const OWN = ["api", "cli", "engine", "model", "properties", "reports"].map((d) =>
  fileURLToPath(new URL(`../${d}/`, import.meta.url)),
);

/**
 * The first frame of an error's stack in the user's own code (a property or step in their
 * design file), as path:line relative to the working directory; undefined when there is
 * none (the error came from lockdrop itself, or has no stack).
 */
export function userFrame(err: unknown): string | undefined {
  const stack = err instanceof Error ? err.stack : undefined;
  if (!stack) return undefined;
  for (const line of stack.split("\n").slice(1)) {
    const m = /\(?((?:file:\/\/)?\/[^():]+):(\d+):\d+\)?\s*$/.exec(line.trim());
    if (!m) continue;
    const path = m[1]?.startsWith("file://") ? fileURLToPath(m[1]) : (m[1] as string);
    if (path.includes("/node_modules/") || OWN.some((d) => path.startsWith(d))) continue;
    return `${relative(process.cwd(), path) || path}:${m[2]}`;
  }
  return undefined;
}

export { DesignError };
