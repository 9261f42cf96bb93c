// The fatal-signal actors (model/actors/signal.ts): to the driver's threads, or to the
// whole process (complete_signal in kernel/signal.c: every thread of the group), which
// ends the uffd monitor on its way back to user space.
import { describe, expect, it } from "vitest";
import { isEnabled, step } from "../engine/exec.js";
import { handleMmFault } from "../model/kernel/fault.js";
import type { FaultFlag } from "../model/kernel/fault-flags.js";
import { mmapReadLock } from "../model/kernel/mmap-lock.js";
import { vmaLookup } from "../model/kernel/vma.js";
import { scenario as makeScenario } from "../model/scenarios.js";
import { fatalSignalEndsLoop } from "../properties/liveness.js";
import { workerCallEnds } from "../properties/time.js";
import { bench, mini, scenario, tidOf } from "./helpers.js";

const KILLABLE: readonly FaultFlag[] = ["REMOTE", "WRITE", "ALLOW_RETRY", "KILLABLE"];

/** mmap_read_lock; vma = vma_lookup(start); handle_mm_fault(vma, start, flags) */
function faulting(flags: readonly FaultFlag[]) {
  return mini({
    lock: { op: mmapReadLock(), next: "lookup" },
    lookup: { op: vmaLookup("start", "vma"), next: "fault" },
    fault: { op: handleMmFault("vma", "start", flags), next: "exit" },
  });
}

function sleeping(flags: readonly FaultFlag[], scen: string) {
  const b = bench(scenario(scen), faulting(flags));
  b.run();
  b.run();
  b.run(); // sleeps in handle_userfault
  expect(b.world.threads[0]?.status.kind).toBe("blocked");
  return b;
}

describe("SIGKILL to the whole process", () => {
  it("ends the monitor: it exits at its next read and never answers", () => {
    const b = sleeping(["REMOTE", "WRITE", "ALLOW_RETRY"], "anon-uffd-killed");
    const s = tidOf(b.world, "S");
    const m = tidOf(b.world, "M");
    b.run(s);
    expect(b.world.threads[0]?.fatal).toBe(true);
    expect(b.world.threads[m]?.fatal).toBe(true);
    b.run(m); // read(): the monitor exits instead
    expect(b.world.threads[m]?.status.kind).toBe("done");
    expect(b.world.ptes[0]).toBe("none");
    // an uninterruptible uffd sleep (no KILLABLE) stays asleep: nobody will answer
    expect(b.world.threads[0]?.status.kind).toBe("blocked");
    expect(b.world.uffd.released).toBe(false);
  });

  it("wakes a killable uffd sleep of the driver, like the signal to the driver's threads", () => {
    const b = sleeping(KILLABLE, "anon-uffd-killed");
    b.run(tidOf(b.world, "S"));
    expect(b.world.threads[0]?.status.kind).toBe("runnable");
    expect(b.world.uffd.waiting).toEqual([]);
  });

  it("to the driver's threads alone leaves the monitor (another process) answering", () => {
    const b = sleeping(["REMOTE", "WRITE", "ALLOW_RETRY"], "anon-uffd");
    b.run(tidOf(b.world, "S"));
    const m = tidOf(b.world, "M");
    expect(b.world.threads[m]?.fatal).toBe(false);
    b.run(m, 0); // read(): copy
    expect(b.world.threads[m]?.pc).toBe("copy");
  });
});

// SIGKILL to one thread of a group is fatal to every thread of it (complete_signal()):
// with two driver threads, the signal actor kills both, never one alone.
describe("SIGKILL with two driver threads", () => {
  it("wakes both drivers from their killable uffd sleeps, and says it took the group", () => {
    const base = scenario("anon-uffd");
    const two = makeScenario({ ...base, id: "anon-uffd-two-drivers", drivers: 2 });
    const b = bench(two, faulting(KILLABLE));
    const [t1, t2] = [tidOf(b.world, "T1"), tidOf(b.world, "T2")];
    for (const t of [t1, t2]) for (let i = 0; i < 3; i++) b.run(t); // both asleep in the fault
    expect([b.world.threads[t1]?.status.kind, b.world.threads[t2]?.status.kind]).toEqual([
      "blocked",
      "blocked",
    ]);
    const s = tidOf(b.world, "S");
    const [next, record] = step(b.world, s, 0, b.programs);
    for (const t of [t1, t2]) {
      expect(next.threads[t]?.fatal).toBe(true);
      expect(next.threads[t]?.status.kind).toBe("runnable");
    }
    expect(record.events).toContainEqual(
      expect.objectContaining({ k: "note", text: "SIGKILL takes the whole thread group: T1, T2" }),
    );
  });
});

describe("no signal reaches a driver that runs from a kernel worker", () => {
  // kthreadd() ignore_signals()s the threads it makes (kernel/kthread.c, v7.0), and a
  // workqueue worker never allow_signal()s one: nouveau's, xe's and mlx5's fault work
  const worker = { ...faulting(KILLABLE), id: "worker-caller", runsFrom: "worker" as const };

  it("leaves a worker asleep and runnable as it was, says so, and the signal property is n/a", () => {
    const killed = scenario("anon-uffd-killed");
    const b = bench(killed, worker);
    for (let i = 0; i < 3; i++) b.run(0); // asleep in handle_userfault
    expect(b.world.threads[0]?.fromWorker).toBe(true);
    const [next, record] = step(b.world, tidOf(b.world, "S"), 0, b.programs);
    expect(next.threads[0]).toMatchObject({ fatal: false, status: { kind: "blocked" } });
    expect(record.events).toContainEqual(
      expect.objectContaining({
        k: "note",
        text: "T runs from a kernel worker, which takes no signal: the process dies, the worker goes on",
      }),
    );
    expect(fatalSignalEndsLoop.applies(killed, worker)).toBe(false);
    expect(fatalSignalEndsLoop.applies(killed, faulting(KILLABLE))).toBe(true);
  });

  it("reaches code called from a task as well, which worker-call-ends judges where no signal is sent", () => {
    const either = { ...worker, id: "either-caller", runsFrom: "either" as const };
    const b = bench(scenario("anon-uffd-killed"), either);
    expect(b.world.threads[0]?.fromWorker).toBe(false);
    expect(fatalSignalEndsLoop.applies(scenario("anon-uffd-killed"), either)).toBe(true);
    expect(workerCallEnds.applies(scenario("invalidate-storm"), either)).toBe(true);
    expect(workerCallEnds.applies(scenario("invalidate-storm"), worker)).toBe(true);
    expect(workerCallEnds.applies(scenario("invalidate-storm"), faulting(KILLABLE))).toBe(false);
    const stormKilled = makeScenario({
      ...scenario("invalidate-storm"),
      id: "invalidate-storm-killed",
      actors: [...scenario("invalidate-storm").actors, ...scenario("anon-uffd-killed").actors],
    });
    expect(workerCallEnds.applies(stormKilled, either)).toBe(false);
    expect(workerCallEnds.applies(stormKilled, worker)).toBe(true);
  });

  it("lets the OOM reaper reap the killed process's mm under a worker", () => {
    const b = bench(scenario("anon-oom-reap"), worker);
    const o = tidOf(b.world, "O");
    expect(isEnabled(b.world, o, b.programs)).toBe(false);
    b.run(tidOf(b.world, "S"));
    expect(b.world.threads[0]?.fatal).toBe(false);
    expect(isEnabled(b.world, o, b.programs)).toBe(true);
  });

  it("kills only the task drivers where a worker runs alongside", () => {
    const base = scenario("anon-uffd-killed");
    const mixed = makeScenario({ ...base, id: "anon-uffd-killed-mixed", alongside: [worker] });
    const b = bench(mixed, faulting(KILLABLE));
    const [task, kworker] = [tidOf(b.world, "T1"), tidOf(b.world, "T2")];
    for (const t of [task, kworker]) for (let i = 0; i < 3; i++) b.run(t); // both asleep
    const [next, record] = step(b.world, tidOf(b.world, "S"), 0, b.programs);
    expect(next.threads[task]).toMatchObject({ fatal: true, status: { kind: "runnable" } });
    expect(next.threads[kworker]).toMatchObject({ fatal: false, status: { kind: "blocked" } });
    const targets = record.events.flatMap((e) => (e.k === "signal" ? [e.target] : []));
    expect(targets).toContain(task);
    expect(targets).not.toContain(kworker);
  });
});

describe("fatal-signal-ends-loop with two driver threads", () => {
  it("bounds each driver's steps after the signal on its own, not their sum", () => {
    const two = makeScenario({ ...scenario("anon-uffd"), id: "anon-uffd-two-counted", drivers: 2 });
    const w0 = bench(two, faulting(KILLABLE)).world;
    const after = {
      ...w0,
      threads: w0.threads.map((t) => (t.role === "driver" ? { ...t, fatal: true } : t)),
    };
    const [t1, t2] = [tidOf(after, "T1"), tidOf(after, "T2")];
    const m = fatalSignalEndsLoop.monitor();
    const stepOf = (tid: number, before = after, now = after) =>
      m.step?.({ before, after: now, rec: { tid }, phase: "completion" } as unknown as Parameters<
        NonNullable<typeof m.step>
      >[0]) ?? null;
    // 21 steps each: 42 together, over the bound of 40, but neither thread is over it
    for (let i = 0; i < 21; i++) {
      expect(stepOf(t1)).toBeNull();
      expect(stepOf(t2)).toBeNull();
    }
    let verdict: string | null = null;
    for (let i = 0; i < 20 && verdict === null; i++) verdict = stepOf(t1);
    expect(verdict).toMatch(/^T1 took 40 steps in a row with a fatal signal pending/);
    // a step that brings a page of T2's range in is progress: its count starts again
    const none = { ...after, ptes: after.ptes.map(() => "none" as const) };
    const present = { ...after, ptes: after.ptes.map(() => "rw" as const) };
    expect(stepOf(t2, none, present)).toBeNull();
    for (let i = 0; i < 39; i++) expect(stepOf(t2)).toBeNull();
    expect(stepOf(t2)).toMatch(/^T2 took 40 steps in a row/);
  });

  it("judges every killed driver, and names the lock the one left asleep waits for", () => {
    const two = makeScenario({ ...scenario("anon-uffd"), id: "anon-uffd-two-judged", drivers: 2 });
    const d = mini({ lock: { op: mmapReadLock(), next: "exit" } });
    const w0 = bench(two, d).world;
    // T1 returned; T2 still sleeps, uninterruptibly, on a declared mutex
    const world = {
      ...w0,
      threads: w0.threads.map((t) =>
        t.name === "T1"
          ? { ...t, fatal: true, status: { kind: "done" as const } }
          : t.name === "T2"
            ? {
                ...t,
                fatal: true,
                status: {
                  kind: "blocked" as const,
                  on: { kind: "lock" as const, name: "drv->fault_lock", mode: "write" as const },
                  resume: "exit",
                  resumeOnSignal: null,
                },
              }
            : t,
      ),
    };
    const end = fatalSignalEndsLoop.monitor().end;
    expect(end?.({ world, trace: [], end: "deadlock", scenario: two, design: d })).toBe(
      "T2 never returns after the fatal signal: it sleeps on drv->fault_lock where the signal cannot wake it.",
    );
  });
});

// handle_userfault() with a fatal signal already pending (fs/userfaultfd.c): the fault is
// queued and visible to read() before schedule() returns at once in TASK_KILLABLE.
describe("a killable uffd fault with a fatal signal already pending", () => {
  function killedThenFault() {
    const b = bench(scenario("anon-uffd"), faulting(KILLABLE));
    b.run(tidOf(b.world, "S")); // kill(T, SIGKILL) first
    b.run();
    b.run();
    b.run(); // the fault: queued, the lock dropped, schedule() returns at once
    return b;
  }

  it("is queued and stays runnable at the fault, without the lock", () => {
    const b = killedThenFault();
    expect(b.world.threads[0]?.status.kind).toBe("runnable");
    expect(b.world.threads[0]?.pc).toBe("fault");
    expect(b.world.uffd.waiting.map((x) => x.tid)).toEqual([0]);
    expect(b.world.mmapLock.readers).toEqual([]);
    b.run(); // back from schedule(): off the queue, RETRY
    expect(b.world.uffd.waiting).toEqual([]);
    expect(b.world.threads[0]?.pc).toBe("exit");
    expect(b.world.threads[0]?.locals.vmret).toBe("VM_FAULT_RETRY");
  });

  it("can be read and resolved by the monitor before it returns", () => {
    const b = killedThenFault();
    const m = tidOf(b.world, "M");
    b.run(m, 0); // read(): copy
    b.run(m); // uffd_lock_vma
    b.run(m); // mfill_atomic
    b.run(m); // unlock; wake (T is not asleep: the wake only takes it off the queue)
    expect(b.world.ptes[0]).toBe("rw");
    expect(b.world.uffd.waiting).toEqual([]);
    b.run();
    expect(b.world.threads[0]?.pc).toBe("exit");
  });
});
