// `lockdrop compare`: the same scenarios and properties on each design, side by side,
// and for each cell where the verdicts differ the counterexample that separates them,
// with the same schedule replayed on the designs where the property held. Plain text for
// a mailing-list reply, or Markdown for a GitHub comment; never coloured.

import type { Counterexample } from "../engine/random.js";
import { runSchedule, setupFor } from "../engine/run.js";
import type { RowResult } from "../engine/verdicts.js";
import { verdictRows } from "../engine/verdicts.js";
import type { Scenario } from "../model/scenarios.js";
import { runsIn } from "../model/scenarios.js";
import type { Design } from "../model/step.js";
import type { Property, RunEnd } from "../properties/property.js";
import { counted } from "./count.js";
import { type CompareJson, CompareSchema, type CompareVerdict, jsonText } from "./formats.js";
import { violationLanes } from "./lanes.js";

export interface CompareOptions {
  readonly runs: number;
  readonly seed: number;
}

/** One design's verdict in a cell; null when the design does not run in the scenario. */
export type Cell = RowResult | null;

export interface CompareRow {
  readonly scenario: string;
  readonly property: Property;
  readonly cells: readonly Cell[];
  readonly differs: boolean;
}

/** The same schedule run on a design where the property held. */
export interface Replay {
  readonly design: string;
  readonly violated: boolean;
  readonly message: string | null;
  readonly end: RunEnd;
  readonly steps: number;
}

export interface Separation {
  readonly row: CompareRow;
  readonly violator: string;
  readonly counterexample: Counterexample;
  readonly replays: readonly Replay[];
}

export interface Comparison {
  readonly designs: readonly Design[];
  readonly options: CompareOptions;
  readonly rows: readonly CompareRow[];
  readonly separations: readonly Separation[];
}

function verdictOf(c: Cell): CompareVerdict {
  return c === null ? "not run" : c.verdict;
}

export function compareDesigns(
  designs: readonly Design[],
  scenarios: readonly Scenario[],
  props: readonly Property[],
  options: CompareOptions,
  /** rows computed elsewhere (the command's worker threads), else computed here */
  rowsOf?: (d: Design, s: Scenario) => RowResult[],
): Comparison {
  const rows: CompareRow[] = [];
  const separations: Separation[] = [];
  for (const s of scenarios) {
    const perDesign = designs.map((d) =>
      runsIn(s, d)
        ? (rowsOf?.(d, s) ?? verdictRows(d, s, props, { runs: options.runs, seed: options.seed }))
        : null,
    );
    props.forEach((p, i) => {
      const cells = perDesign.map((rs) => rs?.[i] ?? null);
      if (cells.every((c) => c === null || c.verdict === "n/a")) return;
      const run = cells.filter((c): c is RowResult => c !== null && c.verdict !== "n/a");
      const differs = new Set(run.map((c) => c.verdict)).size > 1;
      const row: CompareRow = { scenario: s.id, property: p, cells, differs };
      rows.push(row);
      if (!differs) return;
      cells.forEach((c, j) => {
        if (!c?.counterexample) return;
        const cex = c.counterexample;
        const replays = designs
          .filter((_, k) => cells[k]?.verdict === "holds")
          .map((other): Replay => {
            const r = runSchedule(setupFor(other, s), cex.schedule, [p], { stopOn: p.id });
            const v = r.violations.find((x) => x.property === p.id);
            return {
              design: other.id,
              violated: v !== undefined,
              message: v?.message ?? null,
              end: r.end,
              steps: r.trace.length,
            };
          });
        separations.push({
          row,
          violator: (designs[j] as Design).id,
          counterexample: cex,
          replays,
        });
      });
    });
  }
  return { designs, options, rows, separations };
}

function cellText(c: Cell, markdown: boolean): string {
  if (c === null) return "not run";
  if (c.verdict === "violated") {
    const v = `VIOLATED (${counted(c.steps, "step")})`;
    return markdown ? `**${v}**` : v;
  }
  return c.verdict;
}

function table(head: readonly string[], body: readonly (readonly string[])[], md: boolean) {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? "").length)));
  const line = (r: readonly string[]) =>
    md
      ? `| ${r.map((x, i) => x.padEnd(widths[i] as number)).join(" | ")} |`
      : r
          .map((x, i) => x.padEnd(widths[i] as number))
          .join("  ")
          .trimEnd();
  const rule = md
    ? `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`
    : widths
        // a column without a heading (compare's "<- differs" marks) gets no rule
        .map((w, i) => (head[i] === "" ? "" : "-".repeat(w)))
        .join("  ")
        .trimEnd();
  return [line(head), rule, ...body.map(line)].join("\n");
}

function endText(end: RunEnd): string {
  if (end === "done") return "the run completes";
  if (end === "deadlock") return "the run ends with a thread still blocked";
  return "the run hits the step budget";
}

function replayText(r: Replay, property: string): string {
  return r.violated
    ? `the same schedule on ${r.design}: also violates ${property} (${r.message})`
    : `the same schedule on ${r.design}: no violation of ${property} (${counted(r.steps, "step")}; ${endText(r.end)})`;
}

function separationLanes(s: Separation): string {
  const c = s.counterexample;
  return violationLanes(c.run, c.schedule.length, `VIOLATION ${s.row.property.id}: ${c.message}`);
}

function headline(s: Separation, designs: readonly Design[]): string {
  const others = designs
    .map((d, i) => [d.id, verdictOf(s.row.cells[i] ?? null)] as const)
    .filter(([id]) => id !== s.violator)
    .map(([id, v]) => `${v} on ${id}`)
    .join(", ");
  return `${s.row.scenario} / ${s.row.property.id} (${s.row.property.ref}): violated by ${s.violator}; ${others}`;
}

/** `all`: list the rows where every design holds too (by default they are only counted). */
export function renderComparison(
  c: Comparison,
  format: "text" | "markdown",
  opts: { readonly all?: boolean } = {},
): string {
  const md = format === "markdown";
  // hidden unless listed: rows where every design ran and none is violated
  const quiet = (r: CompareRow) =>
    !r.differs && r.cells.every((x) => x !== null && x.verdict !== "violated");
  const rows = opts.all ? c.rows : c.rows.filter((r) => !quiet(r));
  const hidden = c.rows.length - rows.length;
  const ids = c.designs.map((d) => d.id);
  const head = ["scenario", "property", ...ids, ...(md ? [] : [""])];
  const body = rows.map((r) => [
    r.scenario,
    r.property.id,
    ...r.cells.map((x) => cellText(x, md)),
    ...(md ? [] : [r.differs ? "<- differs" : ""]),
  ]);
  const nDiff = c.rows.filter((r) => r.differs).length;
  const what = `${c.options.runs} random schedule${c.options.runs === 1 ? "" : "s"} per scenario, seed ${c.options.seed}`;
  const out: string[] = [];
  if (md) out.push(`### lockdrop compare ${ids.join(" vs ")}`, "", `_${what}_`, "");
  else out.push(`lockdrop compare ${ids.join(" ")} (${what})`, "");
  const shown = md
    ? body.map((r, i) => (rows[i]?.differs ? r.map((x, j) => (j < 2 ? `**${x}**` : x)) : r))
    : body;
  out.push(table(head, shown, md), "");
  if (hidden > 0)
    out.push(
      `${hidden} more scenario/property rows hold on every design${md ? "" : " (--all lists them)"}.`,
    );
  const partial = c.rows.filter((r) => r.cells.some((x) => x === null)).length;
  const notRun =
    partial === 0
      ? ""
      : ` ${partial} row${partial === 1 ? "" : "s"} ran on some of the designs only ("not run": the scenario is for another family of design), so ${partial === 1 ? "it compares" : "they compare"} nothing there.`;
  out.push(
    nDiff === 0
      ? `No cell differs where the designs both ran: they get the same verdicts there.${notRun}`
      : `${nDiff} row${nDiff === 1 ? "" : "s"} differ${nDiff === 1 ? "s" : ""}${md ? " (in bold)" : ""}; the counterexample that separates each follows.${notRun}`,
  );
  out.push(
    md
      ? "_holds_ means no violation in the random schedules run; it is not a proof. Step counts are those of the minimized random counterexamples, not proven shortest (`lockdrop check` searches for the shortest)."
      : '"holds" means no violation in the random schedules run; it is not a proof. Step counts are those of the minimized random counterexamples, not proven shortest (`lockdrop check` searches for the shortest).',
  );
  for (const s of c.separations) {
    const lanes = separationLanes(s);
    const replays = s.replays.map((r) => replayText(r, s.row.property.id));
    if (md)
      out.push(
        "",
        "<details>",
        `<summary>${headline(s, c.designs)}</summary>`,
        "",
        `> ${s.row.property.statement}`,
        "",
        "```text",
        lanes,
        "```",
        "",
        ...replays.map((r) => `- ${r}`),
        "",
        "</details>",
      );
    else
      out.push(
        "",
        `== ${headline(s, c.designs)}`,
        `   ${s.row.property.statement}`,
        "",
        lanes,
        "",
        ...replays.map((r) => `   ${r}`),
      );
  }
  return out.join("\n");
}

/** lockdrop.compare/1 (reports/formats.ts). */
export function comparisonJson(c: Comparison): CompareJson {
  return {
    schema: "lockdrop.compare/1",
    designs: c.designs.map((d) => d.id),
    ...c.options,
    rows: c.rows.map((r) => ({
      scenario: r.scenario,
      property: r.property.id,
      differs: r.differs,
      verdicts: Object.fromEntries(c.designs.map((d, i) => [d.id, verdictOf(r.cells[i] ?? null)])),
      strength: { kind: "random" as const, runs: c.options.runs },
    })),
    separations: c.separations.map((s) => ({
      scenario: s.row.scenario,
      property: s.row.property.id,
      violator: s.violator,
      message: s.counterexample.message,
      schedule: [...s.counterexample.schedule],
      replays: [...s.replays],
    })),
  };
}

/** lockdrop.compare/1 as `compare --json` prints it, checked against its schema. */
export function comparisonJsonText(c: Comparison): string {
  return jsonText(CompareSchema, comparisonJson(c));
}
