// `lockdrop coverage`: every edge of every built-in design is reached by some scenario or
// listed as unreachable with a reason, and no listed edge is reached. The searches are
// the command's own, at its defaults (COVERAGE_DEFAULTS: exhaustive where a scenario is
// exhausted within depth 60 and 30,000 states, random search with seed 1 and 1000 runs as
// well where it is not), so the test and `lockdrop coverage <design>` agree edge for edge.
// Then what the collector counts (sleeps, signals, a handler that breaks the contract),
// what a wrong list looks like, and the command's exit codes and JSON on design files.
import { describe, expect, it } from "vitest";
import { checkCoverage } from "../api/vitest.js";
import { DEFAULT_RUNS, DEFAULT_SEED } from "../cli/errors.js";
import {
  COVERAGE_DEFAULTS,
  coverageOf,
  type EdgeCoverage,
  edgeKey,
  edgesOf,
  scenarioCoverage,
  unlisted,
} from "../engine/coverage.js";
import { DESIGNS } from "../model/designs/index.js";
import { runsIn, SCENARIOS } from "../model/scenarios.js";
import type { Design } from "../model/step.js";
import { validateUnreachable } from "../model/step.js";
import { CoverageSchema } from "../reports/formats.js";
import { design, scenario } from "./helpers.js";
import { type CliResult, runNode, signalled } from "./run-cli.js";

const lockdrop = (...args: string[]) => runNode("cli/bin.mjs", args);

const edge = (e: EdgeCoverage) => `${e.label} --${e.outcome}--> ${e.to}`;

describe("coverage of the built-in designs", () => {
  it("searches with the command's defaults", () => {
    expect(COVERAGE_DEFAULTS).toEqual({
      depth: 60,
      maxStates: 30_000,
      runs: DEFAULT_RUNS,
      seed: DEFAULT_SEED,
    });
  });

  // about 1-4 s per HMM design on an idle 2-core machine, under 1 s for the others
  for (const d of DESIGNS)
    it(`${d.id}: every edge is reached or listed as unreachable, and no listed edge is reached`, () => {
      expect(validateUnreachable(d)).toEqual([]);
      const c = coverageOf(
        d,
        SCENARIOS.filter((s) => runsIn(s, d)),
        COVERAGE_DEFAULTS,
      );
      expect(c.edges.length).toBe(edgesOf(d).length);
      // an edge here: list it in the design's `unreachable` with its reason
      expect(unlisted(c).map(edge), "unreached, not listed").toEqual([]);
      // an edge here: the model reaches it now, drop its entry
      expect(
        c.edges.filter((e) => e.stale).map(edge),
        "listed as unreachable, but reached",
      ).toEqual([]);
      // no built-in search is cut short; an edge only the misbehaving-handler scenario's
      // driver (a handler breaking handle_mm_fault()'s contract) takes is one the
      // contract forbids, so it is listed (forbiddenWithoutAllowRetry)
      expect(c.edges.filter((e) => e.status === "unknown").map(edge)).toEqual([]);
      expect(
        c.edges
          .filter((e) => e.status === "misbehaving-handler" && e.unreachable === undefined)
          .map(edge),
        "taken only by a misbehaving handler, not listed",
      ).toEqual([]);
    }, 120_000);
});

describe("a wrong unreachable list fails", () => {
  const gup = design("gup");
  const listed = gup.unreachable ?? [];

  it("when an unreached edge is left out", () => {
    const arch = design("vma-lock-fault");
    const without: Design = {
      ...arch,
      id: "vma-lock-fault-completed-not-listed",
      unreachable: (arch.unreachable ?? []).filter(
        (u) => !(u.label === "mm.fault" && u.outcome === "completed"),
      ),
    };
    const check = checkCoverage(without);
    expect(check.unlisted().map(edge)).toEqual(["mm.fault --completed--> next"]);
    expect(() => check.expectListed()).toThrow(
      /mm\.fault --completed--> next: no scenario reached it, and it is not listed/,
    );
    // not a built-in design: the command names its file, not an id it does not know
    expect(() => check.expectListed()).toThrow(/`lockdrop coverage <its design file>` prints/);
    const one = checkCoverage(without, { scenarios: ["anon-uffd-1"] });
    expect(() => one.expectListed()).toThrow(
      /`lockdrop coverage <its design file> --scenario anon-uffd-1` prints/,
    );
  });

  it("when a listed edge is reached (stale)", () => {
    const stale: Design = {
      ...gup,
      id: "gup-retry-listed",
      unreachable: [...listed, { label: "gup.fault", outcome: "retry", reason: "wrong" }],
    };
    const check = checkCoverage(stale);
    expect(check.stale().map(edge)).toEqual(["gup.fault --retry--> gup.dropped"]);
    expect(() => check.expectListed()).toThrow(
      /listed as unreachable \("wrong"\), but reached in anon-uffd/,
    );
    expect(() => checkCoverage("gup").expectListed()).not.toThrow();
  });

  it("when an entry names no edge of the step table", () => {
    expect(
      validateUnreachable({
        ...gup,
        unreachable: [
          { label: "gup.falut", outcome: "retry", reason: "x" },
          { label: "gup.fault", outcome: "complete", reason: "x" },
          { label: "gup.fault", outcome: "error", reason: " " },
        ],
      }),
    ).toEqual([
      'unreachable: { label: "gup.falut", outcome: "retry" } names no step: there is no label "gup.falut"',
      'unreachable: { label: "gup.fault", outcome: "complete" }: handle_mm_fault(vma, cur, flags) has no outcome "complete" (it has: ok, retry, completed, error)',
      'unreachable: { label: "gup.fault", outcome: "error" } gives no reason',
    ]);
  });
});

describe("the edges a search counts", () => {
  it("a sleep takes its edge only when the thread is woken", () => {
    // rfc's userfaultfd sleep is not killable: with a monitor that never answers, the
    // fault that queued never returns its RETRY; with one that answers, it does
    const retry = edgeKey("pte.fault_uffd", "retry");
    const silent = scenarioCoverage(design("rfc"), scenario("anon-uffd-silent"), COVERAGE_DEFAULTS);
    expect(silent.reached).toContain(edgeKey("pte.fault_one", "yes"));
    expect(silent.reached).not.toContain(retry);
    const answered = scenarioCoverage(design("rfc"), scenario("anon-uffd-1"), COVERAGE_DEFAULTS);
    expect(answered.reached).toContain(retry);
  });

  it("a fatal signal ending a killable sleep takes the signal outcome's edge", () => {
    // mmap_read_lock_killable() returns -EINTR only to a waiter a fatal signal wakes
    const c = scenarioCoverage(design("v8"), scenario("anon-uffd-1"), COVERAGE_DEFAULTS);
    expect(c.reached).toContain(edgeKey("v8.lock", "eintr"));
    expect(c.reached).toContain(edgeKey("v8.lock", "ok"));
  });

  it("random search reaches no edge a complete exhaustive search did not", () => {
    const d = design("v5");
    const s = scenario("anon-uffd-1");
    const exhaustive = scenarioCoverage(d, s, COVERAGE_DEFAULTS);
    expect(exhaustive.searches.map((x) => x.strength.kind)).toEqual(["exhaustive-complete"]);
    // a pass stopped at once: random search covers the scenario
    const random = scenarioCoverage(d, s, { ...COVERAGE_DEFAULTS, maxStates: 1 });
    expect(random.searches.map((x) => [x.strength.kind, x.stopped])).toEqual([
      ["exhaustive-depth", "max-states"],
      ["random", undefined],
    ]);
    expect(random.cutShort).toBe(false);
    expect(random.reached.length).toBeGreaterThan(exhaustive.reached.length / 2);
    expect(random.reached.filter((k) => !exhaustive.reached.includes(k))).toEqual([]);
  });

  it("a search cut short leaves what it did not reach unknown", () => {
    const c = coverageOf(design("v2"), [scenario("anon-uffd-1")], {
      ...COVERAGE_DEFAULTS,
      maxStates: 100,
      exhaustiveOnly: true,
    });
    expect(c.scenarios[0]?.cutShort).toBe(true);
    const unknown = c.edges.filter((e) => e.status === "unknown");
    expect(unknown.length).toBeGreaterThan(0);
    expect(c.edges.some((e) => e.status === "unreached")).toBe(false);
  });

  it("an exhaustive-only pass that leaves states at its depth bound leaves the rest unknown", () => {
    const c = coverageOf(design("v2"), [scenario("anon-uffd-1")], {
      ...COVERAGE_DEFAULTS,
      depth: 5,
      exhaustiveOnly: true,
    });
    expect(c.scenarios[0]?.searches.map((x) => x.strength.kind)).toEqual(["exhaustive-depth"]);
    expect(c.scenarios[0]?.cutShort).toBe(true);
    expect(c.edges.filter((e) => e.status === "unknown").length).toBeGreaterThan(0);
    expect(c.edges.some((e) => e.status === "unreached")).toBe(false);
    // followed by random search (the default), unreached means what the definitions say
    const both = coverageOf(design("v2"), [scenario("anon-uffd-1")], {
      ...COVERAGE_DEFAULTS,
      depth: 5,
    });
    expect(both.scenarios[0]?.searches.map((x) => x.strength.kind)).toEqual([
      "exhaustive-depth",
      "random",
    ]);
    expect(both.scenarios[0]?.cutShort).toBe(false);
  });
});

describe("lockdrop coverage", () => {
  const DIR = "test/fixtures/designs";
  const json = (r: CliResult) => CoverageSchema.parse(JSON.parse(r.out));
  const at = (c: ReturnType<typeof json>, label: string, outcome: string) =>
    c.edges.find((e) => e.label === label && e.outcome === outcome);

  it("gives the same coverage on one worker thread as on two", async () => {
    const args = ["coverage", "v2", "--scenario", "anon-uffd-1", "anon-plain", "--json"];
    const [one, two, none] = await Promise.all([
      lockdrop(...args, "--workers", "1"),
      lockdrop(...args, "--workers", "2"),
      lockdrop(...args, "--workers", "0"),
    ]);
    expect(one.code, one.err).toBe(0);
    expect(two.out).toBe(one.out);
    expect(json(one).scenarios).toHaveLength(2);
    expect(none.code).toBe(2);
  });

  it("reports a design file's unreached edge: exit 0, or 1 with --strict; JSON as its schema", async () => {
    const [report, strict] = await Promise.all([
      lockdrop("coverage", `${DIR}/_coverage.ts`, "--json"),
      lockdrop("coverage", `${DIR}/_coverage.ts`, "--strict"),
    ]);
    expect(report.err).toBe("");
    expect(report.code).toBe(0);
    const c = json(report);
    expect(c.design).toBe(`${DIR}/_coverage.ts`);
    expect(c.module?.path).toBe(`./${DIR}/_coverage.ts`);
    expect(c.scenarios.map((s) => [s.scenario, s.searches[0]?.strength.kind])).toEqual([
      ["anon-plain", "exhaustive-complete"],
      ["anon-uffd-1", "exhaustive-complete"],
    ]);
    // no FAULT_FLAG_ALLOW_RETRY: the retry edge, deliberately not listed, is unreached
    expect(at(c, "fault", "retry")).toMatchObject({ status: "unreached", reachedIn: [] });
    expect(at(c, "fault", "retry")?.unreachable).toBeUndefined();
    expect(at(c, "fault", "completed")).toMatchObject({
      status: "unreached",
      unreachable: expect.stringMatching(/^handle_mm_fault\(\) called without/),
      stale: false,
    });
    expect(at(c, "fault", "ok")?.reachedIn).toEqual(["anon-plain"]);
    expect(at(c, "fault", "error")?.reachedIn).toEqual(["anon-uffd-1"]);
    expect(c.summary).toEqual({
      edges: 9,
      reached: 6,
      misbehavingHandler: 0,
      listed: 1,
      unlisted: 2,
      unknown: 0,
      stale: 0,
    });
    expect(strict.code).toBe(1);
    expect(strict.out).toMatch(/^ {2}fault\s+retry\s+-> retried\s+UNREACHED, not listed/m);
    expect(strict.out).toMatch(/^ {2}fault\s+completed\s+-> unlock\s+unreachable \[1\]$/m);
    expect(strict.out).toMatch(/^\[1\] handle_mm_fault\(\) called without FAULT_FLAG_ALLOW_RETRY/m);
  }, 60_000);

  it("labels an edge only a misbehaving fault handler reaches, and is not stale", async () => {
    const r = await lockdrop("coverage", `${DIR}/_coverage-misbehaving.ts`, "--strict", "--json");
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    const c = json(r);
    expect(at(c, "fault", "retry")).toMatchObject({
      status: "misbehaving-handler",
      reachedIn: [],
      breachedIn: ["anon-uffd-1"],
      stale: false,
    });
    expect(c.summary.misbehavingHandler).toBe(1);
  }, 60_000);

  it("exits 4 when a search cut short leaves an unlisted edge unknown, 2 on bad input", async () => {
    const [cut, unknownDesign, badScenario, deep, runs] = await Promise.all([
      lockdrop(
        "coverage",
        "v2",
        "--scenario",
        "anon-uffd-1",
        "--exhaustive",
        "--max-states",
        "100",
      ),
      lockdrop("coverage", "v9"),
      lockdrop("coverage", "gup", "--scenario", "hugetlb-uffd"),
      lockdrop("coverage", "v2", "--scenario", "anon-uffd-1", "--exhaustive", "--depth", "5"),
      lockdrop("coverage", "v2", "--scenario", "anon-uffd-1", "--exhaustive", "--runs", "5"),
    ]);
    expect(cut.code, cut.err).toBe(4);
    expect(cut.out).toMatch(/exhaustive pass stopped by the state bound/);
    expect(deep.code, deep.err).toBe(4);
    expect(deep.out).toMatch(/exhaustive to depth 5 \(\d+ states at the bound\).*unknown/);
    expect(deep.out).not.toMatch(/UNREACHED/);
    // --exhaustive runs no random search: --runs and --seed would be ignored
    expect(runs.code).toBe(2);
    expect(runs.err).toMatch(/^lockdrop: --runs sets the random search .* Fix: leave --runs out/);
    expect(cut.out).toMatch(/unknown \(a search was cut short\)/);
    for (const r of [unknownDesign, badScenario]) {
      expect(r.code).toBe(2);
      expect(r.out).toBe("");
      expect(r.err.trim().split("\n")).toHaveLength(1);
    }
    expect(unknownDesign.err).toMatch(
      /^lockdrop: unknown design "v9" \(did you mean "v1"\?\)\. Known designs: mainline, .*give the path of a design file/,
    );
    expect(badScenario.err).toMatch(/does not run in scenario "hugetlb-uffd".*Pick one of: /);
  }, 60_000);

  it("SIGTERM and SIGINT: says how many scenarios were done, prints no table, 143 and 130", async () => {
    const long = ["coverage", "v2", "--runs", "2000000"];
    const n = SCENARIOS.filter((s) => runsIn(s, design("v2"))).length;
    const [term, int] = await Promise.all([
      signalled(long, "SIGTERM", 8000),
      signalled(long, "SIGINT", 8000),
    ]);
    expect(term.code, term.err).toBe(143);
    expect(term.err).toMatch(
      new RegExp(
        `^lockdrop: interrupted by SIGTERM after \\d+ of ${n} scenarios; the coverage was not printed`,
      ),
    );
    expect(int.code, int.err).toBe(130);
    expect(int.err).toMatch(
      new RegExp(`^lockdrop: interrupted by Ctrl-C \\(SIGINT\\) after \\d+ of ${n} scenarios`),
    );
    for (const r of [term, int]) expect(r.out).toBe("");
  }, 60_000);
});
