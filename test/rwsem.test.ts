import { produce } from "immer";
import { describe, expect, it } from "vitest";
import * as rwsem from "../model/rwsem.js";
import type { Rwsem } from "../model/world.js";
import { emptyRwsem } from "../model/world.js";

function apply(sem: Rwsem, f: (d: Parameters<typeof rwsem.acquire>[0]) => void): Rwsem {
  return produce(sem, (d) => {
    f(d as Parameters<typeof rwsem.acquire>[0]);
  });
}

describe("rwsem", () => {
  it("lets readers share and a writer exclude", () => {
    let s = emptyRwsem();
    s = apply(s, (d) => {
      expect(rwsem.acquire(d, 1, "read")).toBe(true);
      expect(rwsem.acquire(d, 2, "read")).toBe(true);
      expect(rwsem.acquire(d, 3, "write")).toBe(false);
    });
    expect(s.readers).toEqual([1, 2]);
    expect(s.waiters).toEqual([{ tid: 3, mode: "write" }]);
  });

  it("blocks new readers behind a queued writer (writer fairness)", () => {
    const s = apply(emptyRwsem(), (d) => {
      rwsem.acquire(d, 1, "read");
      rwsem.acquire(d, 2, "write");
      expect(rwsem.acquire(d, 3, "read")).toBe(false);
      expect(rwsem.tryAcquire(d, 4, "read")).toBe(false);
    });
    expect(s.readers).toEqual([1]);
    expect(s.waiters.map((w) => w.tid)).toEqual([2, 3]);
  });

  it("hands the lock to the writer at the head, then to the readers behind it", () => {
    let woken: number[] = [];
    let s = apply(emptyRwsem(), (d) => {
      rwsem.acquire(d, 1, "read");
      rwsem.acquire(d, 2, "write");
      rwsem.acquire(d, 3, "read");
      rwsem.acquire(d, 4, "read");
      woken = rwsem.release(d, 1, "read").woken;
    });
    expect(woken).toEqual([2]);
    expect(s.writer).toBe(2);
    s = apply(s, (d) => {
      woken = rwsem.release(d, 2, "write").woken;
    });
    expect(woken).toEqual([3, 4]);
    expect(s.readers).toEqual([3, 4]);
  });

  it("reports an unlock of a lock that is not held", () => {
    apply(emptyRwsem(), (d) => {
      expect(rwsem.release(d, 7, "read").held).toBe(false);
    });
  });

  it("downgrade keeps the holder as a reader and admits queued readers", () => {
    let woken: number[] = [];
    const s = apply(emptyRwsem(), (d) => {
      rwsem.acquire(d, 1, "write");
      rwsem.acquire(d, 2, "read");
      rwsem.acquire(d, 3, "write");
      woken = rwsem.downgrade(d, 1);
    });
    expect(woken).toEqual([2]);
    expect(s.readers).toEqual([1, 2]);
    expect(s.waiters).toEqual([{ tid: 3, mode: "write" }]);
  });
});
