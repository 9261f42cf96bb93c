// The verdict matrix: design x scenario x property, as JSON (lockdrop.matrix/1, defined
// in reports/formats.ts) and as a text table.
import type { MatrixRow } from "../engine/verdicts.js";
import { jsonText, type MatrixJson, MatrixSchema } from "./formats.js";

export type { MatrixRow };

/** lockdrop.matrix/1: the type inferred from its zod schema. */
export type Matrix = MatrixJson;

/** lockdrop.matrix/1 as `matrix --json` prints it, checked against its schema. */
export function matrixJsonText(m: Matrix): string {
  return jsonText(MatrixSchema, m);
}

export function cell(r: MatrixRow): string {
  if (r.verdict === "n/a") return "n/a";
  if (r.verdict === "violated") return `VIOLATED (${r.steps} steps)`;
  return r.verdict;
}

const STOPPED: Record<NonNullable<MatrixRow["stopped"]>, string> = {
  "max-states": "--max-states",
  "max-memory": "--max-memory",
  interrupted: "Ctrl-C",
  time: "the time limit",
};

/**
 * How strong a verdict is, in words: "exhaustive, depth 53, complete, 19724 states",
 * "1000 random runs", or for an unknown row why the search stopped and how far it got.
 */
export function strength(r: MatrixRow): string {
  const s = r.strength;
  if (s.kind === "random")
    return `${s.runs} random runs${s.pct !== undefined ? `, PCT d=${s.pct}` : ""}`;
  if (s.kind === "none") return "not run";
  const omission =
    s.omissionProbability !== undefined
      ? `, hash-compacted: a state missed with probability ${s.omissionProbability.toExponential(1)}`
      : "";
  if (r.stopped)
    return `exhaustive search stopped by ${STOPPED[r.stopped]} at depth ${s.depth} after ${s.states} states, ${s.frontier} reached states left unexplored: not proven`;
  return `exhaustive, depth ${s.depth}${s.kind === "exhaustive-complete" ? ", complete" : `, ${s.frontier} states at the bound`}, ${s.states} states${omission}`;
}

/** One table per design: scenarios down, properties across. */
export function renderMatrix(m: Matrix): string {
  const out: string[] = [];
  const designs = [...new Set(m.rows.map((r) => r.design))];
  const props = [...new Set(m.rows.map((r) => r.property))];
  const scenarios = [...new Set(m.rows.map((r) => r.scenario))];
  const runs = Math.max(0, ...m.rows.map((r) => r.runs));
  const exhaustive = m.rows.find((r) => r.method === "exhaustive");
  out.push(
    exhaustive
      ? `lockdrop verdict matrix ("holds" = no violation in any schedule up to depth ${exhaustive.depth}, breadth-first; see --json for states per row)`
      : `lockdrop verdict matrix (seed ${m.seed}; "holds" = no violation in ${runs} random schedules per row)`,
  );
  for (const d of designs) {
    out.push("", `== ${d}`);
    const w0 = Math.max(10, ...scenarios.map((s) => s.length)) + 2;
    for (const p of props) {
      const cells = scenarios.map((s) => {
        const r = m.rows.find((x) => x.design === d && x.scenario === s && x.property === p);
        return r ? cell(r) : "";
      });
      out.push(
        `  ${p.padEnd(30)} ${cells
          .map((c) => c.padEnd(w0 + 6))
          .join("")
          .trimEnd()}`,
      );
    }
    out.splice(
      out.length - props.length,
      0,
      `  ${"".padEnd(30)} ${scenarios
        .map((s) => s.padEnd(w0 + 6))
        .join("")
        .trimEnd()}`,
    );
  }
  return out.join("\n");
}
