// The output formats (issue 14, item 7): every `--json` output is its zod schema's (the
// committed JSON Schemas included).
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import {
  CheckSchema,
  CompareSchema,
  jsonSchemaFiles,
  ListSchema,
  MatrixSchema,
} from "../reports/formats.js";
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
    ]);
    for (const f of files) expect(readFileSync(`reports/${f.file}`, "utf8"), f.file).toBe(f.text);
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
  });
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
    expect(l.properties.find((p) => p.id === "no-deadlock")).toMatchObject({ ref: "S9, L8" });
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
