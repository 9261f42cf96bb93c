// Results do not depend on the number of workers: a random search dealt out among n
// workers (one shard of its run indices each, joined by joinRunShards) gives the rows
// of the search run whole, counterexamples included, and check prints the same.
import { describe, expect, it } from "vitest";
import { joinRunShards } from "../engine/shard.js";
import type { RowResult } from "../engine/verdicts.js";
import { verdictRows } from "../engine/verdicts.js";
import { designById } from "../model/designs/index.js";
import { scenarioById } from "../model/scenarios.js";
import { PROPERTIES } from "../properties/index.js";
import { lockdrop } from "./run-cli.js";

const summary = (rows: readonly RowResult[]) =>
  rows.map((r) => ({
    property: r.property,
    verdict: r.verdict,
    runs: r.runs,
    steps: r.steps,
    schedule: r.counterexample?.schedule,
    runIndex: r.counterexample?.runIndex,
  }));

describe("workers", () => {
  for (const [d, s] of [
    ["v1-hugetlb-drop", "hugetlb-uffd-1"],
    ["v1", "anon-uffd-1"],
  ] as const)
    it(`${d} on ${s}: the runs dealt out to 2 and 3 workers give the rows of one`, () => {
      const design = designById(d);
      const scenario = scenarioById(s);
      if (!design || !scenario) throw new Error("no such pair");
      const opts = { runs: 300, seed: 7 };
      const whole = verdictRows(design, scenario, PROPERTIES, opts);
      expect(whole.some((r) => r.verdict === "violated")).toBe(true);
      for (const n of [2, 3]) {
        const parts = Array.from({ length: n }, (_, i) =>
          verdictRows(design, scenario, PROPERTIES, {
            ...opts,
            shard: { index: i + 1, count: n },
          }),
        );
        expect(summary(joinRunShards(parts))).toEqual(summary(whole));
      }
    });

  it("check prints the same with --workers 1 and 3", () => {
    const args = ["check", "v1", "--scenario", "anon-uffd-1", "--runs", "300", "--no-shortest"];
    const one = lockdrop(...args, "--workers", "1");
    const three = lockdrop(...args, "--workers", "3");
    expect(one.code).toBe(1);
    expect(three.out).toBe(one.out);
  });
});
