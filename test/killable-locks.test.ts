// The killable acquires of declared locks (model/kernel/locks.ts): down_write_killable(),
// down_read_killable() and mutex_lock_killable() return -EINTR ("eintr") when a fatal
// signal ends the sleep, or meets a lock that cannot be taken at once with one pending;
// the signal takes the sleeper out of the queue (model/actors/signal.ts), a monitor
// variant's too.
import { describe, expect, it } from "vitest";
import { use } from "../model/actor.js";
import { monitorActor } from "../model/actors/monitor.js";
import { signalActor } from "../model/actors/signal.js";
import {
  downReadKillable,
  downWriteKillable,
  mutexLockKillable,
  mutexUnlock,
  upWrite,
} from "../model/kernel/locks.js";
import { set } from "../model/locals.js";
import { scenario as declare } from "../model/scenarios.js";
import type { Op } from "../model/step.js";
import { ANON_PAGE, bench, holdsAcrossFault, mini, tidOf } from "./helpers.js";

/** Every driver: the killable acquire, then "got" or "eintr" in a local, and a stop. */
const taker = (take: Op<"ok" | "eintr">) =>
  mini({
    take: { op: take, on: { ok: "got", eintr: "intr" } },
    got: { op: set({ r: "got" }), next: "held" },
    intr: { op: set({ r: "eintr" }), next: "exit" },
    held: { op: set({ held: 1 }), next: "exit" },
  });

const withDrivers = (kind: "rwsem" | "mutex", drivers = 2) =>
  declare({
    id: `killable-${kind}-${drivers}`,
    vmas: [ANON_PAGE],
    locks: [{ name: "drv.lock", kind }],
    actors: [{ actor: "signal", budget: 1 }],
    drivers,
  });

describe("killable acquires of a declared lock", () => {
  for (const [kind, take] of [
    ["rwsem", downWriteKillable("drv.lock")],
    ["mutex", mutexLockKillable("drv.lock")],
  ] as const) {
    it(`${take.name}: a fatal signal ends the sleep with -EINTR and leaves the queue (${kind})`, () => {
      const b = bench(withDrivers(kind), taker(take));
      b.run(0); // T1 takes the lock
      b.run(1); // T2 queues, asleep
      expect(b.world.threads[1]?.status).toMatchObject({
        kind: "blocked",
        on: { kind: "lock", name: "drv.lock", killable: true },
      });
      b.run(tidOf(b.world, "S")); // SIGKILL to the process: both drivers
      expect(b.world.threads[1]?.status.kind).toBe("runnable");
      expect(b.world.locks["drv.lock"]).toMatchObject({ waiters: [] });
      b.run(1);
      expect(b.world.threads[1]?.locals.r).toBe("eintr");
      // T1 still holds it: a fatal signal does not take a lock away
      b.run(0);
      expect(b.world.threads[0]?.locals.r).toBe("got");
    });
  }

  it("a waiter handed the mutex before the signal keeps it (the trylock before the signal test)", () => {
    const s = withDrivers("mutex");
    const d = mini({
      take: { op: mutexLockKillable("drv.lock"), on: { ok: "got", eintr: "intr" } },
      got: { op: set({ r: "got" }), next: "release" },
      release: { op: mutexUnlock("drv.lock"), next: "exit" },
      intr: { op: set({ r: "eintr" }), next: "exit" },
    });
    const b = bench(s, d);
    b.run(0); // T1 takes it
    b.run(1); // T2 queues
    b.run(0); // got
    b.run(0); // mutex_unlock(): handed to T2, which is woken
    expect(b.world.locks["drv.lock"]).toMatchObject({ owner: 1, waiters: [] });
    b.run(tidOf(b.world, "S"));
    b.run(1);
    expect(b.world.threads[1]?.locals.r).toBe("got");
    expect(b.world.locks["drv.lock"]).toMatchObject({ owner: 1 });
  });

  it("a killed writer at the head of the queue lets the readers queued behind it in", () => {
    const s = withDrivers("rwsem", 3);
    // T1 reads, T2 wants to write (killable), T3 reads: queued behind T2
    const d = mini({
      pick: {
        op: {
          name: "which",
          outcomes: ["r", "w"],
          run: (k) => (k.tid === 1 ? "w" : "r"),
        },
        on: { r: "read", w: "write" },
      },
      read: { op: downReadKillable("drv.lock"), on: { ok: "exit", eintr: "exit" } },
      write: { op: downWriteKillable("drv.lock"), on: { ok: "exit", eintr: "exit" } },
    });
    const b = bench(s, d);
    for (const t of [0, 1, 2]) {
      b.run(t);
      b.run(t);
    }
    expect(b.world.locks["drv.lock"]).toMatchObject({
      readers: [0],
      waiters: [
        { tid: 1, mode: "write" },
        { tid: 2, mode: "read" },
      ],
    });
    b.run(tidOf(b.world, "S")); // rwsem_del_wake_waiter(): the reader behind it is granted
    expect(b.world.locks["drv.lock"]).toMatchObject({ readers: [0, 2], waiters: [] });
    expect(b.world.threads[2]?.status.kind).toBe("runnable");
  });

  it("with a fatal signal pending: -EINTR from a held lock at once, the lock when it is free", () => {
    const b = bench(withDrivers("rwsem"), taker(downReadKillable("drv.lock")));
    b.run(tidOf(b.world, "S"));
    b.run(0); // free: taken, whatever is pending (the fast path)
    b.run(0);
    expect(b.world.threads[0]?.locals.r).toBe("got");
    const w = bench(withDrivers("rwsem"), taker(downWriteKillable("drv.lock")));
    w.run(0);
    w.run(tidOf(w.world, "S"));
    w.run(1); // held by T1: -EINTR without queueing
    expect(w.world.threads[1]?.status.kind).toBe("runnable");
    expect(w.world.locks["drv.lock"]).toMatchObject({ writer: 0, waiters: [] });
    w.run(1);
    expect(w.world.threads[1]?.locals.r).toBe("eintr");
  });
});

describe("a monitor variant in a killable wait", () => {
  // T holds drv.lock across a fault on the uffd page; the monitor takes drv.lock before
  // its UFFDIO_COPY (as xe's VM bind takes vm->lock with down_write_killable())
  const binds = monitorActor({
    id: "monitor-killable-bind",
    title: "monitor that takes drv.lock killably before UFFDIO_COPY",
    beforeCopy: {
      before_copy: { op: downWriteKillable("drv.lock"), on: { ok: "bind_done", eintr: "idle" } },
      bind_done: { op: upWrite("drv.lock"), next: "copy" },
    },
  });
  const s = declare({
    id: "monitor-killable-bind",
    vmas: [{ ...ANON_PAGE, uffdMissing: true }],
    locks: [{ name: "drv.lock", kind: "rwsem" }],
    actors: [use(binds, null), use(signalActor("process"), 1)],
  });
  const holder = holdsAcrossFault("drv.lock");

  it("is woken by SIGKILL to the process, and the monitor exits", () => {
    const b = bench(s, holder);
    const m = tidOf(b.world, "M");
    for (let i = 0; i < 4; i++) b.run(0); // drv.lock, mmap lock, lookup, fault: asleep in the uffd
    expect(b.world.threads[0]?.status).toMatchObject({ kind: "blocked", on: { kind: "uffd" } });
    b.run(m, 0); // read(uffd): copy
    b.run(m); // down_write_killable(drv.lock): T holds it
    expect(b.world.threads[m]?.status).toMatchObject({
      kind: "blocked",
      on: { kind: "lock", killable: true },
    });
    b.run(tidOf(b.world, "S")); // kill(pid, SIGKILL)
    expect(b.world.threads[m]?.status.kind).toBe("runnable");
    expect(b.world.threads[m]?.pc).toBe("idle");
    expect(b.world.locks["drv.lock"]).toMatchObject({ writer: 0, waiters: [] });
    b.run(m); // read(): the monitor exits on its way back to user space
    expect(b.world.threads[m]?.status.kind).toBe("done");
  });
});
