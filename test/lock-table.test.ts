// The built-in locks are instances of the generic kinds a scenario declares
// (model/lock-table.ts): mm->mmap_lock and hugetlb_vma_lock are rwsems, user_lock a
// mutex, each VMA's lock a vma-lock. The wait-for graph and lock-balance ask the table,
// so a built-in lock and a declared lock of the same kind are judged by one code path.
import { describe, expect, it } from "vitest";
import { exit } from "../model/locals.js";
import { lockInstances, lockState, locksHeld } from "../model/lock-table.js";
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
