// The regression corpus (issue 6): every file under corpus/ must still violate its
// property on its design, step for step as recorded, and must not on the designs it is
// marked fixed by; the committed golden replays must come out byte for byte.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { GOLDEN, goldenOutputs, loadCorpusFile, replayOn } from "../corpus/golden.js";
import { isEnabled } from "../engine/exec.js";

const root = join(import.meta.dirname, "..", "corpus");
const files = readdirSync(root, { withFileTypes: true })
  .filter((d) => d.isDirectory() && d.name !== "golden")
  .flatMap((d) => readdirSync(join(root, d.name)).map((f) => `${d.name}/${f}`))
  .filter((f) => f.endsWith(".json"))
  .sort();
const REGEN =
  "If the model changed on purpose, regenerate with `npm run corpus` and review the diff.";

describe("regression corpus", () => {
  it("has one file per violated row, including the hugetlb use-after-free", () => {
    expect(files.length).toBeGreaterThan(50);
    expect(files).toContain("v1-hugetlb-drop/hugetlb-uffd.no-freed-vma-use.json");
  });

  it("every counterexample reproduces on its design, as recorded", () => {
    const problems: string[] = [];
    for (const f of files) {
      const r = replayOn(loadCorpusFile(root, f));
      if (!r.violation) problems.push(`${f}: no longer violates ${r.cex.property}`);
      else if (r.violation.at !== r.cex.violation.at)
        problems.push(
          `${f}: violated at step ${r.violation.at + 1}, recorded ${r.cex.violation.at + 1}`,
        );
      if (r.designChanged.length)
        problems.push(`${f}: design changed (${r.designChanged.join("; ")})`);
      if (r.divergence) problems.push(`${f}: diverges at step ${r.divergence.at + 1}`);
      if (r.nondeterminism) problems.push(`${f}: world differs at step ${r.nondeterminism.at + 1}`);
    }
    expect(problems, REGEN).toEqual([]);
  });

  it("every lasso is fair: each thread it must be fair to steps in the loop or is disabled in it", () => {
    // re-derived from the replayed worlds, not from the engine's fairness bits: the
    // threads a loop must be fair to are every driver, every actor the property names,
    // and every actor not idle at its entry label in the loop
    let lassos = 0;
    const problems: string[] = [];
    for (const f of files) {
      const cex = loadCorpusFile(root, f);
      const loopStart = cex.violation.loopStart;
      if (loopStart === undefined) continue;
      lassos++;
      const r = replayOn(cex);
      const worlds = r.run.worlds ?? [];
      const programs = r.setup.programs;
      const spec = r.property.lasso;
      const end = cex.violation.at + 1;
      const loopWorlds = worlds.slice(loopStart, end + 1);
      const stepped = new Set(r.run.trace.slice(loopStart, end).map((x) => x.tid));
      for (const t of r.setup.world0.threads) {
        if (t.id === 0) continue;
        // an actor the property leaves out of its fairness set, which its report names
        if (t.role !== "driver" && spec?.unfair?.includes(t.program)) {
          const unfairTo = /not fair to (.*), which the property leaves out/.exec(
            cex.violation.message,
          )?.[1];
          if (!unfairTo?.split(" or ").includes(`${t.name} (${t.program})`))
            problems.push(`${f}: the report does not say the loop is not fair to ${t.name}`);
          continue;
        }
        const mustBeFair =
          t.role === "driver" ||
          (spec?.weaklyFair.includes(t.program) ?? false) ||
          loopWorlds.some((w) => w.threads[t.id]?.pc !== programs[t.program]?.start);
        const fair = stepped.has(t.id) || loopWorlds.some((w) => !isEnabled(w, t.id, programs));
        if (mustBeFair && !fair)
          problems.push(`${f}: ${t.name} is runnable throughout the loop and never runs`);
      }
    }
    expect(lassos).toBeGreaterThan(20);
    expect(problems, REGEN).toEqual([]);
  });

  it("no counterexample reproduces on a design marked as fixing it", () => {
    let checked = 0;
    const problems: string[] = [];
    for (const f of files) {
      const cex = loadCorpusFile(root, f);
      for (const fix of cex.fixedBy ?? []) {
        checked++;
        if (replayOn(cex, fix).violation) problems.push(`${f} reproduces on ${fix}`);
      }
    }
    expect(checked).toBeGreaterThan(0);
    expect(problems).toEqual([]);
    expect(
      loadCorpusFile(root, "v1-hugetlb-drop/hugetlb-uffd.no-freed-vma-use.json").fixedBy,
    ).toContain("v2");
  });

  it("replays of the golden entries are byte-identical to the committed outputs", () => {
    for (const g of GOLDEN)
      for (const [name, text] of goldenOutputs(root, g))
        expect(text, `${name}. ${REGEN}`).toBe(readFileSync(join(root, "golden", name), "utf8"));
  });

  it("golden outputs carry no absolute paths, time stamps or colour codes", () => {
    for (const name of readdirSync(join(root, "golden"))) {
      const text = readFileSync(join(root, "golden", name), "utf8");
      expect(text).not.toContain(root);
      expect(text).not.toMatch(/\d{4}-\d\d-\d\dT\d\d:/);
      expect(text).not.toContain("\u001b[");
    }
  });
});
