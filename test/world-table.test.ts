// The world table (model/parts.ts) is the one place a world part is declared; the
// draft, both state keys and the collapsed tuples derive from it. These tests hold the
// fast paths to their slow twins, as zod holds its compiled parsers to the interpreter:
//   - every field of a world is in the table (or is the clock or the threads), so a
//     part cannot be left out of the encodings;
//   - the code compiled from the table reads and builds what the table says;
//   - the hot-path step (LazyWorld) gives the same worlds and records as the immer step
//     (stepWithPatches), on random schedules of every design and scenario;
//   - compactKey splits worlds exactly as stateKey does, on random worlds that include
//     declared locks, objects and pointers to them, and deadlines.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { enabledThreads, step, stepWithPatches } from "../engine/exec.js";
import { compactKey, stateKey } from "../engine/fingerprint.js";
import { setupFor } from "../engine/run.js";
import { buildWorld, readPart, sameParts } from "../engine/world-table.js";
import { DESIGNS } from "../model/designs/index.js";
import { WORLD_PARTS } from "../model/parts.js";
import { SCENARIOS } from "../model/scenarios.js";
import type { Deadline, LockState, Obj, ObjRef, Val, World } from "../model/world.js";
import { pairWalks } from "./helpers.js";

/** Reachable worlds of every design on every scenario it runs in, by random walks. */
function reachable(seed: number, runs: number, length: number): World[] {
  const out: World[] = [];
  for (const { setup, walk } of pairWalks(seed, runs, length, 7)) {
    let w = setup.world0;
    for (const pick of walk) {
      const ready = enabledThreads(w, setup.programs);
      if (ready.length === 0) break;
      [w] = step(w, ready[pick % ready.length] as number, pick >> 1, setup.programs);
      out.push(w);
    }
  }
  return out;
}

describe("the world table", () => {
  it("declares every part of a world", () => {
    const w = setupFor(
      DESIGNS[0] as (typeof DESIGNS)[number],
      SCENARIOS[0] as (typeof SCENARIOS)[number],
    ).world0;
    const declared = new Set<string>(["clock", "threads", ...WORLD_PARTS.map((p) => p.name)]);
    expect(Object.keys(w).filter((k) => !declared.has(k))).toEqual([]);
    expect(WORLD_PARTS.map((p) => p.name).filter((n) => !(n in w))).toEqual([]);
    expect(new Set(WORLD_PARTS.map((p) => p.name)).size).toBe(WORLD_PARTS.length);
  });

  it("compiles to readers and a builder that do what the table says", () => {
    for (const w of reachable(3, 2, 20).slice(0, 200)) {
      WORLD_PARTS.forEach((p, i) => {
        expect((readPart[i] as (w: World) => unknown)(w)).toBe(w[p.name]);
      });
      const parts = WORLD_PARTS.map((p, i) =>
        i % 2 === 0 ? p.copy(w[p.name] as never) : undefined,
      );
      const built = buildWorld(w.clock + 1, parts, w, w.threads);
      expect(built).toEqual({ ...w, clock: w.clock + 1 });
      WORLD_PARTS.forEach((p, i) => {
        if (i % 2 === 1) expect(built[p.name]).toBe(w[p.name]);
        else expect(built[p.name]).not.toBe(w[p.name]);
      });
      // the compiled comparison: shared parts are the same; copied ones only by `unchanged`
      const same: boolean[] = [];
      sameParts(built, w, same);
      WORLD_PARTS.forEach((p, i) => {
        const a = built[p.name] as never;
        const b = w[p.name] as never;
        expect(same[i]).toBe(a === b || (p.unchanged?.(a, b) ?? false));
      });
    }
  });
});

describe("the hot-path step against the immer step", () => {
  it("gives the same world and record on random schedules of every design and scenario", () => {
    let steps = 0;
    for (const { setup, walk } of pairWalks(21, 6, 40, 15)) {
      let w = setup.world0;
      for (const pick of walk) {
        const ready = enabledThreads(w, setup.programs);
        if (ready.length === 0) break;
        const tid = ready[pick % ready.length] as number;
        const [fast, fastRec] = step(w, tid, pick >> 2, setup.programs);
        const [slow, slowRec] = stepWithPatches(w, tid, pick >> 2, setup.programs);
        expect(fast).toEqual(slow);
        expect(fastRec).toEqual(slowRec);
        w = fast;
        steps++;
      }
    }
    expect(steps).toBeGreaterThan(5000);
  });
});

// Random declared parts laid over reachable worlds: small value ranges, so that equal
// states are met often and both directions of "same key iff same state" are tested.
const tid = fc.nat({ max: 2 });
const lockArb: fc.Arbitrary<LockState> = fc.oneof(
  fc.record({
    kind: fc.constant("rwsem" as const),
    readers: fc.uniqueArray(tid, { maxLength: 2 }),
    writer: fc.option(tid, { nil: null }),
    waiters: fc.array(
      fc.record({ tid, mode: fc.constantFrom("read" as const, "write" as const) }),
      {
        maxLength: 2,
      },
    ),
  }),
  fc.record({
    kind: fc.constantFrom("mutex" as const, "spinlock" as const),
    owner: fc.option(tid, { nil: null }),
    waiters: fc.uniqueArray(tid, { maxLength: 2 }),
  }),
  fc.record({
    kind: fc.constant("seqcount" as const),
    writer: fc.option(tid, { nil: null }),
    readers: fc.array(fc.record({ tid, stale: fc.boolean() }), { maxLength: 2 }),
    waiters: fc.uniqueArray(tid, { maxLength: 1 }),
  }),
  fc.record({ kind: fc.constant("refcount" as const), count: fc.nat({ max: 3 }) }),
);
const objArb: fc.Arbitrary<Obj> = fc.record({
  state: fc.constantFrom(
    "allocated" as const,
    "live" as const,
    "detached" as const,
    "freed" as const,
  ),
  freedAt: fc.option(fc.nat({ max: 50 }), { nil: null }),
  freedBy: fc.option(tid, { nil: null }),
});
const refArb: fc.Arbitrary<ObjRef> = fc.record({
  obj: fc.constantFrom("region", "ctx"),
  via: fc.constantFrom(null, "drv.lock"),
  epoch: fc.nat({ max: 2 }),
  at: fc.nat({ max: 50 }),
});
const deadlineArb: fc.Arbitrary<Deadline> = fc.record({
  owner: tid,
  name: fc.constantFrom("deadline", "timeout"),
  state: fc.constantFrom("pending" as const, "due" as const, "passed" as const),
});
const declared = fc.record({
  locks: fc.oneof(
    fc.constant({}),
    fc.record({ "drv.lock": lockArb }),
    fc.record({ "drv.lock": lockArb, "drv.sem": lockArb }),
  ),
  objects: fc.oneof(
    fc.constant({}),
    fc.record({ region: objArb }),
    fc.record({ region: objArb, ctx: objArb }),
  ),
  epochs: fc.array(fc.nat({ max: 2 }), { minLength: 8, maxLength: 8 }),
  ref: fc.option(refArb, { nil: null }),
  // keys in either order of arming: the part's key and encoding sort them
  deadlines: fc.oneof(
    fc.constant({}),
    fc.record({ "deadline@T": deadlineArb }),
    fc.record({ "timeout@T": deadlineArb, "deadline@T": deadlineArb }),
    fc.record({ "deadline@T": deadlineArb, "timeout@T": deadlineArb }),
  ),
});

describe("compactKey against stateKey, with declared locks, objects and deadlines", () => {
  it("splits random worlds with declared parts into the same states", () => {
    const base = reachable(5, 1, 30);
    const samples = fc.sample(fc.tuple(fc.nat({ max: base.length - 1 }), declared), {
      seed: 7,
      numRuns: 6000,
    });
    const byCompact = new Map<string, string>();
    const byState = new Map<string, string>();
    for (const [i, x] of samples) {
      const w0 = base[i] as World;
      const threads = w0.threads.map((t, n) =>
        n === 0 && x.ref !== null ? { ...t, locals: { ...t.locals, ptr: x.ref as Val } } : t,
      );
      const w: World = {
        ...w0,
        locks: x.locks,
        objects: x.objects,
        deadlines: x.deadlines,
        ghost: { ...w0.ghost, lockEpoch: { "drv.lock": x.epochs.slice(0, w0.threads.length) } },
        threads,
      };
      const c = compactKey(w);
      const k = stateKey(w);
      expect(byCompact.get(c) ?? k).toBe(k);
      expect(byState.get(k) ?? c).toBe(c);
      byCompact.set(c, k);
      byState.set(k, c);
    }
    expect(byState.size).toBeLessThan(samples.length);
    expect(byState.size).toBeGreaterThan(1000);
  });

  it("tells apart worlds that differ only in a declared part", () => {
    const w0 = reachable(5, 1, 5)[0] as World;
    const free: LockState = { kind: "mutex", owner: null, waiters: [] };
    const held: LockState = { kind: "mutex", owner: 0, waiters: [] };
    const a = { ...w0, locks: { "drv.lock": free } };
    const b = { ...w0, locks: { "drv.lock": held } };
    expect(stateKey(a)).not.toBe(stateKey(b));
    expect(compactKey(a)).not.toBe(compactKey(b));
    const live = {
      ...w0,
      objects: { region: { state: "live", freedAt: null, freedBy: null } as Obj },
    };
    const freed = { ...w0, objects: { region: { state: "freed", freedAt: 3, freedBy: 1 } as Obj } };
    expect(stateKey(live)).not.toBe(stateKey(freed));
    expect(compactKey(live)).not.toBe(compactKey(freed));
    const at = (state: Deadline["state"]) => ({
      ...w0,
      deadlines: { "deadline@T": { owner: 0, name: "deadline", state } },
    });
    expect(new Set([at("pending"), at("due"), at("passed"), w0].map(stateKey)).size).toBe(4);
    expect(new Set([at("pending"), at("due"), at("passed"), w0].map(compactKey)).size).toBe(4);
  });
});
