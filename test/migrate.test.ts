// Migration entries and migrate_vma (model/kernel/migrate.ts, model/actors/migrate-vma.ts,
// hmmWalkEntryMigration in model/kernel/hmm.ts), against mm/hmm.c hmm_vma_handle_pte()
// and hmm_range_fault() as read in a v6.16 tree (the one with hmm_dma_map_alloc): on a
// migration entry with a fault required the walker does pte_unmap(), sets last = addr,
// sleeps in migration_entry_wait() and returns -EBUSY, and hmm_range_fault()'s do/while
// loop checks mmu_interval_check_retry() and walks again from last; without a fault
// required the page is reported not valid (0). migrate_vma_finalize() replaces the entry
// and unlocks the folio (mm/migrate_device.c), which wakes the walker. A device-private
// entry of another device than range->dev_private_owner is faulted when required
// (hmm_vma_fault -> do_swap_page -> migrate_to_ram) and reported not valid otherwise;
// hmm_range_fault before 08ddddda667b (v5.7) reported it valid whatever its owner.
import { describe, expect, it } from "vitest";
import { exhaustiveRows } from "../engine/verdicts.js";
import { designById } from "../model/designs/index.js";
import { mainlineMigrate } from "../model/designs/mainline-migrate.js";
import { handleMmFault } from "../model/kernel/fault.js";
import { HMM_PFN_VALID } from "../model/kernel/hmm.js";
import { migrateVmaFinalize } from "../model/kernel/migrate.js";
import { mmapReadLock } from "../model/kernel/mmap-lock.js";
import { vmaLookup } from "../model/kernel/vma.js";
import { set } from "../model/locals.js";
import type { Thread, World } from "../model/world.js";
import { PROPERTIES } from "../properties/index.js";
import { bench, mini, scenario, tidOf } from "./helpers.js";

const props = (...ids: string[]) => PROPERTIES.filter((p) => ids.includes(p.id));

/** anon-migrate with page 0 under migration: G holds the folio lock and is at finalize. */
function underMigration(req: number | null) {
  const d =
    req === null
      ? mainlineMigrate
      : mini({ init: { op: set({ req }), next: "again" }, ...mainlineMigrate.steps }, "init");
  const b = bench(scenario("anon-migrate"), d);
  const w = b.world;
  const g = tidOf(w, "G");
  const threads = w.threads.map(
    (t): Thread =>
      t.id === g ? { ...t, pc: "finalize", locals: { mig_page: 0, mig_pte: "ro" } } : t,
  );
  b.world = {
    ...w,
    threads,
    ptes: ["migration"],
    folioLock: [g],
    mmapLock: { readers: [g], writer: null, waiters: [] },
  } as World;
  return { b, g };
}

/** Run T until it blocks, finishes, or `n` steps; the labels it ran. */
function runT(b: ReturnType<typeof underMigration>["b"], n = 40): string[] {
  const labels: string[] = [];
  while (labels.length < n) {
    const t = b.world.threads[0];
    if (t?.status.kind !== "runnable") break;
    labels.push(t.pc);
    b.run(0);
  }
  return labels;
}

describe("hmm_vma_handle_pte on a migration entry", () => {
  it("with a fault required: unmaps, sleeps in migration_entry_wait, then -EBUSY and a new walk from that page", () => {
    const { b, g } = underMigration(null);
    const before = runT(b);
    expect(before.slice(-2)).toEqual(["pte.entry", "pte.migration_wait"]);
    const t = b.world.threads[0];
    expect(t?.status).toMatchObject({ kind: "blocked", on: { kind: "folio", page: 0 } });
    expect(t?.locals.last).toBe(0);
    // migrate_vma_finalize: the new page replaces the entry, folio_unlock wakes T
    b.run(g);
    expect(b.world.ptes[0]).toBe("ro");
    expect(b.world.threads[0]?.status.kind).toBe("runnable");
    const after = runT(b);
    // return -EBUSY from the walk (ret = -EBUSY and the loop's test run as one step);
    // hmm_range_fault loops: check_retry, then a walk from last, the same page
    expect(after.slice(0, 4)).toEqual(["pte.ebusy", "hmm.top", "walk", "pte.entry"]);
    expect(after).toContain("consume");
    expect((b.world.ghost.consumed?.[0] ?? 0) & HMM_PFN_VALID).toBe(HMM_PFN_VALID);
  });

  it("without a fault required: reports the page not valid and goes on", () => {
    const { b } = underMigration(0);
    const labels = runT(b);
    expect(labels).not.toContain("pte.migration_wait");
    expect(labels).toContain("consume");
    expect(b.world.ghost.consumed).toEqual([0]);
    expect(b.world.threads[0]?.status.kind).toBe("done");
  });
});

describe("migration-entry-not-valid", () => {
  it("mainline-migrate holds it; the mutant that reads the entry as a present page violates it, and read_retry does not notice", () => {
    const ok = exhaustiveRows(
      mainlineMigrate,
      scenario("anon-migrate"),
      props("migration-entry-not-valid"),
      { depth: Number.POSITIVE_INFINITY },
    );
    expect(ok[0]?.verdict).toBe("holds");
    expect(ok[0]?.complete).toBe(true);
    const mutant = designById("mainline-migrate-valid");
    if (!mutant) throw new Error("mainline-migrate-valid");
    const bad = exhaustiveRows(
      mutant,
      scenario("anon-migrate"),
      props("migration-entry-not-valid", "pfns-under-valid-seq"),
      { depth: Number.POSITIVE_INFINITY },
    );
    const row = (id: string) => bad.find((r) => r.property === id);
    expect(row("migration-entry-not-valid")?.verdict).toBe("violated");
    expect(row("migration-entry-not-valid")?.message).toMatch(
      /reported page 0 valid from a migration entry/,
    );
    const ops = row("migration-entry-not-valid")?.counterexample?.run.trace.map((s) =>
      s.ops.join("; "),
    );
    expect(ops?.some((x) => x.includes("set_pte_at(migration entry)"))).toBe(true);
    // the driver's own MMU_NOTIFY_MIGRATE is skipped by its callback: the seq check holds
    expect(row("pfns-under-valid-seq")?.verdict).toBe("holds");
  });
});

/** anon-migrate-device-private with page 0 already in the other device's private memory. */
function devicePrivate(req: number | null) {
  const d =
    req === null
      ? mainlineMigrate
      : mini({ init: { op: set({ req }), next: "again" }, ...mainlineMigrate.steps }, "init");
  const b = bench(scenario("anon-migrate-device-private"), d);
  b.world = { ...b.world, ptes: ["device-private"] } as World;
  return b;
}

describe("hmm_vma_handle_pte on another device's private page", () => {
  it("with a fault required: migrate_to_ram brings it back, -EBUSY, and the new walk reports the present page", () => {
    const b = devicePrivate(null);
    const labels = runT(b, 60);
    // (the local step "hmm" runs with the one before it)
    expect(labels.slice(0, 6)).toEqual([
      "again",
      "lock",
      "hmm.top",
      "walk",
      "pte.entry",
      "pte.fault",
    ]);
    expect(b.world.ptes[0]).toBe("ro");
    expect(labels).toContain("consume");
    expect((b.world.ghost.consumed?.[0] ?? 0) & HMM_PFN_VALID).toBe(HMM_PFN_VALID);
  });

  it("without a fault required: reports it not valid and leaves it on the device", () => {
    const b = devicePrivate(0);
    const labels = runT(b, 60);
    expect(labels).not.toContain("pte.fault");
    expect(b.world.ptes[0]).toBe("device-private");
    expect(b.world.ghost.consumed).toEqual([0]);
  });
});

describe("device-private-owner", () => {
  it("mainline-migrate holds it; hmm_range_fault before 08ddddda667b (any owner) violates it", () => {
    const p = props("device-private-owner");
    const [ok] = exhaustiveRows(mainlineMigrate, scenario("anon-migrate-device-private"), p, {
      depth: Number.POSITIVE_INFINITY,
    });
    expect(ok?.verdict).toBe("holds");
    expect(ok?.complete).toBe(true);
    const mutant = designById("mainline-migrate-any-owner");
    if (!mutant) throw new Error("mainline-migrate-any-owner");
    const [bad] = exhaustiveRows(mutant, scenario("anon-migrate-device-private"), p, {
      depth: Number.POSITIVE_INFINITY,
    });
    expect(bad?.verdict).toBe("violated");
    expect(bad?.message).toMatch(/valid from a device-private entry of another device/);
    const ops = bad?.counterexample?.run.trace.map((s) => s.ops.join("; ")) ?? [];
    expect(ops.some((x) => x.includes("migrate_vma_finalize"))).toBe(true);
  });
});

describe("do_swap_page on a migration entry (mm/memory.c, v6.16 tree)", () => {
  it("sleeps in migration_entry_wait until the migration unlocks the folio, then returns 0 without mapping", () => {
    const d = mini({
      lock: { op: mmapReadLock(), next: "lookup" },
      lookup: { op: vmaLookup("start", "vma"), next: "fault" },
      fault: {
        op: handleMmFault("vma", "start", ["REMOTE"]),
        on: { ok: "exit", retry: "exit", completed: "exit", error: "exit" },
      },
    });
    const b = bench(scenario("anon-migrate"), d);
    const g = tidOf(b.world, "G");
    const threads = b.world.threads.map(
      (t): Thread =>
        t.id === g ? { ...t, pc: "finalize", locals: { mig_page: 0, mig_pte: "rw" } } : t,
    );
    b.world = {
      ...b.world,
      threads,
      ptes: ["migration"],
      folioLock: [g],
      mmapLock: { readers: [g], writer: null, waiters: [] },
    } as World;
    b.run(0); // lock
    b.run(0); // lookup
    b.run(0); // fault: the entry is there, the folio locked
    expect(b.world.threads[0]?.status).toMatchObject({ kind: "blocked", on: { kind: "folio" } });
    expect(b.world.ptes[0]).toBe("migration");
    b.run(g); // migrate_vma_finalize: the new page, folio_unlock
    expect(b.world.ptes[0]).toBe("rw");
    expect(b.world.threads[0]?.status.kind).toBe("runnable");
    expect(b.world.threads[0]?.locals.vmret).toBe("0");
  });
});

describe("migrate_vma_pages() to device-private memory", () => {
  /** Thread 0 at migrate_vma_finalize for page 0, a migration entry it put there. */
  function finalizing(scen: string, was: string) {
    const b = bench(
      scenario(scen),
      mini({ fin: { op: migrateVmaFinalize("device-private"), next: "exit" } }),
    );
    b.world = {
      ...b.world,
      threads: b.world.threads.map((t) =>
        t.id === 0 ? { ...t, locals: { mig_page: 0, mig_pte: was } } : t,
      ),
      ptes: b.world.ptes.map((p, i) => (i === 0 ? "migration" : p)),
      folioLock: b.world.folioLock.map((f, i) => (i === 0 ? 0 : f)),
    } as World;
    b.run(0);
    return b.world;
  }

  it("moves an anonymous page there, one fork shared staying shared", () => {
    expect(finalizing("anon-migrate", "rw").ptes[0]).toBe("device-private");
    expect(finalizing("anon-migrate", "cow").ptes[0]).toBe("device-private-cow");
  });

  it("refuses a file page and maps the old page back ('only support anonymous memory')", () => {
    const w = finalizing("file-shared", "rw");
    expect(w.ptes[0]).toBe("rw");
    expect(w.folioLock[0]).toBeNull();
  });
});
