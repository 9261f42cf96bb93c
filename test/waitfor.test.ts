import { describe, expect, it } from "vitest";
import { exit } from "../model/locals.js";
import type { WaitEdge } from "../model/waitfor.js";
import { deadlockCycle, waitEdges } from "../model/waitfor.js";
import type { RwWaiter, Status, Tid, World } from "../model/world.js";
import { bench, mini, scenario } from "./helpers.js";

// The wait-for edges of threads queued on the mmap lock, as rwsem_mark_wake()
// (kernel/locking/rwsem.c, Linux 6.18) grants: a writer at the head alone, every queued
// reader when a reader is at the head.

const BLOCKED: Status = {
  kind: "blocked",
  on: { kind: "rwsem", lock: { kind: "mmap" }, killable: false },
  resume: "exit",
  resumeOnSignal: null,
};

/** A world of anon-uffd-1's five threads with the mmap lock as given; waiters block on it. */
function world(holders: { readers?: Tid[]; writer?: Tid }, waiters: RwWaiter[]): World {
  const w = bench(scenario("anon-uffd-1"), mini({ x: { op: exit() } })).world;
  expect(w.threads.length).toBeGreaterThanOrEqual(5);
  const queued = new Set(waiters.map((q) => q.tid));
  return {
    ...w,
    mmapLock: { readers: holders.readers ?? [], writer: holders.writer ?? null, waiters },
    threads: w.threads.map((t) => (queued.has(t.id) ? { ...t, status: BLOCKED } : t)),
  };
}

/** from -> sorted targets */
function edges(w: World): Record<number, Tid[]> {
  const out: Record<number, Tid[]> = {};
  for (const e of waitEdges(w)) out[e.from] = [...(out[e.from] ?? []), e.to];
  for (const k of Object.keys(out)) out[Number(k)]?.sort((a, b) => a - b);
  return out;
}

const r = (tid: Tid): RwWaiter => ({ tid, mode: "read" });
const wr = (tid: Tid): RwWaiter => ({ tid, mode: "write" });

describe("wait-for edges on an rwsem", () => {
  it("write-held, [R1, W2, R3] queued: the readers wait for the writer only", () => {
    // up_write will wake R1 and R3 together; W2 then waits for both
    expect(edges(world({ writer: 0 }, [r(1), wr(2), r(3)]))).toEqual({
      1: [0],
      2: [0, 1, 3],
      3: [0],
    });
  });

  it("read-held, [W1, R2, W3, R4] queued: readers wait for the head writer", () => {
    // W1 goes first; its up_write wakes R2 and R4; W3 waits for all of them
    expect(edges(world({ readers: [0] }, [wr(1), r(2), wr(3), r(4)]))).toEqual({
      1: [0],
      2: [1],
      3: [0, 1, 2, 4],
      4: [1],
    });
  });

  it("write-held, [W1, W2, R3] queued: R3 waits for both writers, W2 not for R3", () => {
    expect(edges(world({ writer: 0 }, [wr(1), wr(2), r(3)]))).toEqual({
      1: [0],
      2: [0, 1],
      3: [0, 1, 2],
    });
  });

  it("names the reader a queued writer waits for although it is queued behind it", () => {
    const e = waitEdges(world({ writer: 0 }, [r(1), wr(2), r(3)])).find(
      (x: WaitEdge) => x.from === 2 && x.to === 3,
    );
    expect(e?.why).toBe("mmap_lock, a reader queued behind it but woken first");
  });

  it("finds the recursive-read deadlock behind a queued writer", () => {
    // T (0) holds the lock for read, W (1) queued for write, T reads it again
    const cycle = deadlockCycle(world({ readers: [0] }, [wr(1), r(0)]));
    expect(cycle?.map((e) => [e.from, e.to])).toEqual([
      [0, 1],
      [1, 0],
    ]);
  });

  it("finds no cycle among waiters of a lock held by a running writer", () => {
    expect(deadlockCycle(world({ writer: 0 }, [r(1), wr(2), r(3), wr(4)]))).toBeNull();
  });
});
