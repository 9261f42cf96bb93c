// The output formats (issue 14, item 7): every `--json` output is its zod schema's (the
// committed JSON Schemas included), and the text matrix fits 100 columns whatever the
// number of scenarios, with no blank cell.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadCorpusFile, replayOn } from "../corpus/golden.js";
import type { MatrixRow, Verdict } from "../engine/verdicts.js";
import {
  CheckSchema,
  CompareSchema,
  jsonSchemaFiles,
  ListSchema,
  MatrixSchema,
  ReplayOutputSchema,
} from "../reports/formats.js";
import { cell, MATRIX_WIDTH, type Matrix, renderMatrix } from "../reports/matrix.js";
import { replayJson } from "../reports/replay-render.js";
import { type CliResult, runNode } from "./run-cli.js";

const run = (...args: string[]) => runNode("cli/bin.mjs", args);

describe("the committed JSON Schemas", () => {
  it("are the zod schemas' (npm run schemas writes them)", () => {
    const files = jsonSchemaFiles();
    expect(files.map((f) => f.file)).toEqual([
      "cex.schema.json",
      "check.schema.json",
      "matrix.schema.json",
      "compare.schema.json",
      "list.schema.json",
      "coverage.schema.json",
      "shard.schema.json",
      "merge.schema.json",
      "replay.schema.json",
    ]);
    for (const f of files) expect(readFileSync(`reports/${f.file}`, "utf8"), f.file).toBe(f.text);
  });
});

describe("replay --json (lockdrop.replay/1)", () => {
  it("is its schema's for a counterexample of each design of the corpus, lassos and ends of runs included", () => {
    const root = "corpus";
    const files = readdirSync(root, { withFileTypes: true })
      .filter((d) => d.isDirectory() && d.name !== "golden")
      .map((d) => `${d.name}/${readdirSync(join(root, d.name)).sort()[0]}`);
    expect(files.length).toBeGreaterThan(30);
    const problems: string[] = [];
    for (const f of files) {
      const r = ReplayOutputSchema.safeParse(replayJson(replayOn(loadCorpusFile(root, f))));
      if (!r.success) problems.push(`${f}: ${r.error.message}`);
    }
    expect(problems).toEqual([]);
  });

  it("is what --json prints, as --format json does; --json beside another --format is refused", async () => {
    const file = "corpus/v1-hugetlb-drop/hugetlb-uffd.no-freed-vma-use.json";
    const [json, format, both] = await Promise.all([
      run("replay", file, "--json"),
      run("replay", file, "--format", "json"),
      run("replay", file, "--json", "--format", "markdown"),
    ]);
    expect(json.code, json.err).toBe(1);
    expect(json.out).toBe(format.out);
    expect(ReplayOutputSchema.parse(JSON.parse(json.out)).schema).toBe("lockdrop.replay/1");
    expect(both.code).toBe(2);
    expect(both.err).toMatch(/--json asks for JSON and --format markdown for Markdown/);
  });
});

describe("--json outputs", () => {
  let out: Record<string, CliResult> = {};
  beforeAll(async () => {
    const [check, matrix, exhaustive, compare, list] = await Promise.all([
      run("check", "v2", "--scenario", "anon-uffd-1", "--runs", "50", "--json"),
      run("matrix", "--design", "v2", "--runs", "20", "--json"),
      // exhaustive rows: violated, unknown (stopped by --max-states) and n/a
      run(
        "matrix",
        "--design",
        "v1-hugetlb-drop",
        "--scenario",
        "hugetlb-uffd-1",
        "--exhaustive",
        "--max-states",
        "2000",
        "--json",
      ),
      run(
        "compare",
        "v1-hugetlb-drop",
        "v2",
        "--scenario",
        "hugetlb-uffd-1",
        "--runs",
        "50",
        "--json",
      ),
      run("list", "--json"),
    ]);
    out = { check, matrix, exhaustive, compare, list } as Record<string, CliResult>;
    // five commands at once beside the rest of the suite: past vitest's 10 s for a hook
  }, 120_000);
  const json = (k: string): unknown => {
    const r = out[k] as CliResult;
    expect(r.err).toBe("");
    return JSON.parse(r.out);
  };

  it("check: lockdrop.check/1", () => {
    const c = CheckSchema.parse(json("check"));
    expect(c.design).toBe("v2");
    expect(c.results.map((r) => r.verdict)).toContain("n/a");
  });

  it("matrix: lockdrop.matrix/1, random and exhaustive rows", () => {
    const m = MatrixSchema.parse(json("matrix"));
    expect(m.rows.every((r) => r.design === "v2")).toBe(true);
    const e = MatrixSchema.parse(json("exhaustive"));
    const verdicts = new Set(e.rows.map((r) => r.verdict));
    expect([...verdicts].sort()).toEqual(["n/a", "unknown", "violated"]);
    expect(e.rows.find((r) => r.verdict === "unknown")).toMatchObject({
      stopped: "max-states",
      strength: { kind: "exhaustive-depth" },
    });
  });

  it("compare: lockdrop.compare/1, with the separating counterexamples", () => {
    const c = CompareSchema.parse(json("compare"));
    expect(c.designs).toEqual(["v1-hugetlb-drop", "v2"]);
    expect(c.separations.length).toBeGreaterThan(0);
    expect(c.separations[0]?.replays[0]?.design).toBe("v2");
  });

  it("list: lockdrop.list/1, every design, scenario and property", () => {
    const l = ListSchema.parse(json("list"));
    expect(l.designs.find((d) => d.id === "v2")).toMatchObject({ family: "hmm" });
    expect(l.scenarios.find((s) => s.id === "uffd-copy")?.families).toEqual(["mfill"]);
    // a scenario whose actor carries a bug on purpose says so, one without says none
    expect(l.scenarios.find((s) => s.id === "anon-oom-reap-end-after-eagain")?.mutants).toEqual([
      { actor: expect.any(String), bug: expect.stringMatching(/invalidate_range_end/) },
    ]);
    expect(l.scenarios.find((s) => s.id === "anon-uffd")?.mutants).toEqual([]);
    expect(l.properties.find((p) => p.id === "no-deadlock")).toMatchObject({ ref: "S9, L8" });
    // the actors by the id a scenario of one's own names them by, with where they run
    expect(l.actors.find((a) => a.id === "swap-out")).toMatchObject({
      lane: "E",
      disruptive: true,
      scenarios: ["anon-uffd-swap-out"],
    });
    expect(l.actors.find((a) => a.id === "monitor")?.scenarios).toContain("anon-uffd");
    expect(l.actors.find((a) => a.id === "hugetlb-truncate-no-kref")?.mutant).toMatch(/kref/);
    expect(l.actors.find((a) => a.id === "swap-out")).not.toHaveProperty("mutant");
    const text = (out.list as CliResult).out;
    expect(text.trimEnd().split("\n").length).toBeGreaterThan(40);
  });

  it("the schemas are strict: a field they do not define, or a verdict they do not know, fails", () => {
    const m = json("matrix") as { rows: Record<string, unknown>[] };
    const row = m.rows[0] as Record<string, unknown>;
    expect(MatrixSchema.safeParse({ ...m, rows: [{ ...row, extra: 1 }] }).success).toBe(false);
    expect(MatrixSchema.safeParse({ ...m, rows: [{ ...row, verdict: "ok" }] }).success).toBe(false);
    expect(
      MatrixSchema.safeParse({ ...m, rows: [{ ...row, strength: { kind: "random" } }] }).success,
    ).toBe(false);
  });
});

/**
 * Checks the text matrix: every line within MATRIX_WIDTH, and under each group header
 * every row has a non-blank cell starting in each header's column. Returns, per design,
 * the scenarios shown as columns and those named as not run.
 */
function checkMatrixText(text: string): Map<string, { cols: string[]; notRun: string[] }> {
  const lines = text.split("\n");
  for (const l of lines) expect(l.length, l).toBeLessThanOrEqual(MATRIX_WIDTH);
  const designs = new Map<string, { cols: string[]; notRun: string[] }>();
  let design: { cols: string[]; notRun: string[] } | null = null;
  let heads: { name: string; at: number }[] = [];
  let notRun = false;
  for (const l of lines) {
    const d = /^== (.+)$/.exec(l);
    if (d) {
      design = { cols: [], notRun: [] };
      designs.set(d[1] as string, design);
      heads = [];
      notRun = false;
      continue;
    }
    if (!design) continue;
    if (l === "") {
      heads = [];
      continue;
    }
    // the list may start on the next line when its first name does not fit
    const nr = /^ {2}not run on \S+ \([^)]*\):(?: (.*))?$/.exec(l);
    if (nr || (notRun && /^ {4}\S/.test(l))) {
      notRun = true;
      design.notRun.push(
        ...(nr ? (nr[1] ?? "") : l)
          .split(",")
          .map((s) => s.trim())
          .filter((s) => s !== ""),
      );
      continue;
    }
    if (/^ {6,}\S/.test(l)) {
      // a group header: the scenario columns
      heads = [...l.matchAll(/\S+/g)].map((m) => ({ name: m[0], at: m.index }));
      design.cols.push(...heads.map((h) => h.name));
      continue;
    }
    expect(heads.length, `a row outside a group: ${l}`).toBeGreaterThan(0);
    const cells = l.trim().split(/ {2,}/).slice(1);
    expect(cells, l).toHaveLength(heads.length);
    for (const h of heads) {
      expect(l[h.at] ?? " ", `a blank cell under ${h.name}: ${l}`).not.toBe(" ");
      expect(l[h.at - 1], `a cell that does not start under ${h.name}: ${l}`).toBe(" ");
    }
  }
  return designs;
}

describe("the text matrix", () => {
  it("cells are short and never blank", () => {
    const row = (verdict: Verdict, steps: number | null = null): MatrixRow => ({
      design: "d",
      scenario: "s",
      property: "p",
      verdict,
      strength: { kind: "none" },
      method: "random",
      runs: 1,
      steps,
    });
    expect(
      (["holds", "unknown", "n/a"] as const)
        .map((v) => cell(row(v)))
        .concat(cell(row("violated", 20))),
    ).toEqual(["holds", "unknown", "n/a", "VIOLATED 20"]);
  });

  it("the real matrix (npm start) fits 100 columns with every pair shown", async () => {
    const r = await run("matrix", "--runs", "20");
    expect(r.code).toBe(0);
    const lines = r.out.split("\n");
    expect(lines[0]).toMatch(/"holds" = no violation in 20 random schedules per row/);
    const designs = checkMatrixText(r.out);
    const list = ListSchema.parse(JSON.parse((await run("list", "--json")).out));
    expect([...designs.keys()]).toEqual(list.designs.map((d) => d.id));
    for (const d of list.designs) {
      const shown = designs.get(d.id);
      const ran = list.scenarios.filter((s) => s.families.includes(d.family)).map((s) => s.id);
      expect(shown?.cols, d.id).toEqual(ran);
      expect(shown?.notRun, d.id).toEqual(
        list.scenarios.map((s) => s.id).filter((s) => !ran.includes(s)),
      );
    }
  });

  it("25 scenarios with long names, pairs not run and rows missing still fit, never blank", () => {
    const scenarios = Array.from({ length: 25 }, (_, i) =>
      i % 5 === 0 ? `a-rather-long-synthetic-scenario-${i}` : `s${i}`,
    );
    const props = ["no-hugetlb-lock-across-drop", "lock-balance", "p"];
    const verdicts: Verdict[] = ["holds", "violated", "unknown", "n/a"];
    const rows: MatrixRow[] = [];
    for (const design of ["one", "two"])
      scenarios.forEach((scenario, i) => {
        if (design === "two" && i % 3 === 0) return; // a pair not run
        props.forEach((property, j) => {
          if (design === "two" && i === 4 && j === 2) return; // a row missing from a pair
          const verdict = verdicts[(i + j) % 4] as Verdict;
          rows.push({
            design,
            scenario,
            property,
            verdict,
            strength: verdict === "n/a" ? { kind: "none" } : { kind: "random", runs: 100 },
            method: verdict === "n/a" ? "n/a" : "random",
            runs: 100,
            steps: verdict === "violated" ? 100 + i : null,
          });
        });
      });
    const m: Matrix = { schema: "lockdrop.matrix/1", seed: 7, rows };
    MatrixSchema.parse(m);
    const text = renderMatrix(m);
    const designs = checkMatrixText(text);
    expect(designs.get("one")?.cols).toEqual(scenarios);
    expect(designs.get("one")?.notRun).toEqual([]);
    const two = designs.get("two");
    expect(two?.cols).toEqual(scenarios.filter((_, i) => i % 3 !== 0));
    expect(two?.notRun).toEqual(scenarios.filter((_, i) => i % 3 === 0));
    expect(text).toMatch(/VIOLATED 124/);
    // the missing row says so
    expect(text.split("\n").some((l) => /^ {2}p {2,}.*not run/.test(l))).toBe(true);
  });

  it("lists scenarios in the order of the scenario list, even one the first design does not run", () => {
    // "mfill-only" is run by the second design alone; the rows name it last
    const row = (design: string, scenario: string): MatrixRow => ({
      design,
      scenario,
      property: "lock-balance",
      verdict: "holds",
      strength: { kind: "random", runs: 1 },
      method: "random",
      runs: 1,
      steps: null,
    });
    const rows = [row("hmm", "a"), row("hmm", "c"), row("gup", "a"), row("mfill", "mfill-only")];
    const m: Matrix = { schema: "lockdrop.matrix/1", seed: 1, rows };
    const listed = checkMatrixText(renderMatrix(m, ["a", "mfill-only", "c"]));
    expect(listed.get("gup")?.notRun).toEqual(["mfill-only", "c"]);
    expect(listed.get("mfill")?.notRun).toEqual(["a", "c"]);
    expect(listed.get("hmm")?.notRun).toEqual(["mfill-only"]);
    // without the list: the order the rows first name them
    expect(checkMatrixText(renderMatrix(m)).get("hmm")?.cols).toEqual(["a", "c"]);
  });

  it("a property or scenario name too long for 100 columns is shortened, not overflowing", () => {
    const long = "x".repeat(150);
    const rows: MatrixRow[] = [
      {
        design: long,
        scenario: long,
        property: long,
        verdict: "holds",
        strength: { kind: "random", runs: 1 },
        method: "random",
        runs: 1,
        steps: null,
      },
    ];
    const text = renderMatrix({ schema: "lockdrop.matrix/1", seed: 1, rows });
    for (const l of text.split("\n")) expect(l.length).toBeLessThanOrEqual(MATRIX_WIDTH);
    expect(text).toMatch(/holds/);
  });
});
