// The counterexample file, lockdrop.cex/1, defined once: the zod schema below is the
// format (its JSON Schema is committed as reports/cex.schema.json), and the one-line
// replay token (`ld1.` + base64url of compact JSON) carries the same schedule in a
// form that fits in an email. A file records the executed steps one by one (thread,
// pick, label, op, outcome) with a fingerprint of the world after each, so a replay can
// say exactly where it stops matching; nothing in it depends on the machine or the
// time it was written.
import { createHash } from "node:crypto";
import { z } from "zod";
import type { Counterexample } from "../engine/random.js";
import type { Choice, Run, Setup } from "../engine/run.js";
import { runSchedule, setupFor } from "../engine/run.js";
import type { RowResult } from "../engine/verdicts.js";
import { designById } from "../model/designs/index.js";
import { WORLD_PARTS } from "../model/parts.js";
import { scenarioById } from "../model/scenarios.js";
import type { Design, Step } from "../model/step.js";
import type { World } from "../model/world.js";
import { propertyById } from "../properties/index.js";
import type { Property } from "../properties/property.js";

export const CEX_SCHEMA = "lockdrop.cex/1";
export const TOKEN_PREFIX = "ld1.";

const hex = (n: number) => z.string().regex(new RegExp(`^[0-9a-f]{${n}}$`), `${n} hex digits`);
const count = () => z.number().int().nonnegative();

export const CexStepSchema = z
  .object({
    thread: z.string().min(1).describe("the thread's name in the lanes: T, W, I, M, S, ..."),
    tid: count().describe("thread index in the scenario's world"),
    pick: count().describe("resolves a choice the step offers (0 is the default)"),
    phase: z
      .enum(["schedule", "completion"])
      .describe("from the schedule, or from the deterministic fair completion after it"),
    label: z.string().min(1).describe("step label the thread ran"),
    op: z.string().describe("the kernel call of that step"),
    outcome: z.string().describe("outcome of the op"),
    choice: z.string().nullable().describe("what the pick chose, where the op asked"),
    fingerprint: hex(16).describe("world fingerprint after the step (replay determinism)"),
  })
  .strict();

export const CexSchema = z
  .object({
    schema: z.literal(CEX_SCHEMA),
    design: z.string().min(1).describe("design id"),
    designHash: hex(64).describe("sha256 of the design's step table (designHash())"),
    designLabels: z
      .record(z.string(), hex(12))
      .describe("per step label, a hash of that step: names what changed on a mismatch"),
    scenario: z.string().min(1),
    property: z.string().min(1),
    violation: z
      .object({
        at: count().describe("index of the violating step; steps.length for an end-of-run one"),
        message: z.string(),
        loopStart: count()
          .optional()
          .describe(
            "for a lasso (liveness): steps before the loop; steps loopStart..at come back to the state after loopStart steps and repeat forever",
          ),
      })
      .strict(),
    steps: z.array(CexStepSchema).describe("executed steps up to the violation"),
    module: z
      .object({
        path: z.string().min(1).describe("the design file, relative to the directory of this file"),
        sha256: hex(64).describe("sha256 of the design file's text when this file was written"),
      })
      .strict()
      .optional()
      .describe("for a design from a user's file: where to load it again"),
    origin: z
      .object({
        seed: z.number().int().nullable().describe("fast-check seed of the row"),
        path: z.string().nullable().describe("fast-check path of the failing run"),
      })
      .strict(),
    length: z
      .object({
        beforeShrink: count().nullable().describe("steps of the first failing run"),
        fastCheck: count().nullable().describe("steps after fast-check's shrinking"),
        minimized: count().describe("steps after engine/shrink/ (this file)"),
        shortest: count()
          .nullable()
          .describe("the shortest length breadth-first search found, when it ran"),
      })
      .strict(),
    provenShortest: z
      .boolean()
      .describe("true only when breadth-first search established that no shorter one exists"),
    fixedBy: z
      .array(z.string().min(1))
      .optional()
      .describe("designs on which this schedule must NOT reproduce the violation"),
    checksum: hex(64)
      .optional()
      .describe(
        "sha256 of every other field, keys sorted (cexChecksum()): an edited or damaged file is refused, never replayed as fixed",
      ),
  })
  .strict();

export type CexStep = z.infer<typeof CexStepSchema>;
export type Cex = z.infer<typeof CexSchema>;

/** The JSON Schema of lockdrop.cex/1, as committed in reports/cex.schema.json. */
export function cexJsonSchema(): unknown {
  return z.toJSONSchema(CexSchema, { target: "draft-2020-12" });
}

// ---------------------------------------------------------------------------------
// hashes

function sha256(s: string): string {
  return createHash("sha256").update(s).digest("hex");
}

function stepShape(s: Step): unknown {
  const on = s.on ? Object.keys(s.on).sort() : [];
  return {
    op: s.op.name,
    outcomes: [...s.op.outcomes],
    local: s.op.local === true,
    next: s.next ?? null,
    on: on.map((k) => [k, s.on?.[k]]),
  };
}

/** Per step label, a short hash of its op, outcomes and successors. */
export function labelHashes(design: Design): Record<string, string> {
  const out: Record<string, string> = {};
  for (const label of Object.keys(design.steps).sort()) {
    const s = design.steps[label];
    if (s) out[label] = sha256(JSON.stringify([label, stepShape(s)])).slice(0, 12);
  }
  return out;
}

/** sha256 of a canonical JSON of the design's step table: start, labels, ops, outcomes, next/on. */
export function designHash(design: Design): string {
  return sha256(JSON.stringify([design.start, labelHashes(design)]));
}

/** What changed between a recorded step table and a design: labels added, removed, changed. */
export function designChanges(
  recorded: Readonly<Record<string, string>>,
  design: Design,
): string[] {
  const now = labelHashes(design);
  const out: string[] = [];
  if (Object.keys(recorded).length === 0)
    return ["its step table hash differs; a replay token carries no per-step hashes to say where"];
  const changed = Object.keys(recorded).filter((l) => l in now && now[l] !== recorded[l]);
  const removed = Object.keys(recorded).filter((l) => !(l in now));
  const added = Object.keys(now).filter((l) => !(l in recorded));
  if (changed.length) out.push(`changed steps: ${changed.join(", ")}`);
  if (removed.length) out.push(`removed steps: ${removed.join(", ")}`);
  if (added.length) out.push(`new steps: ${added.join(", ")}`);
  if (out.length === 0) out.push("the start label changed");
  return out;
}

function canon(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canon);
  if (v !== null && typeof v === "object") {
    const o = v as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(o).sort()) if (o[k] !== undefined) out[k] = canon(o[k]);
    return out;
  }
  return v;
}

/**
 * The fingerprint recorded after every step: the first 16 hex digits of sha256 over
 * the whole world (keys sorted) except the ghost bookkeeping. Unlike
 * engine/fingerprint.ts, which abstracts states for visited sets (and may be tuned for
 * that), this one is exact, so a replay that matches it went through the same states.
 */
export function traceFingerprint(w: World): string {
  const { ghost: _g, ...rest } = w;
  // parts most scenarios leave empty (declared locks and objects) are left out while
  // empty, so that the fingerprints of worlds without them did not change when they came
  const parts = rest as Record<string, unknown>;
  // a thread's fromWorker is left out while false, so that the fingerprints of worlds
  // whose drivers run from a task did not change when it came
  parts.threads = w.threads.map(({ fromWorker, ...t }) => (fromWorker ? { ...t, fromWorker } : t));
  for (const p of WORLD_PARTS)
    if (p.emptyUnlessUsed?.(parts[p.name] as never)) delete parts[p.name];
    else if (p.traced) parts[p.name] = p.traced(parts[p.name] as never);
  return sha256(JSON.stringify(canon(parts))).slice(0, 16);
}

// ---------------------------------------------------------------------------------
// building a file from a schedule

export interface CexMeta {
  readonly seed?: number | null;
  readonly path?: string | null;
  readonly lengthBeforeShrink?: number | null;
  readonly lengthFastCheck?: number | null;
  readonly shortest?: number | null;
  readonly provenShortest?: boolean;
  readonly fixedBy?: readonly string[];
}

/** The run of a schedule up to the violation of `property`, or null when it holds. */
export function runToViolation(setup: Setup, property: Property, schedule: readonly Choice[]) {
  const run = runSchedule(setup, schedule, [property], { stopOn: property.id, keepWorlds: true });
  const v = run.violations.find((x) => x.property === property.id);
  return v ? { run, violation: v } : null;
}

/** The recorded steps of a run: the first `scheduled` came from the schedule. */
export function stepsOf(run: Run, upTo: number, scheduled: number): CexStep[] {
  const worlds = run.worlds;
  if (!worlds) throw new Error("stepsOf needs a run with keepWorlds");
  return run.trace.slice(0, upTo).map((rec, i) => ({
    thread: worlds[0]?.threads[rec.tid]?.name ?? `#${rec.tid}`,
    tid: rec.tid,
    pick: run.executed[i]?.p ?? 0,
    phase: i < scheduled ? "schedule" : "completion",
    label: rec.labels[0] ?? "",
    op: rec.ops[0] ?? "",
    outcome: rec.outcome ?? "",
    choice: rec.choice,
    fingerprint: traceFingerprint(worlds[i + 1] as World),
  }));
}

/**
 * A counterexample file for `schedule` (normalized: every choice runs one step), or
 * null when the schedule does not violate the property.
 */
export function buildCex(
  setup: Setup,
  property: Property,
  schedule: readonly Choice[],
  meta: CexMeta = {},
): Cex | null {
  const r = runToViolation(setup, property, schedule);
  if (!r) return null;
  const upTo = Math.min(r.violation.at + 1, r.run.trace.length);
  const steps = stepsOf(r.run, upTo, schedule.length);
  return {
    schema: CEX_SCHEMA,
    design: setup.design.id,
    designHash: designHash(setup.design),
    designLabels: labelHashes(setup.design),
    scenario: setup.scenario.id,
    property: property.id,
    violation: {
      at: r.violation.at,
      message: r.violation.message,
      ...(r.violation.loopStart !== undefined ? { loopStart: r.violation.loopStart } : {}),
    },
    steps,
    origin: { seed: meta.seed ?? null, path: meta.path ?? null },
    length: {
      beforeShrink: meta.lengthBeforeShrink ?? null,
      fastCheck: meta.lengthFastCheck ?? null,
      minimized: steps.length,
      shortest: meta.shortest ?? null,
    },
    provenShortest: meta.provenShortest ?? false,
    ...(meta.fixedBy?.length ? { fixedBy: [...meta.fixedBy] } : {}),
  };
}

/** The schedule of a file: its schedule-phase steps, one choice each. */
export function scheduleOf(cex: Pick<Cex, "steps">): Choice[] {
  return cex.steps.filter((s) => s.phase === "schedule").map((s) => ({ t: s.tid, p: s.pick }));
}

/** The checksum of a file: sha256 of every field but the checksum, keys sorted. */
export function cexChecksum(cex: Cex): string {
  const { checksum: _c, ...rest } = cex;
  return sha256(JSON.stringify(canon(rest)));
}

/** Stable text of a file: two-space JSON with a final newline, its checksum last. */
export function cexText(cex: Cex): string {
  const { checksum: _c, ...rest } = cex;
  return `${JSON.stringify({ ...rest, checksum: cexChecksum(cex) }, null, 2)}\n`;
}

/** The token's checksum: over its other fields, in the order they were written. */
function tokenChecksum(t: Token): string {
  const { k: _k, ...rest } = t;
  return sha256(JSON.stringify(rest)).slice(0, 12);
}

/** Fields that must agree with one another; the first disagreement, or null. */
function inconsistency(c: Cex): string | null {
  if (c.steps.length === 0) return "it records no step";
  if (c.violation.at > c.steps.length)
    return `violation.at is ${c.violation.at} but only ${c.steps.length} steps are recorded`;
  if (c.violation.loopStart !== undefined && c.violation.loopStart > c.violation.at)
    return `violation.loopStart (${c.violation.loopStart}) is after violation.at (${c.violation.at})`;
  if (c.length.minimized !== c.steps.length)
    return `length.minimized is ${c.length.minimized} but ${c.steps.length} steps are recorded`;
  const firstCompletion = c.steps.findIndex((x) => x.phase === "completion");
  if (firstCompletion >= 0 && c.steps.slice(firstCompletion).some((x) => x.phase === "schedule"))
    return "a schedule step follows a completion step";
  return null;
}

// ---------------------------------------------------------------------------------
// the replay token

export const TokenSchema = z
  .object({
    v: z.literal(1),
    d: z.string().min(1).describe("design id"),
    h: hex(16).describe("first 16 hex digits of the design hash"),
    s: z.string().min(1).describe("scenario id"),
    p: z.string().min(1).describe("property id"),
    c: z
      .string()
      .regex(/^(\d+(:\d+)?(,\d+(:\d+)?)*)?$/, "choices as tid or tid:pick, comma-separated")
      .describe("the schedule"),
    f: hex(16).describe("fingerprint after the last recorded step"),
    n: count().describe("recorded steps"),
    m: z
      .string()
      .min(1)
      .optional()
      .describe("a user design's file, relative to where the token was printed"),
    mh: hex(16).optional().describe("first 16 hex digits of the sha256 of that file"),
    k: hex(12)
      .optional()
      .describe("first 12 hex digits of the sha256 of the other fields, in order"),
  })
  .strict();

export type Token = z.infer<typeof TokenSchema>;

/** A user design's file: its path (relative to a directory the reader knows) and text hash. */
export interface ModuleRef {
  readonly path: string;
  readonly sha256: string;
}

export function tokenOf(cex: Cex, module?: ModuleRef): string {
  const c = scheduleOf(cex)
    .map((x) => (x.p === 0 ? `${x.t}` : `${x.t}:${x.p}`))
    .join(",");
  const last = cex.steps[cex.steps.length - 1];
  const t: Token = {
    v: 1,
    d: cex.design,
    h: cex.designHash.slice(0, 16),
    s: cex.scenario,
    p: cex.property,
    c,
    f: last?.fingerprint ?? "0".repeat(16),
    n: cex.steps.length,
    ...(module ? { m: module.path, mh: module.sha256.slice(0, 16) } : {}),
  };
  const signed: Token = { ...t, k: tokenChecksum(t) };
  return `${TOKEN_PREFIX}${Buffer.from(JSON.stringify(signed)).toString("base64url")}`;
}

export function isToken(s: string): boolean {
  return s.startsWith(TOKEN_PREFIX);
}

/**
 * The counterexample a token stands for, rebuilt by running its schedule on `setup`.
 * The last step carries the token's fingerprint, so the replay compares against it;
 * when the schedule no longer violates the property, the file records the whole run
 * with the violation placed after its end (the replay then says it does not reproduce).
 */
export function cexFromToken(t: Token, setup: Setup, property: Property): Cex {
  const choices = tokenChoices(t);
  const always: Property = { ...property, monitor: () => ({ end: () => "" }) };
  const cex = buildCex(setup, property, choices) ?? buildCex(setup, always, choices);
  if (!cex) throw new Error("a run must violate a property that always fails");
  const hashOk = t.h === cex.designHash.slice(0, 16);
  const last = cex.steps.length - 1;
  return {
    ...cex,
    property: property.id,
    designHash: hashOk ? cex.designHash : t.h.padEnd(64, "0"),
    designLabels: hashOk ? cex.designLabels : {},
    steps: cex.steps.map((s, i) =>
      i === last && t.n === cex.steps.length ? { ...s, fingerprint: t.f } : s,
    ),
  };
}

export function tokenChoices(t: Token): Choice[] {
  if (t.c === "") return [];
  return t.c.split(",").map((x) => {
    const [a, b] = x.split(":");
    return { t: Number(a), p: Number(b ?? 0) };
  });
}

// ---------------------------------------------------------------------------------
// parsing, with errors that name the bad field

/** A zod issue path as a reader writes it: steps[3].fingerprint */
export function pathText(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) out += typeof p === "number" ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out || "(top level)";
}

export function issuesText(e: z.ZodError, max = 3): string {
  const parts = e.issues.slice(0, max).map((i) => `at ${pathText(i.path)}: ${i.message}`);
  const more = e.issues.length > max ? ` (and ${e.issues.length - max} more)` : "";
  return parts.join("; ") + more;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

/** Parse the text of a counterexample file; the error is one paragraph. */
export function parseCex(text: string, name: string): Parsed<Cex> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    const why = text.trim() === "" ? "it is empty" : (e as Error).message;
    return {
      ok: false,
      error: `${name} is not JSON (${why}): it may be truncated. Fix: give a counterexample file as \`lockdrop check --out\` wrote it, or write it again with that command.`,
    };
  }
  const schema = (json as { schema?: unknown } | null)?.schema;
  if (typeof json !== "object" || json === null || Array.isArray(json))
    return {
      ok: false,
      error: `${name} is not a ${CEX_SCHEMA} file: the top level is not an object.`,
    };
  if (schema !== CEX_SCHEMA)
    return {
      ok: false,
      error: `${name} is not a ${CEX_SCHEMA} file: its "schema" is ${schema === undefined ? "missing" : JSON.stringify(schema)}, where a counterexample file says "${CEX_SCHEMA}". Fix: give a counterexample file as \`lockdrop check --out\` wrote it, or write it again with that command.`,
    };
  const r = CexSchema.safeParse(json);
  if (!r.success)
    return {
      ok: false,
      error: `${name} is not a valid ${CEX_SCHEMA} file: ${issuesText(r.error)}. Fix: give a counterexample file as \`lockdrop check --out\` wrote it (a changed one is refused), or write it again with that command.`,
    };
  const c = r.data;
  if (c.checksum === undefined)
    return {
      ok: false,
      error: `${name} has no checksum, so lockdrop cannot tell whether it was edited or damaged, and does not replay it. Fix: write it again with \`lockdrop check --out\`.`,
    };
  if (c.checksum !== cexChecksum(c))
    return {
      ok: false,
      error: `${name} is corrupted or was edited: its checksum does not match its content, so it is not replayed (a damaged file must never read as "fixed"). Fix: use the file as \`lockdrop check --out\` wrote it, or write it again.`,
    };
  const bad = inconsistency(c);
  if (bad !== null)
    return {
      ok: false,
      error: `${name} is inconsistent: ${bad}. It is not replayed. Fix: write it again with \`lockdrop check --out\`.`,
    };
  return { ok: true, value: c };
}

export function parseToken(s: string): Parsed<Token> {
  const body = s.trim().slice(TOKEN_PREFIX.length);
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(body, "base64url").toString("utf8"));
  } catch {
    return {
      ok: false,
      error: `the replay token does not decode (it is cut short or mangled). Fix: copy the whole line that starts with ${TOKEN_PREFIX} again.`,
    };
  }
  const r = TokenSchema.safeParse(json);
  if (!r.success)
    return {
      ok: false,
      error: `the replay token is corrupted (${issuesText(r.error)}); it is not replayed. Fix: copy the whole line that starts with ${TOKEN_PREFIX} again.`,
    };
  if (r.data.k === undefined || r.data.k !== tokenChecksum(r.data))
    return {
      ok: false,
      error: `the replay token is corrupted: ${r.data.k === undefined ? "it carries no checksum (an older lockdrop printed it)" : "its checksum does not match its content"}, so it is not replayed (a damaged token must never read as "fixed"). Fix: copy the whole line that starts with ${TOKEN_PREFIX} again, or print it again with \`lockdrop check\`.`,
    };
  return { ok: true, value: r.data };
}

// ---------------------------------------------------------------------------------
// from the checker's counterexamples

/** The file for a counterexample of `check`/`matrix`, or null if its schedule does not replay. */
export function cexOfCounterexample(
  c: Counterexample,
  setup: Setup,
  property: Property,
  module?: ModuleRef,
): Cex | null {
  const schedule = c.schedule.slice(0, c.scheduled);
  const cex = buildCex(setup, property, schedule, {
    seed: c.seed,
    path: c.path,
    lengthBeforeShrink: c.lengthBeforeShrink >= 0 ? c.lengthBeforeShrink : null,
    lengthFastCheck: c.provenShortest ? null : c.lengthAfterFastCheck,
    shortest: c.provenShortest ? c.schedule.length : null,
    provenShortest: c.provenShortest === true,
  });
  return cex && module ? { ...cex, module: { path: module.path, sha256: module.sha256 } } : cex;
}

/**
 * The replay token of a check row's counterexample, or null. For a design from a
 * user's file, `module` is that file relative to the current directory.
 */
export function tokenForRow(row: RowResult, module?: ModuleRef): string | null {
  const c = row.counterexample;
  const design = designById(row.design);
  const scenario = scenarioById(row.scenario);
  const property = propertyById(row.property);
  if (!c || !design || !scenario || !property) return null;
  const cex = cexOfCounterexample(c, setupFor(design, scenario), property);
  return cex ? tokenOf(cex, module) : null;
}
