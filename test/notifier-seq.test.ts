// The notifier's sequence numbers are compared only for equality (and the mm-wide one
// for odd), so the exhaustive search keeps each world with them renumbered
// (model/kernel/notifier.ts canonicalSeqs): an endless stream of invalidations then
// comes back to a state met before. These tests hold the renumbering to what it must
// keep, to the search without it, and to a replay of the lasso it lets close.
import { describe, expect, it } from "vitest";
import { enabledThreads, step } from "../engine/exec.js";
import { exploreExhaustive } from "../engine/exhaustive.js";
import { compactKey } from "../engine/fingerprint.js";
import { runSchedule, setupFor } from "../engine/run.js";
import { exhaustiveRows } from "../engine/verdicts.js";
import {
  canonicalSeqs,
  invalidateCallback,
  invalidateRangeEnd,
  invalidateRangeStart,
} from "../model/kernel/notifier.js";
import { canonicalWorld } from "../model/parts.js";
import { scenario as declare } from "../model/scenarios.js";
import type { Ctx } from "../model/step.js";
import type { World } from "../model/world.js";
import type { Property } from "../properties/property.js";
import { design, prop, scenario } from "./helpers.js";

/** `w` with the given sequence numbers (thread 0 holds `seq` and `pfn_seqs`). */
function withSeqs(w: World, s: { mm: number; sub: number; seq: number; pfnSeqs: number[] }): World {
  const [t0, ...rest] = w.threads;
  if (!t0) throw new Error("no thread");
  return {
    ...w,
    notifier: { ...w.notifier, mmSeq: s.mm, subSeq: s.sub },
    threads: [{ ...t0, locals: { ...t0.locals, seq: s.seq, pfn_seqs: s.pfnSeqs } }, ...rest],
  };
}

describe("the notifier's sequence numbers, renumbered", () => {
  const w0 = setupFor(design("v8"), scenario("anon-uffd-1")).world0;

  it("leaves a world whose numbers are already the least ones as it is, the same object", () => {
    expect(canonicalSeqs(w0)).toBe(w0);
    const w = withSeqs(w0, { mm: 4, sub: 3, seq: 1, pfnSeqs: [-1, 3] });
    expect(canonicalSeqs(w)).toBe(w);
  });

  it("keeps order, equality and parity, and leaves -1 (no seq) alone", () => {
    // after two invalidations with a stale seq: 1 < 5 = 5 < 7, odd, odd, odd
    const w = withSeqs(w0, { mm: 7, sub: 5, seq: 1, pfnSeqs: [-1, 5] });
    const c = canonicalSeqs(w);
    expect(c.notifier.mmSeq).toBe(5);
    expect(c.notifier.subSeq).toBe(3);
    expect(c.threads[0]?.locals.seq).toBe(1);
    expect(c.threads[0]?.locals.pfn_seqs).toEqual([-1, 3]);
    // an even mm-wide seq (no invalidation running) stays even, above the others
    const e = canonicalSeqs(withSeqs(w0, { mm: 10, sub: 9, seq: 9, pfnSeqs: [9, 9] }));
    expect([e.notifier.mmSeq, e.notifier.subSeq, e.threads[0]?.locals.seq]).toEqual([2, 1, 1]);
    // two worlds that differ only in how far the counter ran are one state
    const a = withSeqs(w0, { mm: 12, sub: 11, seq: 9, pfnSeqs: [9, -1] });
    const b = withSeqs(w0, { mm: 40, sub: 39, seq: 37, pfnSeqs: [37, -1] });
    expect(compactKey(canonicalSeqs(a))).toBe(compactKey(canonicalSeqs(b)));
    expect(compactKey(a)).not.toBe(compactKey(b));
  });

  it("keeps the states the search without it reaches, as canonical forms (two invalidations)", () => {
    const s = declare({
      id: "test-two-invalidations",
      families: ["hmm"],
      vmas: [
        { name: "anon", pages: 1, write: true, shared: false, hugetlb: false, uffdMissing: false },
      ],
      actors: [{ actor: "invalidate", budget: 2 }],
    });
    const setup = setupFor(design("v8"), s);
    const kept = new Set<string>([compactKey(setup.world0)]);
    let renumbered = 0;
    const recorder: Property = {
      id: "record",
      ref: "-",
      statement: "records every world the search keeps",
      kind: "safety",
      applies: () => true,
      monitor: () => ({
        step: (v) => {
          kept.add(compactKey(v.after));
          return null;
        },
      }),
    };
    const r = exploreExhaustive(setup, [recorder], { depth: Number.POSITIVE_INFINITY });
    expect(r.complete).toBe(true);
    // the oracle: breadth-first over the worlds as the steps leave them
    const oracle = new Set<string>([compactKey(setup.world0)]);
    const met = new Set<string>([compactKey(setup.world0)]);
    let layer: World[] = [setup.world0];
    while (layer.length > 0) {
      const next: World[] = [];
      for (const w of layer)
        for (const tid of enabledThreads(w, setup.programs)) {
          let choices = 1;
          for (let pick = 0; pick < choices; pick++) {
            const [n, rec] = step(w, tid, pick, setup.programs);
            choices = Math.max(1, rec.choices);
            const c = canonicalWorld(n);
            if (c !== n) renumbered++;
            oracle.add(compactKey(c));
            const key = compactKey(n);
            if (met.has(key)) continue;
            met.add(key);
            next.push(n);
          }
        }
      layer = next;
    }
    expect(renumbered).toBeGreaterThan(0);
    expect([...kept].sort()).toEqual([...oracle].sort());
    // fewer states than the worlds as they are, and as many verdicts
    expect(r.states).toBeLessThan(met.size);
  });
});

describe("an endless stream of invalidations", () => {
  it("is searched to the end: the states repeat", () => {
    const props = ["no-vma-use-after-unlock", "pfns-under-valid-seq", "lock-balance"].map(prop);
    const rows = exhaustiveRows(design("odp-v8"), scenario("invalidate-storm"), props, {
      depth: Number.POSITIVE_INFINITY,
      maxStates: 200_000,
    });
    for (const row of rows) {
      expect(row.verdict, row.property).toBe("holds");
      expect(row.complete, row.property).toBe(true);
    }
  });

  it("closes mshv-v8's notifier loop into a lasso that a replay of its schedule confirms", () => {
    const p = prop("cond-resched-terminates");
    const d = design("mshv-v8");
    const s = scenario("invalidate-storm");
    const [row] = exhaustiveRows(d, s, [p], { depth: Number.POSITIVE_INFINITY });
    expect(row?.verdict).toBe("violated");
    const cex = row?.counterexample;
    if (!cex) throw new Error("no counterexample");
    const run = runSchedule(setupFor(d, s), cex.schedule, [p], { keepWorlds: true });
    const v = run.violations.find((x) => x.property === p.id);
    expect(v?.loopStart).toBeTypeOf("number");
    // the loop comes back to the same state, not to the same numbers: each turn of it
    // begins a new invalidation
    const worlds = run.worlds ?? [];
    const a = worlds[v?.loopStart ?? -1];
    const b = worlds[(v?.at ?? -1) + 1];
    if (!a || !b) throw new Error("no worlds");
    expect(compactKey(a)).not.toBe(compactKey(b));
    expect(compactKey(canonicalWorld(a))).toBe(compactKey(canonicalWorld(b)));
  });
});

/**
 * The distinct sequence numbers of `w`, ascending (-1, none, left out): the notifier's
 * two, each thread's `seq` and `pfn_seqs`, and the seq a thread asleep in
 * mmu_interval_read_begin() holds.
 */
function seqValues(w: World): number[] {
  const vals = new Set([w.notifier.mmSeq, w.notifier.subSeq]);
  for (const t of w.threads) {
    if (typeof t.locals.seq === "number" && t.locals.seq >= 0) vals.add(t.locals.seq);
    for (const v of (t.locals.pfn_seqs as number[] | undefined) ?? []) if (v >= 0) vals.add(v);
    if (t.status.kind === "blocked" && t.status.on.kind === "read_begin") vals.add(t.status.on.seq);
  }
  return [...vals].sort((a, b) => a - b);
}

/**
 * The renumbering written out again, as the test's own oracle: the least values that
 * keep order, equality and parity.
 */
function renumberedByHand(w: World): World {
  const c = structuredClone(w) as unknown as {
    notifier: { mmSeq: number; subSeq: number };
    threads: {
      locals: Record<string, unknown>;
      status: { kind: string; on?: { kind: string; seq?: number } };
    }[];
  };
  const asleep = (t: (typeof c.threads)[number]) =>
    t.status.kind === "blocked" && t.status.on?.kind === "read_begin" ? t.status.on : null;
  const vals = seqValues(w);
  const to = new Map<number, number>();
  let prev = -1;
  for (const v of vals) {
    prev += (prev + 1) % 2 === v % 2 ? 1 : 2;
    to.set(v, prev);
  }
  const m = (v: number) => to.get(v) ?? v;
  c.notifier.mmSeq = m(c.notifier.mmSeq);
  c.notifier.subSeq = m(c.notifier.subSeq);
  for (const t of c.threads) {
    if (typeof t.locals.seq === "number") t.locals.seq = m(t.locals.seq);
    if (Array.isArray(t.locals.pfn_seqs))
      t.locals.pfn_seqs = (t.locals.pfn_seqs as number[]).map(m);
    const on = asleep(t);
    if (on?.seq !== undefined) on.seq = m(on.seq);
  }
  return c as unknown as World;
}

describe("a run's worlds, renumbered one after another", () => {
  it("are renumbered as each would be alone, and a thread a step left alone stays the same object", () => {
    // mshv-v8's lasso under an invalidation storm, its loop taken five times: each turn
    // begins a new invalidation, so the numbers run on and are renumbered
    const p = prop("cond-resched-terminates");
    const d = design("mshv-v8");
    const s = scenario("uffd-invalidate-storm");
    const [row] = exhaustiveRows(d, s, [p], { depth: Number.POSITIVE_INFINITY });
    const cex = row?.counterexample;
    if (!cex) throw new Error("no counterexample");
    const run0 = runSchedule(setupFor(d, s), cex.schedule, [p], { keepWorlds: true });
    const v = run0.violations.find((x) => x.property === p.id);
    if (v?.loopStart === undefined) throw new Error("no lasso");
    const loop = cex.schedule.slice(v.loopStart, v.at + 1);
    const schedule = [...cex.schedule.slice(0, v.loopStart), ...Array(5).fill(loop).flat()];
    const worlds = runSchedule(setupFor(d, s), schedule, [], { keepWorlds: true }).worlds ?? [];
    expect(worlds.length).toBeGreaterThan(schedule.length);
    let renumbered = 0;
    let kept = 0;
    let before: [World, World] | null = null;
    for (const w of worlds) {
      const c = canonicalSeqs(w);
      if (c !== w) renumbered++;
      expect(compactKey(c)).toBe(compactKey(renumberedByHand(w)));
      // (the same numbers as the world before: the same renumbering)
      const same = before !== null && seqValues(before[0]).join() === seqValues(w).join();
      if (before !== null && same && c !== w)
        for (let i = 0; i < w.threads.length; i++)
          if (w.threads[i] === before[0].threads[i]) {
            expect(c.threads[i]).toBe(before[1].threads[i]);
            kept++;
          }
      before = [w, c];
    }
    expect(renumbered).toBeGreaterThan(schedule.length / 2);
    expect(kept).toBeGreaterThan(0);
  });
});

describe("an invalidation written with the exported ops", () => {
  it("invalidateRangeStart() makes the mm's seq odd and invalidateRangeEnd() even again, each named after its caller", () => {
    const w = structuredClone(setupFor(design("v8"), scenario("anon-uffd-1")).world0) as World;
    const woken: number[] = [];
    const k = {
      w,
      tid: 1,
      emit: () => {},
      wake: (tids: readonly number[]) => woken.push(...tids),
    } as unknown as Ctx;
    const start = invalidateRangeStart("gdrv_evict()");
    const end = invalidateRangeEnd("gdrv_evict()");
    expect(start.name).toBe("gdrv_evict(): mmu_notifier_invalidate_range_start()");
    expect(end.name).toBe("gdrv_evict(): mmu_notifier_invalidate_range_end()");
    const before = w.notifier.mmSeq;
    start.run(k);
    expect(w.notifier.mmSeq % 2).toBe(1);
    expect(w.notifier.invalidators).toEqual([1]);
    end.run(k);
    expect(w.notifier.mmSeq).toBe(before + 2);
    expect(w.notifier.invalidators).toEqual([]);
    // the driver's callback, printed as the driver's own unlock
    expect(invalidateCallback(undefined, "mutex_unlock(gdrv->notifier_lock)").name).toBe(
      "mutex_unlock(gdrv->notifier_lock)",
    );
  });
});
