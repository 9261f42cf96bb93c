import { describe, expect, it } from "vitest";
import { Collapser } from "../engine/collapse.js";
import { enabledThreads, step } from "../engine/exec.js";
import { compactKey, sameKey, stateKey } from "../engine/fingerprint.js";
import type { Setup } from "../engine/run.js";
import type { World } from "../model/world.js";
import { pairWalks } from "./helpers.js";

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
    const collapsers = new Map<Setup, Collapser>();
    for (const { design: d, scenario: s, setup, walk } of pairWalks(12, 8, 60, 7)) {
      // one collapser per pair, as a search has one: ids are per table
      const collapser = collapsers.get(setup) ?? new Collapser();
      collapsers.set(setup, collapser);
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
});
