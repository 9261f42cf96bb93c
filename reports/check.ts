// The report of `lockdrop check`: a verdict per scenario and property, and for each
// violation the counterexample as thread lanes with the ghost facts at the marked step.

import { DEFAULT_SHORTEST_STATES } from "../engine/rows.js";
import type { RowResult, SearchFacts } from "../engine/verdicts.js";
import { mutantActors, scenarioById } from "../model/scenarios.js";
import { propertyById } from "../properties/index.js";
import { type ModuleRef, tokenForRow } from "./cex.js";
import { color as pc } from "./color.js";
import { counted } from "./count.js";
import { type CheckJson, CheckSchema, jsonText } from "./formats.js";
import { violationLanes } from "./lanes.js";
import { strength } from "./matrix.js";

export interface CheckInfo {
  readonly design: string;
  readonly seed: number;
  readonly runs: number;
  /** the breadth-first pass of random mode: on (default bound), a bound, or off */
  readonly shortest?: number | boolean;
  /**
   * exhaustive search, to this depth or (no depth) to completion; with a preemption
   * bound, and the other options its replay line must repeat
   */
  readonly exhaustive?: {
    readonly depth?: number;
    readonly preemptions?: number;
    readonly maxStates?: number;
    readonly sleepSets?: boolean;
    readonly persistentSets?: boolean;
    readonly hashCompact?: boolean;
  };
  /** random mode with PCT priority scheduling of this bug depth */
  readonly pct?: number;
  /** the design's file, relative to the current directory, for the replay token */
  readonly module?: ModuleRef;
  /** `--shard i/n`: the rows are this shard's part of the search */
  readonly shard?: ShardOf;
}

/** `--shard i/n` as parsed (1 <= index <= count). */
export interface ShardOf {
  readonly index: number;
  readonly count: number;
}

/**
 * The line under a shard's header: its rows are its part of the search, not verdicts
 * of the whole; `lockdrop merge` of the n files gives those (README "Shards").
 */
export function shardNotice(shard: ShardOf, exhaustive: boolean, runs: number): string {
  const { index: i, count: n } = shard;
  const part = exhaustive
    ? `the states under the schedule prefixes that hash to ${i - 1} mod ${n}`
    : `the run indices r with r mod ${n} = ${i - 1}, ${Math.max(0, Math.floor((runs - i) / n) + 1)} of the ${runs} schedules per scenario`;
  return `shard ${i}/${n}: each row is this shard's part of the search (${part}), not a verdict on the whole search; \`lockdrop merge\` of the ${n} shard files gives those`;
}

/** The options that reproduce an exhaustive search, for a replay line (check's, merge's). */
export function exhaustiveFlags(e: NonNullable<CheckInfo["exhaustive"]>): string {
  return `${e.depth !== undefined ? ` --depth ${e.depth}` : ""}${e.maxStates !== undefined ? ` --max-states ${e.maxStates}` : ""}${e.preemptions !== undefined ? ` --preemptions ${e.preemptions}` : ""}${e.sleepSets ? " --sleep-sets" : ""}${e.persistentSets ? " --persistent-sets" : ""}${e.hashCompact ? " --hash-compact" : ""}`;
}

/** The option that reproduces the breadth-first pass, for the replay line. */
function shortestFlag(info: CheckInfo): string {
  if (info.shortest === false) return " --no-shortest";
  return typeof info.shortest === "number" ? ` --shortest ${info.shortest}` : "";
}

/** "(shortest)", "(lasso)", "(shortest lasso)" or nothing, after a violated row (check's, merge's). */
export function violationTag(
  c: { readonly provenShortest?: boolean; readonly loopStart?: number | null } | null | undefined,
): string {
  const lasso = c?.loopStart != null;
  if (c?.provenShortest) return lasso ? " (shortest lasso)" : " (shortest)";
  return lasso ? " (lasso)" : "";
}

/**
 * After a random counterexample the breadth-first pass did not prove shortest: why, and
 * how to search further (an exhaustive search's are shortest, as its header says).
 */
function notProvenShortest(
  c: { readonly provenShortest?: boolean } | null | undefined,
  info: CheckInfo,
): string {
  if (!c || c.provenShortest) return "";
  if (info.shortest === false) return "; not proven shortest (--no-shortest)";
  const bound = typeof info.shortest === "number" ? info.shortest : DEFAULT_SHORTEST_STATES;
  // the pass stopped at its bound, or was interrupted: either way it proved nothing
  return `; not proven shortest by the breadth-first pass of up to ${bound.toLocaleString("en-US")} states (--shortest <more states> searches further)`;
}

/** The reductions a search ran with, in words, for `provenBy`. */
function reductionText(s: SearchFacts): string {
  const n = (x: number) => x.toLocaleString("en-US");
  const p = s.persistent;
  const others = s.reductions.length > 0 ? `${s.reductions.join(", ")}, ` : "";
  if (p === undefined)
    return s.reductions.length > 0 ? `${others}no persistent sets` : "no reduction";
  const again =
    p.rerun === null
      ? ""
      : `; the search without them, run again for the shortest counterexamples of ${p.violated.join(", ")}, took ${n(p.rerun.states)} states and ${(p.rerun.ms / 1000).toFixed(1)} s`;
  return `${others}partial-order reduction: persistent sets (${n(p.reduced)} states expanded with fewer threads than were enabled, ${n(p.full)} with all; ${n(p.outside)} visits to ${n(p.outsideStates)} distinct states of the other threads to find the sets), which keep every safety violation but not every state${again}`;
}

/** "search of anon-uffd: explored completely: 3,840,497 states, ..., 2 workers, ..., peak heap 1.2 GiB (the process's peak RSS: 1.8 GiB), 40.1 s" */
function provenBy(scenario: string, s: SearchFacts): string {
  const n = (x: number) => x.toLocaleString("en-US");
  const bytes = (b: number) =>
    b >= 2 ** 30 ? `${(b / 2 ** 30).toFixed(2)} GiB` : `${Math.round(b / 2 ** 20)} MiB`;
  const peak = `${bytes(s.peakBytes)} (the process's peak RSS: ${bytes(s.peakRssBytes)})`;
  return `search of ${scenario}: ${s.complete ? "explored completely" : s.allViolated ? `explored to depth ${s.depth}, until every property was violated` : `explored to depth ${s.depth}, not completely`}: ${n(s.states)} states, ${n(s.transitions)} transitions, ${s.complete ? `depth ${s.depth}, ` : ""}${reductionText(s)}${s.sleepSetsOff ? ` (sleep sets off: ${s.sleepSetsOff})` : ""}${s.persistentSetsOff ? ` (persistent sets off: ${s.persistentSetsOff})` : ""}, ${s.workers} worker${s.workers === 1 ? "" : "s"}${s.alone ? ` (${s.alone})` : ""}${s.handedOver !== undefined ? ` (from ${n(s.handedOver)} states on one)` : ""}, ${s.visited}, peak heap ${peak}, ${(s.ms / 1000).toFixed(1)} s`;
}

export function renderCheck(rows: readonly RowResult[], info: CheckInfo): string {
  const out: string[] = [
    info.exhaustive
      ? `lockdrop check ${info.design} (exhaustive breadth-first search ${info.exhaustive.depth !== undefined ? `up to depth ${info.exhaustive.depth}` : "without a depth bound"}: ${info.exhaustive.preemptions !== undefined ? `counterexamples are the shortest of the schedules with at most ${info.exhaustive.preemptions} preemption${info.exhaustive.preemptions === 1 ? "" : "s"}, not proven shortest of all` : "counterexamples are shortest"})`
      : `lockdrop check ${info.design} (seed ${info.seed}, ${info.runs} random schedule${info.runs === 1 ? "" : "s"} per scenario${info.pct !== undefined ? `, PCT scheduling d=${info.pct}` : ""})`,
    ...(info.shard ? [shardNotice(info.shard, info.exhaustive !== undefined, info.runs)] : []),
    "",
  ];
  const headOf = verdictHead(rows);
  for (const r of rows) {
    const head = headOf(r);
    if (r.verdict === "n/a") out.push(`${head} n/a`);
    else if (r.verdict === "holds") out.push(`${head} ${pc.green("holds")} (${strength(r)})`);
    else if (r.verdict === "unknown") out.push(`${head} ${pc.yellow("unknown")} (${strength(r)})`);
    else
      out.push(
        `${head} ${pc.red(`VIOLATED in ${counted(r.steps, "step")}`)}${violationTag(r.counterexample)}${info.exhaustive ? "" : notProvenShortest(r.counterexample, info)}${mutantTag(r.scenario)}`,
      );
  }
  // how each exhaustive search ran: one line per scenario
  const searched = new Map<string, SearchFacts>();
  for (const r of rows)
    if (r.search && !searched.has(r.scenario)) searched.set(r.scenario, r.search);
  if (searched.size > 0) out.push("");
  for (const [scenario, s] of searched) out.push(provenBy(scenario, s));
  for (const r of rows) {
    const c = r.counterexample;
    if (!c) continue;
    const p = propertyById(r.property);
    out.push(
      "",
      pc.bold(`${r.property} (${p?.ref}) violated on ${r.scenario}`),
      `  ${p?.statement}`,
      "",
      violationLanes(
        c.run,
        c.schedule.length,
        pc.red(`VIOLATION ${r.property}: ${c.message}`),
        c.loopStart,
      ),
      "",
      info.exhaustive
        ? `  replay: npx lockdrop check ${info.design} --scenario ${r.scenario} --property ${r.property} --exhaustive${exhaustiveFlags(info.exhaustive)}`
        : `  replay: npx lockdrop check ${info.design} --scenario ${r.scenario} --property ${r.property} --seed ${info.seed} --runs ${info.runs}${info.pct !== undefined ? ` --pct ${info.pct}` : ""}${shortestFlag(info)}  (fast-check seed ${c.seed}, path ${c.path})`,
    );
    const token = tokenForRow(r, info.module);
    if (token) out.push(`  replay token: npx lockdrop replay ${token}`);
  }
  if (rows.length > 1) out.push("", ...summary(rows));
  return out.join("\n");
}

/**
 * The start of each verdict line of `rows`, as check and merge print them: the scenario
 * and the property, each padded to its column (at least 14 and 30 characters, or the
 * longest id).
 */
export function verdictHead(
  rows: readonly { readonly scenario: string; readonly property: string }[],
): (r: { readonly scenario: string; readonly property: string }) => string {
  const sw = Math.max(14, ...rows.map((r) => r.scenario.length));
  const pw = Math.max(30, ...rows.map((r) => r.property.length));
  return (r) => `${r.scenario.padEnd(sw)} ${r.property.padEnd(pw)}`;
}

/** The scenario's deliberately broken actors (`mutant`), as "id (the bug)". */
function mutantsOf(scenario: string): string[] {
  const s = scenarioById(scenario);
  return s ? mutantActors(s).map((a) => `${a.id} (${a.mutant})`) : [];
}

/** After a violated row: the scenario runs an actor that carries a bug on purpose. */
function mutantTag(scenario: string): string {
  return mutantsOf(scenario).length > 0 ? "; a mutant actor runs here" : "";
}

/**
 * The closing lines of a check of several rows: how many rows came to each verdict, and
 * each violated or unknown row again, with the mutant actor a scenario runs (every
 * design may violate a property beside it: the bug is the actor's).
 */
function summary(rows: readonly RowResult[]): string[] {
  const count = (v: RowResult["verdict"]) => rows.filter((r) => r.verdict === v).length;
  const out = [
    pc.bold(
      `summary: ${rows.length} rows: ${count("violated")} violated, ${count("unknown")} unknown, ${count("holds")} hold, ${count("n/a")} n/a`,
    ),
  ];
  for (const r of rows) {
    if (r.verdict !== "violated" && r.verdict !== "unknown") continue;
    const mutants = mutantsOf(r.scenario);
    out.push(
      `  ${r.verdict === "violated" ? pc.red("VIOLATED") : pc.yellow("unknown")} ${r.scenario} ${r.property}${r.verdict === "violated" ? ` (${counted(r.steps, "step")})` : ""}${mutants.length > 0 ? `: the scenario runs the mutant ${mutants.join(" and ")}, so every design may violate it there` : ""}`,
    );
  }
  return out;
}

/** lockdrop.check/1 (reports/formats.ts). */
export function checkJson(rows: readonly RowResult[], info: CheckInfo): CheckJson {
  return {
    schema: "lockdrop.check/1",
    ...info,
    results: rows.map((r) => ({
      scenario: r.scenario,
      property: r.property,
      verdict: r.verdict,
      strength: r.strength,
      ...(r.stopped ? { stopped: r.stopped } : {}),
      runs: r.runs,
      steps: r.steps,
      ...(r.counterexample
        ? {
            message: r.counterexample.message,
            provenShortest: r.counterexample.provenShortest === true,
            schedule: [...r.counterexample.schedule],
            fastCheck: { seed: r.counterexample.seed, path: r.counterexample.path },
          }
        : {}),
    })),
  };
}

/** lockdrop.check/1 as `check --json` prints it, checked against its schema. */
export function checkJsonText(rows: readonly RowResult[], info: CheckInfo): string {
  return jsonText(CheckSchema, checkJson(rows, info));
}
