// Locks and objects a scenario declares, actors declared with actor(), and several
// driver threads: the built-in properties judge them with no property code of the
// user's, and every verdict here comes from exhaustive exploration.
import { describe, expect, it } from "vitest";
import { step } from "../engine/exec.js";
import { setupFor } from "../engine/run.js";
import { exhaustiveRows } from "../engine/verdicts.js";
import { actor, use } from "../model/actor.js";
import { invalidateActor } from "../model/actors/invalidate.js";
import { handleMmFault } from "../model/kernel/fault.js";
import {
  downRead,
  downWrite,
  mutexLock,
  mutexUnlock,
  rcuReadLock,
  readSeqcountBegin,
  readSeqcountRetry,
  refcountDecAndTest,
  refcountInc,
  spinLock,
  spinUnlock,
  upRead,
  upWrite,
  vmaEndReadLock,
  vmaStartReadLock,
  vmaStartWriteLock,
  writeSeqcountBegin,
  writeSeqcountEnd,
} from "../model/kernel/locks.js";
import {
  mmapReadLock,
  mmapReadLockKillable,
  mmapReadUnlock,
  mmapWriteLock,
  mmapWriteUnlock,
} from "../model/kernel/mmap-lock.js";
import { mmuIntervalReadBegin, userLock, userUnlock } from "../model/kernel/notifier.js";
import { derefObj, freeObj, lookupObj } from "../model/kernel/objects.js";
import { condResched } from "../model/kernel/sched.js";
import { vmaLookup } from "../model/kernel/vma.js";
import { exit } from "../model/locals.js";
import type { Scenario } from "../model/scenarios.js";
import type { Design, Steps } from "../model/step.js";
import { compose, override } from "../model/step.js";
import { propertyById } from "../properties/index.js";
import type { Property } from "../properties/property.js";
import { ANON_PAGE } from "./helpers.js";

const prop = (id: string): Property => {
  const p = propertyById(id);
  if (!p) throw new Error(id);
  return p;
};

function design(id: string, steps: Steps, start = Object.keys(steps)[0] as string): Design {
  return {
    id,
    family: "hmm",
    title: id,
    summary: "",
    source: "test",
    start,
    steps: { ...steps, exit: { op: exit() } },
  };
}

function scenario(over: Partial<Scenario>): Scenario {
  return {
    id: "declared",
    title: "declared locks and objects",
    families: ["hmm"],
    vmas: [ANON_PAGE],
    write: true,
    actors: [],
    stepsPerPage: 40,
    ...over,
  };
}

function verdicts(d: Design, s: Scenario, ids: readonly string[]) {
  const rows = exhaustiveRows(d, s, ids.map(prop), {
    depth: 60,
    hashCompact: false,
    sleepSets: false,
  });
  return Object.fromEntries(
    rows.map((r) => [r.property, { verdict: r.verdict, complete: r.complete, message: r.message }]),
  );
}

describe("declared locks", () => {
  it("an ABBA order between two driver threads on two declared mutexes deadlocks; one order does not", () => {
    const abba = design("abba", {
      pick: {
        op: {
          name: "pick order",
          outcomes: ["ab", "ba"],
          local: true,
          run: (k) => (k.tid === 0 ? "ab" : "ba"),
        },
        on: { ab: "a1", ba: "b1" },
      },
      a1: { op: mutexLock("drv.a"), next: "a2" },
      a2: { op: mutexLock("drv.b"), next: "a3" },
      a3: { op: mutexUnlock("drv.b"), next: "a4" },
      a4: { op: mutexUnlock("drv.a"), next: "exit" },
      b1: { op: mutexLock("drv.b"), next: "b2" },
      b2: { op: mutexLock("drv.a"), next: "b3" },
      b3: { op: mutexUnlock("drv.a"), next: "b4" },
      b4: { op: mutexUnlock("drv.b"), next: "exit" },
    });
    const locks = [
      { name: "drv.a", kind: "mutex" as const },
      { name: "drv.b", kind: "mutex" as const },
    ];
    const bad = verdicts(abba, scenario({ locks, drivers: 2 }), ["no-deadlock", "lock-balance"]);
    expect(bad["no-deadlock"]?.verdict).toBe("violated");
    expect(bad["no-deadlock"]?.message).toMatch(/drv\.a|drv\.b/);
    expect(bad["lock-balance"]?.verdict).toBe("holds");
    const ordered = design("ordered", {
      a1: { op: mutexLock("drv.a"), next: "a2" },
      a2: { op: mutexLock("drv.b"), next: "a3" },
      a3: { op: mutexUnlock("drv.b"), next: "a4" },
      a4: { op: mutexUnlock("drv.a"), next: "exit" },
    });
    const good = verdicts(ordered, scenario({ locks, drivers: 2 }), [
      "no-deadlock",
      "lock-balance",
    ]);
    expect(good["no-deadlock"]).toMatchObject({ verdict: "holds", complete: true });
    expect(good["lock-balance"]).toMatchObject({ verdict: "holds", complete: true });
  });

  it("a thread that takes a declared mutex it already holds deadlocks on itself", () => {
    const locks = [{ name: "drv.lock", kind: "mutex" as const }];
    const twice = design("twice", {
      l1: { op: mutexLock("drv.lock"), next: "l2" },
      l2: { op: mutexLock("drv.lock"), next: "u" },
      u: { op: mutexUnlock("drv.lock"), next: "exit" },
    });
    const v = verdicts(twice, scenario({ locks }), ["no-deadlock"])["no-deadlock"];
    expect(v?.verdict).toBe("violated");
    expect(v?.message).toMatch(/T waits for T \(drv\.lock, which it holds itself\)/);
  });

  it("lock-balance sees an unlock of a declared lock not held, and a return still holding one", () => {
    const locks = [{ name: "drv.lock", kind: "mutex" as const }];
    const unheld = design("unheld", { u: { op: mutexUnlock("drv.lock"), next: "exit" } });
    expect(
      verdicts(unheld, scenario({ locks }), ["lock-balance"])["lock-balance"]?.message,
    ).toMatch(/mutex_unlock on drv\.lock .*without holding it/);
    const kept = design("kept", { l: { op: mutexLock("drv.lock"), next: "exit" } });
    expect(verdicts(kept, scenario({ locks }), ["lock-balance"])["lock-balance"]?.message).toMatch(
      /still holding drv\.lock/,
    );
  });

  it("no-sleep-in-atomic: a sleeping lock under a declared spinlock is a violation, a spinlock alone is not", () => {
    const locks = [
      { name: "drv.spin", kind: "spinlock" as const },
      { name: "drv.sem", kind: "rwsem" as const },
    ];
    const sleeps = design("sleeps", {
      s: { op: spinLock("drv.spin"), next: "r" },
      r: { op: downRead("drv.sem"), next: "u" },
      u: { op: upRead("drv.sem"), next: "su" },
      su: { op: spinUnlock("drv.spin"), next: "exit" },
    });
    const v = verdicts(sleeps, scenario({ locks }), ["no-sleep-in-atomic"])["no-sleep-in-atomic"];
    expect(v?.verdict).toBe("violated");
    expect(v?.message).toMatch(/down_read\(drv\.sem\).*while holding drv\.spin/);
    const atomic = design("atomic", {
      s: { op: spinLock("drv.spin"), next: "su" },
      su: { op: spinUnlock("drv.spin"), next: "m" },
      m: { op: mmapReadLock(), next: "mu" },
      mu: { op: mmapReadUnlock(), next: "exit" },
    });
    expect(
      verdicts(atomic, scenario({ locks, drivers: 2 }), ["no-sleep-in-atomic"])[
        "no-sleep-in-atomic"
      ],
    ).toMatchObject({
      verdict: "holds",
      complete: true,
    });
  });
});

describe("no-sleep-in-atomic on the built-in primitives", () => {
  // Each calls might_sleep() whether or not it then waits: down_read()/down_write()
  // (kernel/locking/rwsem.c), mutex_lock() (kernel/locking/mutex.c),
  // __cond_resched()'s __might_resched() (kernel/sched/core.c), folio_lock(); a fault
  // allocates with a sleeping gfp (might_alloc() in mm/page_alloc.c) and waits for folio
  // locks (mm/memory.c, v7.0). Uncontended, alone in the scenario, each is still a
  // violation under a spinlock. mmu_interval_read_begin() is not: its wait_event() runs
  // only while the subscription is being invalidated (mm/mmu_notifier.c, v7.0).
  const locks = [{ name: "drv.spin", kind: "spinlock" as const }];
  const cases: [string, Steps][] = [
    [
      "mmap_read_lock",
      { m: { op: mmapReadLock(), next: "mu" }, mu: { op: mmapReadUnlock(), next: "su" } },
    ],
    [
      "mmap_read_lock_killable",
      { m: { op: mmapReadLockKillable(), next: "mu" }, mu: { op: mmapReadUnlock(), next: "su" } },
    ],
    [
      "mmap_write_lock",
      { m: { op: mmapWriteLock(), next: "mu" }, mu: { op: mmapWriteUnlock(), next: "su" } },
    ],
    [
      "mutex_lock(user_lock)",
      { m: { op: userLock(), next: "mu" }, mu: { op: userUnlock(), next: "su" } },
    ],
    ["cond_resched", { m: { op: condResched(), next: "su" } }],
  ];
  for (const [what, steps] of cases)
    it(`${what} under a spinlock is a violation even when nothing contends`, () => {
      const d = design(`sleep-${what}`, {
        s: { op: spinLock("drv.spin"), next: "m" },
        ...steps,
        su: { op: spinUnlock("drv.spin"), next: "exit" },
      });
      const v = verdicts(d, scenario({ locks }), ["no-sleep-in-atomic"])["no-sleep-in-atomic"];
      expect(v?.verdict).toBe("violated");
      expect(v?.message).toContain("while holding drv.spin");
      // the same calls after spin_unlock() hold
      const after = design(`after-${what}`, {
        s: { op: spinLock("drv.spin"), next: "su0" },
        su0: { op: spinUnlock("drv.spin"), next: "m" },
        ...steps,
        su: { op: exit() },
      });
      expect(
        verdicts(after, scenario({ locks }), ["no-sleep-in-atomic"])["no-sleep-in-atomic"],
      ).toMatchObject({
        verdict: "holds",
        complete: true,
      });
    });

  it("mmu_interval_read_begin() under a spinlock is one only while an invalidation runs", () => {
    const d = design("read-begin-atomic", {
      s: { op: spinLock("drv.spin"), next: "m" },
      m: { op: mmuIntervalReadBegin(), next: "su" },
      su: { op: spinUnlock("drv.spin"), next: "exit" },
    });
    const alone = verdicts(d, scenario({ locks }), ["no-sleep-in-atomic"]);
    expect(alone["no-sleep-in-atomic"]).toMatchObject({ verdict: "holds", complete: true });
    // reclaim unmaps a page that is mapped (try_to_unmap() starts from a folio)
    const mapped = { ...ANON_PAGE, mapped: true };
    const invalidated = verdicts(
      d,
      scenario({ locks, vmas: [mapped], actors: [use(invalidateActor(), 1)] }),
      ["no-sleep-in-atomic"],
    )["no-sleep-in-atomic"];
    expect(invalidated?.verdict).toBe("violated");
    expect(invalidated?.message).toMatch(/mmu_interval_read_begin\(sub\).*while holding drv\.spin/);
  });

  it("handle_mm_fault() under a spinlock is a violation even for a page already there", () => {
    const d = design("sleep-fault", {
      m: { op: mmapReadLock(), next: "s" },
      s: { op: spinLock("drv.spin"), next: "v" },
      v: { op: vmaLookup("start", "vma"), on: { found: "f", none: "su" } },
      f: { op: handleMmFault("vma", "start", ["REMOTE"]), next: "su" },
      su: { op: spinUnlock("drv.spin"), next: "mu" },
      mu: { op: mmapReadUnlock(), next: "exit" },
    });
    const s = scenario({
      locks,
      vmas: [{ ...ANON_PAGE, mapped: true }],
    });
    const v = verdicts(d, s, ["no-sleep-in-atomic"])["no-sleep-in-atomic"];
    expect(v?.verdict).toBe("violated");
    expect(v?.message).toMatch(/handle_mm_fault\(vma, start, .*while holding drv\.spin/);
  });
});

describe("declared rwsems", () => {
  // T1..T4 take drv.sem: T1 and T3 for write, T2 and T4 for read (pick is local)
  const rw = design("rw", {
    pick: {
      op: {
        name: "pick mode",
        outcomes: ["r", "w"],
        local: true,
        run: (k) => (k.tid % 2 === 0 ? "w" : "r"),
      },
      on: { r: "r1", w: "w1" },
    },
    w1: { op: downWrite("drv.sem"), next: "w2" },
    w2: { op: upWrite("drv.sem"), next: "exit" },
    r1: { op: downRead("drv.sem"), next: "r2" },
    r2: { op: upRead("drv.sem"), next: "exit" },
  });
  const s = scenario({ locks: [{ name: "drv.sem", kind: "rwsem" as const }], drivers: 4 });

  it("up_write wakes every queued reader past a queued writer, as rwsem_mark_wake does", () => {
    const setup = setupFor(rw, s);
    let w = setup.world0;
    /** run `tid` until it holds drv.sem or sleeps on it */
    const take = (tid: number) => {
      for (let i = 0; i < 4; i++) {
        const t = w.threads[tid];
        if (t?.status.kind === "blocked" || t?.pc === "w2" || t?.pc === "r2") return;
        [w] = step(w, tid, 0, setup.programs);
      }
    };
    for (const tid of [0, 1, 2, 3]) take(tid);
    expect(w.locks["drv.sem"]).toEqual({
      kind: "rwsem",
      readers: [],
      writer: 0,
      waiters: [
        { tid: 1, mode: "read" },
        { tid: 2, mode: "write" },
        { tid: 3, mode: "read" },
      ],
    });
    [w] = step(w, 0, 0, setup.programs); // up_write
    expect(w.locks["drv.sem"]).toEqual({
      kind: "rwsem",
      readers: [1, 3],
      writer: null,
      waiters: [{ tid: 2, mode: "write" }],
    });
    expect(w.threads.map((t) => t.status.kind)).toEqual([
      "runnable",
      "runnable",
      "blocked",
      "runnable",
    ]);
  });

  it("the four threads neither deadlock nor leave the lock held", () => {
    const v = verdicts(rw, s, ["no-deadlock", "lock-balance"]);
    expect(v["no-deadlock"]).toMatchObject({ verdict: "holds", complete: true });
    expect(v["lock-balance"]).toMatchObject({ verdict: "holds", complete: true });
  });
});

describe("seqcounts and refcounts", () => {
  it("a reader retries when a write began in its section, and goes on when none did", () => {
    const locks = [{ name: "drv.seq", kind: "seqcount" as const }];
    // the reader records in `raced` whether it passed a retry check after a write began
    const reader = design("seq-reader", {
      begin: { op: readSeqcountBegin("drv.seq"), next: "retry" },
      retry: { op: readSeqcountRetry("drv.seq"), on: { retry: "begin", ok: "exit" } },
    });
    const writer = actor({
      id: "seq-writer",
      lane: "W",
      start: "idle",
      steps: {
        idle: { op: writeSeqcountBegin("drv.seq"), next: "end" },
        end: { op: writeSeqcountEnd("drv.seq"), next: "idle" },
      },
    });
    const s = scenario({ locks, actors: [use(writer, 2)] });
    const v = verdicts(reader, s, ["no-deadlock", "lock-balance"]);
    expect(v["no-deadlock"]).toMatchObject({ verdict: "holds", complete: true });
    expect(v["lock-balance"]).toMatchObject({ verdict: "holds", complete: true });
    // step by step: begin (T), a write begins and ends (W), retry (T) says "retry";
    // then begin, retry with no write between says "ok"
    const setup = setupFor(reader, s);
    let w = setup.world0;
    const run = (tid: number) => {
      const [next, rec] = step(w, tid, 0, setup.programs);
      w = next;
      return rec;
    };
    run(0);
    run(1);
    run(1);
    expect(run(0).outcome).toBe("retry");
    run(0);
    expect(run(0).outcome).toBe("ok");
    // a reader that begins while a write is in progress spins until it ends
    const [mid] = step(setup.world0, 1, 0, setup.programs);
    const [spinning] = step(mid, 0, 0, setup.programs);
    expect(spinning.threads[0]?.status.kind).toBe("blocked");
  });

  it("a seqcount reader spins: not asleep under a spinlock; a writer reading its own seqcount never returns", () => {
    // read_seqcount_begin() spins (cpu_relax) while the sequence is odd: inside a
    // spin_lock() section that is no sleep in atomic context
    const locks = [
      { name: "drv.spin", kind: "spinlock" as const },
      { name: "drv.seq", kind: "seqcount" as const },
    ];
    const reader = design("seq-under-spin", {
      lock: { op: spinLock("drv.spin"), next: "begin" },
      begin: { op: readSeqcountBegin("drv.seq"), next: "retry" },
      retry: { op: readSeqcountRetry("drv.seq"), on: { retry: "begin", ok: "unlock" } },
      unlock: { op: spinUnlock("drv.spin"), next: "exit" },
    });
    const writer = actor({
      id: "seq-writer-once",
      lane: "W",
      start: "idle",
      steps: {
        idle: { op: writeSeqcountBegin("drv.seq"), next: "end" },
        end: { op: writeSeqcountEnd("drv.seq"), next: "idle" },
      },
    });
    const s = scenario({ locks, actors: [use(writer, 1)] });
    // (the reader does block behind the write: the property had a state to judge)
    const setup = setupFor(reader, s);
    const [locked] = step(setup.world0, 0, 0, setup.programs);
    const [writing] = step(locked, 1, 0, setup.programs);
    const [spinning] = step(writing, 0, 0, setup.programs);
    expect(spinning.threads[0]?.status.kind).toBe("blocked");
    expect(verdicts(reader, s, ["no-sleep-in-atomic"])["no-sleep-in-atomic"]).toMatchObject({
      verdict: "holds",
      complete: true,
    });
    // the writer's own read spins for ever: its write is the one it waits for
    const selfRead = design("seq-self-read", {
      begin: { op: writeSeqcountBegin("drv.seq"), next: "read" },
      read: { op: readSeqcountBegin("drv.seq"), next: "end" },
      end: { op: writeSeqcountEnd("drv.seq"), next: "exit" },
    });
    const v = verdicts(selfRead, scenario({ locks }), ["no-deadlock"])["no-deadlock"];
    expect(v?.verdict).toBe("violated");
  });

  it("keeps RCU and seqcount readers in thread order, whatever order they came in", () => {
    // RCU counts each CPU's nesting and a seqcount_t keeps no readers: T2 then T1 and
    // T1 then T2 are one state
    const locks = [
      { name: "drv.rcu", kind: "rcu" as const },
      { name: "drv.seq", kind: "seqcount" as const },
    ];
    const reader = design("ordered-readers", {
      rcu: { op: rcuReadLock("drv.rcu"), next: "nest" },
      nest: { op: rcuReadLock("drv.rcu"), next: "seq" },
      seq: { op: readSeqcountBegin("drv.seq"), next: "exit" },
    });
    const setup = setupFor(reader, scenario({ locks, drivers: 2 }));
    const worldAfter = (order: readonly number[]) => {
      let w = setup.world0;
      for (const t of order) [w] = step(w, t, 0, setup.programs);
      return w;
    };
    const a = worldAfter([1, 1, 1, 0, 0, 0]);
    const b = worldAfter([0, 0, 0, 1, 1, 1]);
    const c = worldAfter([1, 0, 0, 1, 0, 1]);
    expect(a.locks).toEqual(b.locks);
    expect(c.locks).toEqual(b.locks);
    expect(a.locks["drv.rcu"]).toEqual({ kind: "rcu", readers: [0, 0, 1, 1] });
    expect(a.locks["drv.seq"]).toMatchObject({
      readers: [
        { tid: 0, stale: false },
        { tid: 1, stale: false },
      ],
    });
  });

  it("lock-balance sees a refcount_inc on 0 and a put below 0 (use after the last put)", () => {
    const locks = [{ name: "region->refs", kind: "refcount" as const, count: 1 }];
    const late = design("late-get", {
      put: { op: refcountDecAndTest("region->refs"), on: { zero: "get", nonzero: "exit" } },
      get: { op: refcountInc("region->refs"), next: "exit" },
    });
    expect(verdicts(late, scenario({ locks }), ["lock-balance"])["lock-balance"]?.message).toMatch(
      /refcount_inc on region->refs at 0 \(addition on 0; use-after-free/,
    );
    const balanced = design("balanced", {
      get: { op: refcountInc("region->refs"), next: "put" },
      put: { op: refcountDecAndTest("region->refs"), on: { zero: "exit", nonzero: "exit" } },
    });
    expect(
      verdicts(balanced, scenario({ locks, drivers: 2 }), ["lock-balance"])["lock-balance"],
    ).toMatchObject({
      verdict: "holds",
      complete: true,
    });
  });
});

describe("declared objects and actors", () => {
  // the driver looks a region up under its lock and uses it; an actor frees it under the same lock
  const locks = [{ name: "drv.lock", kind: "mutex" as const }];
  const objects = [{ name: "region" }];
  const freer = actor({
    id: "region-free",
    lane: "X",
    disruptive: true,
    start: "idle",
    steps: {
      idle: { op: mutexLock("drv.lock"), next: "free" },
      free: { op: freeObj("region"), next: "unlock" },
      unlock: { op: mutexUnlock("drv.lock"), next: "idle" },
    },
  });
  const s = scenario({ locks, objects, actors: [use(freer, 1)] });

  it("a pointer used after its lock was dropped is S1, and the free in between is S2", () => {
    const early = design("early-unlock", {
      l: { op: mutexLock("drv.lock"), next: "find" },
      find: { op: lookupObj("region", "r", "drv.lock"), on: { found: "u", none: "u2" } },
      u: { op: mutexUnlock("drv.lock"), next: "use" },
      use: { op: derefObj("r", "r->pages"), next: "exit" },
      u2: { op: mutexUnlock("drv.lock"), next: "exit" },
    });
    const v = verdicts(early, s, ["no-vma-use-after-unlock", "no-freed-vma-use"]);
    expect(v["no-vma-use-after-unlock"]?.message).toMatch(
      /used region \(looked up under drv\.lock/,
    );
    expect(v["no-freed-vma-use"]?.message).toMatch(/used region in r->pages, but X freed it/);
  });

  it("the same use under the lock holds, exhaustively", () => {
    const held = design("held", {
      l: { op: mutexLock("drv.lock"), next: "find" },
      find: { op: lookupObj("region", "r", "drv.lock"), on: { found: "use", none: "u" } },
      use: { op: derefObj("r", "r->pages"), next: "u" },
      u: { op: mutexUnlock("drv.lock"), next: "exit" },
    });
    const v = verdicts(held, s, [
      "no-vma-use-after-unlock",
      "no-freed-vma-use",
      "lock-balance",
      "no-deadlock",
    ]);
    for (const id of ["no-vma-use-after-unlock", "no-freed-vma-use", "lock-balance", "no-deadlock"])
      expect(v[id]).toMatchObject({ verdict: "holds", complete: true });
  });

  it("an actor's locals last one operation: back at its start, it holds none", () => {
    // `seen` records what each operation found of the local the previous one set
    const seen: unknown[] = [];
    const twice = actor({
      id: "twice",
      lane: "C",
      start: "enter",
      steps: {
        enter: {
          op: {
            name: "enter",
            outcomes: ["ok"],
            run: (k) => {
              seen.push(k.get("mine"));
              k.set("mine", 7);
              return "ok";
            },
          },
          next: "leave",
        },
        leave: {
          op: { name: "leave", outcomes: ["ok"], run: () => "ok" },
          next: "enter",
        },
      },
    });
    const idle = design("idle", { wait: { op: exit() } });
    const setup = setupFor(idle, scenario({ actors: [use(twice, 2)] }));
    let w = setup.world0;
    for (let i = 0; i < 4; i++) [w] = step(w, 1, 0, setup.programs);
    expect(seen).toEqual([undefined, undefined]);
    expect(w.threads[1]?.pc).toBe("enter");
    expect(w.threads[1]?.locals).toEqual({});
    // in the middle of an operation the local is there
    const [mid] = step(setup.world0, 1, 0, setup.programs);
    expect(mid.threads[1]?.locals).toEqual({ mine: 7 });
  });

  it("an actor's budget bounds its operations and its entry guard gates them", () => {
    let entries = 0;
    const counted = actor({
      id: "counted",
      lane: "C",
      start: "go",
      guard: (w) => w.objects.region?.state === "live",
      steps: {
        go: {
          op: {
            name: "count",
            outcomes: ["ok"],
            run: () => {
              entries++;
              return "ok";
            },
          },
          next: "go",
        },
      },
    });
    expect(
      counted.steps.go?.op.enabled?.(
        { threads: [{ budget: 0 }], objects: { region: { state: "live" } } } as never,
        0,
      ),
    ).toBe(false);
    expect(
      counted.steps.go?.op.enabled?.(
        { threads: [{ budget: 1 }], objects: { region: { state: "freed" } } } as never,
        0,
      ),
    ).toBe(false);
    expect(
      counted.steps.go?.op.enabled?.(
        { threads: [{ budget: null }], objects: { region: { state: "live" } } } as never,
        0,
      ),
    ).toBe(true);
    expect(entries).toBe(0);
  });
});

describe("compose()", () => {
  const a: Steps = { x: { op: exit() } };
  it("refuses a label defined twice, naming it and the fix", () => {
    expect(() => compose(a, { x: { op: exit() } })).toThrow(
      /fragment 2 defines step "x".*override/,
    );
  });
  it("lets a fragment marked override replace it in place", () => {
    const replaced = { op: exit() };
    const steps = compose(a, { y: { op: exit() } }, override({ x: replaced }));
    expect(Object.keys(steps)).toEqual(["x", "y"]);
    expect(steps.x).toBe(replaced);
  });
  it("treats labels named like Object.prototype members as labels", () => {
    expect(() =>
      compose({ constructor: { op: exit() } }, { toString: { op: exit() } }),
    ).not.toThrow();
  });
});

describe("a declared per-VMA lock (kind vma-lock)", () => {
  const locks = [{ name: "drv.obj", kind: "vma-lock" as const }];
  // T1 writes: mmap_write_lock, vma_start_write, mmap_write_unlock (which ends the write
  // lock). T2 reads: vma_start_read, and on "fail" the mmap lock fallback.
  const both = (readerTakesMmap: boolean) =>
    design(readerTakesMmap ? "reader-takes-mmap" : "reader-then-out", {
      pick: {
        op: {
          name: "pick role",
          outcomes: ["w", "r"],
          local: true,
          run: (k) => (k.tid === 0 ? "w" : "r"),
        },
        on: { w: "w1", r: "r1" },
      },
      w1: { op: mmapWriteLock(), next: "w2" },
      w2: { op: vmaStartWriteLock("drv.obj"), next: "w3" },
      w3: { op: mmapWriteUnlock(), next: "exit" },
      r1: { op: vmaStartReadLock("drv.obj"), on: { locked: "r2", fail: "f1" } },
      // holding the per-VMA read lock, the reader takes the mmap lock: the writer holds it
      // for write and waits for this very reader in vma_start_write
      r2: readerTakesMmap
        ? { op: mmapReadLock(), next: "r3" }
        : { op: vmaEndReadLock("drv.obj"), next: "exit" },
      r3: { op: mmapReadUnlock(), next: "r4" },
      r4: { op: vmaEndReadLock("drv.obj"), next: "exit" },
      f1: { op: mmapReadLock(), next: "f2" },
      f2: { op: mmapReadUnlock(), next: "exit" },
    });

  it("vma_start_read fails while write-locked; vma_start_write waits for the reader; mmap_write_unlock ends it", () => {
    const s = scenario({ locks, drivers: 2 });
    const setup = setupFor(both(false), s);
    let w = setup.world0;
    const run = (tid: number) => {
      [w] = step(w, tid, 0, setup.programs);
    };
    run(0); // T1: pick its role
    run(1); // T2: pick its role
    run(1); // T2: vma_start_read -> locked
    expect(w.locks["drv.obj"]).toEqual({ kind: "vma-lock", readers: [1], writer: null });
    run(0); // T1: mmap_write_lock
    run(0); // T1: vma_start_write: write-locked at once, waits for T2
    expect(w.locks["drv.obj"]).toMatchObject({ writer: 0 });
    expect(w.threads[0]?.status.kind).toBe("blocked");
    run(1); // T2: vma_end_read wakes T1
    expect(w.threads[0]?.status.kind).toBe("runnable");
    run(0); // T1: mmap_write_unlock: vma_end_write_all
    expect(w.locks["drv.obj"]).toEqual({ kind: "vma-lock", readers: [], writer: null });
  });

  it("a reader fails while the object is write-locked and falls back to the mmap lock", () => {
    const setup = setupFor(both(false), scenario({ locks, drivers: 2 }));
    let w = setup.world0;
    const run = (tid: number) => {
      [w] = step(w, tid, 0, setup.programs);
    };
    run(0); // T1: pick
    run(0); // T1: mmap_write_lock
    run(0); // T1: vma_start_write, no reader: write-locked at once
    expect(w.locks["drv.obj"]).toEqual({ kind: "vma-lock", readers: [], writer: 0 });
    run(1); // T2: pick
    run(1); // T2: vma_start_read -> fail
    expect(w.threads[1]?.pc).toBe("f1");
    expect(w.locks["drv.obj"]).toEqual({ kind: "vma-lock", readers: [], writer: 0 });
  });

  it("takes part in no-deadlock and lock-balance with no property code of the user's", () => {
    const bad = verdicts(both(true), scenario({ locks, drivers: 2 }), [
      "no-deadlock",
      "lock-balance",
    ]);
    expect(bad["no-deadlock"]?.verdict).toBe("violated");
    expect(bad["no-deadlock"]?.message).toMatch(/drv\.obj's VMA read lock/);
    const good = verdicts(both(false), scenario({ locks, drivers: 2 }), [
      "no-deadlock",
      "lock-balance",
    ]);
    expect(good["no-deadlock"]).toMatchObject({ verdict: "holds", complete: true });
    expect(good["lock-balance"]).toMatchObject({ verdict: "holds", complete: true });
  });

  it("vma_start_write without the mmap write lock is a design error", () => {
    const lone = design("lone", { w: { op: vmaStartWriteLock("drv.obj"), next: "exit" } });
    expect(() => verdicts(lone, scenario({ locks }), ["no-deadlock"])).toThrow(
      /vma_start_write\(drv\.obj\) without the mmap write lock/,
    );
  });
});
