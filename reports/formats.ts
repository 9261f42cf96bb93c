// The JSON that `--json` prints, defined once: lockdrop.check/1, lockdrop.matrix/1,
// lockdrop.compare/1, lockdrop.list/1, lockdrop.coverage/1, lockdrop.merge/1 and the
// shard file lockdrop.shard/1 are the zod schemas below, their TypeScript
// types are inferred from them, and the code that builds each output validates it here
// before it is printed (an output that does not match is a bug in lockdrop: exit 3). The
// JSON Schema of each is committed beside reports/cex.schema.json (`npm run schemas`
// writes them; a test compares them). A row's verdict, strength and stop reason are
// the engine's (engine/verdicts.ts): the schemas below are asserted, at compile time,
// to describe exactly those types.
import { z } from "zod";
import type { CoverageSearch, EdgeCoverage, EdgeStatus } from "../engine/coverage.js";
import type { Choice } from "../engine/run.js";
import type { MatrixRow, StopReason, Strength, Verdict } from "../engine/verdicts.js";
import type { Family } from "../model/step.js";
import { FAMILIES } from "../model/step.js";
import type { RunEnd } from "../properties/property.js";
import type { ModuleRef } from "./cex.js";
import { cexJsonSchema } from "./cex.js";
import type { Replay } from "./compare.js";

const count = () => z.number().int().nonnegative();
const id = () => z.string().min(1);

// ---------------------------------------------------------------------------------
// the parts the outputs share

export const VerdictSchema = z
  .enum(["holds", "violated", "unknown", "n/a"])
  .describe(
    "holds: no violation within the strength; violated: a counterexample was found; unknown: a requested search stopped early without a violation; n/a: the scenario cannot exercise the property",
  );

export const StopReasonSchema = z
  .enum(["max-states", "max-memory", "interrupted", "time"])
  .describe("why a requested search ended before its bound");

export const StrengthSchema = z
  .discriminatedUnion("kind", [
    z
      .object({
        kind: z.literal("random"),
        runs: count().describe("random schedules run"),
        pct: count().optional().describe("PCT priority scheduling of this bug depth"),
      })
      .strict(),
    z
      .object({
        kind: z
          .enum(["exhaustive-depth", "exhaustive-complete"])
          .describe(
            "exhaustive-depth: every state above `depth` expanded; exhaustive-complete: no state left unexpanded",
          ),
        depth: count().describe("the deepest level expanded"),
        states: count().describe("distinct states"),
        frontier: count().describe(
          "states reached but not expanded (at the depth bound, or when stopped)",
        ),
        omissionProbability: z
          .number()
          .min(0)
          .max(1)
          .optional()
          .describe(
            "a search that keeps states as hashes (--hash-compact, or on several threads): the probability that a state was wrongly taken for one seen",
          ),
        preemptions: count()
          .optional()
          .describe(
            "a preemption bound (--preemptions K): every schedule with at most K preemptions was covered, not every schedule",
          ),
        reduction: z
          .literal("persistent-sets")
          .optional()
          .describe(
            "--persistent-sets: the states a reduced search expanded; every safety violation is kept, not every state",
          ),
        allViolated: z
          .literal(true)
          .optional()
          .describe(
            "the search stopped at the end of the layer in which every property was found violated (--persistent-sets): no row was left to prove",
          ),
      })
      .strict(),
    z
      .object({ kind: z.literal("none") })
      .strict()
      .describe("not run (an n/a row)"),
  ])
  .describe("what the verdict rests on");

export const ChoiceSchema = z
  .object({
    t: count().describe("thread index (taken modulo the number of threads)"),
    p: count().describe("resolves a choice the step offers (taken modulo the options)"),
    n: count()
      .optional()
      .describe("run the thread for up to this many steps while it stays enabled (default 1)"),
  })
  .strict()
  .describe("one step of a schedule");

const ScheduleSchema = z
  .array(ChoiceSchema)
  .describe("the executed schedule up to and including the violating step");

// ---------------------------------------------------------------------------------
// lockdrop.matrix/1

export const MatrixRowSchema = z
  .object({
    design: id(),
    scenario: id(),
    property: id(),
    verdict: VerdictSchema,
    strength: StrengthSchema,
    stopped: StopReasonSchema.optional().describe(
      "the search stopped before its bound: the reason (the coverage is in strength)",
    ),
    method: z.string().describe('how the verdict was reached: "random", "exhaustive" or "n/a"'),
    runs: count().describe("random schedules run (0 for exhaustive and n/a rows)"),
    steps: count().nullable().describe("length of the counterexample for violated rows, else null"),
    message: z.string().optional().describe("the violation, for violated rows"),
    depth: count().optional().describe("exhaustive rows: the depth explored"),
    states: count().optional().describe("exhaustive rows: distinct states"),
    complete: z.boolean().optional().describe("exhaustive rows: the state space was exhausted"),
    stoppedBy: StopReasonSchema.optional().describe("exhaustive rows: as stopped"),
    frontier: count()
      .optional()
      .describe(
        "exhaustive rows: states reached but not expanded (at the depth bound, or when stopped)",
      ),
  })
  .strict();

export const MatrixSchema = z
  .object({
    schema: z.literal("lockdrop.matrix/1"),
    seed: z.number().int().describe("seed of the random exploration"),
    rows: z
      .array(MatrixRowSchema)
      .describe("one per design, scenario (that the design runs in) and property"),
  })
  .strict();

// ---------------------------------------------------------------------------------
// lockdrop.check/1

export const ModuleRefSchema = z
  .object({
    path: id().describe("the design file, relative to the current directory"),
    sha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/, "64 hex digits")
      .describe("sha256 of the design file's text"),
  })
  .strict()
  .describe("for a design from a user's file: where to load it again");

export const CheckResultSchema = z
  .object({
    scenario: id(),
    property: id(),
    verdict: VerdictSchema,
    strength: StrengthSchema,
    stopped: StopReasonSchema.optional(),
    runs: count().describe("random schedules run (0 for exhaustive and n/a rows)"),
    steps: count().nullable().describe("length of the counterexample for violated rows, else null"),
    message: z.string().optional().describe("the violation, for violated rows"),
    provenShortest: z
      .boolean()
      .optional()
      .describe(
        "violated rows: a breadth-first search established that no shorter counterexample exists (false: not proven, as for a random counterexample the pass did not prove, an exhaustive one under a preemption bound or found past a stop, or a shard's part)",
      ),
    schedule: ScheduleSchema.optional(),
    fastCheck: z
      .object({
        seed: z.number().int().describe("fast-check seed of the row (0 for exhaustive search)"),
        path: z
          .string()
          .describe('fast-check path of the failing run ("exhaustive" for exhaustive search)'),
      })
      .strict()
      .optional(),
  })
  .strict();

export const CheckSchema = z
  .object({
    schema: z.literal("lockdrop.check/1"),
    design: id().describe("the design as given on the command line: an id or a design file"),
    seed: z.number().int().describe("seed of the random exploration"),
    runs: count().describe("random schedules per scenario"),
    shortest: z
      .union([z.boolean(), count()])
      .optional()
      .describe(
        "the breadth-first pass after random search: on (default bound), off, or its bound in states",
      ),
    exhaustive: z
      .object({
        depth: count().optional().describe("the depth bound; absent: none (run to completion)"),
        maxStates: count().optional().describe("--max-states"),
        preemptions: count()
          .optional()
          .describe(
            "--preemptions: only schedules with at most this many; counterexamples are not proven shortest",
          ),
        sleepSets: z.boolean().optional().describe("--sleep-sets"),
        persistentSets: z.boolean().optional().describe("--persistent-sets"),
        hashCompact: z.boolean().optional().describe("--hash-compact"),
      })
      .strict()
      .optional()
      .describe("exhaustive breadth-first search instead of random search"),
    pct: count()
      .optional()
      .describe("random search with PCT priority scheduling of this bug depth"),
    module: ModuleRefSchema.optional(),
    results: z.array(CheckResultSchema).describe("one per scenario and property"),
  })
  .strict();

// ---------------------------------------------------------------------------------
// lockdrop.compare/1

export const RunEndSchema = z
  .enum(["done", "deadlock", "budget"])
  .describe("how the run ended: it completed, a thread stayed blocked, or the step budget ran out");

export const CompareVerdictSchema = z
  .union([VerdictSchema, z.literal("not run")])
  .describe("a design's verdict; not run: the design does not run in the scenario");

export const ReplaySchema = z
  .object({
    design: id(),
    violated: z.boolean(),
    message: z.string().nullable(),
    end: RunEndSchema,
    steps: count(),
  })
  .strict()
  .describe("the same schedule run on a design where the property held");

export const CompareSchema = z
  .object({
    schema: z.literal("lockdrop.compare/1"),
    designs: z.array(id()).min(2),
    runs: count().describe("random schedules per scenario"),
    seed: z.number().int().describe("seed of the random exploration"),
    rows: z.array(
      z
        .object({
          scenario: id(),
          property: id(),
          differs: z.boolean().describe("the designs that ran got different verdicts"),
          verdicts: z.record(z.string(), CompareVerdictSchema).describe("per design id"),
          strength: StrengthSchema.describe(
            "what every verdict of the row rests on: the same random runs for each design",
          ),
        })
        .strict(),
    ),
    separations: z
      .array(
        z
          .object({
            scenario: id(),
            property: id(),
            violator: id().describe("the design whose counterexample this is"),
            message: z.string(),
            schedule: ScheduleSchema,
            replays: z.array(ReplaySchema),
          })
          .strict(),
      )
      .describe("for each row that differs, each counterexample replayed on the designs that held"),
  })
  .strict();

// ---------------------------------------------------------------------------------
// lockdrop.list/1

export const FamilySchema = z.enum(FAMILIES).describe("the kind of caller a design is");

export const ListSchema = z
  .object({
    schema: z.literal("lockdrop.list/1"),
    designs: z.array(z.object({ id: id(), family: FamilySchema, title: z.string() }).strict()),
    scenarios: z.array(
      z
        .object({
          id: id(),
          title: z.string(),
          families: z.array(FamilySchema).describe("the kinds of design that run in it"),
          mutants: z
            .array(z.object({ actor: id(), bug: z.string() }).strict())
            .describe(
              "the actors it runs that carry a bug on purpose (a mutant reaper, truncate, notifier core): every design may violate a property beside them",
            ),
        })
        .strict(),
    ),
    actors: z
      .array(
        z
          .object({
            id: id(),
            lane: z.string().describe("its lane in the thread lanes"),
            title: z.string(),
            disruptive: z
              .boolean()
              .describe("it disturbs the call (munmap, an invalidation, a signal)"),
            mutant: z
              .string()
              .optional()
              .describe(
                "the bug it carries on purpose (a mutant of kernel code), absent for an actor that does what the kernel does",
              ),
            scenarios: z.array(id()).describe("the built-in scenarios that run it"),
          })
          .strict(),
      )
      .describe(
        'the built-in actors, which a scenario of one\'s own names by id: { actor: "swap-out", budget: 2 }',
      ),
    properties: z.array(
      z
        .object({
          id: id(),
          ref: z.string().describe('the reference entries, e.g. "S1" or "S14, L1"'),
          statement: z.string(),
          kind: z.enum(["safety", "liveness"]),
        })
        .strict(),
    ),
  })
  .strict();

// ---------------------------------------------------------------------------------
// lockdrop.coverage/1

export const EdgeStatusSchema = z
  .enum(["reached", "misbehaving-handler", "unreached", "unknown"])
  .describe(
    "reached: some search took the edge; misbehaving-handler: only where a fault broke handle_mm_fault()'s contract (RETRY or COMPLETED without FAULT_FLAG_ALLOW_RETRY); unreached: no search took it; unknown: not taken, and a search was cut short",
  );

export const CoverageSearchSchema = z
  .object({
    strength: StrengthSchema,
    stopped: StopReasonSchema.optional().describe("the search stopped before its bound: why"),
  })
  .strict()
  .describe("one search of a scenario");

export const EdgeCoverageSchema = z
  .object({
    label: id().describe("the step"),
    outcome: id().describe("an outcome of the step's op"),
    to: z.string().nullable().describe("the label the outcome jumps to"),
    status: EdgeStatusSchema,
    reachedIn: z.array(id()).describe("the scenarios whose searches took the edge"),
    breachedIn: z
      .array(id())
      .describe("the scenarios where only a fault that broke handle_mm_fault()'s contract took it"),
    unreachable: z
      .string()
      .optional()
      .describe("the design lists the edge as unreachable, for this reason"),
    stale: z.boolean().describe("listed as unreachable, but reached: the list is out of date"),
  })
  .strict();

export const CoverageSchema = z
  .object({
    schema: z.literal("lockdrop.coverage/1"),
    design: id().describe("the design as given on the command line: an id or a design file"),
    module: ModuleRefSchema.optional(),
    depth: count()
      .nullable()
      .describe(
        "the exhaustive pass: longest schedule explored (null: no bound, with exhaustiveOnly)",
      ),
    maxStates: count()
      .nullable()
      .describe(
        "the exhaustive pass stops after this many states (null: unbounded); a scenario it did not exhaust is searched at random too, unless exhaustiveOnly",
      ),
    runs: count().describe("random schedules per scenario the exhaustive pass did not exhaust"),
    seed: z.number().int().describe("seed of the random search"),
    exhaustiveOnly: z
      .boolean()
      .describe(
        "no random search: what an exhaustive pass stopped early or left beyond its depth bound did not reach is unknown",
      ),
    scenarios: z.array(
      z
        .object({
          scenario: id(),
          searches: z
            .array(CoverageSearchSchema)
            .min(1)
            .describe(
              "the exhaustive pass, then random search where it did not exhaust the scenario",
            ),
          cutShort: z
            .boolean()
            .describe("a search was cut short: an edge it did not reach may be reachable here"),
        })
        .strict(),
    ),
    edges: z
      .array(EdgeCoverageSchema)
      .describe("every edge of the step table: each step's label with each outcome of its op"),
    summary: z
      .object({
        edges: count(),
        reached: count().describe("status reached"),
        misbehavingHandler: count().describe("status misbehaving-handler"),
        listed: count().describe("listed as unreachable and not reached"),
        unlisted: count().describe("unreached and not listed as unreachable"),
        unknown: count().describe("unknown and not listed as unreachable"),
        stale: count().describe("listed as unreachable, but reached"),
      })
      .strict(),
  })
  .strict();

// ---------------------------------------------------------------------------------
// lockdrop.shard/1 and lockdrop.merge/1 (reports/shard.ts)

export const SHARD_SCHEMA = "lockdrop.shard/1";
export const MERGE_SCHEMA = "lockdrop.merge/1";

const hex64 = () => z.string().regex(/^[0-9a-f]{64}$/, "64 hex digits");

export const ShardOptionsSchema = z
  .object({
    mode: z.enum(["random", "exhaustive"]),
    seed: z.number().int().describe("seed of the random exploration"),
    runs: count().describe("random schedules per design and scenario, over all shards"),
    pct: count().optional(),
    shortest: z.union([z.boolean(), count()]).optional(),
    depth: count().optional().describe("exhaustive: longest schedule explored"),
    maxStates: count().optional(),
    maxMemory: count().optional(),
    hashCompact: z.boolean().optional(),
    preemptions: count().optional(),
    sleepSets: z.boolean().optional(),
    persistentSets: z.boolean().optional(),
  })
  .strict()
  .describe("the exploration options; every shard of one search has the same");

export const ShardRowSchema = z
  .object({
    design: id(),
    scenario: id(),
    property: id(),
    verdict: VerdictSchema,
    strength: StrengthSchema,
    stopped: StopReasonSchema.optional(),
    complete: z
      .boolean()
      .describe("the shard's part of the search ran to its bound (a holds verdict rests on it)"),
    steps: count().nullable().describe("length of the shard's shortest counterexample, else null"),
    message: z.string().optional(),
    schedule: z.array(ChoiceSchema).optional().describe("the counterexample's schedule"),
    loopStart: count()
      .optional()
      .describe("a lasso (liveness): the index of the schedule's step where its loop starts"),
    provenShortest: z
      .boolean()
      .optional()
      .describe("the search established that no shorter counterexample exists in its part"),
  })
  .strict();

export const ShardSchema = z
  .object({
    schema: z.literal(SHARD_SCHEMA),
    command: z.enum(["check", "matrix"]),
    designs: z
      .array(
        z
          .object({
            id: id(),
            hash: hex64().describe("designHash() of reports/cex.ts: its step table"),
          })
          .strict(),
      )
      .min(1),
    scenarios: z.array(id()),
    properties: z.array(id()),
    options: ShardOptionsSchema,
    shardDepth: count()
      .nullable()
      .describe("exhaustive: the length k of the prefixes dealt out; null for random search"),
    shard: z
      .object({
        index: z.number().int().min(1).describe("i, 1-based"),
        count: z.number().int().min(1).describe("n"),
      })
      .strict()
      .refine((s) => s.index <= s.count, "index must be at most count"),
    rows: z.array(ShardRowSchema),
    checksum: hex64().describe("sha256 of every other field, keys sorted (shardChecksum())"),
  })
  .strict();

export type ShardFile = z.infer<typeof ShardSchema>;
export type ShardRow = z.infer<typeof ShardRowSchema>;
export type ShardOptions = z.infer<typeof ShardOptionsSchema>;

export const MergedRowSchema = ShardRowSchema.omit({ complete: true })
  .extend({
    shards: z
      .array(
        z.object({ index: count(), verdict: VerdictSchema, steps: count().nullable() }).strict(),
      )
      .describe("each shard's verdict and counterexample length"),
  })
  .strict();

export const MergeSchema = z
  .object({
    schema: z.literal(MERGE_SCHEMA),
    command: z.enum(["check", "matrix"]),
    options: ShardOptionsSchema,
    shardDepth: count().nullable(),
    count: z.number().int().min(1).describe("n: the shards of the search"),
    missing: z.array(count()).describe("indices of the shards not given (their rows are unknown)"),
    rows: z.array(MergedRowSchema),
  })
  .strict();

export type MergedRow = z.infer<typeof MergedRowSchema>;
export type MergeJson = z.infer<typeof MergeSchema>;

export type MatrixJson = z.infer<typeof MatrixSchema>;
export type CheckJson = z.infer<typeof CheckSchema>;
export type CompareJson = z.infer<typeof CompareSchema>;
export type CompareVerdict = z.infer<typeof CompareVerdictSchema>;
export type ListJson = z.infer<typeof ListSchema>;
export type CoverageJson = z.infer<typeof CoverageSchema>;

// ---------------------------------------------------------------------------------
// the engine's types are the source of truth: each schema above that describes one is
// checked, at compile time, to infer a type mutually assignable with it

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
export type FormatsMatchEngine = [
  Assert<Same<z.infer<typeof VerdictSchema>, Verdict>>,
  Assert<Same<z.infer<typeof StopReasonSchema>, StopReason>>,
  Assert<Same<z.infer<typeof StrengthSchema>, Strength>>,
  Assert<Same<z.infer<typeof MatrixRowSchema>, MatrixRow>>,
  Assert<Same<z.infer<typeof ChoiceSchema>, Choice>>,
  Assert<Same<z.infer<typeof ModuleRefSchema>, ModuleRef>>,
  Assert<Same<z.infer<typeof RunEndSchema>, RunEnd>>,
  Assert<Same<z.infer<typeof ReplaySchema>, Replay>>,
  Assert<Same<z.infer<typeof FamilySchema>, Family>>,
  Assert<Same<z.infer<typeof EdgeStatusSchema>, EdgeStatus>>,
  Assert<Same<z.infer<typeof CoverageSearchSchema>, CoverageSearch>>,
  Assert<Same<z.infer<typeof EdgeCoverageSchema>, EdgeCoverage>>,
];

// ---------------------------------------------------------------------------------
// printing and the committed JSON Schemas

/**
 * `value` as printed by `--json` (one-space indentation), after checking it against its
 * schema: a mismatch throws (an internal error), it is never printed. The value itself
 * is printed, so its key order is the builder's.
 */
export function jsonText<S extends z.ZodType>(schema: S, value: z.infer<S>): string {
  schema.parse(value);
  return JSON.stringify(value, null, 1);
}

/** The JSON Schema of a format, as committed in reports/. */
export function jsonSchemaOf(schema: z.ZodType): unknown {
  return z.toJSONSchema(schema, { target: "draft-2020-12" });
}

/** Every committed JSON Schema: file name in reports/ and its text (`npm run schemas`). */
// ---------------------------------------------------------------------------------
// lockdrop.replay/1 (`replay --format json`, `replay --json`)

const DivergenceSchema = z
  .object({
    at: count().describe("the step, counted from 1"),
    recorded: z.string(),
    replayed: z.string(),
  })
  .strict();

export const ReplayOutputSchema = z
  .object({
    schema: z.literal("lockdrop.replay/1"),
    design: id().describe("the design replayed (--on's, else the recorded one)"),
    recordedDesign: id().describe("the design the counterexample was recorded on"),
    scenario: id(),
    property: id(),
    violated: z.boolean().describe("the property is violated in the replay"),
    violation: z
      .object({
        property: id(),
        at: count().describe("the violating step, counted from 1"),
        message: z.string(),
        loopStart: count().optional().describe("a lasso: the steps before its loop"),
        atEnd: z.boolean().optional().describe("the violation is at the end of the run"),
      })
      .strict()
      .nullable(),
    designChanged: z
      .array(z.string())
      .describe("how the design changed since the counterexample was recorded"),
    divergence: DivergenceSchema.nullable().describe(
      "the first step whose world differs from the recorded one (the design changed)",
    ),
    notEnabled: z
      .array(z.object({ at: count(), thread: z.string() }).strict())
      .describe("steps the schedule names whose thread could not run there"),
    nondeterminism: DivergenceSchema.nullable().describe(
      "the same design gave another world: hidden nondeterminism in the model",
    ),
    summary: z.array(z.string()).describe("the verdict lines the text output ends with"),
    steps: z.array(
      z
        .object({
          step: count().describe("counted from 1"),
          thread: z.string(),
          tid: count(),
          pick: count(),
          labels: z.array(z.string()),
          ops: z.array(z.string()),
          outcome: z
            .string()
            .optional()
            .describe("the scheduled op's outcome (absent for a return, which ends the thread)"),
          choice: z.string().nullable(),
          text: z.string().describe("the step as the lanes print it"),
          events: z
            .array(z.object({ k: z.string() }).passthrough())
            .describe("what the step did, as the properties see it (model/events.ts)"),
          patches: z
            .array(
              z
                .object({
                  op: z.enum(["add", "remove", "replace"]),
                  path: z.array(z.union([z.string(), z.number()])),
                  value: z.unknown().optional(),
                })
                .strict(),
            )
            .describe("the step's change to the world, as immer patches"),
        })
        .strict(),
    ),
  })
  .strict();

export function jsonSchemaFiles(): { readonly file: string; readonly text: string }[] {
  const text = (s: unknown) => `${JSON.stringify(s, null, 2)}\n`;
  return [
    { file: "cex.schema.json", text: text(cexJsonSchema()) },
    { file: "check.schema.json", text: text(jsonSchemaOf(CheckSchema)) },
    { file: "matrix.schema.json", text: text(jsonSchemaOf(MatrixSchema)) },
    { file: "compare.schema.json", text: text(jsonSchemaOf(CompareSchema)) },
    { file: "list.schema.json", text: text(jsonSchemaOf(ListSchema)) },
    { file: "coverage.schema.json", text: text(jsonSchemaOf(CoverageSchema)) },
    { file: "shard.schema.json", text: text(jsonSchemaOf(ShardSchema)) },
    { file: "merge.schema.json", text: text(jsonSchemaOf(MergeSchema)) },
    { file: "replay.schema.json", text: text(jsonSchemaOf(ReplayOutputSchema)) },
  ];
}
