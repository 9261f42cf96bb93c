// handle_mm_fault's contract (kernel-semantics 2.4, 4.2): the callee releases the lock
// on RETRY without NOWAIT; SIGBUS from handle_userfault without ALLOW_RETRY; outcomes
// follow from the world.
import { describe, expect, it } from "vitest";
import { holdsMmap } from "../model/ghost.js";
import { handleMmFault } from "../model/kernel/fault.js";
import type { FaultFlag } from "../model/kernel/fault-flags.js";
import { hugetlbVmaLockRead } from "../model/kernel/hugetlb.js";
import { mmapReadLock, mmapReadUnlock } from "../model/kernel/mmap-lock.js";
import { vmaLookup } from "../model/kernel/vma.js";
import { lockVmaUnderRcu } from "../model/kernel/vma-lock.js";
import { set } from "../model/locals.js";
import type { Steps } from "../model/step.js";
import { bench, calls, mini, runAlone, scenario, tidOf } from "./helpers.js";

function faulting(flags: readonly FaultFlag[], scen = "anon-uffd") {
  const d = mini({
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
  const b = bench(scenario(scen), d);
  b.run(); // lock
  b.run(); // lookup
  b.run(); // fault
  return b;
}

describe("handle_mm_fault", () => {
  it("gives SIGBUS with the lock held on a uffd range without ALLOW_RETRY (mainline HMM)", () => {
    const b = faulting(["REMOTE"]);
    expect(b.world.threads[0]?.locals.outcome).toBe("error");
    expect(b.world.threads[0]?.locals.vmret).toBe("VM_FAULT_SIGBUS");
    expect(holdsMmap(b.world, 0)).toBe(true);
  });

  it("gives SIGBUS with the lock held to a kernel fault on a UFFD_USER_MODE_ONLY uffd", () => {
    const b = faulting(["REMOTE", "ALLOW_RETRY", "KILLABLE"], "anon-uffd-usermode");
    expect(b.world.threads[0]?.locals.vmret).toBe("VM_FAULT_SIGBUS");
    expect(holdsMmap(b.world, 0)).toBe(true);
    expect(b.world.uffd.waiting).toEqual([]);
  });

  it("queues a user fault (FAULT_FLAG_USER) on a UFFD_USER_MODE_ONLY uffd as usual", () => {
    const b = faulting(["USER", "ALLOW_RETRY", "KILLABLE"], "anon-uffd-usermode");
    expect(b.world.threads[0]?.locals.vmret).toBe("VM_FAULT_RETRY");
    expect(holdsMmap(b.world, 0)).toBe(false);
    expect(b.world.uffd.waiting).toEqual([{ tid: 0, addr: 0, read: false }]);
    // a read fault maps the zero page: vmf_anon_prepare() did not run
    expect(b.world.vmas[0]?.anonVma).toBeUndefined();
  });

  it("gives SIGBUS to every fault, user or not, on a uffd with UFFD_FEATURE_SIGBUS", () => {
    for (const flags of [
      ["USER", "ALLOW_RETRY"],
      ["REMOTE", "ALLOW_RETRY"],
    ] as const) {
      const b = faulting(flags, "anon-uffd-sigbus");
      expect(b.world.threads[0]?.locals.vmret).toBe("VM_FAULT_SIGBUS");
      expect(holdsMmap(b.world, 0)).toBe(true);
      expect(b.world.uffd.waiting).toEqual([]);
    }
  });

  it("drops the mmap lock and sleeps in handle_userfault with ALLOW_RETRY", () => {
    const b = faulting(["REMOTE", "WRITE", "ALLOW_RETRY", "KILLABLE"]);
    const t = b.world.threads[0];
    expect(holdsMmap(b.world, 0)).toBe(false);
    expect(t?.status.kind).toBe("blocked");
    expect(b.world.uffd.waiting).toEqual([{ tid: 0, addr: 0, read: false }]);
    // do_anonymous_page(): vmf_anon_prepare() before handle_userfault()
    expect(b.world.vmas[0]?.anonVma).toBe(true);
    expect(b.world.ghost.epoch[0]).toBe(1);
    // the monitor copies the page and wakes T, which resumes at the RETRY outcome
    const m = tidOf(b.world, "M");
    b.run(m, 0); // read(): copy
    b.run(m); // uffd_lock_vma(): lock_vma_under_rcu succeeds (write fault: anon_vma set)
    expect(b.world.vmas[0]?.readers).toEqual([m]);
    expect(b.world.mmapLock.readers).toEqual([]);
    b.run(m); // mfill_atomic
    expect(b.world.ptes[0]).toBe("rw");
    expect(b.world.threads[0]?.status.kind).toBe("blocked"); // woken after the unlock
    b.run(m); // uffd_mfill_unlock; wake_userfault
    expect(b.world.vmas[0]?.readers).toEqual([]);
    expect(b.world.threads[0]?.status.kind).toBe("runnable");
    b.run(0);
    expect(b.world.threads[0]?.locals.outcome).toBe("retry");
  });

  it("answers a read fault on a private VMA through the mmap read lock (no anon_vma yet)", () => {
    const b = faulting(["REMOTE", "ALLOW_RETRY", "KILLABLE"]);
    const m = tidOf(b.world, "M");
    b.run(m, 0); // read(): copy
    b.run(m); // uffd_lock_vma(): lock_vma_under_rcu, then vma_end_read: no anon_vma
    expect(b.world.threads[m]?.pc).toBe("copy_lock");
    b.run(m); // mmap_read_lock
    b.run(m); // find_vma_and_prepare_anon; vma_start_read_locked
    expect(b.world.mmapLock.readers).toEqual([m]);
    expect(b.world.vmas[0]?.readers).toEqual([m]);
    b.run(m); // mmap_read_unlock
    b.run(m); // mfill_atomic
    b.run(m); // uffd_mfill_unlock; wake
    expect(b.world.ptes[0]).toBe("rw"); // mfill_atomic_install_pte: writable with VM_WRITE
    expect(b.world.mmapLock.readers).toEqual([]);
    expect(b.world.threads[0]?.status.kind).toBe("runnable");
  });

  it("completes a first write fault on a shared file page with the lock dropped (VM_FAULT_COMPLETED)", () => {
    const b = faulting(["REMOTE", "WRITE", "ALLOW_RETRY", "KILLABLE"], "file-shared");
    expect(b.world.threads[0]?.locals.vmret).toBe("VM_FAULT_COMPLETED");
    expect(b.world.ptes[0]).toBe("rw");
    expect(holdsMmap(b.world, 0)).toBe(false);
  });

  it("keeps the lock on a shared file write fault that is TRIED, NOWAIT, without ALLOW_RETRY, or a read", () => {
    for (const flags of [
      ["REMOTE", "WRITE", "ALLOW_RETRY", "TRIED"],
      ["REMOTE", "WRITE", "ALLOW_RETRY", "RETRY_NOWAIT"],
      ["REMOTE", "WRITE"],
      ["REMOTE", "ALLOW_RETRY"],
    ] as const) {
      const b = faulting(flags, "file-shared");
      expect(b.world.threads[0]?.locals.vmret, flags.join("|")).toBe("0");
      expect(holdsMmap(b.world, 0)).toBe(true);
    }
  });

  it("returns RETRY with the lock still held under RETRY_NOWAIT", () => {
    const b = faulting(["REMOTE", "ALLOW_RETRY", "RETRY_NOWAIT"]);
    expect(b.world.threads[0]?.locals.outcome).toBe("retry");
    expect(holdsMmap(b.world, 0)).toBe(true);
    expect(b.world.uffd.waiting).toEqual([]);
  });

  it("installs the page with the lock held when no uffd is armed", () => {
    const b = faulting(["REMOTE", "WRITE", "ALLOW_RETRY"], "anon-plain");
    expect(b.world.threads[0]?.locals.outcome).toBe("ok");
    expect(b.world.ptes[0]).toBe("rw");
    expect(holdsMmap(b.world, 0)).toBe(true);
  });

  it("lets a fatal signal end a killable uffd sleep, but not an uninterruptible one", () => {
    const killable = faulting(["REMOTE", "ALLOW_RETRY", "KILLABLE"]);
    killable.run(tidOf(killable.world, "S"));
    expect(killable.world.threads[0]?.status.kind).toBe("runnable");
    expect(killable.world.uffd.waiting).toEqual([]);

    const plain = faulting(["REMOTE", "ALLOW_RETRY"]);
    plain.run(tidOf(plain.world, "S"));
    expect(plain.world.threads[0]?.fatal).toBe(true);
    expect(plain.world.threads[0]?.status.kind).toBe("blocked");
  });

  it("can be mutated into the broken handler that returns RETRY still holding the lock", () => {
    const d = mini({
      lock: { op: mmapReadLock(), next: "lookup" },
      lookup: { op: vmaLookup("start", "vma"), next: "fault" },
      fault: {
        op: handleMmFault("vma", "start", ["ALLOW_RETRY"], { keepsLockOnRetry: true }),
        next: "exit",
      },
    });
    const b = bench(scenario("anon-uffd"), d);
    b.run();
    b.run();
    b.run();
    expect(b.world.threads[0]?.locals.vmret).toBe("VM_FAULT_RETRY");
    expect(holdsMmap(b.world, 0)).toBe(true);
  });
});

// hugetlb_fault() takes hugetlb_vma_lock_read itself (mm/hugetlb.c); an rwsem reader
// never passes a queued writer (kernel/locking/rwsem.c rwsem_down_read_slowpath).
describe("hugetlb_fault's own hugetlb VMA read lock", () => {
  function hugetlbFault(holdAcross: boolean) {
    const d = mini({
      lock: { op: mmapReadLock(), next: "lookup" },
      lookup: { op: vmaLookup("start", "vma"), next: holdAcross ? "hlock" : "fault" },
      hlock: { op: hugetlbVmaLockRead("vma"), next: "fault" },
      fault: {
        op: handleMmFault("vma", "start", ["REMOTE", "WRITE", "ALLOW_RETRY", "KILLABLE"]),
        next: "exit",
      },
    });
    const b = bench(scenario("hugetlb-zap"), d);
    b.run(); // mmap_read_lock
    b.run(); // vma_lookup
    if (holdAcross) b.run(); // hugetlb_vma_lock_read
    const z = tidOf(b.world, "Z");
    b.run(z); // madvise
    b.run(z); // try_vma_read_lock -> vma
    b.run(z); // hugetlb_zap_begin(): hugetlb_vma_lock_write for a hugetlb VMA
    return { b, z };
  }

  it("queues behind a queued writer when the caller already holds it: T and Z wait for each other", () => {
    const { b, z } = hugetlbFault(true);
    const lock = b.world.vmas[0]?.hugetlbLock;
    expect(lock?.readers).toEqual([0]);
    expect(lock?.waiters).toEqual([{ tid: z, mode: "write" }]);
    b.run(0); // handle_mm_fault -> hugetlb_fault: hugetlb_vma_lock_read queues
    expect(b.world.threads[0]?.status).toMatchObject({
      kind: "blocked",
      on: { kind: "rwsem", lock: { kind: "hugetlb", vma: 0 } },
    });
    expect(b.world.vmas[0]?.hugetlbLock?.waiters).toEqual([
      { tid: z, mode: "write" },
      { tid: 0, mode: "read" },
    ]);
    expect(b.world.ptes[0]).toBe("none");
  });

  it("waits for the zap's write hold, then faults once granted and drops its own hold", () => {
    const { b, z } = hugetlbFault(false);
    expect(b.world.vmas[0]?.hugetlbLock?.writer).toBe(z);
    b.run(0); // hugetlb_fault queues behind the writer
    expect(b.world.threads[0]?.status.kind).toBe("blocked");
    for (let i = 0; i < 6 && b.world.threads[0]?.status.kind === "blocked"; i++) b.run(z);
    expect(b.world.threads[0]?.status.kind).toBe("runnable");
    b.run(0); // the same step again: the fault itself
    expect(b.world.ptes[0]).toBe("rw");
    expect(b.world.vmas[0]?.hugetlbLock?.readers).toEqual([]);
    expect(b.world.threads[0]?.pc).toBe("exit");
  });
});

// A vm_ops->fault that breaks the contract of handle_mm_fault() (kernel-semantics 2.4:
// RETRY or COMPLETED only with FAULT_FLAG_ALLOW_RETRY, the lock released then): on a
// first attempt it returns VM_FAULT_RETRY without testing ALLOW_RETRY, as
// __folio_lock_or_retry() would without its fault_flag_allow_retry_first() test. The
// misbehaving-handler scenario maps such a driver (retrydrv); a design can also ask for
// the handler with FaultHandler.retryWithoutAllowRetry.
describe("the misbehaving fault handler (FaultHandler.retryWithoutAllowRetry)", () => {
  it("returns RETRY to a fault without ALLOW_RETRY, the lock still held", () => {
    const b = faulting(["REMOTE", "WRITE"], "misbehaving-handler");
    expect(b.world.threads[0]?.locals.outcome).toBe("retry");
    expect(b.world.threads[0]?.locals.retry_src).toBe("handler");
    expect(holdsMmap(b.world, 0)).toBe(true);
    expect(b.world.ptes[0]).toBe("none");
  });

  it("with ALLOW_RETRY it is a legal handler: it releases the lock, and a TRIED attempt installs", () => {
    const first = faulting(["REMOTE", "WRITE", "ALLOW_RETRY", "KILLABLE"], "misbehaving-handler");
    expect(first.world.threads[0]?.locals.outcome).toBe("retry");
    expect(holdsMmap(first.world, 0)).toBe(false);
    const tried = faulting(["REMOTE", "WRITE", "ALLOW_RETRY", "TRIED"], "misbehaving-handler");
    expect(tried.world.threads[0]?.locals.outcome).toBe("ok");
    expect(tried.world.ptes[0]).toBe("rw");
    expect(holdsMmap(tried.world, 0)).toBe(true);
  });

  it("is not called under the VMA lock: vmf_can_call_fault() (no ->map_pages) gives the lock back and retries", () => {
    const d = mini({
      vl: { op: lockVmaUnderRcu("start", "vma"), on: { locked: "fault", none: "exit" } },
      fault: {
        op: handleMmFault("vma", "start", ["USER", "WRITE", "ALLOW_RETRY", "VMA_LOCK"]),
        next: "exit",
      },
    });
    const b = bench(scenario("misbehaving-handler"), d);
    b.run(); // lock_vma_under_rcu
    b.run(); // fault
    const t = b.world.threads[0];
    expect(t?.locals.vmret).toBe("VM_FAULT_RETRY");
    expect(t?.locals.retry_src).toBe("vma-lock");
    expect(b.world.vmas[0]?.readers).toEqual([]);
    // ->fault never ran, and neither did vmf_anon_prepare()
    expect(b.world.ptes[0]).toBe("none");
    expect(b.world.vmas[0]?.anonVma).toBeUndefined();
  });

  it("has no ->page_mkwrite: a write to a shared read-only page of it is not a dirtying fault", () => {
    const base = scenario("misbehaving-handler");
    const shared = {
      ...base,
      id: "misbehaving-shared",
      vmas: base.vmas.map((v) => ({ ...v, shared: true })),
    };
    const d = mini({
      lock: { op: mmapReadLock(), next: "lookup" },
      lookup: { op: vmaLookup("start", "vma"), next: "fault" },
      fault: {
        op: handleMmFault("vma", "start", ["REMOTE", "WRITE", "ALLOW_RETRY", "KILLABLE"]),
        next: "exit",
      },
    });
    const b = bench(shared, d);
    b.world = { ...b.world, ptes: ["ro"] };
    b.run();
    b.run();
    b.run();
    // wp_page_shared() without ->page_mkwrite: no fault_dirty_shared_page(), the lock kept
    expect(b.world.threads[0]?.locals.vmret).toBe("0");
    expect(b.world.ptes[0]).toBe("rw");
    expect(holdsMmap(b.world, 0)).toBe(true);
  });

  it("is what a design asks for with the variant, on any mapping; without it anon faults in", () => {
    const d = mini({
      lock: { op: mmapReadLock(), next: "lookup" },
      lookup: { op: vmaLookup("start", "vma"), next: "fault" },
      fault: {
        op: handleMmFault("vma", "start", ["REMOTE"], { retryWithoutAllowRetry: true }),
        next: "exit",
      },
    });
    const b = bench(scenario("anon-plain"), d);
    b.run();
    b.run();
    b.run();
    expect(b.world.threads[0]?.locals.vmret).toBe("VM_FAULT_RETRY");
    expect(faulting(["REMOTE", "WRITE"], "anon-plain").world.threads[0]?.locals.outcome).toBe("ok");
  });
});

/** Steps that fault page `start` in under the mmap read lock, then go on at `next`. */
function faultedIn(next: string): Steps {
  return {
    in_lock: { op: mmapReadLock(), next: "in_lookup" },
    in_lookup: { op: vmaLookup("start", "vma"), next: "in_fault" },
    in_fault: { op: handleMmFault("vma", "start", ["REMOTE"]), next: "in_unlock" },
    in_unlock: { op: mmapReadUnlock(), next },
  };
}

// do_swap_page() on a device-private entry (mm/memory.c at v7.0): migrate_to_ram() does
// not run under the per-VMA lock, so the fault gives the lock back and retries.
describe("a device-private entry", () => {
  /** T walks page 0, G migrates it to its device, then T faults it with `flags`. */
  function migrated(flags: readonly FaultFlag[]) {
    const vmaLocked = flags.includes("VMA_LOCK");
    const d = mini({
      ...faultedIn(vmaLocked ? "vl" : "mm"),
      vl: { op: lockVmaUnderRcu("start", "vma"), on: { locked: "fault", none: "exit" } },
      mm: { op: mmapReadLock(), next: "lookup" },
      lookup: { op: vmaLookup("start", "vma"), next: "fault" },
      fault: { op: handleMmFault("vma", "start", flags), next: "exit" },
    });
    const b = bench(scenario("anon-migrate-device-private"), d);
    b.world = runAlone(b.programs, b.world, 0, calls("mmap_read_unlock")).world;
    // the scenario's page: one the process wrote
    expect(b.world.ptes[0]).toBe("rw");
    const g = tidOf(b.world, "G");
    b.world = runAlone(b.programs, b.world, g, calls("migrate_vma_finalize"), 40).world;
    expect(b.world.ptes[0]).toBe("device-private");
    return runAlone(b.programs, b.world, 0, calls("handle_mm_fault")).world;
  }
  it("under the VMA lock: vma_end_read() and VM_FAULT_RETRY, the entry left as it is", () => {
    const w = migrated(["REMOTE", "ALLOW_RETRY", "VMA_LOCK"]);
    expect(w.threads[0]?.locals.vmret).toBe("VM_FAULT_RETRY");
    expect(w.vmas.filter((v) => v.readers.includes(0))).toEqual([]);
    expect(w.ptes[0]).toBe("device-private");
  });

  it("under the mmap lock: migrate_to_ram() brings the page back", () => {
    const w = migrated(["REMOTE", "ALLOW_RETRY"]);
    expect(w.threads[0]?.locals.vmret).toBe("0");
    expect(w.ptes[0]).toBe("ro");
  });
});

// Before seed 004 (6.4-6.5), do_swap_page() returned VM_FAULT_RETRY under the VMA lock
// before it looked at the entry: a migration entry did not wait there (seed 004's
// "mm: drop VMA lock before waiting for migration" moved the test).
describe("a migration entry under the VMA lock", () => {
  function underVmaLock(handler: { preVmaLockSeries?: boolean }) {
    const d = mini({
      ...faultedIn("vl"),
      vl: { op: lockVmaUnderRcu("start", "vma"), on: { locked: "fault", none: "exit" } },
      fault: {
        op: handleMmFault("vma", "start", ["REMOTE", "ALLOW_RETRY", "VMA_LOCK"], handler),
        next: "exit",
      },
    });
    const b = bench(scenario("anon-migrate"), d);
    b.world = runAlone(b.programs, b.world, 0, calls("mmap_read_unlock")).world;
    const g = tidOf(b.world, "G");
    b.world = runAlone(b.programs, b.world, g, calls("migrate_vma_collect_pmd"), 40).world;
    expect(b.world.ptes[0]).toBe("migration");
    return runAlone(b.programs, b.world, 0, calls("handle_mm_fault")).world;
  }

  it("6.4-6.5: VM_FAULT_RETRY at once, the VMA lock still held, no wait", () => {
    const w = underVmaLock({ preVmaLockSeries: true });
    expect(w.threads[0]?.locals.vmret).toBe("VM_FAULT_RETRY");
    expect(w.threads[0]?.status.kind).toBe("runnable");
    expect(w.vmas.filter((v) => v.readers.includes(0)).map((v) => v.id)).toEqual([0]);
  });

  it("since v6.6: migration_entry_wait() under the VMA lock", () => {
    const w = underVmaLock({});
    expect(w.threads[0]?.status.kind).toBe("blocked");
  });
});
