// `lockdrop/vitest`: check designs from your own test suite. Plain functions that run
// inside `it()` (no fast-check or vitest plugin to import): `checkDesign()` explores a
// design and returns its verdicts; `.expect()` throws an AssertionError that prints the
// thread lanes of the counterexample when a verdict is not the one you expected.
//
//   import { checkDesign } from "lockdrop/vitest";
//   it("closes the hugetlb use-after-free", () => {
//     checkDesign(myDesign, { scenarios: ["hugetlb-uffd"] }).expect({ "no-freed-vma-use": "holds" });
//   });
//
// `checkCoverage(myDesign).expectListed()` does for the design's edges what
// `lockdrop coverage --strict` does: every edge is reached or listed as unreachable.

import { AssertionError } from "node:assert";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import type { DesignCoverage, EdgeCoverage } from "../engine/coverage.js";
import { COVERAGE_DEFAULTS, coverageOf, unlisted } from "../engine/coverage.js";
import { DEFAULT_STEP_LIMIT_MS, rowsInParallel } from "../engine/parallel.js";
import type { Counterexample } from "../engine/random.js";
import type { MatrixRow, RowResult } from "../engine/verdicts.js";
import { verdictRows } from "../engine/verdicts.js";
import { designById } from "../model/designs/index.js";
import type { Scenario } from "../model/scenarios.js";
import {
  runsIn,
  SCENARIOS,
  scenarioById,
  scenarioRegistry,
  undeclaredLockOrObject,
} from "../model/scenarios.js";
import type { Design } from "../model/step.js";
import { withArticle } from "../model/step.js";
import { PROPERTIES, propertyById, propertyRegistry } from "../properties/index.js";
import type { Property } from "../properties/property.js";
import { tokenForRow } from "../reports/cex.js";
import { counted } from "../reports/count.js";
import { didYouMean } from "../reports/did-you-mean.js";
import { violationLanes } from "../reports/lanes.js";
import { DeclarationError, declareProperty, declareScenario } from "./declarations.js";
import {
  DesignError,
  DesignFileError,
  declareAll,
  describeDesignError,
  loadDesignFile,
  validateDesignExport,
} from "./design-file.js";

export type Verdict = "holds" | "violated" | "unknown" | "n/a";
const VERDICTS: readonly Verdict[] = ["holds", "violated", "unknown", "n/a"];

export interface CheckDesignOptions {
  /**
   * scenario ids or scenarios declared with `scenario()` (default: the design's own list,
   * else every scenario its family runs in)
   */
  readonly scenarios?: readonly (string | Scenario)[];
  /** property ids or properties declared with `safety()` / `liveness()` (default: the design's own list, else all) */
  readonly properties?: readonly (string | Property)[];
  /** random schedules per scenario (default 1000) */
  readonly runs?: number;
  /** seed of the exploration (default 1): the same seed gives the same verdicts */
  readonly seed?: number;
}

/**
 * Expected verdicts: `{ property: verdict }` for every scenario checked, or
 * `{ scenario: { property: verdict } }` for one scenario. Properties left out are not
 * asserted.
 */
export type Expectation = Readonly<Record<string, Verdict | Readonly<Record<string, Verdict>>>>;

export interface DesignCheck {
  readonly design: Design;
  readonly runs: number;
  readonly seed: number;
  readonly rows: readonly RowResult[];
  /** The verdict of one property on one scenario (the only one, if a single scenario was checked). */
  verdict(property: string, scenario?: string): Verdict;
  /** The counterexample of a violated property, or null. */
  counterexample(property: string, scenario?: string): Counterexample | null;
  /** The counterexample as thread lanes, or null. */
  lanes(property: string, scenario?: string): string | null;
  /** Throw an AssertionError (with the lanes) unless every listed verdict is as expected. */
  expect(expected: Expectation): void;
  /** Shorthand: every property that applies holds on every scenario checked. */
  expectAllHold(): void;
}

function fail(message: string): never {
  throw new AssertionError({ message });
}

/** Validate and register what a design object and the options declare; their ids. */
function declared(
  d: Design,
  opts: CheckDesignOptions,
): { scenarios: readonly string[] | undefined; properties: readonly string[] | undefined } {
  const where = `design "${d.id}"`;
  try {
    const spec = validateDesignExport(d, where);
    // the design object is checked as given; only what it declares is registered
    const own = declareAll(spec, where, false);
    const extra = declareAll(
      {
        ...spec,
        ...(opts.scenarios ? { scenarios: opts.scenarios } : {}),
        ...(opts.properties ? { properties: opts.properties } : {}),
      },
      where,
      false,
    );
    return {
      scenarios: opts.scenarios ? extra.scenarios : own.scenarios,
      properties: opts.properties ? extra.properties : own.properties,
    };
  } catch (e) {
    if (e instanceof DesignFileError) fail(`lockdrop: ${e.message}`);
    throw e;
  }
}

/** Register the options' own scenarios and properties (for a built-in design named by id, or a design file). */
function declaredOptions(
  design: Design,
  opts: CheckDesignOptions,
): { scenarios: readonly string[] | undefined; properties: readonly string[] | undefined } {
  const where = "checkDesign()";
  try {
    return {
      scenarios: opts.scenarios?.map((s) =>
        typeof s === "string" ? s : declareScenario(s, where, design).id,
      ),
      properties: opts.properties?.map((p) =>
        typeof p === "string" ? p : declareProperty(p, where).id,
      ),
    };
  } catch (e) {
    if (e instanceof DeclarationError) fail(`lockdrop: ${where}: ${e.message}`);
    throw e;
  }
}

function resolveDesign(d: Design | string): Design {
  if (typeof d !== "string") return d;
  const found = designById(d);
  if (!found) fail(`lockdrop: unknown design "${d}". Pass a Design object or a built-in id.`);
  return found;
}

function scenariosFor(design: Design, ids: readonly string[] | undefined): Scenario[] {
  const chosen = scenarioList(design, ids);
  for (const s of chosen) {
    const problem = undeclaredLockOrObject(s, design);
    if (problem) fail(`lockdrop: ${problem}`);
  }
  return chosen;
}

function scenarioList(design: Design, ids: readonly string[] | undefined): Scenario[] {
  if (!ids) return SCENARIOS.filter((s) => runsIn(s, design));
  return ids.map((id) => {
    const s = scenarioById(id);
    if (!s) {
      const known = scenarioRegistry.all().map((x) => x.id);
      fail(
        `lockdrop: unknown scenario "${id}"${didYouMean(id, known)}. Known: ${known.join(", ")}.`,
      );
    }
    if (!runsIn(s, design))
      fail(`lockdrop: ${withArticle(design.family)} design does not run in scenario "${id}".`);
    return s;
  });
}

function propertiesFor(ids: readonly string[] | undefined): Property[] {
  if (!ids) return [...PROPERTIES];
  return ids.map((id) => {
    const p = propertyById(id);
    if (!p) {
      const known = propertyRegistry.all().map((x) => x.id);
      fail(
        `lockdrop: unknown property "${id}"${didYouMean(id, known)}. Known: ${known.join(", ")}.`,
      );
    }
    return p;
  });
}

function lanesOf(c: Counterexample): string {
  return violationLanes(
    c.run,
    c.schedule.length,
    `VIOLATION ${c.property}: ${c.message}`,
    c.loopStart,
  );
}

const optionsSchema = z
  .object({
    scenarios: z
      .array(z.union([z.string(), z.object({ id: z.string() }).loose()]))
      .min(1)
      .optional(),
    properties: z
      .array(z.union([z.string(), z.object({ id: z.string() }).loose()]))
      .min(1)
      .optional(),
    runs: z.number().int().min(1).max(10_000_000).optional(),
    seed: z
      .number()
      .int()
      .min(-(2 ** 31))
      .max(2 ** 31 - 1)
      .optional(),
  })
  .strict();

/**
 * The options, validated before anything runs: `runs: 0`, `runs: NaN` (an unset
 * environment variable) or `scenarios: []` would check nothing, and an expectation
 * must never pass on a row that did not run.
 */
function validOptions(opts: unknown): CheckDesignOptions {
  const r = optionsSchema.safeParse(opts ?? {});
  if (r.success) return opts as CheckDesignOptions;
  const issue = r.error.issues[0] as z.core.$ZodIssue;
  const at = issue.path.map(String).join(".") || "the options";
  const got = issue.path.length
    ? JSON.stringify((opts as Record<string, unknown>)[String(issue.path[0])])
    : "";
  fail(
    `lockdrop: checkDesign(): ${at}${got ? ` = ${got}` : ""}: ${issue.message}. Nothing was checked. Fix: pass runs as a whole number of at least 1 (e.g. runs: 500), seed as an integer, and scenarios or properties as non-empty lists of ids or declared objects, or leave them out for the defaults.`,
  );
}

/** Explore `design` (a Design, e.g. a design file's default export, or a built-in id). */
export function checkDesign(d: Design | string, options: CheckDesignOptions = {}): DesignCheck {
  const opts = validOptions(options);
  const design = resolveDesign(d);
  const ids = typeof d === "string" ? declaredOptions(design, opts) : declared(design, opts);
  const runs = opts.runs ?? 1000;
  const seed = opts.seed ?? 1;
  const scenarios = scenariosFor(design, ids.scenarios);
  const props = propertiesFor(ids.properties);
  const rows = scenarios.flatMap((s) => verdictRows(design, s, props, { runs, seed }));
  return designCheck(design, scenarios, rows, runs, seed);
}

/**
 * Explore the design a file declares, given by its module URL (or path): the searches
 * run on worker threads, so a step that never returns is stopped after `stepTimeout`
 * seconds (default 10) and reported as a design error at that step, instead of hanging
 * the test run. `checkDesign(object)` runs in the test's own thread.
 */
export async function checkDesignFile(
  module: URL | string,
  options: CheckDesignOptions & { readonly stepTimeout?: number } = {},
): Promise<DesignCheck> {
  const { stepTimeout, ...rest } = options;
  const opts = validOptions(rest);
  if (
    stepTimeout !== undefined &&
    !(Number.isInteger(stepTimeout) && stepTimeout >= 1 && stepTimeout <= 3600)
  )
    fail(
      `lockdrop: checkDesignFile(): stepTimeout = ${JSON.stringify(stepTimeout)} must be a whole number of seconds from 1 to 3600. Nothing was checked.`,
    );
  const file = module instanceof URL || module.startsWith("file:") ? fileURLToPath(module) : module;
  let loaded: Awaited<ReturnType<typeof loadDesignFile>>;
  try {
    loaded = await loadDesignFile(file);
  } catch (e) {
    if (e instanceof DesignFileError) fail(`lockdrop: ${e.message}`);
    throw e;
  }
  const design = loaded.design;
  // the file's own lists, declared as it loaded; the options' own objects on top (the
  // file's objects are not declared a second time, from another place)
  const extra = declaredOptions(design, opts);
  const ids = {
    scenarios: opts.scenarios ? extra.scenarios : loaded.scenarios,
    properties: opts.properties ? extra.properties : loaded.properties,
  };
  const runs = opts.runs ?? 1000;
  const seed = opts.seed ?? 1;
  const scenarios = scenariosFor(design, ids.scenarios);
  const props = propertiesFor(ids.properties);
  let perPair: MatrixRow[][];
  try {
    perPair = await rowsInParallel(
      scenarios.map((s) => ({
        design: design.id,
        file,
        loader: LOADER,
        scenario: s.id,
        properties: props.map((p) => p.id),
        flags: { runs, seed, shortest: false, depth: 1 },
      })),
      1,
      undefined,
      {
        stepLimitMs: (stepTimeout ?? DEFAULT_STEP_LIMIT_MS / 1000) * 1000,
        keepCounterexamples: true,
      },
    );
  } catch (e) {
    if (e instanceof DesignError) fail(`lockdrop: ${describeDesignError(e, () => file)}`);
    throw e;
  }
  return designCheck(design, scenarios, perPair.flat() as RowResult[], runs, seed);
}

/** The module a worker loads design files with: this package's own, source or build. */
const LOADER = (() => {
  const ts = new URL("./design-file.ts", import.meta.url);
  return existsSync(fileURLToPath(ts))
    ? ts.href
    : new URL("./design-file.js", import.meta.url).href;
})();

/** The verdicts of `rows`, with the expectations a suite asserts on them. */
function designCheck(
  design: Design,
  scenarios: readonly Scenario[],
  rows: readonly RowResult[],
  runs: number,
  seed: number,
): DesignCheck {
  const row = (property: string, scenario?: string): RowResult => {
    if (scenario === undefined && scenarios.length > 1)
      fail(
        `lockdrop: name the scenario of "${property}": ${design.id} was checked on ${scenarios.map((s) => s.id).join(", ")}.`,
      );
    const sid = scenario ?? scenarios[0]?.id;
    const r = rows.find((x) => x.property === property && x.scenario === sid);
    if (!r) fail(`lockdrop: "${property}" on "${sid}" was not checked for ${design.id}.`);
    return r;
  };

  const mismatch = (r: RowResult, want: Verdict): string | null => {
    if (r.verdict === want) return null;
    const head = `${design.id} on ${r.scenario}: expected ${r.property} to ${want === "holds" ? "hold" : `be ${want}`}, but it`;
    if (r.verdict === "violated" && r.counterexample) {
      // the command that shows it again from a shell (a built-in design: by its token)
      const token = tokenForRow(r);
      return `${head} is VIOLATED in ${counted(r.steps, "step")}:\n\n${lanesOf(r.counterexample)}\n\n  (seed ${seed}, ${runs} runs; fast-check seed ${r.counterexample.seed}, path ${r.counterexample.path})${token ? `\n  replay: npx lockdrop replay ${token}` : ""}`;
    }
    if (r.verdict === "holds")
      return `${head} held in ${r.runs} random schedules (seed ${seed}): no counterexample was found.`;
    if (r.verdict === "unknown")
      return `${head} is unknown: the search stopped before it could say (seed ${seed}).`;
    return `${head} is n/a: the scenario cannot exercise it.`;
  };

  const check: DesignCheck = {
    design,
    runs,
    seed,
    rows,
    verdict: (p, s) => row(p, s).verdict,
    counterexample: (p, s) => row(p, s).counterexample,
    lanes: (p, s) => {
      const c = row(p, s).counterexample;
      return c ? lanesOf(c) : null;
    },
    expect(expected) {
      const problems: string[] = [];
      const checked = [...new Set(rows.map((r) => r.property))];
      const on = scenarios.map((s) => s.id);
      // (a test in plain JavaScript, or cast, is not type-checked: "hold" would otherwise
      // read as a verdict no row has)
      const verdictOf = (v: unknown, what: string): Verdict => {
        if (typeof v === "string" && (VERDICTS as readonly string[]).includes(v))
          return v as Verdict;
        return fail(
          `lockdrop: expect(): ${what} is ${JSON.stringify(v) ?? String(v)}, which is not a verdict${typeof v === "string" ? didYouMean(v.toLowerCase(), VERDICTS) : ""}. A verdict is one of ${VERDICTS.join(", ")}.`,
        );
      };
      for (const [key, v] of Object.entries(expected)) {
        if (typeof v !== "string" && (typeof v !== "object" || v === null))
          verdictOf(v, `the verdict expected of "${key}"`);
        // a key is a property checked (its verdict on every scenario) or a scenario
        if (typeof v === "string" ? !checked.includes(key) : !on.includes(key))
          fail(
            typeof v === "string"
              ? `lockdrop: expect(): "${key}" is not a property checked for ${design.id}${didYouMean(key, checked)}. Checked: ${checked.join(", ")}.`
              : `lockdrop: expect(): "${key}" is not a scenario ${design.id} was checked on${didYouMean(key, on)}. Checked on: ${on.join(", ")}.`,
          );
        if (typeof v === "string") {
          const want = verdictOf(v, `the verdict expected of "${key}"`);
          for (const s of scenarios) {
            const m = mismatch(row(key, s.id), want);
            if (m) problems.push(m);
          }
        } else
          for (const [p, w] of Object.entries(v)) {
            const want = verdictOf(w, `the verdict expected of "${p}" on "${key}"`);
            const m = mismatch(row(p, key), want);
            if (m) problems.push(m);
          }
      }
      if (problems.length > 0) fail(`lockdrop: ${problems.join("\n\n")}`);
    },
    expectAllHold() {
      const problems = rows
        .filter((r) => r.verdict === "violated")
        .map((r) => mismatch(r, "holds") as string);
      if (problems.length > 0) fail(`lockdrop: ${problems.join("\n\n")}`);
    },
  };
  return check;
}

export interface CheckCoverageOptions {
  /** scenario ids or declared scenarios (default: the design's own list, else every scenario its family runs in) */
  readonly scenarios?: readonly (string | Scenario)[];
  /** the exhaustive pass: longest schedule (default 60, as `lockdrop coverage`) */
  readonly depth?: number;
  /** the exhaustive pass's state bound (default 30,000); a scenario it does not exhaust is searched at random too */
  readonly maxStates?: number;
  /** random schedules where the exhaustive pass did not exhaust a scenario (default 1000) */
  readonly runs?: number;
  /** seed of the random search (default 1) */
  readonly seed?: number;
}

export interface CoverageCheck {
  readonly design: Design;
  /** every edge, with the scenarios that reached it (as `lockdrop coverage --json`) */
  readonly coverage: DesignCoverage;
  /** edges no search reached that the design does not list as unreachable */
  unlisted(): EdgeCoverage[];
  /** edges the design lists as unreachable that a search reached: the list is out of date */
  stale(): EdgeCoverage[];
  /** Throw an AssertionError unless every edge is reached or listed, and no listed one is reached. */
  expectListed(): void;
}

const coverageOptionsSchema = z
  .object({
    scenarios: optionsSchema.shape.scenarios,
    depth: z.number().int().min(1).max(100_000).optional(),
    maxStates: z.number().int().min(1).max(1_000_000_000).optional(),
    runs: optionsSchema.shape.runs,
    seed: optionsSchema.shape.seed,
  })
  .strict();

/**
 * The coverage of `design`'s edges, as `lockdrop coverage` computes it (in this thread):
 * exhaustive search where a scenario is exhausted within the bounds, random search too
 * where it is not. `expectListed()` is the check `lockdrop coverage --strict` makes.
 */
export function checkCoverage(
  d: Design | string,
  options: CheckCoverageOptions = {},
): CoverageCheck {
  const r = coverageOptionsSchema.safeParse(options ?? {});
  if (!r.success) {
    const issue = r.error.issues[0] as z.core.$ZodIssue;
    fail(
      `lockdrop: checkCoverage(): ${issue.path.map(String).join(".") || "the options"}: ${issue.message}. Nothing was checked. Fix: pass depth, maxStates and runs as whole numbers of at least 1, seed as an integer, scenarios as a non-empty list, or leave them out for the defaults.`,
    );
  }
  const design = resolveDesign(d);
  const ids =
    typeof d === "string"
      ? declaredOptions(design, { ...(options.scenarios ? { scenarios: options.scenarios } : {}) })
      : declared(design, { ...(options.scenarios ? { scenarios: options.scenarios } : {}) });
  const coverage = coverageOf(design, scenariosFor(design, ids.scenarios), {
    depth: options.depth ?? COVERAGE_DEFAULTS.depth,
    maxStates: options.maxStates ?? COVERAGE_DEFAULTS.maxStates,
    runs: options.runs ?? COVERAGE_DEFAULTS.runs,
    seed: options.seed ?? COVERAGE_DEFAULTS.seed,
  });
  const stale = () => coverage.edges.filter((e) => e.stale);
  return {
    design,
    coverage,
    unlisted: () => unlisted(coverage),
    stale,
    expectListed() {
      const edge = (e: EdgeCoverage) => `${e.label} --${e.outcome}--> ${e.to ?? "?"}`;
      const problems = [
        ...unlisted(coverage).map(
          (e) => `  ${edge(e)}: no scenario reached it, and it is not listed as unreachable`,
        ),
        ...stale().map(
          (e) =>
            `  ${edge(e)}: listed as unreachable ("${e.unreachable}"), but reached in ${e.reachedIn.join(", ")}`,
        ),
        ...coverage.edges
          .filter((e) => e.unreachable === undefined && e.status === "unknown")
          .map((e) => `  ${edge(e)}: not reached, and a search was cut short`),
      ];
      // the command that prints the same table: a built-in design by id, a user's by file
      const target = designById(design.id) === design ? design.id : "<its design file>";
      const scenarioFlag =
        options.scenarios && ids.scenarios ? ` --scenario ${ids.scenarios.join(" ")}` : "";
      if (problems.length > 0)
        fail(
          `lockdrop: the unreachable list of ${design.id} is out of date:\n${problems.join("\n")}\nFix: list each edge no scenario reaches in the design's \`unreachable\` (label, outcome, reason), and drop the entries of edges that are reached (\`lockdrop coverage ${target}${scenarioFlag}\` prints the table).`,
        );
    },
  };
}

export type { DesignCoverage, EdgeCoverage } from "../engine/coverage.js";
export type { RowResult } from "../engine/verdicts.js";
export type { Design } from "../model/step.js";
