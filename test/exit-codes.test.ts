// Every command's exit codes follow the table in the README ("Verdicts and exit codes"):
// check and replay judge (0 holds, 1 violated, 4 unknown), matrix and compare report
// (0, 4 unknown, 1 only with --strict), and every command gives 2 for bad input, 5 when a
// result file cannot be written (verdicts printed first), 130 and 143 on SIGINT and
// SIGTERM, with or without a terminal, saying what was covered and found so far.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runNode, signalled } from "./run-cli.js";

const lockdrop = (...args: string[]) => runNode("cli/bin.mjs", args);

describe("exit codes", () => {
  it("check judges: 0 holds, 1 violated, 4 unknown, 2 bad input", async () => {
    const [holds, violated, unknown, bad] = await Promise.all([
      lockdrop(
        "check",
        "v2",
        "--scenario",
        "anon-plain",
        "--property",
        "lock-balance",
        "--runs",
        "50",
      ),
      lockdrop(
        "check",
        "v2-unlock-after-drop",
        "--scenario",
        "anon-uffd",
        "--property",
        "lock-balance",
        "--runs",
        "300",
      ),
      lockdrop("check", "v2", "--scenario", "anon-uffd-1", "--exhaustive", "--max-states", "100"),
      lockdrop("check", "v2", "--runs", "0"),
    ]);
    expect(holds.code, holds.err).toBe(0);
    expect(violated.code, violated.err).toBe(1);
    expect(unknown.code, unknown.err).toBe(4);
    expect(unknown.out).toMatch(/unknown \(exhaustive search stopped by --max-states/);
    expect(unknown.out).not.toMatch(/ holds /);
    expect(bad.code).toBe(2);
  });

  it("check refuses a selection where every row would be n/a: nothing checked is not exit 0", async () => {
    const [none, some] = await Promise.all([
      lockdrop("check", "v2", "--scenario", "anon-uffd", "--property", "uffd-copy-revalidates"),
      // one applicable row among n/a ones still runs
      lockdrop(
        "check",
        "v2",
        "--scenario",
        "anon-plain",
        "--property",
        "uffd-copy-revalidates",
        "lock-balance",
        "--runs",
        "20",
      ),
    ]);
    expect(none.code).toBe(2);
    expect(none.out).toBe("");
    expect(none.err).toMatch(
      /^lockdrop: nothing to check: property "uffd-copy-revalidates" does not apply to design "v2" in scenario "anon-uffd", so every row would be n\/a and prove nothing .* Fix: /,
    );
    expect(none.err.trim().split("\n")).toHaveLength(1);
    expect(some.code, some.err).toBe(0);
  });

  it("matrix refuses a selection with nothing to run or nothing that applies, and counts a repeated id once", async () => {
    const [noPair, allNa, twice] = await Promise.all([
      lockdrop("matrix", "--design", "v2", "--scenario", "thp-split", "--runs", "5"),
      lockdrop(
        "matrix",
        "--design",
        "v2",
        "--scenario",
        "anon-uffd-1",
        "--property",
        "uffd-copy-revalidates",
        "--runs",
        "5",
      ),
      lockdrop(
        "matrix",
        "--json",
        "--design",
        "v2",
        "v2",
        "--scenario",
        "anon-uffd-1",
        "anon-uffd-1",
        "--property",
        "lock-balance",
        "lock-balance",
        "--runs",
        "5",
      ),
    ]);
    for (const r of [noPair, allNa]) {
      expect(r.code, r.err).toBe(2);
      expect(r.out).toBe("");
      expect(r.err.trim().split("\n")).toHaveLength(1);
    }
    expect(noPair.err).toMatch(
      /^lockdrop: nothing to run: design "v2" does not run in the scenarios chosen .* Fix: /,
    );
    expect(allNa.err).toMatch(
      /^lockdrop: nothing to check: property "uffd-copy-revalidates" does not apply .* Fix: /,
    );
    expect(twice.code, twice.err).toBe(0);
    expect(JSON.parse(twice.out).rows).toHaveLength(1);
    // compare too: a table of n/a cells compares nothing
    const compareNa = await lockdrop(
      "compare",
      "v2",
      "v1-hugetlb-drop",
      "--scenario",
      "anon-uffd-1",
      "--property",
      "uffd-copy-revalidates",
      "--runs",
      "5",
    );
    expect(compareNa.code, compareNa.err).toBe(2);
    expect(compareNa.out).toBe("");
    expect(compareNa.err).toMatch(
      /^lockdrop: nothing to check: property "uffd-copy-revalidates" does not apply to designs "v2", "v1-hugetlb-drop" in the scenarios chosen, .* Fix: /,
    );
  });

  it("a usage error points to the command's own help; help for no such command is bad input", async () => {
    const [bogus, help, typo] = await Promise.all([
      lockdrop("check", "v2", "--bogus"),
      lockdrop("help", "nosuch"),
      lockdrop("help", "chek"),
    ]);
    expect(bogus.code).toBe(2);
    expect(bogus.err).toMatch(
      /^lockdrop: unknown option '--bogus'\. Run `lockdrop check --help` for usage\.\n$/,
    );
    expect(help.code).toBe(2);
    expect(help.out).toBe("");
    expect(help.err).toMatch(
      /^lockdrop: unknown command "nosuch"\. Known commands: matrix, check, /,
    );
    expect(typo.err).toMatch(/unknown command "chek" \(did you mean "check"\?\)/);
  });

  it("an option that names a file refuses an empty name (an unset variable), exit 2", async () => {
    const runs = await Promise.all([
      lockdrop("check", "v2", "--scenario", "anon-uffd-1", "--runs", "5", "--out", ""),
      lockdrop("check", "v2", "--scenario", "anon-uffd-1", "--runs", "5", "--out="),
      lockdrop("matrix", "--design", "v2", "--scenario", "anon-uffd-1", "--shard-out", ""),
      lockdrop("replay", "cex.json", "--design-file", ""),
    ]);
    for (const r of runs) {
      expect(r.code, r.err).toBe(2);
      expect(r.out).toBe("");
      expect(r.err).toMatch(
        /^lockdrop: --[a-z-]+ needs a file name, and got an empty one .* Fix: /,
      );
    }
  });

  it("an exhaustive search that does not fit in --max-memory ends unknown (exit 4), not out of memory", async () => {
    // v2 on anon-uffd has 3.8 million states: far more than 64 MiB holds
    const r = await lockdrop(
      "check",
      "v2",
      "--scenario",
      "anon-uffd",
      "--property",
      "no-freed-vma-use",
      "--exhaustive",
      "--max-memory",
      "64",
    );
    expect(r.code, r.err).toBe(4);
    expect(r.out).toMatch(/unknown \(exhaustive search stopped by --max-memory at depth \d+/);
    expect(r.out).toMatch(/search of anon-uffd: explored to depth \d+, not completely/);
    expect(r.err).not.toMatch(/heap|out of memory/i);
  });

  it("matrix and compare report: 0 with violations, 4 unknown, 1 only with --strict", async () => {
    const [report, strict, unknown, compare] = await Promise.all([
      lockdrop(
        "matrix",
        "--design",
        "v2-unlock-after-drop",
        "--scenario",
        "anon-uffd",
        "--runs",
        "200",
      ),
      lockdrop(
        "matrix",
        "--design",
        "v2-unlock-after-drop",
        "--scenario",
        "anon-uffd",
        "--runs",
        "200",
        "--strict",
      ),
      lockdrop(
        "matrix",
        "--design",
        "v2",
        "--scenario",
        "anon-uffd-1",
        "--exhaustive",
        "--max-states",
        "100",
      ),
      lockdrop("compare", "v1-hugetlb-drop", "v2", "--scenario", "hugetlb-uffd-1", "--runs", "100"),
    ]);
    expect(report.code, report.err).toBe(0);
    expect(strict.code).toBe(1);
    expect(unknown.code, unknown.err).toBe(4);
    expect(compare.code, compare.err).toBe(0);
  });

  it("replay judges: 1 still violated, 0 not any more, 2 bad input", async () => {
    const uaf = "corpus/v1-hugetlb-drop/hugetlb-uffd.no-freed-vma-use.json";
    const [still, fixed, bad] = await Promise.all([
      lockdrop("replay", uaf),
      lockdrop("replay", uaf, "--on", "v2"),
      lockdrop("replay", "no-such-file.json"),
    ]);
    expect(still.code).toBe(1);
    expect(fixed.code, fixed.err).toBe(0);
    expect(bad.code).toBe(2);
  });

  it("--out: checked before the run (2), and a write that fails after it keeps the verdicts (5)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lockdrop-out-"));
    const args = [
      "check",
      "v2-unlock-after-drop",
      "--scenario",
      "anon-uffd",
      "--property",
      "lock-balance",
      "--runs",
      "300",
    ];
    const missing = await lockdrop(...args, "--out", join(dir, "no", "such", "dir", "c.json"));
    expect(missing.code).toBe(2);
    expect(missing.out).toBe("");
    expect(missing.err).toMatch(
      /does not exist, so the counterexample could not be written there; nothing was run\. Fix: create the directory/,
    );
    // an existing file is never overwritten without --force, and never truncated
    const kept = join(dir, "kept.json");
    writeFileSync(kept, "mine\n");
    // a file where the directory should be is named as a file
    const underFile = await lockdrop(...args, "--out", join(kept, "c.json"));
    expect(underFile.code).toBe(2);
    expect(underFile.err).toMatch(
      /kept\.json is a file, not a directory, so the counterexample could not be written there; nothing was run\. Fix: choose an --out path in a directory\./,
    );
    expect(readFileSync(kept, "utf8")).toBe("mine\n");
    const refused = await lockdrop(...args, "--out", kept);
    expect(refused.code).toBe(2);
    expect(readFileSync(kept, "utf8")).toBe("mine\n");
    // a write that fails after the run (here: a directory, with contents, where one of
    // the files should go, which --force lets past the check): verdicts printed, exit 5
    const several = join(dir, "c.json");
    const blocker = join(dir, "c.anon-uffd.walk-restarts-on-ebusy.json");
    mkdirSync(blocker);
    writeFileSync(join(blocker, "x"), "x");
    const r = await lockdrop(
      "check",
      "v2-ignores-locked",
      "--scenario",
      "anon-uffd",
      "--property",
      "zero-unlocked-not-success",
      "walk-restarts-on-ebusy",
      "--runs",
      "500",
      "--out",
      several,
      "--force",
    );
    expect(r.code, r.err).toBe(5);
    expect(r.out).toMatch(/walk-restarts-on-ebusy +VIOLATED/);
    expect(r.err).toMatch(/could not write .*The verdicts above are complete/);
  });

  it("SIGTERM and SIGINT without a terminal: a message with the coverage and what was found, 143 and 130", async () => {
    const long = ["check", "v2", "--scenario", "anon-plain", "anon-uffd", "--runs", "2000000"];
    const [term, int, matrix] = await Promise.all([
      signalled(long, "SIGTERM", 8000),
      signalled(long, "SIGINT", 8000),
      signalled(["matrix", "--runs", "2000000"], "SIGTERM", 8000),
    ]);
    expect(term.code, term.err).toBe(143);
    expect(term.err).toMatch(
      /lockdrop: interrupted by SIGTERM after [\d,]+ random schedules .*(No violation was found|Violations found so far)/,
    );
    expect(int.code, int.err).toBe(130);
    expect(int.err).toMatch(/lockdrop: interrupted by Ctrl-C after [\d,]+ random schedules/);
    // what the random search had found before the stop is reported, not dropped
    const found = await signalled(
      [
        "check",
        "v2",
        "--scenario",
        "anon-uffd",
        "--property",
        "fatal-signal-ends-loop",
        "--runs",
        "2000000",
      ],
      "SIGINT",
      4000,
    );
    expect(found.code, found.err).toBe(130);
    expect(found.err).toMatch(
      /Before the stop, v2 on anon-uffd had violated fatal-signal-ends-loop/,
    );
    expect(matrix.code, matrix.err).toBe(143);
    expect(matrix.err).toMatch(/interrupted by SIGTERM after \d+ of \d+ design\/scenario pairs/);
    // which pairs to run again: those not finished, by name
    expect(matrix.err).toMatch(/Not finished: [\w.-]+ on [\w.-]+(, [\w.-]+ on [\w.-]+)*\./);
    for (const r of [term, int, matrix]) expect(r.err).not.toMatch(/\n\s+at /);
  });

  it("compare stopped by Ctrl-C names the pairs left and the violations so far, 130", async () => {
    const compare = await signalled(["compare", "v1", "v2", "--runs", "2000000"], "SIGINT", 8000);
    expect(compare.code, compare.err).toBe(130);
    expect(compare.err).toMatch(
      /interrupted by Ctrl-C( \(SIGINT\))? after \d+ of \d+ design\/scenario pairs; the comparison was not printed\. Not finished: .* (No violation was found|Violations found so far)/,
    );
    expect(compare.err).not.toMatch(/\n\s+at /);
  });
});
