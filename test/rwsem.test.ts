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

/** tid 0 holds the lock in `mode`; then each waiter queues, in order, and is not granted. */
function queued(mode: "read" | "write", waiters: readonly [number, "read" | "write"][]): Rwsem {
  return apply(emptyRwsem(), (d) => {
    expect(rwsem.acquire(d, 0, mode)).toBe(true);
    for (const [tid, m] of waiters) expect(rwsem.acquire(d, tid, m)).toBe(false);
  });
}

describe("rwsem", () => {
  it("keeps its readers as a set in thread order, whatever order they came in", () => {
    // the kernel counts readers (sem->count): T3 then T1 and T1 then T3 are one state
    const a = apply(emptyRwsem(), (d) => {
      rwsem.acquire(d, 3, "read");
      rwsem.acquire(d, 1, "read");
    });
    const b = apply(emptyRwsem(), (d) => {
      rwsem.acquire(d, 1, "read");
      rwsem.acquire(d, 3, "read");
    });
    expect(a).toEqual(b);
    expect(a.readers).toEqual([1, 3]);
    // a downgrading writer and readers granted from the queue join in order too
    const c = apply(emptyRwsem(), (d) => {
      rwsem.acquire(d, 2, "write");
      rwsem.acquire(d, 4, "read");
      rwsem.acquire(d, 0, "read");
      rwsem.downgrade(d, 2);
    });
    expect(c.readers).toEqual([0, 2, 4]);
  });

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

// rwsem_mark_wake() in kernel/locking/rwsem.c (Linux 6.18): with a reader at the head of
// the wait list it wakes every queued reader (up to MAX_READERS_WAKEUP) and leaves the
// writers queued in order; with a writer at the head it wakes that writer alone.
describe("rwsem grant (rwsem_mark_wake)", () => {
  it("up_write with [R1, W2, R3] queued wakes R1 and R3; W2 stays queued", () => {
    let s = queued("write", [
      [1, "read"],
      [2, "write"],
      [3, "read"],
    ]);
    let r = { held: false, woken: [] as number[] };
    s = apply(s, (d) => {
      r = rwsem.release(d, 0, "write");
    });
    expect(r).toEqual({ held: true, woken: [1, 3] });
    expect(s).toEqual({ readers: [1, 3], writer: null, waiters: [{ tid: 2, mode: "write" }] });
    // W2 gets the lock once the last of the readers it let pass has left
    s = apply(s, (d) => {
      r = rwsem.release(d, 1, "read");
    });
    expect(r).toEqual({ held: true, woken: [] });
    s = apply(s, (d) => {
      r = rwsem.release(d, 3, "read");
    });
    expect(r).toEqual({ held: true, woken: [2] });
    expect(s).toEqual({ readers: [], writer: 2, waiters: [] });
  });

  it("wakes every queued reader past several writers, writers kept in their order", () => {
    let woken: number[] = [];
    const s = apply(
      queued("write", [
        [1, "read"],
        [2, "write"],
        [3, "read"],
        [4, "write"],
        [5, "read"],
      ]),
      (d) => {
        woken = rwsem.release(d, 0, "write").woken;
      },
    );
    expect(woken).toEqual([1, 3, 5]);
    expect(s.readers).toEqual([1, 3, 5]);
    expect(s.waiters).toEqual([
      { tid: 2, mode: "write" },
      { tid: 4, mode: "write" },
    ]);
  });

  it("up_write with [W1, R2] queued wakes W1 only", () => {
    let woken: number[] = [];
    const s = apply(
      queued("write", [
        [1, "write"],
        [2, "read"],
      ]),
      (d) => {
        woken = rwsem.release(d, 0, "write").woken;
      },
    );
    expect(woken).toEqual([1]);
    expect(s).toEqual({ readers: [], writer: 1, waiters: [{ tid: 2, mode: "read" }] });
  });

  it("the last up_read with [W1, R2, R3] queued wakes W1 only", () => {
    let woken: number[] = [];
    const s = apply(
      queued("read", [
        [1, "write"],
        [2, "read"],
        [3, "read"],
      ]),
      (d) => {
        woken = rwsem.release(d, 0, "read").woken;
      },
    );
    expect(woken).toEqual([1]);
    expect(s.writer).toBe(1);
    expect(s.waiters.map((w) => w.tid)).toEqual([2, 3]);
  });

  it("an up_read that leaves readers holding wakes nobody", () => {
    let woken: number[] = [1];
    const s = apply(emptyRwsem(), (d) => {
      rwsem.acquire(d, 0, "read");
      rwsem.acquire(d, 1, "read");
      rwsem.acquire(d, 2, "write");
      woken = rwsem.release(d, 0, "read").woken;
    });
    expect(woken).toEqual([]);
    expect(s).toEqual({ readers: [1], writer: null, waiters: [{ tid: 2, mode: "write" }] });
  });

  it("queues a new reader behind any waiter, even when only readers hold the lock", () => {
    const s = apply(queued("read", [[1, "write"]]), (d) => {
      expect(rwsem.acquire(d, 2, "read")).toBe(false);
      expect(rwsem.tryAcquire(d, 3, "read")).toBe(false);
    });
    expect(s.readers).toEqual([0]);
    expect(s.waiters).toEqual([
      { tid: 1, mode: "write" },
      { tid: 2, mode: "read" },
    ]);
  });

  it("queues a recursive read behind a queued writer (the deadlock the kernel has too)", () => {
    const s = apply(queued("read", [[1, "write"]]), (d) => {
      expect(rwsem.acquire(d, 0, "read")).toBe(false);
    });
    expect(s.readers).toEqual([0]);
    expect(s.waiters).toEqual([
      { tid: 1, mode: "write" },
      { tid: 0, mode: "read" },
    ]);
  });
});

describe("rwsem downgrade (rwsem_downgrade_wake, RWSEM_WAKE_READ_OWNED)", () => {
  it("with a reader at the head wakes every queued reader, writers stay", () => {
    let woken: number[] = [];
    const s = apply(emptyRwsem(), (d) => {
      rwsem.acquire(d, 0, "write");
      rwsem.acquire(d, 1, "read");
      rwsem.acquire(d, 2, "write");
      rwsem.acquire(d, 3, "read");
      woken = rwsem.downgrade(d, 0);
    });
    expect(woken).toEqual([1, 3]);
    expect(s).toEqual({ readers: [0, 1, 3], writer: null, waiters: [{ tid: 2, mode: "write" }] });
  });

  it("with a writer at the head wakes nobody", () => {
    let woken: number[] = [9];
    const s = apply(emptyRwsem(), (d) => {
      rwsem.acquire(d, 0, "write");
      rwsem.acquire(d, 1, "write");
      rwsem.acquire(d, 2, "read");
      woken = rwsem.downgrade(d, 0);
    });
    expect(woken).toEqual([]);
    expect(s).toEqual({
      readers: [0],
      writer: null,
      waiters: [
        { tid: 1, mode: "write" },
        { tid: 2, mode: "read" },
      ],
    });
  });

  it("by a thread that does not hold it for write changes nothing", () => {
    const before = apply(emptyRwsem(), (d) => {
      rwsem.acquire(d, 0, "read");
    });
    let woken: number[] = [9];
    const s = apply(before, (d) => {
      woken = rwsem.downgrade(d, 0);
    });
    expect(woken).toEqual([]);
    expect(s).toEqual(before);
  });
});

describe("rwsem cancelWait (rwsem_del_wake_waiter)", () => {
  it("the first waiter leaving lets every queued reader in beside the readers holding", () => {
    let woken: number[] = [];
    const s = apply(
      queued("read", [
        [1, "write"],
        [2, "read"],
        [3, "write"],
        [4, "read"],
      ]),
      (d) => {
        woken = rwsem.cancelWait(d, 1);
      },
    );
    expect(woken).toEqual([2, 4]);
    expect(s).toEqual({ readers: [0, 2, 4], writer: null, waiters: [{ tid: 3, mode: "write" }] });
  });

  it("the first waiter leaving while a writer holds wakes nobody", () => {
    let woken: number[] = [9];
    const s = apply(
      queued("write", [
        [1, "write"],
        [2, "read"],
      ]),
      (d) => {
        woken = rwsem.cancelWait(d, 1);
      },
    );
    expect(woken).toEqual([]);
    expect(s).toEqual({ readers: [], writer: 0, waiters: [{ tid: 2, mode: "read" }] });
  });

  it("a waiter that is not the first leaving wakes nobody, even if the head could go", () => {
    // not reachable through acquire/release (they never leave a grantable head), built
    // by hand to pin the kernel's rule: only the first waiter's leaving calls
    // rwsem_mark_wake()
    const sem: Rwsem = {
      readers: [],
      writer: null,
      waiters: [
        { tid: 1, mode: "write" },
        { tid: 2, mode: "read" },
      ],
    };
    let woken: number[] = [9];
    const s = apply(sem, (d) => {
      woken = rwsem.cancelWait(d, 2);
    });
    expect(woken).toEqual([]);
    expect(s).toEqual({ readers: [], writer: null, waiters: [{ tid: 1, mode: "write" }] });
  });

  it("the only waiter leaving, or one not queued, wakes nobody", () => {
    let woken: number[] = [9];
    let none: number[] = [9];
    const s = apply(queued("read", [[1, "write"]]), (d) => {
      none = rwsem.cancelWait(d, 7);
      woken = rwsem.cancelWait(d, 1);
    });
    expect(none).toEqual([]);
    expect(woken).toEqual([]);
    expect(s).toEqual({ readers: [0], writer: null, waiters: [] });
  });
});
