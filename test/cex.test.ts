// Counterexample files, tokens, minimization and the replay reports (issue 6).
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadCorpusFile, replayOn } from "../corpus/golden.js";
import { checkPair } from "../engine/random.js";
import { setupFor } from "../engine/run.js";
import { minimize } from "../engine/shrink/index.js";
import { designById } from "../model/designs/index.js";
import { scenarioById } from "../model/scenarios.js";
import { propertyById } from "../properties/index.js";
import {
  cexFromToken,
  cexJsonSchema,
  designChanges,
  designHash,
  labelHashes,
  parseCex,
  parseToken,
  tokenOf,
} from "../reports/cex.js";
import { renderMermaid, renderReplayText } from "../reports/replay-render.js";
import { lockdrop } from "./run-cli.js";

const root = join(import.meta.dirname, "..", "corpus");
const UAF = "v1-hugetlb-drop/hugetlb-uffd.no-freed-vma-use.json";

function need<T>(x: T | undefined | null): T {
  if (x === undefined || x === null) throw new Error("missing");
  return x;
}

describe("lockdrop.cex/1", () => {
  it("the committed JSON Schema is the zod schema's", () => {
    const committed = JSON.parse(readFileSync("reports/cex.schema.json", "utf8"));
    expect(committed).toEqual(cexJsonSchema());
  });

  it("names the zod path of a bad field, and rejects foreign and truncated JSON", () => {
    const text = readFileSync(join(root, UAF), "utf8");
    const bad = JSON.parse(text);
    bad.steps[2].tid = -1;
    const r = parseCex(JSON.stringify(bad), "x.json");
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/at steps\[2\]\.tid/);
    const foreign = parseCex('{"schema":"lockdrop.matrix/1","rows":[]}', "m.json");
    expect(!foreign.ok && foreign.error).toMatch(
      /its "schema" is "lockdrop.matrix\/1", where a counterexample file says "lockdrop.cex\/1". Fix: /,
    );
    const cut = parseCex(text.slice(0, 200), "t.json");
    expect(!cut.ok && cut.error).toMatch(/not JSON/);
  });

  it("the design hash changes with the step table and names the changed label", () => {
    const d = need(designById("v2"));
    const other = need(designById("v1"));
    expect(designHash(d)).toMatch(/^[0-9a-f]{64}$/);
    expect(designHash(d)).not.toBe(designHash(other));
    const [label, step] = need(Object.entries(d.steps)[0]);
    const changed = { ...d, steps: { ...d.steps, [label]: { ...step, next: "elsewhere" } } };
    expect(designChanges(labelHashes(d), changed).join(" ")).toContain(label);
  });

  it("a token round-trips to the same replay", () => {
    const cex = loadCorpusFile(root, UAF);
    const tok = tokenOf(cex);
    expect(tok).toMatch(/^ld1\.[A-Za-z0-9_-]+$/);
    const t = parseToken(tok);
    expect(t.ok).toBe(true);
    if (!t.ok) return;
    const setup = setupFor(need(designById(cex.design)), need(scenarioById(cex.scenario)));
    const again = cexFromToken(t.value, setup, need(propertyById(cex.property)));
    expect(again.steps.map((s) => s.fingerprint)).toEqual(cex.steps.map((s) => s.fingerprint));
    expect(parseToken("ld1.bm9wZQ").ok).toBe(false);
  });
});

describe("replay", () => {
  it("reports a changed design as a warning and a tampered fingerprint as nondeterminism", () => {
    const cex = loadCorpusFile(root, UAF);
    const steps = cex.steps.map((s, i) =>
      i === 5 ? { ...s, fingerprint: "0123456789abcdef" } : s,
    );
    const r = replayOn({ ...cex, steps });
    expect(r.nondeterminism?.at).toBe(5);
    expect(r.violation).not.toBeNull();
    const labels = { ...cex.designLabels, "hmm.top": "000000000000" };
    const w = replayOn({ ...cex, designHash: "0".repeat(64), designLabels: labels });
    expect(w.designChanged.join(" ")).toMatch(/changed steps: hmm\.top/);
  });

  it("--on v2: the use-after-free does not happen, and says where the schedule diverges", () => {
    const r = replayOn(loadCorpusFile(root, UAF), "v2");
    expect(r.violation).toBeNull();
    expect(r.divergence).not.toBeNull();
    // the notes in step order; the replay line names the design replayed on
    const text = renderReplayText(r);
    const steps = [...text.matchAll(/^ {2}(?:the schedule diverges at step|step) (\d+)/gm)].map(
      (m) => Number(m[1]),
    );
    expect(steps.length).toBeGreaterThan(1);
    expect(steps).toEqual([...steps].sort((a, b) => a - b));
    expect(text).toMatch(/^ {2}replay: npx lockdrop replay ld1\.\S+ --on v2$/m);
  });

  it("the Mermaid diagram of the hugetlb lock use-after-free tells the race in order", () => {
    const m = renderMermaid(replayOn(loadCorpusFile(root, UAF)));
    const lines = m.split("\n");
    expect(lines[0]).toBe("sequenceDiagram");
    expect(m).toMatch(/participant T as T \(v1-hugetlb-drop\)/);
    expect(m).toMatch(/participant W as W \(munmap\)/);
    const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
    const takesHugetlb = at(/Note over T: takes hugetlb_vma_lock/);
    const drops = at(/Note over T: drops mmap_lock/);
    // W unmaps: the VMA leaves the tree; T, through its stale pointer, sleeps on the
    // hugetlb lock W holds; W's __hugetlb_zap_end frees the lock and wakes T onto it
    const unmaps = at(/Note over W: detaches vma#35;0/);
    const waits = at(/Note over T: waits for hugetlb_vma_lock\(vma#35;0\)/);
    const red = at(/^\s*rect rgb\(255, 200, 200\)/);
    const frees = at(/Note over W: frees vma#35;0's hugetlb_vma_lock/);
    const wakes = at(/W-->>T: wakes T/);
    for (const i of [takesHugetlb, drops, unmaps, waits, red, frees, wakes])
      expect(i).toBeGreaterThan(0);
    expect(takesHugetlb).toBeLessThan(drops);
    expect(drops).toBeLessThan(unmaps);
    expect(unmaps).toBeLessThan(waits);
    expect(waits).toBeLessThan(red);
    expect(red).toBeLessThan(frees);
    expect(red).toBeLessThan(wakes);
    expect(lines.slice(red).some((l) => l.trim() === "end")).toBe(true);
    // nothing Mermaid would read as a statement end or an entity start, unescaped
    for (const l of lines.slice(1)) expect(l.replace(/#\w+;/g, "")).not.toMatch(/[;#]/);
  });
});

describe("minimization", () => {
  it("never lengthens fast-check's counterexample, and keeps the property violated", () => {
    const design = need(designById("v1-hugetlb-drop"));
    const scenario = need(scenarioById("hugetlb-uffd"));
    const prop = need(propertyById("no-freed-vma-use"));
    const c = need(
      checkPair(design, scenario, [prop], { runs: 300, seed: 7 }).results.get(prop.id),
    );
    const setup = setupFor(design, scenario);
    expect(c.schedule.length).toBeLessThanOrEqual(c.lengthAfterFastCheck);
    // a padded schedule: minimization takes the padding away again
    const padded = [...c.schedule.slice(0, c.scheduled), { t: 2, p: 0 }, { t: 3, p: 0 }];
    const m = need(minimize(setup, prop, padded));
    expect(m.run.violations.some((v) => v.property === prop.id)).toBe(true);
    expect(m.length).toBeLessThanOrEqual(m.lengthBefore);
    expect(m.schedule.every((x) => x.p >= 0)).toBe(true);
  });
});

describe("CLI", () => {
  it("check --out writes a file replay accepts, and refuses to overwrite without --force", () => {
    const dir = mkdtempSync(join(tmpdir(), "lockdrop-"));
    const out = join(dir, "cex.json");
    const args = ["check", "v1-hugetlb-drop", "--scenario", "hugetlb-uffd"];
    const a = lockdrop(...args, "--property", "no-freed-vma-use", "--runs", "200", "--out", out);
    expect(a.code).toBe(1);
    expect(existsSync(out)).toBe(true);
    expect(a.out).toMatch(/replay token: npx lockdrop replay ld1\./);
    writeFileSync(out, "keep me");
    const b = lockdrop(...args, "--property", "no-freed-vma-use", "--runs", "200", "--out", out);
    expect(b.code).toBe(2);
    expect(b.err).toMatch(/--force/);
    expect(readFileSync(out, "utf8")).toBe("keep me");
    const c = lockdrop(
      ...args,
      "--property",
      "no-freed-vma-use",
      "--runs",
      "200",
      "--out",
      out,
      "--force",
    );
    expect(c.code).toBe(1);
    const r = lockdrop("replay", out);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/as recorded/);
  });

  it("check --out with no violation says it wrote nothing", () => {
    const out = join(mkdtempSync(join(tmpdir(), "lockdrop-")), "none.json");
    const r = lockdrop(
      "check",
      "v2",
      "--scenario",
      "anon-uffd-1",
      "--property",
      "lock-balance",
      "--runs",
      "20",
      "--out",
      out,
    );
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(
      /no row was violated, so --out .*none\.json wrote no counterexample file/,
    );
    expect(existsSync(out)).toBe(false);
  });

  it("replay of a corrupt file exits 2 with the zod path, in one paragraph", () => {
    const dir = mkdtempSync(join(tmpdir(), "lockdrop-"));
    const f = join(dir, "bad.json");
    const cex = JSON.parse(readFileSync(join(root, UAF), "utf8"));
    cex.steps[3].fingerprint = "xyz";
    writeFileSync(f, JSON.stringify(cex));
    const r = lockdrop("replay", f);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/at steps\[3\]\.fingerprint/);
    expect(r.err.trim().split("\n")).toHaveLength(1);
  });

  it("replay --format json carries events and immer patches; --step prints a world", () => {
    const j = lockdrop("replay", join(root, UAF), "--format", "json");
    const doc = JSON.parse(j.out);
    expect(doc.schema).toBe("lockdrop.replay/1");
    // the violating step by the number its entry in `steps` carries (from 1)
    expect(doc.violation.at).toBe(doc.steps.length);
    expect(doc.steps[doc.violation.at - 1].step).toBe(doc.violation.at);
    expect(doc.steps[0].patches.length).toBeGreaterThan(0);
    expect(
      doc.steps.some((s: { events: { k: string }[] }) =>
        s.events.some((e) => e.k === "hugetlb-lock-free"),
      ),
    ).toBe(true);
    const s = JSON.parse(lockdrop("replay", join(root, UAF), "--step", "0").out);
    expect(s.world.threads[0].name).toBe("T");
    // a format beside --step would be ignored: refused, as are a step out of range and a
    // design that does not run in the scenario, each with its fix
    for (const args of [
      ["--step", "3", "--format", "markdown"],
      ["--step", "99"],
      ["--on", "gup"],
    ]) {
      const r = lockdrop("replay", join(root, UAF), ...args);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.err, args.join(" ")).toMatch(/Fix: /);
    }
  });
});
