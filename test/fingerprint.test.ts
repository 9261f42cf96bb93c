// The exhaustive engine keys its visited set with compactKey, a short encoding written
// by hand for speed; replay and counterexample files use stateKey, the canonical JSON.
// Both must split worlds into the same states, or the engine would merge states that
// differ (and miss bugs) or count one state twice. This walks every design on every
// scenario it runs in, and checks that equal compact keys and equal state keys coincide.
import { describe, expect, it } from "vitest";
import { Collapser } from "../engine/collapse.js";
import { enabledThreads, step } from "../engine/exec.js";
import { compactKey, sameKey, stateKey } from "../engine/fingerprint.js";
import type { Setup } from "../engine/run.js";
import { setupFor } from "../engine/run.js";
import { DESIGNS } from "../model/designs/index.js";
import type { Scenario } from "../model/scenarios.js";
import { runsIn, SCENARIOS } from "../model/scenarios.js";
import type { Design } from "../model/step.js";
import type { LockState, Thread, World } from "../model/world.js";
import { pairWalks } from "./helpers.js";

/** world0 of the first built-in design, on the first scenario it runs in */
function firstWorld0(): World {
  const d = DESIGNS[0] as Design;
  return setupFor(d, SCENARIOS.find((x) => runsIn(x, d)) as Scenario).world0;
}

/** `w` with its thread 0 changed by `patch` */
const withThread0 = (w: World, patch: Partial<Thread>): World => ({
  ...w,
  threads: [{ ...(w.threads[0] as Thread), ...patch }, ...w.threads.slice(1)],
});

describe("compactKey", () => {
  it("splits worlds into the same states as stateKey", () => {
    const byCompact = new Map<string, string>();
    const byState = new Map<string, string>();
    let worlds = 0;
    for (const { design: d, scenario: s, setup, walk } of pairWalks(11, 12, 60, 7)) {
      let w: World = setup.world0;
      for (const pick of walk) {
        const ready = enabledThreads(w, setup.programs);
        if (ready.length === 0) break;
        [w] = step(w, ready[pick % ready.length] as number, pick >> 1, setup.programs);
        const c = `${d.id}/${s.id}|${compactKey(w)}`;
        const k = `${d.id}/${s.id}|${stateKey(w)}`;
        expect(byCompact.get(c) ?? k).toBe(k);
        expect(byState.get(k) ?? c).toBe(c);
        byCompact.set(c, k);
        byState.set(k, c);
        worlds++;
      }
    }
    // no key is a proper prefix of another (the engine appends monitor state to it):
    // after sorting, a key's extensions would follow it directly
    const keys = [...byCompact.keys()].sort();
    for (let i = 1; i < keys.length; i++)
      expect((keys[i] as string).startsWith(keys[i - 1] as string)).toBe(false);
    // the walks revisit states (retry loops, blocked threads), so both relations are tested
    expect(byState.size).toBeLessThan(worlds);
    expect(byState.size).toBeGreaterThan(1000);
  });

  it("collapses worlds into part tuples that split them the same way, reusing the parent's parts", () => {
    const byTuple = new Map<string, string>();
    const byState = new Map<string, string>();
    let reused = 0;
    let worlds = 0;
    // one collapser per pair, as a search has one: ids are per table
    let last: Setup | null = null;
    let collapser = new Collapser();
    for (const { design: d, scenario: s, setup, walk } of pairWalks(12, 8, 60, 7)) {
      if (setup !== last) {
        last = setup;
        collapser = new Collapser();
      }
      let w: World = setup.world0;
      let ids = collapser.ids(w, null).slice();
      collapser.keep(0);
      collapser.nextLayer();
      for (const pick of walk) {
        const ready = enabledThreads(w, setup.programs);
        if (ready.length === 0) break;
        const [next] = step(w, ready[pick % ready.length] as number, pick >> 1, setup.programs);
        const fromScratch = collapser.ids(next, null).slice();
        const incremental = collapser.ids(next, w, 0).slice();
        // taking the parent's id for an untouched part gives what encoding it would
        expect(incremental).toEqual(fromScratch);
        reused += incremental.filter((id, i) => id === ids[i]).length;
        const t = `${d.id}/${s.id}|${incremental.join(",")}`;
        const k = `${d.id}/${s.id}|${stateKey(next)}`;
        expect(byTuple.get(t) ?? k).toBe(k);
        expect(byState.get(k) ?? t).toBe(t);
        byTuple.set(t, k);
        byState.set(k, t);
        w = next;
        ids = incremental;
        collapser.keep(0);
        collapser.nextLayer();
        worlds++;
      }
    }
    expect(byState.size).toBeLessThan(worlds);
    expect(byState.size).toBeGreaterThan(1000);
    expect(reused).toBeGreaterThan(worlds);
  });

  it("sameKey compares two worlds as their compact keys do, without making them", () => {
    // the sleep sets' commutation test: the two orders of two steps from one state,
    // which share most parts; and worlds far apart on one walk, which share few
    let same = 0;
    let differ = 0;
    for (const { setup, walk } of pairWalks(13, 4, 40, 7)) {
      let w: World = setup.world0;
      const seen: World[] = [];
      for (const pick of walk) {
        const ready = enabledThreads(w, setup.programs);
        if (ready.length === 0) break;
        const pairs: [World, World][] = [];
        for (const t of ready)
          for (const u of ready) {
            if (u <= t) continue;
            const [a] = step(w, t, 0, setup.programs);
            const [b] = step(w, u, 0, setup.programs);
            if (!enabledThreads(a, setup.programs).includes(u)) continue;
            if (!enabledThreads(b, setup.programs).includes(t)) continue;
            pairs.push([step(a, u, 0, setup.programs)[0], step(b, t, 0, setup.programs)[0]]);
          }
        for (const x of seen.slice(-3)) pairs.push([x, w]);
        for (const [x, y] of pairs) {
          const expected = compactKey(x) === compactKey(y);
          expect(sameKey(x, y)).toBe(expected);
          expect(sameKey(y, x)).toBe(expected);
          if (expected) same++;
          else differ++;
        }
        seen.push(w);
        [w] = step(w, ready[pick % ready.length] as number, pick >> 1, setup.programs);
      }
    }
    // both answers are exercised
    expect(same).toBeGreaterThan(500);
    expect(differ).toBeGreaterThan(500);
  });

  it("encodes a thread's locals by key, whatever order the keys were set in, over many key orders in turn", () => {
    // the encoder keeps a few key orders per thread (engine/fingerprint.ts layoutFor):
    // 24 key sets of up to four locals, each in two insertion orders, met three times
    // round, so that orders are found again, among those kept, and after being dropped
    const w0 = firstWorld0();
    const withLocals = (entries: [string, number][]): World =>
      withThread0(w0, { locals: Object.fromEntries(entries) });
    const names = ["zz", "a", "m", "q"];
    const sets: [string, number][][] = [];
    for (let mask = 1; mask < 16; mask++) {
      const entries = names
        .filter((_, i) => mask & (1 << i))
        .map((k, i): [string, number] => [k, i]);
      sets.push(entries);
      if (sets.length < 24) sets.push(entries.map(([k, v]): [string, number] => [k, v + 1]));
    }
    const keys = new Map<number, string>();
    for (let round = 0; round < 3; round++)
      for (const [i, entries] of sets.entries()) {
        const forward = compactKey(withLocals(entries));
        const backward = compactKey(withLocals([...entries].reverse()));
        expect(backward).toBe(forward);
        expect(keys.get(i) ?? forward).toBe(forward);
        keys.set(i, forward);
      }
    // and no two sets (other keys, or other values) are one state
    expect(new Set(keys.values()).size).toBe(sets.length);
  });

  it("sameKey follows the order of an object's keys, as the encoding does", () => {
    // two worlds whose data differ only in the order of an object's keys encode apart
    // (keys are written in their own order): sameKey must not call them the same
    const w0 = firstWorld0();
    const withStatus = (status: Thread["status"]): World => withThread0(w0, { status });
    const a = withStatus({
      kind: "blocked",
      on: { kind: "mutex" },
      resume: "x",
    } as Thread["status"]);
    const b = withStatus({
      kind: "blocked",
      resume: "x",
      on: { kind: "mutex" },
    } as Thread["status"]);
    expect(compactKey(a) === compactKey(b)).toBe(false);
    expect(sameKey(a, b)).toBe(false);
    const lock = () => ({ kind: "mutex", owner: null, waiters: [] }) as unknown as LockState;
    const p = { ...w0, locks: { p: lock(), q: lock() } };
    const q = { ...w0, locks: { q: lock(), p: lock() } };
    expect(compactKey(p) === compactKey(q)).toBe(false);
    expect(sameKey(p, q)).toBe(false);
    // and the same data in the same order is the same key, from other objects
    const c = withStatus({
      kind: "blocked",
      on: { kind: "mutex" },
      resume: "x",
    } as Thread["status"]);
    expect(sameKey(a, c)).toBe(compactKey(a) === compactKey(c));
    expect(sameKey(a, c)).toBe(true);
  });
});
