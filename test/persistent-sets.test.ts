// Persistent sets (`--persistent-sets`, engine/persistent.ts) against the plain search:
// the same violated properties, found by the reduced search itself, and the same
// shortest counterexamples (from the plain search run again for them), on every design
// and scenario small enough and on every safety entry of the regression corpus (the
// two largest pairs in test/persistent-sets-large.test.ts); fewer states; and check's
// account of when they ran and why not.
import { describe, expect, it } from "vitest";
import { type ExhaustiveResult, exploreExhaustive } from "../engine/exhaustive.js";
import { setupFor } from "../engine/run.js";
import { designById } from "../model/designs/index.js";
import { scenarioById, withPages } from "../model/scenarios.js";
import { PROPERTIES } from "../properties/index.js";
import { corpusSafetyPairs, found, LARGE, smallSafetyPairs } from "./helpers.js";
import { checkOn } from "./run-cli.js";

/** what the reduced search itself found violated */
const reducedFound = (r: ExhaustiveResult) => [...(r.persistent?.violated ?? [])].sort();

const SMALL = 10_000;
const depth = Number.POSITIVE_INFINITY;

describe("persistent sets", () => {
  it(`find the plain search's violations, and give its shortest counterexamples, on every pair under ${SMALL} states (safety properties)`, () => {
    let pairs = 0;
    let plainStates = 0;
    let reducedStates = 0;
    const differ: string[] = [];
    for (const { design: d, scenario: s, props, setup, plain } of smallSafetyPairs(SMALL)) {
      const reduced = exploreExhaustive(setup, props, { depth, persistentSets: true });
      pairs++;
      plainStates += plain.states;
      reducedStates += reduced.states;
      const violated = [...plain.counterexamples.keys()].sort();
      const a = `${violated.join(", ")}; ${found(plain).join(", ")}`;
      const b = `${reducedFound(reduced).join(", ")}; ${found(reduced).join(", ")}`;
      if (a !== b) differ.push(`${d.id} on ${s.id}: ${a} | persistent sets: ${b}`);
      // a search that violated nothing was complete, and kept no more states
      if (violated.length === 0 && (!reduced.complete || reduced.states > plain.states))
        differ.push(`${d.id} on ${s.id}: ${reduced.states} states, complete ${reduced.complete}`);
    }
    expect(differ).toEqual([]);
    expect(pairs).toBeGreaterThan(300);
    expect(reducedStates).toBeLessThan(0.5 * plainStates);
  }, 600_000);

  it("leave at most a third of the states of v2 on anon-uffd-1 (safety properties)", () => {
    const d = designById("v2");
    const s = scenarioById("anon-uffd-1");
    if (!d || !s) throw new Error("v2, anon-uffd-1");
    for (const pages of [1, 2]) {
      const scenario = withPages(s, pages);
      const props = PROPERTIES.filter((p) => p.applies(scenario, d) && !p.lasso);
      const setup = setupFor(d, scenario);
      const plain = exploreExhaustive(setup, props, { depth });
      const reduced = exploreExhaustive(setup, props, { depth, persistentSets: true });
      expect(plain.complete && reduced.complete).toBe(true);
      expect(reduced.states).toBeLessThan(plain.states / 3);
      expect(reduced.persistent?.reduced).toBeGreaterThan(0);
      // the outside states are states of the plain search's graph, each counted once
      const p = reduced.persistent;
      expect(p?.outsideStates).toBeGreaterThan(0);
      expect(p?.outsideStates).toBeLessThanOrEqual(Math.min(p?.outside ?? 0, plain.states));
    }
    // with only monitors that keep no state the search passes none, and the sets'
    // states must not be told apart by them either (they were, as [] and [null])
    const scenario = withPages(s, 1);
    const stateless = PROPERTIES.filter(
      (p) => p.applies(scenario, d) && !p.lasso && p.monitor().save === undefined,
    ).slice(0, 1);
    expect(stateless.length).toBe(1);
    const setup1 = setupFor(d, scenario);
    const plain1 = exploreExhaustive(setup1, stateless, { depth });
    const one = exploreExhaustive(setup1, stateless, { depth, persistentSets: true });
    expect(one.persistent?.outsideStates).toBeLessThanOrEqual(plain1.states);
    // with no property at all it still runs to the end (nothing is violated)
    const none = exploreExhaustive(setupFor(d, s), [], { depth, persistentSets: true });
    expect(none.complete).toBe(true);
    // (2246 before the notifier seqs were renumbered: model/kernel/notifier.ts canonicalSeqs;
    // 2159 before reclaim's rmap unmap started only on a mapped page: actors/invalidate.ts)
    expect(none.states).toBe(1363);
  });

  it("find the violations of every safety entry of the regression corpus, on its pair (but the largest, test/persistent-sets-large.test.ts)", () => {
    const pairs = corpusSafetyPairs();
    let entries = 0;
    const missed: string[] = [];
    expect(LARGE.filter((k) => pairs.has(k))).toEqual(LARGE);
    for (const [k, { design: d, scenario: s, props }] of pairs) {
      if (LARGE.includes(k)) continue;
      const r = exploreExhaustive(setupFor(d, s), props, { depth, persistentSets: true });
      for (const p of props)
        if (!reducedFound(r).includes(p.id)) missed.push(`${d.id}/${s.id}.${p.id}`);
      entries += props.length;
    }
    expect(missed).toEqual([]);
    expect(entries).toBeGreaterThan(190);
  }, 600_000);

  it("check says when they ran, and refuses them where a liveness property or a depth bound would turn them off", async () => {
    const check = (...more: string[]) =>
      checkOn("v2", "anon-uffd-1", "--exhaustive", "--persistent-sets", ...more);
    const [all, safety, bounded, violated] = await Promise.all([
      check(),
      check("--property", "no-freed-vma-use"),
      check("--property", "no-freed-vma-use", "--depth", "30"),
      checkOn(
        "v2-unlock-after-drop",
        "anon-uffd-1",
        "--exhaustive",
        "--persistent-sets",
        "--property",
        "lock-balance",
      ),
    ]);
    // every property: a liveness one applies, the reduction would be off: refused
    expect(all.code).toBe(2);
    expect(all.err).toMatch(
      /^lockdrop: --persistent-sets is off in a search with a liveness property \(a lasso needs every step\), and liveness properties \(.*fatal-signal-ends-loop.*\) apply in every search this run makes \(every property is checked when --property is not given\), so it would be ignored\. Fix: name the safety properties with --property \(here: no-vma-use-after-unlock .*\), or leave --persistent-sets out\./,
    );
    expect(safety.code, safety.err).toBe(0);
    expect(safety.out).toMatch(
      /holds \(exhaustive, depth \d+, complete with persistent sets, \d+ states\)/,
    );
    expect(safety.out).toMatch(
      /partial-order reduction: persistent sets \([\d,]+ states expanded with fewer threads/,
    );
    // with a depth bound the reduction would be off: refused before any search
    expect(bounded.code).toBe(2);
    expect(bounded.err).toMatch(
      /--persistent-sets is off with --depth \(.*\), so it would be ignored\. Fix:/,
    );
    // the reduced search finds it; the plain one, run again, gives the shortest
    expect(violated.code, violated.err).toBe(1);
    expect(violated.out).toMatch(/lock-balance\s+VIOLATED in \d+ steps \(shortest\)/);
    expect(violated.out).toMatch(/run again for the shortest counterexamples of lock-balance/);
    // it stopped once every property was violated, and says so rather than "not completely"
    expect(violated.out).toMatch(/explored to depth \d+, until every property was violated/);
  });
});
