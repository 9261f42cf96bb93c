// The folio path of handle_mm_fault (do_swap_page -> __folio_lock_or_retry, mm/filemap.c)
// and the folio wait queue: who waits exclusively, who keeps the fault lock, who is
// handed the lock on folio_unlock, and what a fatal signal ends.
import { describe, expect, it } from "vitest";
import { step } from "../engine/exec.js";
import { runSchedule, setupFor } from "../engine/run.js";
import { designById } from "../model/designs/index.js";
import { holdsMmap } from "../model/ghost.js";
import { handleMmFault } from "../model/kernel/fault.js";
import type { FaultFlag } from "../model/kernel/fault-flags.js";
import { mmapReadLock } from "../model/kernel/mmap-lock.js";
import { vmaLookup } from "../model/kernel/vma.js";
import { set } from "../model/locals.js";
import { scenario as declare } from "../model/scenarios.js";
import type { Ctx, Design } from "../model/step.js";
import type { World } from "../model/world.js";
import { propertyById } from "../properties/index.js";
import { bench, mini, scenario, tidOf } from "./helpers.js";

type Flags = readonly FaultFlag[] | ((k: Ctx) => readonly FaultFlag[]);

/** T: mmap_read_lock, vma_lookup(page 0), handle_mm_fault(flags), outcome in a local. */
function design(flags: Flags) {
  return mini({
    lock: { op: mmapReadLock(), next: "lookup" },
    lookup: { op: vmaLookup("start", "vma"), next: "fault" },
    fault: {
      op: handleMmFault("vma", "start", flags),
      on: { ok: "was_ok", retry: "was_retry", completed: "was_retry", error: "was_error" },
    },
    was_ok: { op: set({ outcome: "ok" }), next: "exit" },
    was_retry: { op: set({ outcome: "retry" }), next: "exit" },
    was_error: { op: set({ outcome: "error" }), next: "exit" },
  });
}

/** anon-swap with F holding page 0's folio, and T faulting page 0 with `flags`. */
function contended(flags: Flags) {
  const b = bench(scenario("anon-swap"), design(flags));
  const f = tidOf(b.world, "F");
  b.run(f, 0); // folio_lock(folio) [page 0]
  expect(b.world.folioLock[0]).toBe(f);
  b.run(); // mmap_read_lock
  b.run(); // vma_lookup
  b.run(); // handle_mm_fault
  return { b, f, s: tidOf(b.world, "S") };
}

const status = (w: World, tid = 0) => w.threads[tid]?.status;
const outcome = (w: World, tid = 0) => w.threads[tid]?.locals.outcome;

describe("the folio path of handle_mm_fault", () => {
  it("a first attempt drops the fault lock, waits without taking the folio, and returns RETRY", () => {
    const { b, f } = contended(["REMOTE", "WRITE", "ALLOW_RETRY", "KILLABLE"]);
    expect(holdsMmap(b.world, 0)).toBe(false);
    expect(status(b.world)?.kind).toBe("blocked");
    expect(b.world.folioWaiters[0]).toEqual([{ tid: 0, exclusive: false }]);
    b.run(f); // folio_unlock: wakes T, hands it nothing
    expect(b.world.folioLock[0]).toBe(null);
    expect(b.world.folioWaiters[0]).toEqual([]);
    expect(status(b.world)?.kind).toBe("runnable");
    b.run(f, 0); // F takes the folio again before T runs
    b.run();
    expect(outcome(b.world)).toBe("retry");
    expect(b.world.threads[0]?.locals.retry_src).toBe("folio");
    expect(b.world.ptes[0]).toBe("swap");
    expect(holdsMmap(b.world, 0)).toBe(false);
  });

  it("a first attempt with RETRY_NOWAIT returns RETRY at once with the lock held", () => {
    const { b } = contended(["REMOTE", "ALLOW_RETRY", "RETRY_NOWAIT"]);
    expect(outcome(b.world)).toBe("retry");
    expect(holdsMmap(b.world, 0)).toBe(true);
    expect(b.world.folioWaiters[0]).toEqual([]);
  });

  it("a TRIED | KILLABLE attempt queues with the fault lock held and is handed the folio on unlock", () => {
    const { b, f } = contended(["REMOTE", "WRITE", "ALLOW_RETRY", "KILLABLE", "TRIED"]);
    expect(holdsMmap(b.world, 0)).toBe(true);
    expect(status(b.world)).toMatchObject({
      kind: "blocked",
      on: { kind: "folio", killable: true },
    });
    expect(b.world.folioWaiters[0]).toEqual([{ tid: 0, exclusive: true }]);
    // the fault is not over while it sleeps: no result yet
    expect(b.world.threads[0]?.locals.vmret).toBeUndefined();
    b.run(f); // folio_unlock: the lock goes to T, F cannot take it back
    expect(b.world.folioLock[0]).toBe(0);
    expect(status(b.world)?.kind).toBe("runnable");
    b.run(f, 0); // F's next folio_lock can only take page 1's folio
    expect(b.world.folioLock).toEqual([0, f]);
    b.run(); // do_swap_page goes on under the folio lock
    expect(outcome(b.world)).toBe("ok");
    expect(b.world.ptes[0]).toBe("rw");
    expect(b.world.folioLock[0]).toBe(null);
    expect(holdsMmap(b.world, 0)).toBe(true);
  });

  it("a fatal signal ends a killable exclusive wait: RETRY with the fault lock released", () => {
    const { b, s } = contended(["REMOTE", "WRITE", "ALLOW_RETRY", "KILLABLE", "TRIED"]);
    b.run(s); // kill(T, SIGKILL)
    expect(b.world.folioWaiters[0]).toEqual([]);
    expect(status(b.world)?.kind).toBe("runnable");
    b.run();
    expect(outcome(b.world)).toBe("retry");
    expect(holdsMmap(b.world, 0)).toBe(false);
    expect(b.world.folioLock[0]).toBe(tidOf(b.world, "F"));
    expect(b.world.ptes[0]).toBe("swap");
  });

  it("a fatal signal ends a killable first-attempt wait with RETRY, but not a plain one", () => {
    const killable = contended(["REMOTE", "ALLOW_RETRY", "KILLABLE"]);
    killable.b.run(killable.s);
    expect(killable.b.world.folioWaiters[0]).toEqual([]);
    killable.b.run();
    expect(outcome(killable.b.world)).toBe("retry");

    const plain = contended(["REMOTE", "ALLOW_RETRY"]);
    plain.b.run(plain.s);
    expect(plain.b.world.threads[0]?.fatal).toBe(true);
    expect(status(plain.b.world)?.kind).toBe("blocked");
    expect(plain.b.world.folioWaiters[0]).toEqual([{ tid: 0, exclusive: false }]);
  });

  it("a non-killable TRIED wait keeps the fault lock and outlasts a fatal signal", () => {
    const { b, f, s } = contended(["REMOTE", "WRITE", "ALLOW_RETRY", "TRIED"]);
    expect(holdsMmap(b.world, 0)).toBe(true);
    expect(status(b.world)).toMatchObject({ on: { kind: "folio", killable: false } });
    b.run(s);
    expect(status(b.world)?.kind).toBe("blocked");
    expect(holdsMmap(b.world, 0)).toBe(true);
    b.run(f);
    expect(b.world.folioLock[0]).toBe(0);
    b.run();
    expect(outcome(b.world)).toBe("ok");
    expect(holdsMmap(b.world, 0)).toBe(true);
  });

  it("with KILLABLE but no ALLOW_RETRY a fatal signal still gives RETRY, lock released, noted", () => {
    const { b, s } = contended(["REMOTE", "KILLABLE"]);
    expect(holdsMmap(b.world, 0)).toBe(true);
    expect(status(b.world)).toMatchObject({ on: { kind: "folio", killable: true } });
    b.run(s);
    const [w, rec] = step(b.world, 0, 0, b.programs);
    expect(w.threads[0]?.locals.vmret).toBe("VM_FAULT_RETRY");
    expect(holdsMmap(w, 0)).toBe(false);
    expect(rec.events).toContainEqual(
      expect.objectContaining({
        k: "note",
        text: expect.stringMatching(/without FAULT_FLAG_ALLOW_RETRY/),
      }),
    );
  });

  it("a TRIED | KILLABLE attempt with the signal already pending returns RETRY without sleeping", () => {
    const b = bench(scenario("anon-swap"), design(["REMOTE", "ALLOW_RETRY", "KILLABLE", "TRIED"]));
    b.run(tidOf(b.world, "F"), 0);
    b.run(tidOf(b.world, "S"));
    b.run();
    b.run();
    b.run();
    expect(outcome(b.world)).toBe("retry");
    expect(holdsMmap(b.world, 0)).toBe(false);
    expect(b.world.folioWaiters[0]).toEqual([]);
  });
});

describe("folio_unlock", () => {
  // three drivers on anon-swap: T1 queues exclusively (TRIED), T2 waits for the unlock
  // (first attempt), T3 queues exclusively, in that order
  const flags = (k: Ctx): FaultFlag[] =>
    k.tid === 1 ? ["REMOTE", "ALLOW_RETRY"] : ["REMOTE", "ALLOW_RETRY", "TRIED"];
  const three = declare({
    id: "anon-swap-3",
    vmas: scenario("anon-swap").vmas,
    actors: [{ actor: "folio", budget: 1 }],
    drivers: 3,
  });

  it("wakes the waiters up to the first exclusive one, hands it the lock, and leaves the rest queued", () => {
    const b = bench(three, design(flags));
    const f = tidOf(b.world, "F");
    b.run(f, 0);
    for (const t of [0, 1, 2]) for (let i = 0; i < 3; i++) b.run(t);
    expect(b.world.folioWaiters[0]).toEqual([
      { tid: 0, exclusive: true },
      { tid: 1, exclusive: false },
      { tid: 2, exclusive: true },
    ]);
    b.run(f); // folio_unlock
    expect(b.world.folioLock[0]).toBe(0);
    expect(status(b.world, 0)?.kind).toBe("runnable");
    expect(status(b.world, 1)?.kind).toBe("blocked");
    expect(status(b.world, 2)?.kind).toBe("blocked");
    b.run(0); // T1 installs the page and unlocks: T2 is woken, T3 handed the lock
    // a read, but the entry is exclusive and the VMA VM_WRITE: mapped writable
    expect(b.world.ptes[0]).toBe("rw");
    expect(b.world.folioLock[0]).toBe(2);
    expect(b.world.folioWaiters[0]).toEqual([]);
    expect(status(b.world, 1)?.kind).toBe("runnable");
    b.run(2); // T3: the pte is no longer the swap entry (out_nomap): unlock, 0
    expect(outcome(b.world, 2)).toBe("ok");
    expect(b.world.folioLock[0]).toBe(null);
    b.run(1);
    expect(outcome(b.world, 1)).toBe("retry");
  });
});

describe("no-retry-livelock (L4)", () => {
  it("takes a retry without FAULT_FLAG_TRIED that then gets the folio as a note, not a violation", () => {
    const prop = propertyById("no-retry-livelock");
    const v8 = designById("v8");
    if (!prop || !v8) throw new Error("fixture missing");
    const setup = setupFor(v8, scenario("anon-swap"));
    const f = tidOf(setup.world0, "F");
    // F locks page 0, T faults it and waits, F unlocks, T refaults (first attempt again)
    const run = runSchedule(
      setup,
      [
        { t: f, p: 0 },
        { t: 0, p: 0, n: 100 },
        { t: f, p: 0 },
        { t: 0, p: 0, n: 200 },
      ],
      [prop],
      { noCompletion: true },
    );
    expect(run.final.threads[0]?.status.kind).toBe("done");
    expect(run.violations).toEqual([]);
    const notes = run.trace.flatMap((r) => r.events).filter((e) => e.k === "note");
    expect(notes).toContainEqual(
      expect.objectContaining({
        text: expect.stringMatching(/^first attempt again after a folio RETRY/),
      }),
    );
  });

  it("does not count a loop through a step that makes a page present", () => {
    const prop = propertyById("no-retry-livelock");
    const spec = prop?.lasso;
    if (!spec?.progress) throw new Error("no progress predicate");
    const w0 = setupFor(designById("v8") as Design, scenario("anon-swap")).world0;
    const present = { ...w0, ptes: ["rw", "swap"] } as World;
    expect(spec.progress(w0, present)).toBe(true);
    expect(spec.progress(present, present)).toBe(false);
    expect(spec.progress(present, w0)).toBe(false);
  });
});

describe("->page_mkwrite takes the folio lock (wp_page_shared)", () => {
  /** file-shared (ext4) with page 0 mapped read-only, T write-faulting it. */
  function writeFault(iFirst: boolean) {
    const b = bench(
      scenario("file-shared"),
      design(["REMOTE", "WRITE", "ALLOW_RETRY", "KILLABLE"]),
    );
    b.world = { ...b.world, ptes: ["ro", "none"] };
    const i = tidOf(b.world, "I");
    if (iFirst) b.run(i, 0); // try_to_unmap(page 0): folio locked, invalidation started
    b.run(); // mmap_read_lock
    b.run(); // vma_lookup
    b.run(); // handle_mm_fault
    return { b, i };
  }

  it("a read fault maps the page read-only: the mapping tracks dirtying (writenotify)", () => {
    const b = bench(scenario("file-shared"), design(["REMOTE", "ALLOW_RETRY", "KILLABLE"]));
    b.run(); // mmap_read_lock
    b.run(); // vma_lookup
    b.run(); // handle_mm_fault: do_read_fault()
    expect(b.world.threads[0]?.locals.vmret).toBe("0");
    expect(b.world.ptes[0]).toBe("ro");
    // shmem has no ->page_mkwrite: there the same read fault maps it writable
    const shmem = scenario("file-shared");
    const onShmem = {
      ...shmem,
      id: "shmem-shared",
      vmas: shmem.vmas.map((v) => ({ ...v, file: "shmem:0" })),
    };
    const c = bench(onShmem, design(["REMOTE", "ALLOW_RETRY", "KILLABLE"]));
    c.run();
    c.run();
    c.run();
    expect(c.world.ptes[0]).toBe("rw");
  });

  it("a write to a read-only page with the folio free: made writable, dirtied, lock dropped", () => {
    const { b } = writeFault(false);
    expect(b.world.threads[0]?.locals.vmret).toBe("VM_FAULT_COMPLETED");
    expect(b.world.ptes[0]).toBe("rw");
    expect(b.world.folioLock[0]).toBe(null);
    expect(holdsMmap(b.world, 0)).toBe(false);
  });

  it("behind reclaim's try_to_unmap(): sleeps with the fault lock held, then finds the PTE gone", () => {
    const { b, i } = writeFault(true);
    expect(status(b.world)).toMatchObject({
      kind: "blocked",
      on: { kind: "folio", killable: false },
    });
    expect(b.world.folioWaiters[0]).toEqual([{ tid: 0, exclusive: true }]);
    expect(b.world.ptes[0]).toBe("ro");
    expect(holdsMmap(b.world, 0)).toBe(true);
    b.run(i); // mutex_lock(user_lock)
    b.run(i); // invalidate()
    b.run(i); // zap pte; invalidate_range_end(); folio_unlock() hands T the lock
    expect(b.world.ptes[0]).toBe("none");
    expect(b.world.folioLock[0]).toBe(0);
    b.run(); // finish_mkwrite_fault(): not pte_same, VM_FAULT_NOPAGE; folio_unlock()
    expect(b.world.threads[0]?.locals.vmret).toBe("VM_FAULT_NOPAGE");
    expect(b.world.ptes[0]).toBe("none");
    expect(b.world.folioLock[0]).toBe(null);
    expect(holdsMmap(b.world, 0)).toBe(true);
    b.run(); // not an error (VM_FAULT_ERROR does not include VM_FAULT_NOPAGE)
    expect(b.world.threads[0]?.locals.outcome).toBe("ok");
  });
});
