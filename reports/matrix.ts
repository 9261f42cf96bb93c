// The verdict matrix: design x scenario x property, as JSON (lockdrop.matrix/1, defined
// in reports/formats.ts) and as a text table that fits 100 columns whatever the number
// of scenarios.
import type { MatrixRow } from "../engine/verdicts.js";
import { scenarioRegistry } from "../model/scenarios.js";
import { jsonText, type MatrixJson, MatrixSchema } from "./formats.js";

export type { MatrixRow };

/** lockdrop.matrix/1: the type inferred from its zod schema. */
export type Matrix = MatrixJson;

/** lockdrop.matrix/1 as `matrix --json` prints it, checked against its schema. */
export function matrixJsonText(m: Matrix): string {
  return jsonText(MatrixSchema, m);
}

/** A row's cell in the text matrix: "holds", "VIOLATED 20" (steps), "unknown" or "n/a". */
export function cell(r: MatrixRow): string {
  if (r.verdict === "violated") return r.steps === null ? "VIOLATED" : `VIOLATED ${r.steps}`;
  return r.verdict;
}

export const STOPPED: Record<NonNullable<MatrixRow["stopped"]>, string> = {
  "max-states": "--max-states",
  "max-memory": "--max-memory",
  interrupted: "Ctrl-C",
  time: "the time limit",
};

/**
 * How strong a verdict is, in words: "exhaustive, depth 53, complete, 19724 states",
 * "1000 random runs", or for an unknown row why the search stopped and how far it got.
 */
/** " within K preemptions" for a search under a preemption bound, else nothing. */
export function withinPreemptions(s: { readonly preemptions?: number }): string {
  return s.preemptions !== undefined
    ? ` within ${s.preemptions} preemption${s.preemptions === 1 ? "" : "s"}`
    : "";
}

/** What keeping states as hashes risks (--hash-compact), or null with exact states. */
export function omissionText(s: { readonly omissionProbability?: number }): string | null {
  return s.omissionProbability !== undefined
    ? `states kept as hashes: one missed with probability ${s.omissionProbability.toExponential(1)}`
    : null;
}

export function strength(r: Pick<MatrixRow, "strength" | "stopped">): string {
  const s = r.strength;
  if (s.kind === "random")
    return `${s.runs} random runs${s.pct !== undefined ? `, PCT d=${s.pct}` : ""}`;
  if (s.kind === "none") return "not run";
  const hashes = omissionText(s);
  const omission = hashes ? `, ${hashes}` : "";
  if (r.stopped)
    return `exhaustive search stopped by ${STOPPED[r.stopped]} at depth ${s.depth} after ${s.states} states, ${s.frontier} reached state${s.frontier === 1 ? "" : "s"} left unexplored: not proven`;
  const bound = withinPreemptions(s);
  const reduced = s.reduction === "persistent-sets" ? " with persistent sets" : "";
  if (s.allViolated)
    return `exhaustive${reduced}, depth ${s.depth}, stopped once every property was violated, ${s.states} states`;
  return `exhaustive, depth ${s.depth}${s.kind === "exhaustive-complete" ? `, complete${bound}${reduced}` : `, ${s.frontier} states at the bound${bound}`}, ${s.states} states${omission}`;
}

/** The width every line of the text matrix fits in. */
export const MATRIX_WIDTH = 100;
/** The cell of a pair that ran without this property's row (never blank). */
const NOT_RUN = "not run";
const GAP = "  ";
/** property ids longer than this are shortened, so that scenario columns keep room */
const MAX_PROPERTY = 40;

/** `s` in at most `w` columns: cut with an ellipsis when longer. */
function clip(s: string, w: number): string {
  return s.length <= w ? s : `${s.slice(0, Math.max(0, w - 1))}\u2026`;
}

/** `text` in lines of at most MATRIX_WIDTH columns after `indent`, the later lines 2 further in. */
function wrap(text: string, indent = ""): string[] {
  const lines: string[] = [];
  let line = indent;
  for (const word of text.split(" ")) {
    if (line.trim() === "") line += word;
    else if (line.length + 1 + word.length <= MATRIX_WIDTH) line += ` ${word}`;
    else {
      lines.push(line);
      line = `${indent}  ${word}`;
    }
  }
  lines.push(line);
  return lines.map((l) => clip(l, MATRIX_WIDTH));
}

/** Consecutive columns, as many to a group as fit in `room` columns with a gap between. */
function groups<T extends { readonly width: number }>(cols: readonly T[], room: number): T[][] {
  const out: T[][] = [];
  let used = room; // full: the first column opens a group
  for (const c of cols) {
    if (used + GAP.length + c.width > room) {
      out.push([c]);
      used = c.width;
    } else {
      out[out.length - 1]?.push(c);
      used += GAP.length + c.width;
    }
  }
  return out;
}

/**
 * One block per design, properties down and the scenarios the design ran in across, in
 * groups of as many scenario columns as fit in 100 columns (the property column repeated
 * in each group). The scenarios a design did not run in are named under its block.
 * `scenarioOrder` is the order of the scenario list (`lockdrop list`).
 */
export function renderMatrix(m: Matrix, scenarioOrder: readonly string[] = []): string {
  const designs = [...new Set(m.rows.map((r) => r.design))];
  const props = [...new Set(m.rows.map((r) => r.property))];
  // in the order of the scenario list (`scenarioOrder`, else the order `lockdrop list`
  // names them, the order they were registered), so that a scenario added after one of
  // another family's still takes its place; scenarios neither knows come last, as met
  const order = scenarioOrder.length > 0 ? scenarioOrder : scenarioRegistry.all().map((s) => s.id);
  const seen = [...new Set(m.rows.map((r) => r.scenario))];
  const rank = (s: string) => {
    const i = order.indexOf(s);
    return i < 0 ? order.length + seen.indexOf(s) : i;
  };
  const scenarios = seen.slice().sort((a, b) => rank(a) - rank(b));
  const byKey = new Map(m.rows.map((r) => [`${r.design}\0${r.scenario}\0${r.property}`, r]));
  const runs = Math.max(0, ...m.rows.map((r) => r.runs));
  const exhaustive = m.rows.filter((r) => r.method === "exhaustive");
  // what a row that holds rests on: every search complete, or some to a depth bound (an
  // unknown row stopped short, and says nothing of the bound)
  const judged = exhaustive.filter((r) => r.verdict !== "unknown" && r.verdict !== "n/a");
  const bounded = judged.filter((r) => r.strength.kind !== "exhaustive-complete");
  const depth = Math.max(0, ...bounded.map((r) => r.depth ?? 0));
  const exhaustiveHead =
    judged.length === 0
      ? "every search stopped early"
      : bounded.length === 0
        ? '"holds" = no violation in any schedule: each search explored its states completely'
        : bounded.length === judged.length
          ? `"holds" = no violation in any schedule up to the row's depth (at most ${depth})`
          : `"holds" = no violation in any schedule, completely or up to the row's depth (at most ${depth})`;
  const out: string[] = [
    ...wrap(
      exhaustive.length > 0
        ? `lockdrop verdict matrix (${exhaustiveHead}, breadth-first; see --json for each row's depth and states)`
        : `lockdrop verdict matrix (seed ${m.seed}; "holds" = no violation in ${runs} random schedules per row)`,
    ),
    ...wrap(
      `${
        exhaustive.length > 0
          ? "VIOLATED n = a shortest counterexample has n steps (`lockdrop check --exhaustive` prints it)"
          : "VIOLATED n = the violating schedule random search found has n steps (`lockdrop check` prints the shortest, which may have fewer)"
      }; unknown = the search stopped early without a violation; n/a = the scenario cannot exercise the property.`,
    ),
  ];
  const pw = Math.min(MAX_PROPERTY, Math.max(0, ...props.map((p) => p.length)));
  const lead = `  ${"".padEnd(pw)}${GAP}`;
  const room = MATRIX_WIDTH - lead.length;
  for (const d of designs) {
    const ran = scenarios.filter((s) => props.some((p) => byKey.has(`${d}\0${s}\0${p}`)));
    const cols = ran.map((s) => {
      const cells = props.map((p) => {
        const r = byKey.get(`${d}\0${s}\0${p}`);
        return clip(r ? cell(r) : NOT_RUN, room);
      });
      const head = clip(s, room);
      return { head, cells, width: Math.max(head.length, ...cells.map((c) => c.length)) };
    });
    out.push("", clip(`== ${d}`, MATRIX_WIDTH));
    groups(cols, room).forEach((g, i) => {
      const line = (first: string, texts: readonly string[]) =>
        `${first}${texts.map((t, j) => t.padEnd(g[j]?.width ?? 0)).join(GAP)}`.trimEnd();
      if (i > 0) out.push("");
      out.push(
        line(
          lead,
          g.map((c) => c.head),
        ),
        ...props.map((p, k) =>
          line(
            `  ${clip(p, pw).padEnd(pw)}${GAP}`,
            g.map((c) => c.cells[k] ?? NOT_RUN),
          ),
        ),
      );
    });
    const skipped = scenarios.filter((s) => !ran.includes(s));
    if (skipped.length > 0)
      out.push(
        ...wrap(
          `not run on ${d} (scenarios for other kinds of design): ${skipped.join(", ")}`,
          "  ",
        ),
      );
  }
  return out.join("\n");
}
