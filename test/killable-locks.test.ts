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

const twoDrivers = (kind: "rwsem" | "mutex") =>
  declare({
    id: `killable-${kind}`,
    vmas: [ANON_PAGE],
    locks: [{ name: "drv.lock", kind }],
    actors: [{ actor: "signal", budget: 1 }],
    drivers: 2,
  });

describe("killable acquires of a declared lock", () => {
  for (const [kind, take] of [
    ["rwsem", downWriteKillable("drv.lock")],
    ["mutex", mutexLockKillable("drv.lock")],
  ] as const) {
    it(`${take.name}: a fatal signal ends the sleep with -EINTR and leaves the queue (${kind})`, () => {
      const b = bench(twoDrivers(kind), taker(take));
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

  it("with a fatal signal pending: -EINTR from a held lock at once, the lock when it is free", () => {
    const b = bench(twoDrivers("rwsem"), taker(downReadKillable("drv.lock")));
    b.run(tidOf(b.world, "S"));
    b.run(0); // free: taken, whatever is pending (the fast path)
    b.run(0);
    expect(b.world.threads[0]?.locals.r).toBe("got");
    const w = bench(twoDrivers("rwsem"), taker(downWriteKillable("drv.lock")));
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
