// `lockdrop compare`: v2 closes v1-hugetlb-drop's hugetlb use-after-free, and the
// comparison shows the counterexample that separates them, replayed on v2.
import { describe, expect, it } from "vitest";
import { designById } from "../model/designs/index.js";
import type { Design } from "../model/step.js";
import { propertyById } from "../properties/index.js";
import type { Property } from "../properties/property.js";
import { compareDesigns, renderComparison } from "../reports/compare.js";
import { scenario } from "./helpers.js";
import { lockdrop } from "./run-cli.js";

function d(id: string): Design {
  const x = designById(id);
  if (!x) throw new Error(`no design ${id}`);
  return x;
}
function p(id: string): Property {
  const x = propertyById(id);
  if (!x) throw new Error(`no property ${id}`);
  return x;
}

describe("compare", () => {
  const c = compareDesigns(
    [d("v1-hugetlb-drop"), d("v2")],
    [scenario("hugetlb-uffd")],
    [p("no-freed-vma-use"), p("lock-balance")],
    { runs: 300, seed: 1 },
  );

  it("finds the hugetlb use-after-free on v1-hugetlb-drop only", () => {
    const uaf = c.rows.find((r) => r.property.id === "no-freed-vma-use");
    expect(uaf?.differs).toBe(true);
    expect(uaf?.cells.map((x) => x?.verdict)).toEqual(["violated", "holds"]);
    const balance = c.rows.find((r) => r.property.id === "lock-balance");
    expect(balance?.differs).toBe(false);
    expect(c.separations).toHaveLength(1);
  });

  it("gives the separating counterexample, which no longer violates on v2", () => {
    const [s] = c.separations;
    expect(s?.violator).toBe("v1-hugetlb-drop");
    expect(s?.counterexample.message).toMatch(
      /W freed vma#0's hugetlb_vma_lock in __hugetlb_vma_unlock_write_free, and its up_write woke T, asleep on that lock, onto the freed lock/,
    );
    expect(s?.replays).toEqual([expect.objectContaining({ design: "v2", violated: false })]);
    const text = renderComparison(c, "text");
    expect(text).toMatch(
      /hugetlb-uffd\s+no-freed-vma-use\s+VIOLATED \(\d+ steps\)\s+holds\s+<- differs/,
    );
    expect(text).toMatch(/T \(v1-hugetlb-drop\)\s+W \(munmap\)/);
    expect(text).toMatch(
      />>\s+zap ptes; hugetlb_zap_end\(vma\); mmu_notifier_invalidate_range_end\(\)\s+\{frees vma#0's hugetlb_vma_lock; wakes T\}/,
    );
    expect(text).toMatch(/the same schedule on v2: no violation of no-freed-vma-use/);
    expect(text).not.toMatch(/lock-balance/); // holds on both: counted, not listed
    expect(renderComparison(c, "text", { all: true })).toMatch(
      /hugetlb-uffd\s+lock-balance\s+holds\s+holds/,
    );
  });

  it("renders a Markdown table and a collapsible counterexample for GitHub", () => {
    const md = renderComparison(c, "markdown");
    expect(md).toMatch(/^### lockdrop compare v1-hugetlb-drop vs v2$/m);
    expect(md).toMatch(/^\| scenario +\| property +\| v1-hugetlb-drop +\| v2 +\|$/m);
    expect(md).toMatch(/\| \*\*VIOLATED \(\d+ steps\)\*\* \| holds +\|/);
    expect(md).toMatch(
      /<details>\n<summary>hugetlb-uffd \/ no-freed-vma-use \(S2\): violated by v1-hugetlb-drop; holds on v2<\/summary>/,
    );
    expect(md).toMatch(/```text\n[\s\S]*frees vma#0's hugetlb_vma_lock; wakes T[\s\S]*```/);
  });

  it("runs from the command line (exit 0) and rejects a single design (exit 2)", () => {
    const run = (...args: string[]) => lockdrop("compare", ...args);
    const ok = run(
      "v1-hugetlb-drop",
      "v2",
      "--scenario",
      "hugetlb-uffd",
      "--property",
      "no-freed-vma-use",
      "--runs",
      "300",
      "--format",
      "markdown",
    );
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/\*\*hugetlb-uffd\*\* *\| \*\*no-freed-vma-use\*\*/);
    const json = run(
      "v1-hugetlb-drop",
      "v2",
      "--scenario",
      "hugetlb-uffd",
      "--property",
      "no-freed-vma-use",
      "--runs",
      "300",
      "--json",
    );
    expect(JSON.parse(json.out)).toMatchObject({
      schema: "lockdrop.compare/1",
      designs: ["v1-hugetlb-drop", "v2"],
      rows: [{ property: "no-freed-vma-use", differs: true }],
      separations: [{ violator: "v1-hugetlb-drop", replays: [{ design: "v2", violated: false }] }],
    });
    const throws = run("test/fixtures/designs/10-step-throws.ts", "v2", "--runs", "20");
    expect(throws.code).toBe(2);
    expect(throws.err).toMatch(/^lockdrop: design error in .*step "check_locked"/);
    const one = run("v2");
    expect(one.code).toBe(2);
    expect(one.err).toMatch(/^lockdrop: compare needs at least two designs, got 1\./);
    // --json prints JSON: a --format beside it would be ignored
    const both = run("v1-hugetlb-drop", "v2", "--json", "--format", "markdown");
    expect(both.code).toBe(2);
    expect(both.out).toBe("");
    expect(both.err).toMatch(
      /^lockdrop: --json prints lockdrop\.compare\/1 JSON, so --format markdown would be ignored\./,
    );
    // --strict: 1 when a design violates a row, 0 when none does
    const args = ["v1-hugetlb-drop", "v2", "--scenario", "hugetlb-uffd", "--runs", "300"];
    expect(run(...args, "--property", "no-freed-vma-use", "--strict").code).toBe(1);
    expect(run(...args, "--property", "lock-balance", "--strict").code).toBe(0);
  });

  it("gives the same comparison on one worker thread as on two", () => {
    const args = ["v1", "v2", "--scenario", "anon-uffd-1", "hugetlb-uffd", "--runs", "200"];
    const one = lockdrop("compare", ...args, "--workers", "1", "--json");
    const two = lockdrop("compare", ...args, "--workers", "2", "--json");
    expect(one.code, one.err).toBe(0);
    expect(two.out).toBe(one.out);
    expect(JSON.parse(one.out).rows.length).toBeGreaterThan(2);
    expect(lockdrop("compare", ...args, "--workers", "0").code).toBe(2);
  });

  it("does not call designs alike on a row where one of them did not run", () => {
    // thp-split-nolock is for pgwalk designs: follow-pmd runs there, v2 does not
    const mixed = compareDesigns(
      [d("follow-pmd"), d("v2")],
      [scenario("thp-split-nolock")],
      [p("pmd-decision-current"), p("lock-balance")],
      { runs: 50, seed: 1 },
    );
    expect(mixed.rows.map((r) => r.cells.map((x) => x?.verdict ?? "not run"))).toEqual([
      ["violated", "not run"],
      ["holds", "not run"],
    ]);
    const text = renderComparison(mixed, "text");
    // both rows listed (neither holds on every design), and no claim that they agree
    expect(text).toMatch(/thp-split-nolock\s+lock-balance\s+holds\s+not run/);
    expect(text).not.toMatch(/hold on every design/);
    expect(text).toMatch(/2 rows ran on some of the designs only/);
  });
});
