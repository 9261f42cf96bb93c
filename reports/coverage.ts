// The report of `lockdrop coverage`: every edge of a design's step table (a label and
// one outcome of its op), which scenario reached it or why it is unreachable, as a
// text table with the reasons as numbered notes, and as lockdrop.coverage/1 JSON.
import type {
  CoverageSearch,
  DesignCoverage,
  EdgeCoverage,
  ScenarioCoverage,
} from "../engine/coverage.js";
import type { ModuleRef } from "./cex.js";
import { color as pc } from "./color.js";
import { type CoverageJson, CoverageSchema, jsonText } from "./formats.js";

export interface CoverageInfo {
  /** the design as given on the command line: an id or a design file */
  readonly design: string;
  /** the design's file, for a design from a user's file */
  readonly module?: ModuleRef;
  /** the exhaustive pass's depth bound (null: none, with --exhaustive) */
  readonly depth: number | null;
  /** the exhaustive pass's state bound (null: unbounded) */
  readonly maxStates: number | null;
  readonly runs: number;
  readonly seed: number;
  readonly exhaustiveOnly: boolean;
}

const fmt = (n: number) => n.toLocaleString("en-US");

const STOPPED: Record<NonNullable<CoverageSearch["stopped"]>, string> = {
  "max-states": "the state bound",
  "max-memory": "the memory bound",
  interrupted: "Ctrl-C",
  time: "the time limit",
};

/** One search in words: "exhaustive, complete, 19,724 states", "1000 random runs (seed 1)". */
function searchText(s: CoverageSearch, seed: number): string {
  const st = s.strength;
  if (st.kind === "random") return `${fmt(st.runs)} random runs (seed ${seed})`;
  if (st.kind === "none") return "not run";
  if (s.stopped)
    return `exhaustive pass stopped by ${STOPPED[s.stopped]} at depth ${st.depth} (${fmt(st.states)} states)`;
  return st.kind === "exhaustive-complete"
    ? `exhaustive, complete, ${fmt(st.states)} states`
    : `exhaustive to depth ${st.depth} (${fmt(st.frontier)} states at the bound), ${fmt(st.states)} states`;
}

function scenarioText(s: ScenarioCoverage, seed: number): string {
  const text = s.searches.map((x) => searchText(x, seed)).join(", then ");
  return s.cutShort ? `${text}: cut short, edges it did not reach are unknown` : text;
}

/** "anon-uffd-1", "anon-uffd-1 +3": the first scenario that reached it, and how many more. */
function scenarios(names: readonly string[]): string {
  return names.length > 1 ? `${names[0]} +${names.length - 1}` : (names[0] ?? "");
}

export interface CoverageSummary {
  readonly edges: number;
  readonly reached: number;
  readonly misbehavingHandler: number;
  readonly listed: number;
  readonly unlisted: number;
  readonly unknown: number;
  readonly stale: number;
}

export function summarize(c: DesignCoverage): CoverageSummary {
  const count = (f: (e: EdgeCoverage) => boolean) => c.edges.filter(f).length;
  const notReached = (e: EdgeCoverage) => e.status === "unreached" || e.status === "unknown";
  return {
    edges: c.edges.length,
    reached: count((e) => e.status === "reached"),
    misbehavingHandler: count((e) => e.status === "misbehaving-handler"),
    listed: count((e) => e.unreachable !== undefined && notReached(e)),
    unlisted: count((e) => e.unreachable === undefined && e.status === "unreached"),
    unknown: count((e) => e.unreachable === undefined && e.status === "unknown"),
    stale: count((e) => e.stale),
  };
}

/** The text table: header, the searches per scenario, one line per edge, the reasons. */
export function renderCoverage(c: DesignCoverage, info: CoverageInfo): string {
  const sum = summarize(c);
  const bound = info.maxStates === null ? "" : ` and ${fmt(info.maxStates)} states`;
  const depth = info.depth === null ? "to completion" : `to depth ${info.depth}`;
  const out: string[] = [
    info.exhaustiveOnly
      ? `lockdrop coverage ${info.design} (exhaustive search ${depth}${bound} on every scenario)`
      : `lockdrop coverage ${info.design} (exhaustive where a scenario is exhausted within depth ${info.depth}${bound}; random search with seed ${info.seed} as well where it is not)`,
    "",
  ];
  const sw = Math.max(8, ...c.scenarios.map((s) => s.scenario.length));
  for (const s of c.scenarios)
    out.push(`  ${s.scenario.padEnd(sw)}  ${scenarioText(s, info.seed)}`);
  out.push("");

  // each distinct reason once, numbered
  const notes: string[] = [];
  const note = (reason: string) => {
    let i = notes.indexOf(reason);
    if (i < 0) i = notes.push(reason) - 1;
    return `[${i + 1}]`;
  };
  const lw = Math.max(4, ...c.edges.map((e) => e.label.length));
  const ow = Math.max(7, ...c.edges.map((e) => e.outcome.length));
  const tw = Math.max(2, ...c.edges.map((e) => (e.to ?? "?").length));
  out.push(`  ${"step".padEnd(lw)}  ${"outcome".padEnd(ow)}     ${"to".padEnd(tw)}  reached by`);
  for (const e of c.edges) {
    const head = `  ${e.label.padEnd(lw)}  ${e.outcome.padEnd(ow)}  -> ${(e.to ?? "?").padEnd(tw)}  `;
    out.push(head + statusText(e, note));
  }
  out.push(
    "",
    `${sum.edges} edges: ${sum.reached} reached, ${sum.listed} listed as unreachable` +
      (sum.misbehavingHandler > 0
        ? `, ${sum.misbehavingHandler} reached only by a misbehaving fault handler`
        : "") +
      (sum.unlisted > 0 ? `, ${pc.red(`${sum.unlisted} unreached and not listed`)}` : "") +
      (sum.unknown > 0 ? `, ${pc.yellow(`${sum.unknown} unknown`)}` : "") +
      (sum.stale > 0 ? `, ${pc.red(`${sum.stale} listed as unreachable but reached`)}` : "") +
      ".",
  );
  if (sum.unlisted > 0 || sum.stale > 0)
    out.push(
      `Fix: list each edge no scenario can reach in the design's \`unreachable\` (label, outcome and the reason), and drop the entries of edges that are reached.`,
    );
  if (notes.length > 0) out.push("", ...notes.map((r, i) => `[${i + 1}] ${r}`));
  return out.join("\n");
}

function statusText(e: EdgeCoverage, note: (reason: string) => string): string {
  const listed = e.unreachable !== undefined ? note(e.unreachable) : "";
  switch (e.status) {
    case "reached":
      return e.stale
        ? pc.red(`${scenarios(e.reachedIn)}: STALE, listed as unreachable ${listed} but reached`)
        : scenarios(e.reachedIn);
    case "misbehaving-handler":
      return `${scenarios(e.breachedIn)}, only by a misbehaving fault handler (RETRY or COMPLETED without FAULT_FLAG_ALLOW_RETRY)${listed ? `; forbidden ${listed}` : ""}`;
    case "unreached":
      return listed ? `unreachable ${listed}` : pc.red("UNREACHED, not listed as unreachable");
    case "unknown":
      return listed
        ? `unknown (a search was cut short); listed as unreachable ${listed}`
        : pc.yellow("unknown (a search was cut short)");
  }
}

/** lockdrop.coverage/1 (reports/formats.ts). */
export function coverageJson(c: DesignCoverage, info: CoverageInfo): CoverageJson {
  return {
    schema: "lockdrop.coverage/1",
    design: info.design,
    ...(info.module ? { module: info.module } : {}),
    depth: info.depth,
    maxStates: info.maxStates,
    runs: info.runs,
    seed: info.seed,
    exhaustiveOnly: info.exhaustiveOnly,
    scenarios: c.scenarios.map((s) => ({
      scenario: s.scenario,
      searches: [...s.searches],
      cutShort: s.cutShort,
    })),
    edges: [...c.edges],
    summary: summarize(c),
  };
}

/** lockdrop.coverage/1 as `coverage --json` prints it, checked against its schema. */
export function coverageJsonText(c: DesignCoverage, info: CoverageInfo): string {
  return jsonText(CoverageSchema, coverageJson(c, info));
}
