// Sleep sets (`--sleep-sets`) against the plain search: the same states, the same
// violated properties and the same shortest counterexamples on every design and
// scenario small enough, with fewer transitions. A step that commutes with another
// (same world either way) can still be judged differently after it (a dereference
// before or after the VMA is freed), and steps that offer a choice must not sleep on
// their first pick alone: a commutation check that compared worlds only, on first picks,
// missed the violations of 8 of these pairs, lengthened the shortest counterexample of 3
// and lost states on 8.
import { describe, expect, it } from "vitest";
import { exploreExhaustive } from "../engine/exhaustive.js";
import { setupFor } from "../engine/run.js";
import { DESIGNS } from "../model/designs/index.js";
import { PROPERTIES } from "../properties/index.js";
import { found, scenario, smallSafetyPairs } from "./helpers.js";
import { checkOn } from "./run-cli.js";

const SMALL = 10_000;

describe("sleep sets", () => {
  it(`give the plain search's states and counterexamples on every pair under ${SMALL} states (safety properties)`, () => {
    let pairs = 0;
    let plainSteps = 0;
    let sleepSteps = 0;
    const differ: string[] = [];
    for (const { design: d, scenario: s, props, setup, plain } of smallSafetyPairs(SMALL)) {
      const depth = Number.POSITIVE_INFINITY;
      const sleep = exploreExhaustive(setup, props, { depth, sleepSets: true });
      pairs++;
      plainSteps += plain.transitions;
      sleepSteps += sleep.transitions;
      const a = `${plain.states} states; ${found(plain).join(", ")}`;
      const b = `${sleep.states} states; ${found(sleep).join(", ")}`;
      if (!sleep.complete || a !== b) differ.push(`${d.id} on ${s.id}: ${a} | sleep sets: ${b}`);
    }
    expect(differ).toEqual([]);
    expect(pairs).toBeGreaterThan(300);
    expect(sleepSteps).toBeLessThan(0.75 * plainSteps);
    // over 400 pairs, each searched twice (about two minutes): a guard against a hang,
    // as persistent-sets.test.ts's, not a limit on speed
  }, 600_000);

  it("are off with a liveness property (a lasso needs every step), which the search still finds", () => {
    const d = DESIGNS.find((x) => x.id === "rfc");
    if (!d) throw new Error("rfc");
    const s = scenario("anon-mprotect-ro");
    const props = PROPERTIES.filter((p) => p.applies(s, d));
    expect(props.some((p) => p.lasso)).toBe(true);
    const setup = setupFor(d, s);
    const depth = Number.POSITIVE_INFINITY;
    const plain = exploreExhaustive(setup, props, { depth });
    const sleep = exploreExhaustive(setup, props, { depth, sleepSets: true });
    expect(plain.counterexamples.has("fatal-signal-ends-loop")).toBe(true);
    expect(found(sleep)).toEqual(found(plain));
    expect(sleep.transitions).toBe(plain.transitions);
  });

  it("check says when they ran, and refuses them where a liveness property or a preemption bound would turn them off", async () => {
    const check = (...more: string[]) =>
      checkOn("v2", "anon-uffd-1", "--exhaustive", "--sleep-sets", ...more);
    const [all, safety, bounded] = await Promise.all([
      check(),
      check("--property", "no-freed-vma-use"),
      check("--property", "no-freed-vma-use", "--preemptions", "1"),
    ]);
    expect(all.code).toBe(2);
    expect(all.err).toMatch(
      /^lockdrop: --sleep-sets is off in a search with a liveness property \(a lasso needs every step\), .*so it would be ignored\. Fix: name the safety properties with --property/,
    );
    expect(safety.code, safety.err).toBe(0);
    expect(safety.out).toMatch(
      /states, [\d,]+ transitions, depth \d+, sleep sets, no persistent sets/,
    );
    // the memory the summary names: the search's heap, and the process's peak RSS
    const rss = /peak heap (\d+) MiB \(the process's peak RSS: (\d+) MiB\)/.exec(safety.out);
    expect(rss, safety.out).not.toBeNull();
    expect(Number(rss?.[2])).toBeGreaterThan(Number(rss?.[1]));
    // with a preemption bound the reduction would be off: refused before any search
    expect(bounded.code).toBe(2);
    expect(bounded.err).toMatch(
      /--sleep-sets is off with --preemptions \(a step that commutes with another may cost a preemption in one order only\), so it would be ignored\. Fix:/,
    );
  });
});
