// do_wp_page() (mm/memory.c, read at v7.0): a write to a page a private mapping may not
// write in place (the zero page, a page fork() shared, a private file page) goes to
// wp_page_copy(), which replaces the entry between mmu_notifier_invalidate_range_start()
// and _end(), the mirror's invalidate() callback taking user_lock; an exclusive
// anonymous page is made writable in place (wp_page_reuse()), no invalidation.
import { describe, expect, it } from "vitest";
import { copyHoldsFolio } from "../model/kernel/cow.js";
import { handleMmFault } from "../model/kernel/fault.js";
import { migrateVmaCollectPage } from "../model/kernel/migrate.js";
import { mmapReadLock } from "../model/kernel/mmap-lock.js";
import { userLock, userUnlock } from "../model/kernel/notifier.js";
import { vmaLookup } from "../model/kernel/vma.js";
import { wrprotect } from "../model/kernel/vma-layout.js";
import type { Scenario } from "../model/scenarios.js";
import type { Steps } from "../model/step.js";
import { op } from "../model/step.js";
import { deadlockCycle } from "../model/waitfor.js";
import type { Pte, World } from "../model/world.js";
import { type Bench, bench, mini, scenario } from "./helpers.js";

const WRITE = ["WRITE", "ALLOW_RETRY", "KILLABLE"] as const;

/** The fault: mmap_read_lock, vma_lookup, a write fault on page 0. */
const faulting: Steps = {
  lock: { op: mmapReadLock(), next: "lookup" },
  lookup: { op: vmaLookup("start", "vma"), next: "fault" },
  fault: { op: handleMmFault("vma", "start", WRITE), next: "exit" },
};

/** The same, a read fault. */
const reading: Steps = {
  ...faulting,
  fault: { op: handleMmFault("vma", "start", ["ALLOW_RETRY", "KILLABLE"]), next: "exit" },
};

/** fork's copy_pte_range() on page 0 (its write-protect step, without the invalidation) */
const forkWrprotect = op({
  name: "copy_pte_range()",
  outcomes: ["ok"],
  run: (k) => {
    wrprotect(k, 0, 1, true);
    return "ok";
  },
});

/** A test-only step: another thread changes page 0's entry (a zap, say). */
const zap = op({
  name: "zap page 0",
  outcomes: ["ok"],
  run: (k) => {
    k.w.ptes[0] = "none";
    return "ok";
  },
});

/** The first step of two drivers: T1 goes to `first`, T2 to `second`. */
const which = (first: string, second: string): Steps[string] => ({
  op: op({
    name: "which",
    outcomes: ["first", "second"],
    run: (k) => (k.tid === 0 ? "first" : "second"),
  }),
  on: { first, second },
});

/** T1 takes user_lock and, with `zapping`, zaps page 0 before it unlocks; T2 faults. */
const twoDrivers = (zapping: boolean): Steps => ({
  which: which("ulock", "lock"),
  ulock: { op: userLock(), next: zapping ? "zap" : "uunlock" },
  zap: { op: zap, next: "uunlock" },
  uunlock: { op: userUnlock(), next: "exit" },
  ...faulting,
});

/** anon-uffd-1's private anonymous VMA, its page `pte` and its anon_vma attached. */
function world(steps: Steps, pte: Pte, drivers = 1): Bench {
  const s: Scenario = { ...scenario("anon-uffd-1"), drivers };
  const b = bench(s, mini(steps));
  b.world = {
    ...b.world,
    ptes: [pte],
    vmas: b.world.vmas.map((v) => ({ ...v, anonVma: true })),
  } as World;
  return b;
}

const run = (b: Bench, tid: number, n: number) => {
  for (let i = 0; i < n; i++) b.run(tid);
};

describe("do_wp_page()", () => {
  it("copies a page fork() shared, between an invalidation's start and end", () => {
    const b = world(faulting, "cow");
    const seq = b.world.notifier.mmSeq;
    run(b, 0, 3);
    // the first turn: the start and the callback; the invalidation is in flight
    const mid = b.world;
    expect(mid.ptes).toEqual(["cow"]);
    expect(mid.notifier.mmSeq).toBe(seq + 1);
    expect(mid.notifier.subSeq).toBe(seq + 1);
    expect(mid.notifier.invalidators).toEqual([0]);
    expect(mid.threads[0]?.status.kind).toBe("runnable");
    expect(mid.threads[0]?.pc).toBe("fault");
    run(b, 0, 1);
    const w = b.world;
    expect(w.ptes).toEqual(["rw"]);
    // the mirror's invalidate() set the subscription's seq: a retry check now fails
    expect(w.notifier.subSeq).toBe(seq + 1);
    expect(w.notifier.mmSeq).toBe(seq + 2);
    expect(w.notifier.active).toBe(0);
    expect(w.notifier.userLock.owner).toBeNull();
    expect(w.threads[0]?.locals.vmret).toBe("0");
  });

  it("copies the zero page the same way", () => {
    const b = world(faulting, "zero");
    const seq = b.world.notifier.subSeq;
    run(b, 0, 4);
    expect(b.world.ptes).toEqual(["rw"]);
    expect(b.world.notifier.subSeq).not.toBe(seq);
  });

  it("reuses an exclusive anonymous page in place, with no invalidation", () => {
    const b = world(faulting, "ro");
    const before = b.world.notifier;
    run(b, 0, 3);
    expect(b.world.ptes).toEqual(["rw"]);
    expect(b.world.notifier).toEqual(before);
  });

  it("sleeps on a held user_lock with the invalidation started, and finishes once handed it", () => {
    const b = world(twoDrivers(false), "cow", 2);
    const seq = b.world.notifier.mmSeq;
    run(b, 0, 2); // which, mutex_lock(user_lock)
    expect(b.world.notifier.userLock.owner).toBe(0);
    run(b, 1, 4); // which, mmap_read_lock, vma_lookup, handle_mm_fault
    let w = b.world;
    expect(w.threads[1]?.status.kind).toBe("blocked");
    expect(w.notifier.userLock.waiters).toEqual([1]);
    // the seq is odd while it sleeps: read_begin would sleep too
    expect(w.notifier.mmSeq).toBe(seq + 1);
    expect(w.notifier.invalidators).toEqual([1]);
    expect(w.ptes).toEqual(["cow"]);
    expect(w.threads[1]?.locals.vmret).toBeUndefined();
    run(b, 0, 1); // mutex_unlock(user_lock): handed to T2
    expect(b.world.notifier.userLock.owner).toBe(1);
    expect(b.world.threads[1]?.status.kind).toBe("runnable");
    run(b, 1, 1); // the fault step again: the callback
    expect(b.world.notifier.userLock.owner).toBeNull();
    expect(b.world.notifier.subSeq).toBe(seq + 1);
    expect(b.world.ptes).toEqual(["cow"]);
    run(b, 1, 1); // and again: the new entry and the end
    w = b.world;
    expect(w.ptes).toEqual(["rw"]);
    expect(w.notifier.userLock.owner).toBeNull();
    expect(w.notifier.mmSeq).toBe(seq + 2);
    expect(w.notifier.subSeq).toBe(seq + 1);
    expect(w.notifier.invalidators).toEqual([]);
    expect(w.threads[1]?.locals.vmret).toBe("0");
    expect(w.threads[1]?.pc).toBe("exit");
  });

  it("drops the copy when pte_same() fails after the sleep", () => {
    const b = world(twoDrivers(true), "cow", 2);
    run(b, 0, 2);
    run(b, 1, 4);
    run(b, 0, 2); // zap, mutex_unlock(user_lock)
    run(b, 1, 2); // the callback, then the entry is no longer the one it read
    expect(b.world.ptes).toEqual(["none"]);
    expect(b.world.notifier.active).toBe(0);
    expect(b.world.threads[1]?.locals.vmret).toBe("0");
  });

  it("drops the copy when another thread changes the entry between its two turns", () => {
    const b = world(
      {
        which: which("zap", "lock"),
        zap: { op: zap, next: "exit" },
        ...faulting,
      },
      "cow",
      2,
    );
    run(b, 1, 4); // which, mmap_read_lock, vma_lookup, the copy's first turn
    expect(b.world.notifier.invalidators).toEqual([1]);
    run(b, 0, 2); // which, zap
    run(b, 1, 1);
    expect(b.world.ptes).toEqual(["none"]);
    expect(b.world.notifier.invalidators).toEqual([]);
    expect(b.world.threads[1]?.pc).toBe("exit");
  });

  it("keeps migrate_vma off a page it is copying: its folio reference fails the migration", () => {
    const b = world(
      {
        which: which("collect", "lock"),
        collect: { op: migrateVmaCollectPage(0), next: "exit" },
        ...faulting,
      },
      "cow",
      2,
    );
    run(b, 1, 4); // which, mmap_read_lock, vma_lookup, the copy's first turn
    run(b, 0, 2); // which, migrate_vma_collect_pmd()
    expect(b.world.ptes).toEqual(["cow"]);
    expect(b.world.folioLock).toEqual([null]);
    run(b, 1, 1);
    expect(b.world.ptes).toEqual(["rw"]);
    // once the copy is over, the page can be collected
    expect(copyHoldsFolio(b.world, 0)).toBe(false);
  });

  it("maps an exclusive swapped-in page writable in a VM_WRITE VMA, even for a read", () => {
    // do_swap_page(): "Same logic as in do_wp_page()" for an exclusive swap entry
    const b = world(reading, "swap");
    run(b, 0, 3);
    expect(b.world.ptes).toEqual(["rw"]);
  });

  it("maps a private file mapping's page on a read fault as one a write copies", () => {
    const s: Scenario = {
      ...scenario("anon-uffd-1"),
      vmas: [
        {
          name: "file-private",
          pages: 1,
          write: true,
          shared: false,
          hugetlb: false,
          uffdMissing: false,
          file: "ext4:0",
        },
      ],
    };
    const b = bench(s, mini(reading));
    run(b, 0, 3);
    expect(b.world.ptes).toEqual(["cow"]);
  });

  it("swaps in a swap entry fork shared as a shared page, and copies it for a write", () => {
    // fork's copy_nonpresent_pte() clears the entry's exclusive bit
    const fork = world(
      {
        wp: {
          op: forkWrprotect,
          next: "exit",
        },
      },
      "swap",
    );
    fork.run(0);
    expect(fork.world.ptes).toEqual(["swap-cow"]);
    const read = world(reading, "swap-cow");
    const before = read.world.notifier;
    run(read, 0, 3);
    expect(read.world.ptes).toEqual(["cow"]);
    expect(read.world.notifier).toEqual(before);
    const write = world(faulting, "swap-cow");
    const seq = write.world.notifier.subSeq;
    run(write, 0, 4);
    expect(write.world.ptes).toEqual(["rw"]);
    expect(write.world.notifier.subSeq).not.toBe(seq);
    expect(write.world.folioLock).toEqual([null]);
  });

  it("brings a device-private page fork shared back shared; the write's next fault copies it", () => {
    const fork = world({ wp: { op: forkWrprotect, next: "exit" } }, "device-private");
    fork.run(0);
    expect(fork.world.ptes).toEqual(["device-private-cow"]);
    // migrate_to_ram(): read-only and shared, whatever the access
    const b = world(faulting, "device-private-cow");
    const seq = b.world.notifier.subSeq;
    run(b, 0, 3);
    expect(b.world.ptes).toEqual(["cow"]);
    expect(b.world.notifier.subSeq).toBe(seq);
    // the access again: do_wp_page() -> wp_page_copy()
    const again = world(faulting, "cow");
    run(again, 0, 4);
    expect(again.world.ptes).toEqual(["rw"]);
  });

  it("never wakes a thread that faults with user_lock held itself", () => {
    const b = world({ ulock: { op: userLock(), next: "lock" }, ...faulting }, "cow");
    run(b, 0, 4);
    const w = b.world;
    expect(w.threads[0]?.status.kind).toBe("blocked");
    expect(w.notifier.userLock.owner).toBe(0);
    expect(w.notifier.userLock.waiters).toEqual([0]);
    expect(w.ptes).toEqual(["cow"]);
    // no-deadlock reports it: T waits for user_lock, which T holds
    expect(deadlockCycle(w)?.map((e) => [e.from, e.to])).toEqual([[0, 0]]);
  });
});
