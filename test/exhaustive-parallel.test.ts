// The exhaustive search on several threads (engine/exhaustive-parallel.ts) gives what the
// search on one thread gives: the same states and transitions, the same verdicts, and
// the very same shortest counterexamples (schedules, loops, messages), whatever the
// number of threads, with a depth bound too.
import { once } from "node:events";
import { describe, expect, it } from "vitest";
import { loadDesignFile } from "../api/design-file.js";
import { exploreExhaustive, type HandOver } from "../engine/exhaustive.js";
import type { ShareData } from "../engine/exhaustive-parallel.js";
import { endCrew, exploreParallel, shareOf, startCrew } from "../engine/exhaustive-parallel.js";
import { setupFor } from "../engine/run.js";
import { exhaustiveRows } from "../engine/verdicts.js";
import { designById } from "../model/designs/index.js";
import { runsIn } from "../model/scenarios.js";
import { PROPERTIES, propertyById } from "../properties/index.js";
import { searchFacts as facts, scenario } from "./helpers.js";

const PAIRS: [string, string, number][] = [
  // the uffd scenario with every actor: lassos and the monitor's per-VMA lock
  ["v2", "anon-uffd-1", Number.POSITIVE_INFINITY],
  // four safety violations and a lasso, shortest each
  ["v1-hugetlb-drop", "hugetlb-uffd-1", Number.POSITIVE_INFINITY],
  // folio-lock retries, livelock lassos
  ["v8", "anon-swap-contended", Number.POSITIVE_INFINITY],
  // declared locks, objects and refcounts
  ["hugetlbfs-fault-no-vma-lock", "hugetlbfs-truncate-no-kref", Number.POSITIVE_INFINITY],
  // cut short by a depth bound: the states at the bound are counted alike
  ["v2", "anon-uffd", 14],
];

/**
 * A pair's breadth-first layers' widths (states per depth), read off the tree of a
 * search handed over late (the last layers, past 90% of the states, may be missing).
 */
function layerWidths(d: string, s: string) {
  const design = designById(d);
  if (!design) throw new Error(d);
  const setup = setupFor(design, scenario(s));
  const props = PROPERTIES.filter((p) => p.applies(scenario(s), design));
  const depth = Number.POSITIVE_INFINITY;
  const all = exploreExhaustive(setup, props, { depth }).states;
  const deep = exploreExhaustive(setup, props, { depth, handOver: Math.floor(0.9 * all) });
  const tree = deep.handOver?.seed?.tree;
  if (tree === undefined) throw new Error(`${d} on ${s}: not handed over`);
  const width: number[] = [];
  for (let i = 0; i < tree.size; i++) {
    const at = tree.depth[i] as number;
    width[at] = (width[at] ?? 0) + 1;
  }
  return { design, setup, props, width };
}

describe("parallel exhaustive search", () => {
  for (const [d, s, depth] of PAIRS)
    it(`gives the one-thread results on 2 and 3 threads: ${d} on ${s}${Number.isFinite(depth) ? `, depth ${depth}` : ""}`, () => {
      const design = designById(d);
      if (!design) throw new Error(d);
      expect(runsIn(scenario(s), design)).toBe(true);
      const setup = setupFor(design, scenario(s));
      const props = PROPERTIES.filter((p) => p.applies(scenario(s), design));
      const one = facts(exploreExhaustive(setup, props, { depth }));
      expect(one.states).toBeGreaterThan(100);
      // on 3: a table of 16 slots grown with no slack, so between most layers; then on
      // 2 with no room kept for the next layer, so that layers fill it up and are
      // expanded again after it grows (without that, an error)
      const grows = { bits: 4, slack: 0 };
      const fills = { bits: 4, slack: 0, perState: 0 };
      const runs = [[2], [3, grows], [2, fills], [3, fills]] as const;
      for (const [workers, table] of runs) {
        const many = exploreParallel(
          setup,
          props,
          { depth },
          { workers, source: { design: d, scenario: s }, ...(table ? { table } : {}) },
        );
        expect(facts(many)).toEqual(one);
        // (a pair of a few hundred states has layers too small to fill even that table)
        if (table !== fills) expect(many.redoneLayers).toBeUndefined();
        else if (one.states >= 1000) expect(many.redoneLayers).toBeGreaterThan(0);
        // each thread says how long it searched and how much of that it waited
        expect(many.threads).toHaveLength(workers);
        for (const t of many.threads ?? []) {
          expect(t.ms).toBeGreaterThan(0);
          expect(t.waitMs).toBeGreaterThanOrEqual(0);
          expect(t.waitMs).toBeLessThanOrEqual(t.ms);
        }
        // a thread that reaches a barrier first waits there for the others
        expect((many.threads ?? []).reduce((a, t) => a + t.waitMs, 0)).toBeGreaterThan(0);
      }
      // handed over by the one-thread search at the end of the layer that passes a third
      // of the states (or the first layer): the threads go on from the next layer and
      // end with the same results; on 3, with a table the next layers fill up
      for (const [at, workers, table] of [
        [Math.floor(one.states / 3), 2],
        [1, 3, fills],
      ] as const) {
        const first = exploreExhaustive(setup, props, { depth, handOver: at });
        const handed = first.handOver;
        if (handed === undefined) throw new Error(`${d} on ${s}: not handed over at ${at}`);
        expect(first.complete).toBe(false);
        expect(first.counterexamples.size).toBe(0);
        expect(handed.states).toBeGreaterThanOrEqual(at);
        expect(handed.states).toBeLessThan(one.states);
        const rest = exploreParallel(
          setup,
          props,
          { depth },
          { workers, source: { design: d, scenario: s }, ...(table ? { table } : {}) },
          undefined,
          handed,
        );
        expect(facts(rest)).toEqual(one);
        expect(rest.threads).toHaveLength(workers);
        // taken up once: the threads took its seed (hashes, tree, worlds), and it cannot
        // seed another search, whose liveness graphs would get the edges twice
        expect(handed.seed).toBeNull();
        expect(() =>
          exploreParallel(
            setup,
            props,
            { depth },
            { workers, source: { design: d, scenario: s } },
            undefined,
            handed,
          ),
        ).toThrow(/taken up once/);
      }
    });

  it("prefers a shorter violation met later in a layer, as one thread does: an end of run before a step", async () => {
    const file = "test/fixtures/designs/_late-step-or-end.ts";
    const { design } = await loadDesignFile(file);
    const s = scenario("anon-uffd-1");
    const setup = setupFor(design, s);
    const prop = propertyById("test-late-step-or-end");
    if (!prop) throw new Error("the fixture's property is not declared");
    const one = (late: number) => {
      process.env.LOCKDROP_TEST_LATE = String(late);
      return exploreExhaustive(setup, [prop], { depth: Number.POSITIVE_INFINITY });
    };
    try {
      // the first end of a run: its depth
      const end = one(Number.POSITIVE_INFINITY).counterexamples.get(prop.id);
      expect(end?.message).toBe("the run ended");
      const q = end?.schedule.length ?? 0;
      expect(q).toBeGreaterThan(1);
      // steps object from that depth on: one step longer than that end, and met first
      // in its layer (by states expanded before the quiescent one), yet the end is kept
      const mine = facts(one(q));
      expect(mine.counterexamples).toMatchObject([{ message: "the run ended", loopStart: null }]);
      expect(mine.counterexamples[0]?.schedule).toHaveLength(q);
      const source = {
        design: design.id,
        scenario: s.id,
        file,
        files: [file],
        loader: new URL("../api/design-file.ts", import.meta.url).href,
      };
      const many = (workers: number, handOver?: HandOver) =>
        facts(
          exploreParallel(
            setup,
            [prop],
            { depth: Number.POSITIVE_INFINITY },
            { workers, source },
            undefined,
            handOver,
          ),
        );
      for (const workers of [2, 3]) expect(many(workers)).toEqual(mine);
      // and handed over in the middle
      const first = exploreExhaustive(setup, [prop], {
        depth: Number.POSITIVE_INFINITY,
        handOver: Math.floor(mine.states / 3),
      });
      if (!first.handOver) throw new Error("not handed over");
      expect(many(2, first.handOver)).toEqual(mine);
    } finally {
      delete process.env.LOCKDROP_TEST_LATE;
    }
  });

  it("stops at --max-states in a layer that fills the table, counting the states it numbered", () => {
    // four safety violations, of 8 to 20 steps
    const design = designById("v1-hugetlb-drop");
    if (!design) throw new Error("v1-hugetlb-drop");
    const s = scenario("hugetlb-uffd-1");
    const setup = setupFor(design, s);
    const props = PROPERTIES.filter((p) => p.applies(s, design));
    const all = exploreExhaustive(setup, props, { depth: Number.POSITIVE_INFINITY });
    const maxStates = Math.floor(all.states / 2);
    const one = exploreExhaustive(setup, props, { depth: Number.POSITIVE_INFINITY, maxStates });
    for (const workers of [2, 3]) {
      const r = exploreParallel(
        setup,
        props,
        { depth: Number.POSITIVE_INFINITY, maxStates },
        {
          workers,
          source: { design: "v1-hugetlb-drop", scenario: "hugetlb-uffd-1" },
          // no room kept for the next layer: layers fill the table and are redone
          table: { bits: 4, slack: 0, perState: 0 },
        },
      );
      expect(r.stoppedBy).toBe("max-states");
      expect(r.complete).toBe(false);
      expect(r.redoneLayers).toBeGreaterThan(0);
      // it stops at the next state once the bound is passed, so a layer ends a little
      // past it on several threads; never short of it, and never past the whole search
      expect(r.states).toBeGreaterThanOrEqual(one.states);
      expect(r.states).toBeLessThan(all.states);
      expect(r.frontier).toBeGreaterThan(0);
      // a safety counterexample found before the stop is the complete search's: every
      // shallower layer was searched whole, and the tree holds its path
      let compared = 0;
      for (const c of r.counterexamples.values()) {
        if (c.loopStart !== null) continue;
        expect(c.schedule).toEqual(all.counterexamples.get(c.property)?.schedule);
        compared++;
      }
      expect(compared).toBeGreaterThan(0);
    }
  });

  it("runs on threads started ahead of it (a crew), and stops a crew it never used", async () => {
    const design = designById("v2");
    if (!design) throw new Error("v2");
    const s = scenario("anon-uffd-1");
    const setup = setupFor(design, s);
    const props = PROPERTIES.filter((p) => p.applies(s, design));
    const par = { workers: 3, source: { design: "v2", scenario: "anon-uffd-1" } };
    // the crew loads the pair while this thread searches alone, as the CLI does
    const crew = startCrew(props, par);
    const one = facts(exploreExhaustive(setup, props, { depth: Number.POSITIVE_INFINITY }));
    // (the search ends the crew it ran on)
    const ended = crew.workers.map((w) => once(w, "exit"));
    expect(
      facts(exploreParallel(setup, props, { depth: Number.POSITIVE_INFINITY }, par, crew)),
    ).toEqual(one);
    await Promise.all(ended);
    const unused = startCrew(props, par);
    expect(unused.workers).toHaveLength(2);
    const exits = unused.workers.map((w) => once(w, "exit"));
    endCrew(unused);
    await Promise.all(exits);
    // a search whose setup fails (here its shared table cannot be allocated) still ends
    // the crew it was given
    const doomed = startCrew(props, par);
    const gone = doomed.workers.map((w) => once(w, "exit"));
    const huge = { ...par, table: { bits: 40, slack: 4096 } };
    expect(() =>
      exploreParallel(setup, props, { depth: Number.POSITIVE_INFINITY }, huge, doomed),
    ).toThrow(RangeError);
    await Promise.all(gone);
  });

  it("lets a thread take its table and layer out of the message it was sent, once", () => {
    // a worker keeps its message to the end of the search: the table (replaced when the
    // first thread grows it) and the handed-over layer must not stay alive through it
    const setup = setupFor(
      designById("v2") as NonNullable<ReturnType<typeof designById>>,
      scenario("anon-uffd-1"),
    );
    const table = { bits: 4 };
    const layer = { first: 7 };
    const { port1, port2 } = new MessageChannel();
    const data = {
      k: 1,
      n: 2,
      opts: { depth: 5 },
      ctl: new SharedArrayBuffer(64),
      table,
      strings: null,
      peers: [port1, null],
      control: port1,
      layer,
    } as unknown as ShareData;
    const sh = shareOf(data, setup, PROPERTIES);
    expect(sh.table).toBe(table);
    expect(sh.layer).toBe(layer);
    expect(sh.k).toBe(1);
    expect(data.table).toBeUndefined();
    expect(data.layer).toBeUndefined();
    expect(() => shareOf(data, setup, PROPERTIES)).toThrow(/taken up once/);
    port1.close();
    port2.close();
  });

  it("hands a search over sooner only at the end of its widest layer so far", () => {
    const { setup, props, width } = layerWidths("v2", "anon-uffd-1");
    const depth = Number.POSITIVE_INFINITY;
    // they widen, then narrow (else the rule is not put to the test)
    const peak = width.indexOf(Math.max(...width));
    expect(peak).toBeGreaterThan(2);
    expect(peak).toBeLessThan(width.length - 2);
    // where the rule says: the end of the first layer d after which the states met
    // (layers 0 to d + 1) reach `growingAt` and layer d + 1 is as wide as any before it
    const expected = (growingAt: number): number | undefined => {
      let met = 1;
      let widest = 0;
      for (let d = 0; d + 1 < width.length; d++) {
        const w = width[d + 1] as number;
        met += w;
        const growing = w >= widest;
        widest = Math.max(widest, w);
        if (growing && met >= growingAt) return met;
      }
      return undefined;
    };
    let before = 0;
    let after = 0;
    for (let d = 1; d < width.length - 1; d++) {
      const met = width.slice(0, d + 1).reduce((a, b) => a + b, 0);
      let ahead = 0;
      const r = exploreExhaustive(setup, props, {
        depth,
        handOver: {
          at: Number.POSITIVE_INFINITY,
          growingAt: met,
          ahead: {
            share: 0.5,
            call: () => {
              ahead++;
            },
          },
        },
        onProgress: () => false,
      });
      const want = expected(met);
      expect(r.handOver?.states).toBe(want);
      if (want === undefined) {
        // a search whose layers narrow from there on is never handed over: it completes
        expect(r.complete).toBe(true);
        after++;
      } else {
        expect(r.complete).toBe(false);
        // the other threads were asked for once, by the hand-over
        expect(ahead).toBe(1);
        before++;
      }
    }
    // thresholds on both sides of the widest layer
    expect(before).toBeGreaterThan(0);
    expect(after).toBeGreaterThan(0);
  });

  it("says how a search ran: on two threads with states kept as hashes, or on one and why", () => {
    const design = designById("v2");
    if (!design) throw new Error("v2");
    // from 1: on two threads as soon as the search has more than one state
    const par = { workers: 2, source: { design: "v2", scenario: "anon-uffd-1" }, from: 1 };
    const run = (
      sleepSets: boolean,
      p: typeof par | Omit<typeof par, "from"> = par,
      props = PROPERTIES,
    ) =>
      exhaustiveRows(
        design,
        scenario("anon-uffd-1"),
        props,
        { depth: Number.POSITIVE_INFINITY, sleepSets },
        undefined,
        p,
      );
    const [two] = run(false);
    expect(two?.search).toMatchObject({ workers: 2, visited: "128-bit state hashes" });
    expect(two?.search?.alone).toBeUndefined();
    expect(two?.strength).toMatchObject({ kind: "exhaustive-complete" });
    const strength = two?.strength as { omissionProbability?: number } | undefined;
    expect(strength?.omissionProbability).toBeLessThan(1e-20);
    // sleep sets (safety properties only) keep a search on one thread
    const [one] = run(
      true,
      par,
      PROPERTIES.filter((p) => !p.lasso),
    );
    expect(one?.search).toMatchObject({
      workers: 1,
      alone: "sleep sets run on one thread",
      visited: "exact states",
      reductions: ["sleep sets"],
    });
    expect(one?.verdict).toBe(two?.verdict);
    // with a liveness property they are off, and the search spreads as without them
    const [off] = run(true);
    expect(off?.search).toMatchObject({
      workers: 2,
      reductions: [],
      sleepSetsOff: "a liveness property needs every step",
    });
    // by default a search of 14,939 states stays on one thread, with exact states
    const [small] = run(false, { workers: 2, source: par.source });
    expect(small?.search).toMatchObject({
      workers: 1,
      alone: "under 300,000 states a search stays on one thread",
      visited: "exact states",
    });
    expect(small?.search?.handedOver).toBeUndefined();
    expect(two?.search?.handedOver).toBeGreaterThanOrEqual(1);
    // a search still widening past `growingFrom` states is handed over then, long
    // before `from`; one whose layers narrow by then stays on one thread, and says so
    const { width } = layerWidths("v2", "anon-uffd-1");
    const lastWidest = width.lastIndexOf(Math.max(...width));
    const upTo = (d: number) => width.slice(0, d + 1).reduce((a, b) => a + b, 0);
    const growing = (growingFrom: number) =>
      exhaustiveRows(
        design,
        scenario("anon-uffd-1"),
        PROPERTIES,
        { depth: Number.POSITIVE_INFINITY },
        undefined,
        { workers: 2, source: par.source, from: 1_000_000, growingFrom },
      )[0]?.search;
    const soon = growing(2);
    expect(soon).toMatchObject({ workers: 2, visited: "128-bit state hashes" });
    expect(soon?.handedOver).toBeLessThanOrEqual(upTo(lastWidest));
    const narrowing = upTo(lastWidest) + 1;
    expect(growing(narrowing)).toMatchObject({
      workers: 1,
      states: small?.search?.states,
      visited: "exact states",
      alone: `under 1,000,000 states a search stays on one thread unless its breadth-first layers still widen past ${narrowing.toLocaleString("en-US")} states, and these had stopped widening`,
    });
    // one that passes the threshold but ends within that layer (here at --max-states)
    // is never handed over, and says so
    const [cut] = exhaustiveRows(
      design,
      scenario("anon-uffd-1"),
      PROPERTIES,
      { depth: Number.POSITIVE_INFINITY, maxStates: 1001 },
      undefined,
      { ...par, from: 1000 },
    );
    expect(cut?.search).toMatchObject({
      workers: 1,
      states: 1001,
      alone:
        "it ended within the layer that passed 1,000 states, before the hand-over to the others at its end",
    });
  });
});
