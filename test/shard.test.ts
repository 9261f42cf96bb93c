// Shards of a search (README "Shards"): the n shard files of a search, merged, give the
// verdicts and shortest counterexample lengths of the search run whole, exhaustive and
// random; merge refuses files of other searches and changed files; bad --shard values
// are bad input.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { ShardSpec } from "../engine/random.js";
import { checkPair, runSeed, shardRuns } from "../engine/random.js";
import { prefixHash } from "../engine/shard.js";
import type { RowResult } from "../engine/verdicts.js";
import { exhaustiveRows, verdictRows } from "../engine/verdicts.js";
import { scenario as declareScenario } from "../model/scenarios.js";
import type { Design } from "../model/step.js";
import { op } from "../model/step.js";
import { PROPERTIES } from "../properties/index.js";
import type { Property } from "../properties/property.js";
import type { ShardFile, ShardOptions } from "../reports/shard.js";
import {
  mergeShards,
  readShard,
  renderMerge,
  ShardError,
  shardChecksum,
  shardFileOf,
  shardText,
} from "../reports/shard.js";
import { design, mini, scenario } from "./helpers.js";
import { lockdrop } from "./run-cli.js";

const EXHAUSTIVE: ShardOptions = { mode: "exhaustive", seed: 1, runs: 1000, depth: 60 };

function fileOf(
  d: Design,
  s: string,
  rows: readonly RowResult[],
  shard: ShardSpec,
  options: ShardOptions = EXHAUSTIVE,
  k: number | null = 8,
): ShardFile {
  return shardFileOf({
    command: "check",
    designs: [d],
    scenarios: [s],
    properties: PROPERTIES.map((p) => p.id),
    options,
    shardDepth: k,
    shard,
    rows,
  });
}

const named = (files: readonly ShardFile[]) =>
  files.map((file) => ({ name: `shard-${file.shard.index}.json`, file }));

/** The merged rows against the rows of the whole search: verdicts and shortest lengths. */
function expectSame(whole: readonly RowResult[], merged: ReturnType<typeof mergeShards>) {
  whole.forEach((w, j) => {
    const m = merged.rows[j];
    const verdict = w.verdict === "holds" && w.complete === false ? "holds" : w.verdict;
    expect([w.property, m?.verdict]).toEqual([w.property, verdict]);
    expect([w.property, m?.steps]).toEqual([w.property, w.steps]);
    // "shortest" claimed exactly where the whole search proves it
    expect([w.property, m?.provenShortest === true]).toEqual([
      w.property,
      w.counterexample?.provenShortest === true,
    ]);
  });
}

describe("exhaustive shards, merged, equal the search run whole", () => {
  // (design, scenario, prefix length k); v1 on anon-uffd-1 with k = 8 has its shortest
  // lasso's loop on both sides of depth 8, through the prefixes of several shards
  const pairs: [string, string, number][] = [
    ["v1-hugetlb-drop", "hugetlb-uffd-1", 6],
    ["mainline", "anon-uffd-1", 6],
    ["vma-lock-fault", "anon-uffd-1", 6],
    ["v8", "anon-uffd-1", 6],
    ["v1", "anon-uffd-1", 8],
  ];
  for (const [d, s, k] of pairs)
    for (const n of [2, 3])
      it(`${d} on ${s}, ${n} shards of prefixes ${k} steps long`, () => {
        const whole = exhaustiveRows(design(d), scenario(s), PROPERTIES, { depth: 60 });
        const files = Array.from({ length: n }, (_, i) => {
          const shard = { index: i + 1, count: n };
          const rows = exhaustiveRows(
            design(d),
            scenario(s),
            PROPERTIES,
            { depth: 60 },
            { spec: shard, depth: k },
          );
          return fileOf(design(d), s, rows, shard, EXHAUSTIVE, k);
        });
        const merged = mergeShards(named(files));
        expectSame(whole, merged);
        // without one shard, no counterexample is called shortest: it might have had one
        const partial = mergeShards(named(files.slice(1)));
        expect(partial.rows.some((r) => r.provenShortest)).toBe(false);
        // v1-hugetlb-drop frees the VMA under the hugetlb walk: some row is violated
        if (d === "v1-hugetlb-drop")
          expect(merged.rows.some((r) => r.verdict === "violated")).toBe(true);
      });

  it("deals every prefix to exactly one shard (a stable hash of its schedule)", () => {
    const p = [
      { t: 0, p: 0 },
      { t: 2, p: 1 },
      { t: 1, p: 0 },
    ];
    expect(prefixHash(p)).toBe(prefixHash(p.map((c) => ({ ...c }))));
    expect(prefixHash(p)).not.toBe(prefixHash([...p].reverse()));
  });
});

describe("random shards, merged, equal the search run whole", () => {
  const RUNS = 300;
  const SEED = 5;
  const random: ShardOptions = { mode: "random", seed: SEED, runs: RUNS, shortest: 100_000 };
  for (const [d, s] of [
    ["v1-hugetlb-drop", "hugetlb-uffd-1"],
    ["v1", "anon-uffd-1"],
  ] as const)
    for (const n of [2, 3])
      it(`${d} on ${s}, ${n} shards (${RUNS} runs, with the breadth-first pass)`, () => {
        const opts = { runs: RUNS, seed: SEED, shortest: 100_000 };
        const whole = verdictRows(design(d), scenario(s), PROPERTIES, opts);
        const files = Array.from({ length: n }, (_, i) => {
          const shard = { index: i + 1, count: n };
          const rows = verdictRows(design(d), scenario(s), PROPERTIES, { ...opts, shard });
          return fileOf(design(d), s, rows, shard, random, null);
        });
        const merged = mergeShards(named(files));
        whole.forEach((w, j) => {
          const m = merged.rows[j];
          expect([w.property, m?.verdict]).toEqual([w.property, w.verdict]);
          // lengths are equal where breadth-first search proved the whole run's shortest
          if (w.counterexample?.provenShortest)
            expect([w.property, m?.steps]).toEqual([w.property, w.steps]);
          if (w.verdict !== "n/a" && m?.strength.kind === "random")
            expect(m.strength.runs).toBe(RUNS);
        });
        expect(merged.rows.some((r) => r.verdict === "violated")).toBe(true);
      });

  it("runs index r in shard (r mod n) + 1, each from its own seed", () => {
    expect([1, 2, 3].map((i) => shardRuns(10, { index: i, count: 3 }))).toEqual([4, 3, 3]);
    expect(shardRuns(2, { index: 3, count: 3 })).toBe(0);
    expect(runSeed(7, 0)).not.toBe(runSeed(7, 1));
    expect(runSeed(7, 3)).toBe(runSeed(7, 3));
  });

  it("finds the whole run's first counterexample in the shard of its run index", () => {
    const d = design("v1-hugetlb-drop");
    const s = scenario("hugetlb-uffd-1");
    const props = PROPERTIES.filter((p) => p.id === "no-freed-vma-use");
    const whole = checkPair(d, s, props, { runs: 200, seed: 3 }).results.get("no-freed-vma-use");
    expect(whole).toBeTruthy();
    const parts = [1, 2].map((index) =>
      checkPair(d, s, props, { runs: 200, seed: 3, shard: { index, count: 2 } }).results.get(
        "no-freed-vma-use",
      ),
    );
    // the same run replayed and shrunk gives the same schedule
    expect(parts.map((c) => JSON.stringify(c?.schedule))).toContain(
      JSON.stringify(whole?.schedule),
    );
  });
});

describe("merge refuses", () => {
  const d = design("mainline");
  const rows = (shard: ShardSpec) =>
    exhaustiveRows(
      d,
      scenario("anon-uffd-1"),
      PROPERTIES,
      { depth: 30 },
      { spec: shard, depth: 4 },
    );
  const one = fileOf(
    d,
    "anon-uffd-1",
    rows({ index: 1, count: 2 }),
    { index: 1, count: 2 },
    { ...EXHAUSTIVE, depth: 30 },
    4,
  );
  const two = fileOf(
    d,
    "anon-uffd-1",
    rows({ index: 2, count: 2 }),
    { index: 2, count: 2 },
    { ...EXHAUSTIVE, depth: 30 },
    4,
  );

  it("merges the two shards, and leaves unknown what a missing shard did not violate", () => {
    expect(mergeShards(named([two, one])).missing).toEqual([]);
    const partial = mergeShards(named([one]));
    expect(partial.missing).toEqual([2]);
    for (const r of partial.rows) expect(["violated", "unknown", "n/a"]).toContain(r.verdict);
    // what an unknown row rests on names the shards given, not a complete search
    const text = renderMerge(partial);
    for (const line of text.split("\n").filter((l) => / unknown \(/.test(l)))
      expect(line).toMatch(/unknown \(exhaustive over 1 of 2 shards, depth \d+, /);
  });

  it("says what the states figure is: summed over shards, which may count a state twice", () => {
    const text = renderMerge(mergeShards(named([one, two])));
    expect(text).toMatch(
      /holds \(exhaustive over 2 of 2 shards, depth \d+, each complete, [\d,]+ states summed over them\)/,
    );
    expect(text).toMatch(/^States are summed over the shards: /m);
    // a search without a depth bound says so (it printed "depth undefined")
    const unbounded = { ...EXHAUSTIVE, depth: undefined };
    const free = [one, two].map((f) => fileOf(d, "anon-uffd-1", [], f.shard, unbounded, 4));
    expect(renderMerge(mergeShards(named(free)))).toMatch(
      /^lockdrop merge: 2 of 2 shards of check \(exhaustive, no depth bound, prefixes of 4 steps\)$/m,
    );
  });

  it("shards of other searches: options, k, n, design hash, scenarios", () => {
    const other = (f: Partial<ShardFile>): ShardFile => {
      const { checksum: _c, ...rest } = { ...two, ...f };
      return readShard("x", shardText(fileLike(rest)));
    };
    for (const changed of [
      other({ options: { ...two.options, depth: 31 } }),
      other({ shardDepth: 5 }),
      other({ shard: { index: 2, count: 3 } }),
      other({ designs: [{ id: "mainline", hash: "0".repeat(64) }] }),
      other({ scenarios: ["anon-uffd"] }),
    ])
      expect(() => mergeShards(named([one, changed]))).toThrow(ShardError);
  });

  it("a shard given twice", () => {
    expect(() => mergeShards(named([one, one]))).toThrow(/both shard 1\/2/);
  });

  it("a changed file (checksum) and a file that is not a shard file", () => {
    const text = shardText(one).replace('"verdict": "holds"', '"verdict": "violated"');
    expect(() => readShard("edited.json", text)).toThrow(/changed since it was written/);
    expect(() => readShard("x.json", "{}")).toThrow(/not a lockdrop.shard\/1 file/);
    expect(() => readShard("x.json", "{")).toThrow(/not JSON/);
  });
});

/** A shard file with its checksum recomputed: a well-formed file of another search. */
function fileLike(rest: Omit<ShardFile, "checksum">): ShardFile {
  return { ...rest, checksum: shardChecksum(rest) };
}

describe("the command line", () => {
  it("refuses bad --shard values (exit 2, one paragraph naming the fix)", () => {
    for (const v of ["0/2", "3/2", "2", "a/b", "1/0", "-1/2"]) {
      const r = lockdrop("check", "mainline", "--scenario", "anon-uffd-1", `--shard=${v}`);
      expect([v, r.code]).toEqual([v, 2]);
      expect(r.err).toMatch(/--shard.*Example: --shard \d+\/\d+/);
      expect(r.err.trim().split("\n")).toHaveLength(1);
    }
  });

  it("check --shard --shard-out, then merge: the rows and exit code of the whole check; a changed file is exit 2", () => {
    const dir = mkdtempSync(join(tmpdir(), "lockdrop-shard-"));
    const args = [
      "check",
      "v1-hugetlb-drop",
      "--scenario",
      "hugetlb-uffd-1",
      "--exhaustive",
      "--depth",
      "30",
    ];
    const whole = lockdrop(...args, "--json");
    const files = [1, 2].map((i) => {
      const f = join(dir, `shard-${i}.json`);
      const r = lockdrop(...args, "--shard", `${i}/2`, "--shard-out", f, "--shard-depth", "4");
      // a shard judges its part: 0, 1 or 4 (not 2, 3 or 5)
      expect([0, 1, 4]).toContain(r.code);
      return f;
    });
    const merged = lockdrop("merge", ...files, "--json");
    expect(whole.code).toBe(1);
    expect(merged.code).toBe(whole.code);
    const m = JSON.parse(merged.out) as {
      rows: { property: string; verdict: string; steps: number | null }[];
    };
    const w = JSON.parse(whole.out) as {
      results: { property: string; verdict: string; steps: number | null }[];
    };
    expect(m.rows.map((r) => [r.property, r.verdict, r.steps])).toEqual(
      w.results.map((r) => [r.property, r.verdict, r.steps]),
    );
    // as check prints each violation: its tag, its lanes, the command that finds it again
    const text = lockdrop("merge", ...files).out;
    const tags = (out: string) => out.split("\n").filter((l) => / VIOLATED in /.test(l));
    expect(tags(text)).toEqual(tags(lockdrop(...args).out));
    expect(text).toMatch(/^ +T \(v1-hugetlb-drop\) +W \(munmap\)/m);
    expect(text).toMatch(
      /replay: npx lockdrop check v1-hugetlb-drop --scenario hugetlb-uffd-1 --property no-freed-vma-use --exhaustive --depth 30$/m,
    );
    const [first, second] = files as [string, string];
    writeFileSync(
      first,
      readFileSync(first, "utf8").replace('"complete": true', '"complete": false'),
    );
    const bad = lockdrop("merge", first, second);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/shard-1\.json has been changed/);
  });

  it("says a shard's rows are its part, refuses a shard with no runs, and replaces a shard file only with --force", () => {
    const dir = mkdtempSync(join(tmpdir(), "lockdrop-shard-"));
    const f = join(dir, "s.json");
    const args = ["check", "v2", "--scenario", "anon-uffd-1", "--property", "lock-balance"];
    const one = lockdrop(...args, "--runs", "20", "--shard", "1/2", "--shard-out", f);
    expect(one.code, one.err).toBe(0);
    expect(one.out).toMatch(
      /^shard 1\/2: each row is this shard's part of the search \(the run indices r with r mod 2 = 0, 10 of the 20 schedules per scenario\), not a verdict on the whole search/m,
    );
    const before = readFileSync(f, "utf8");
    // an earlier shard file is replaced only with --force
    const again = lockdrop(...args, "--runs", "30", "--shard", "1/2", "--shard-out", f);
    expect(again.code).toBe(2);
    expect(again.err).toMatch(/that shard file exists, from an earlier search; .*Fix: add --force/);
    expect(readFileSync(f, "utf8")).toBe(before);
    const forced = lockdrop(...args, "--runs", "30", "--shard", "1/2", "--shard-out", f, "--force");
    expect(forced.code, forced.err).toBe(0);
    expect(readFileSync(f, "utf8")).not.toBe(before);
    // fewer runs than shards: some shard would run nothing and say "holds"
    const none = lockdrop(...args, "--runs", "1", "--shard", "2/2");
    expect(none.code).toBe(2);
    expect(none.out).toBe("");
    expect(none.err).toMatch(
      /one shard would run no schedule at all .*Fix: give --runs at least 2/,
    );
    // an exhaustive shard says so too
    const ex = lockdrop(...args, "--exhaustive", "--shard", "2/2");
    expect(ex.out).toMatch(
      /^shard 2\/2: each row is this shard's part of the search \(the states under the schedule prefixes that hash to 1 mod 2\)/m,
    );
    // --force with nothing to overwrite would be ignored
    const idle = lockdrop(...args, "--runs", "20", "--force");
    expect(idle.code).toBe(2);
    expect(idle.err).toMatch(
      /--force lets --out and --shard-out overwrite files, and neither was given/,
    );
  });
});

describe("a lasso that runs through two shards' prefixes and back through the first levels", () => {
  // A program whose only loop passes through the first levels twice: the root chooses S
  // or C (both at depth 1), and the loop S -> A -> B -> C -> D -> E -> S has A and D at
  // depth 2 (the prefix length here). When A and D go to different shards, a shard finds
  // the loop only if it expands again the first-level state C it reaches from below
  // (B -> C) and, through it, the other shard's D (engine/exhaustive.ts `shard`).
  const go = (to: string) => ({
    op: op({ name: `goto ${to}`, outcomes: ["ok"], run: () => "ok" }),
    next: to,
  });
  const loopy: Design = {
    ...mini({}),
    id: "loopy",
    start: "R",
    steps: {
      R: {
        op: op({
          name: "choose S or C",
          outcomes: ["S", "C"],
          run: (k) => k.choose(["S", "C"] as const),
        }),
        on: { S: "S", C: "C" },
      },
      S: go("A"),
      A: go("B"),
      B: go("C"),
      C: go("D"),
      D: go("E"),
      E: go("S"),
    },
  };
  const forever: Property = {
    id: "loops-forever",
    ref: "test",
    statement: "the program does not loop for ever",
    kind: "liveness",
    applies: () => true,
    monitor: () => ({}),
    lasso: {
      inLoop: () => true,
      weaklyFair: [],
      describe: (prefix, loop) => `after ${prefix} steps, a loop of ${loop}`,
    },
  };
  const s = declareScenario({
    id: "shard-loop",
    vmas: [
      { name: "anon", pages: 1, write: true, shared: false, hugetlb: false, uffdMissing: false },
    ],
    actors: [],
  });
  const prefixA = [
    { t: 0, p: 0 },
    { t: 0, p: 0 },
  ];
  const prefixD = [
    { t: 0, p: 1 },
    { t: 0, p: 0 },
  ];

  it("is found at its whole-search length by the merged shards", () => {
    const [whole] = exhaustiveRows(loopy, s, [forever], { depth: 60 });
    expect(whole?.verdict).toBe("violated");
    expect(whole?.steps).toBe(7);
    // a shard count that deals A's and D's prefixes to different shards
    const n = [2, 3, 4, 5, 6, 7].find(
      (c) => prefixHash(prefixA) % c !== prefixHash(prefixD) % c,
    ) as number;
    expect(n).toBeDefined();
    const lengths = Array.from({ length: n }, (_, i) => {
      const [r] = exhaustiveRows(
        loopy,
        s,
        [forever],
        { depth: 60 },
        {
          spec: { index: i + 1, count: n },
          depth: 2,
        },
      );
      return r?.steps ?? null;
    });
    expect(Math.min(...lengths.filter((x): x is number => x !== null))).toBe(7);
  });
});
