// The built-in locks are instances of the generic kinds a scenario declares
// (model/lock-table.ts): mm->mmap_lock and hugetlb_vma_lock are rwsems, user_lock a
// mutex, each VMA's lock a vma-lock. The wait-for graph and lock-balance ask the table,
// so a built-in lock and a declared lock of the same kind are judged by one code path.
import { describe, expect, it } from "vitest";
import { DESIGNS } from "../model/designs/index.js";
import { mutexLock, spinLock } from "../model/kernel/locks.js";
import { freeObj, lookupObj } from "../model/kernel/objects.js";
import { exit } from "../model/locals.js";
import { lockInstances, lockState, locksHeld } from "../model/lock-table.js";
import {
  scenario as makeScenario,
  runsIn,
  SCENARIOS,
  scenarioById,
  undeclaredLockOrObject,
} from "../model/scenarios.js";
import type { Op } from "../model/step.js";
import { waitEdges } from "../model/waitfor.js";
import type { Status, World } from "../model/world.js";
import { bench, mini, scenario } from "./helpers.js";

function world(id: string): World {
  return bench(scenario(id), mini({ x: { op: exit() } })).world;
}

const onUserLock: Status = {
  kind: "blocked",
  on: { kind: "mutex" },
  resume: "exit",
  resumeOnSignal: null,
};
const onDeclared: Status = {
  kind: "blocked",
  on: { kind: "lock", name: "drv.lock", mode: "write" },
  resume: "exit",
  resumeOnSignal: null,
};

describe("the lock table", () => {
  it("lists the built-in locks of hugetlb-uffd as generic kinds, in message order", () => {
    const w = world("hugetlb-uffd");
    expect(lockInstances(w).map((l) => `${l.label}:${l.state.kind}`)).toEqual([
      "mmap_lock:rwsem",
      "hugetlb_vma_lock(vma#0):rwsem",
      "user_lock:mutex",
      "vma_lock(vma#0):vma-lock",
    ]);
  });

  it("a VMA write-locked under the mmap write lock is held by that lock's writer", () => {
    const w0 = world("anon-uffd");
    const w: World = {
      ...w0,
      mmapLock: { readers: [], writer: 1, waiters: [] },
      vmas: w0.vmas.map((v) => ({ ...v, writeLocked: true })),
    };
    expect(lockState(w, { kind: "vma", vma: 0 })).toEqual({
      kind: "vma-lock",
      readers: [],
      writer: 1,
    });
    expect(locksHeld(w, 1)).toEqual(["mmap_lock", "vma_lock(vma#0)"]);
    expect(locksHeld(w, 0)).toEqual([]);
  });

  it("user_lock and a declared mutex give the same wait-for edges", () => {
    const w0 = world("anon-uffd-1");
    const builtIn: World = {
      ...w0,
      notifier: { ...w0.notifier, userLock: { owner: 2, waiters: [0, 1] } },
      threads: w0.threads.map((t) => (t.id === 0 || t.id === 1 ? { ...t, status: onUserLock } : t)),
    };
    const declared: World = {
      ...w0,
      locks: { "drv.lock": { kind: "mutex", owner: 2, waiters: [0, 1] } },
      threads: w0.threads.map((t) => (t.id === 0 || t.id === 1 ? { ...t, status: onDeclared } : t)),
    };
    const shape = (w: World, label: string) =>
      waitEdges(w).map((e) => `${e.from}->${e.to} ${e.why.replace(label, "L")}`);
    expect(shape(builtIn, "user_lock")).toEqual(shape(declared, "drv.lock"));
    expect(shape(builtIn, "user_lock")).toEqual([
      "0->2 L held",
      "1->2 L held",
      "1->0 L, queued behind it",
    ]);
    expect(locksHeld(builtIn, 2)).toEqual(["user_lock"]);
    expect(locksHeld(declared, 2)).toEqual(["drv.lock"]);
  });
});

// Op.locks: a step's declared lock, checked against the scenario before anything runs
describe("undeclaredLockOrObject", () => {
  const take = (op: Op) => mini({ take: { op, next: "exit" } });
  const base = scenarioById("anon-uffd-1");
  if (!base) throw new Error("no anon-uffd-1");
  const withLock = (kind: "mutex" | "seqcount") =>
    makeScenario({ ...base, id: `locks-${kind}`, locks: [{ name: "drv.lock", kind }] });

  it("passes a lock the scenario declares with a kind the primitive takes", () => {
    expect(undeclaredLockOrObject(withLock("mutex"), take(mutexLock("drv.lock")))).toBeNull();
  });

  it("names the step, the lock and the fix when the lock is missing or of another kind", () => {
    expect(undeclaredLockOrObject(base, take(mutexLock("drv.lock")))).toMatch(
      /^design "mini", step "take": mutex_lock\(drv\.lock\) names the lock "drv\.lock", which scenario "anon-uffd-1" does not declare \(it declares: none\)\. Fix: run it in a scenario of your own/,
    );
    expect(undeclaredLockOrObject(withLock("seqcount"), take(mutexLock("drv.lock")))).toMatch(
      /needs "drv\.lock" to be a mutex or rwsem or spinlock, and scenario "locks-seqcount" declares it a seqcount\. Fix: declare it with kind "mutex"/,
    );
    // the primitive's own kind is the one suggested: spin_lock wants a spinlock
    expect(undeclaredLockOrObject(base, take(spinLock("drv.spin")))).toMatch(
      /Fix: .*locks: \[\{ name: "drv\.spin", kind: "spinlock" \}\]/,
    );
  });

  it("names the step, the object and the fix when an object is not declared", () => {
    const mine = makeScenario({ ...base, id: "objects-none" });
    expect(undeclaredLockOrObject(mine, take(freeObj("chunk")))).toBe(
      'design "mini", step "take": kfree(chunk) names the object "chunk", which scenario "objects-none" does not declare (it declares: none). Fix: add { name: "chunk" } to the scenario\'s objects (state "live" by default: "allocated" for one not yet published).',
    );
    expect(undeclaredLockOrObject(base, take(lookupObj("chunk", "c", null)))).toMatch(
      /names the object "chunk", which scenario "anon-uffd-1" does not declare .*Fix: run it in a scenario of your own that adds the object/,
    );
    const withChunk = makeScenario({ ...base, id: "objects-chunk", objects: [{ name: "chunk" }] });
    expect(undeclaredLockOrObject(withChunk, take(freeObj("chunk")))).toBeNull();
  });

  it("holds for every built-in design in every scenario it runs in", () => {
    for (const d of DESIGNS)
      for (const s of SCENARIOS)
        if (runsIn(s, d)) expect(undeclaredLockOrObject(s, d), `${d.id} ${s.id}`).toBeNull();
  });
});
