// The command line: exit codes 0/1/2, one-paragraph errors without stack traces, and
// the matrix JSON schema.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { lockdrop } from "./run-cli.js";

describe("lockdrop CLI", () => {
  it("rejects an unknown design with exit 2 and a one-paragraph error", () => {
    const r = lockdrop("check", "v3");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(
      /unknown design "v3" \(did you mean "v1"\?\)\. Known designs: mainline, .*lockdrop list/,
    );
    expect(r.err).not.toMatch(/\n\s+at /);
    expect(r.err.trim().split("\n")).toHaveLength(1);
  });

  it("words each bad-input error as one sentence of plain English", () => {
    const oneLine = (r: { code: number | null; err: string }) => {
      expect(r.code).toBe(2);
      expect(r.err.trim().split("\n")).toHaveLength(1);
      expect(r.err).not.toMatch(/(^|[^.])\.\.($|[^.])/); // "..", not an ellipsis
      return r.err;
    };
    expect(oneLine(lockdrop("check", "v2", "--property", "nope"))).toMatch(
      /unknown property "nope"\. Known properties: .*; a property of your own is declared in a design file/,
    );
    // a reference entry where the id belongs: the ids it names, as the fix
    expect(oneLine(lockdrop("check", "mfill-atomic", "--property", "S35"))).toMatch(
      /"S35" is the reference entry of property uffd-copy-folio-put .*Fix: --property uffd-copy-folio-put\./,
    );
    expect(oneLine(lockdrop("check", "v8-timeout", "--property", "t3"))).toMatch(
      /Fix: --property cond-resched-terminates cond-resched-terminates-rt\./,
    );
    expect(oneLine(lockdrop("check", "v2", "--scenario", "nope"))).toMatch(
      /unknown scenario "nope"\. Known scenarios: .*; a scenario of your own is declared in a design file/,
    );
    expect(oneLine(lockdrop("check", "v2", "extra"))).toMatch(
      /got 2\. Run `lockdrop check --help`/,
    );
    expect(oneLine(lockdrop("check", "v2", "--formt", "x"))).toMatch(/unknown option '--formt'/);
    // a list option swallows the design: say so
    expect(oneLine(lockdrop("check", "--scenario", "anon-uffd-1", "v2"))).toMatch(
      /missing required argument 'design' \(--scenario, --property and --design take every word after them as a list, so give the design before them, or last after --\)/,
    );
    // a path that is not a design module is not an "unknown design"
    expect(oneLine(lockdrop("check", "test"))).toMatch(
      /^lockdrop: "test" is a directory, and a design is a built-in id or a design file/,
    );
    expect(oneLine(lockdrop("check", "package.json"))).toMatch(
      /^lockdrop: "package.json" is a file, and a design/,
    );
    // 0 s would stop every step at once: a design error blamed on a built-in design
    expect(oneLine(lockdrop("check", "v2", "--step-timeout", "0"))).toMatch(
      /--step-timeout must be between 1 and 3,600, got 0/,
    );
  });

  it("refuses an option the chosen search would ignore, naming both ways out", () => {
    const refused = (...args: string[]) => {
      const r = lockdrop("check", "v2", "--scenario", "anon-uffd-1", ...args);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.out).toBe("");
      expect(r.err.trim().split("\n")).toHaveLength(1);
      return r.err;
    };
    expect(refused("--runs", "5", "--sleep-sets")).toMatch(
      /--sleep-sets is a reduction of the exhaustive search, and this run is random \(no --exhaustive\), so it would be ignored\. Fix: add --exhaustive, or leave --sleep-sets out\./,
    );
    expect(refused("--runs", "5", "--depth", "10")).toMatch(/^lockdrop: --depth bounds/);
    expect(refused("--exhaustive", "--pct", "3")).toMatch(
      /^lockdrop: --pct is an option of random search/,
    );
    expect(refused("--exhaustive", "--shard-depth", "4")).toMatch(/no --shard i\/n was given/);
    expect(refused("--exhaustive", "--seed", "7")).toMatch(
      /^lockdrop: --seed is an option of random search/,
    );
    // a reduction the search turns off with another option given beside it
    expect(refused("--exhaustive", "--persistent-sets", "--sleep-sets")).toMatch(
      /^lockdrop: --persistent-sets is off with --sleep-sets/,
    );
    expect(refused("--exhaustive", "--persistent-sets", "--shard", "1/2")).toMatch(
      /^lockdrop: --persistent-sets is off with --shard/,
    );
    // one option value set twice, the other way the second time
    for (const order of [
      ["--shortest", "10", "--no-shortest"],
      ["--no-shortest", "--shortest"],
    ])
      expect(refused("--runs", "5", ...order)).toMatch(
        /--shortest and --no-shortest were both given, and only the last would count\./,
      );
    // asking for less is not refused: --no-shortest with --exhaustive, as before
    const ok = lockdrop(
      "check",
      "v2",
      "--scenario",
      "anon-uffd-1",
      "--property",
      "lock-balance",
      "--exhaustive",
      "--no-shortest",
      "--max-states",
      "50",
    );
    expect(ok.code, ok.err).toBe(4);
  });

  it("prints its version, package.json's", () => {
    const { version } = JSON.parse(readFileSync("package.json", "utf8")) as { version: string };
    for (const flag of ["--version", "-V"]) {
      const r = lockdrop(flag);
      expect(r.code).toBe(0);
      expect(r.out.trim()).toBe(version);
    }
  });

  it("lists designs, scenarios and properties in aligned columns", () => {
    const r = lockdrop("list");
    expect(r.code).toBe(0);
    const section = (name: string) => {
      const lines = r.out.split("\n");
      const from = lines.indexOf(`${name}:`);
      const rest = lines.slice(from + 1);
      const end = rest.findIndex((l) => !l.startsWith("  "));
      return end < 0 ? rest.filter((l) => l !== "") : rest.slice(0, end);
    };
    // the family starts in one column even after the longest design id
    const designs = section("designs");
    expect(designs.length).toBeGreaterThan(30);
    const column = (l: string) => (l.search(/\S+\s{2,}\S/) >= 0 ? l.indexOf("  ", 2) : -1);
    const starts = new Set(designs.map((l) => l.length - l.slice(column(l)).trimStart().length));
    expect(starts.size).toBe(1);
    expect(designs.some((l) => /^ {2}walk-pte-range-sleep-mapped +pgwalk {2,}mutant/.test(l))).toBe(
      true,
    );
    // a scenario shows the families whose designs run there
    expect(
      section("scenarios").some((l) => /^ {2}anon-uffd +hmm,gup,fault {2,}private/.test(l)),
    ).toBe(true);
    // a property shows its invariant number, not the mail its reference cites
    const props = section("properties");
    expect(props.some((l) => /^ {2}device-private-owner +S34 {2,}hmm_range_fault/.test(l))).toBe(
      true,
    );
    expect(props.join("\n")).not.toMatch(/\[PATCH/);
  });

  it("rejects an unknown property and a bad --runs with exit 2", () => {
    expect(lockdrop("check", "v2", "--property", "no-such").code).toBe(2);
    const r = lockdrop("matrix", "--runs", "many");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--runs must be a whole number/);
  });

  it("proves check's counterexamples shortest by default, and keeps them with --no-shortest", () => {
    const args = ["check", "v1-hugetlb-drop", "--scenario", "hugetlb-uffd"];
    const prop = ["--property", "no-freed-vma-use"];
    const proven = lockdrop(...args, ...prop);
    expect(proven.out).toMatch(/no-freed-vma-use\s+VIOLATED in 20 steps \(shortest\)/);
    expect(proven.out).toMatch(/replay: npx lockdrop check .* --runs 1000 {2}\(fast-check/);
    const kept = lockdrop(...args, ...prop, "--no-shortest");
    // the first failing run shrinks to 20 steps on its own (engine/shrink/), but without
    // the breadth-first pass nothing proves it shortest, and the row says so
    expect(kept.out).toMatch(
      /no-freed-vma-use\s+VIOLATED in 20 steps; not proven shortest \(--no-shortest\)\n/,
    );
    // a pass cut short by its bound says where it stopped, in the JSON too
    const cut = lockdrop(...args, ...prop, "--shortest", "10");
    expect(cut.out).toMatch(
      /VIOLATED in 20 steps; not proven shortest by the breadth-first pass of up to 10 states \(--shortest <more states> searches further\)/,
    );
    const json = JSON.parse(lockdrop(...args, ...prop, "--shortest", "10", "--json").out) as {
      results: { provenShortest?: boolean }[];
    };
    expect(json.results[0]?.provenShortest).toBe(false);
    expect(kept.out).toMatch(/--runs 1000 --no-shortest {2}\(fast-check/);
  });

  it("exits 1 with thread lanes for a violation and 0 when everything holds", () => {
    const bad = lockdrop(
      "check",
      "v1-hugetlb-drop",
      "--scenario",
      "hugetlb-uffd",
      "--property",
      "no-freed-vma-use",
      "--runs",
      "300",
    );
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(/T \(v1-hugetlb-drop\)\s+W \(munmap\)/);
    expect(bad.out).toMatch(/>>.*VIOLATION no-freed-vma-use/);
    const good = lockdrop(
      "check",
      "v2",
      "--scenario",
      "anon-uffd",
      "--property",
      "no-freed-vma-use",
      "lock-balance",
      "--runs",
      "100",
    );
    expect(good.code).toBe(0);
  });

  it("ends a check of several rows with a summary that names a scenario's mutant actor", () => {
    const r = lockdrop(
      "check",
      "v2",
      "--scenario",
      "anon-oom-reap-end-after-eagain",
      "anon-plain",
      "--property",
      "notifier-start-end-paired",
      "--runs",
      "200",
    );
    expect(r.code).toBe(1);
    expect(r.out).toMatch(
      /anon-oom-reap-end-after-eagain +notifier-start-end-paired +VIOLATED in \d+ steps \(shortest\); a mutant actor runs here/,
    );
    expect(r.out).toMatch(/anon-plain +notifier-start-end-paired +holds/);
    const tail = r.out.trimEnd().split("\n").slice(-2);
    expect(tail[0]).toMatch(/^summary: 2 rows: 1 violated, 0 unknown, 1 hold, 0 n\/a$/);
    expect(tail[1]).toMatch(
      /^ {2}VIOLATED anon-oom-reap-end-after-eagain notifier-start-end-paired \(\d+ steps\): the scenario runs the mutant oom-reap-end-after-eagain \(it calls mmu_notifier_invalidate_range_end\(\) after a non-blocking start that failed/,
    );
  });

  it("prints lockdrop.matrix/1 JSON and exits 0 even with violated rows", () => {
    const r = lockdrop(
      "matrix",
      "--json",
      "--runs",
      "100",
      "--design",
      "mainline",
      "--scenario",
      "anon-uffd",
    );
    expect(r.code).toBe(0);
    const m = JSON.parse(r.out);
    expect(m.schema).toBe("lockdrop.matrix/1");
    const row = m.rows.find((x: { property: string }) => x.property === "uffd-fault-completes");
    expect(row).toMatchObject({
      design: "mainline",
      scenario: "anon-uffd",
      verdict: "violated",
      method: "random",
      runs: 100,
    });
    expect(typeof row.steps).toBe("number");
    expect(
      lockdrop(
        "matrix",
        "--strict",
        "--runs",
        "50",
        "--design",
        "mainline",
        "--scenario",
        "anon-uffd",
      ).code,
    ).toBe(1);
  });
});
