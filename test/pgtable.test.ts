// Page tables (model/kernel/pgtable.ts), khugepaged's retraction
// (model/actors/khugepaged.ts) and the walker walk-pte-range, against the kernel rules:
//   - mm/pgtable-generic.c __pte_offset_map_lock() (read at commit 2c1ed907, v6.13 era;
//     the rule dates from v6.5): after spin_lock(ptl) it rechecks pmd_same() and, when
//     the pmd changed, pte_unmap_unlock()s and starts again; __pte_offset_map() returns
//     NULL when no PTE table is there any more;
//   - mm/khugepaged.c retract_page_tables() (2026 mainline tree; v6.6 locking): it takes
//     i_mmap_lock_read(), pmd_lock() and the ptl, never the mmap lock;
//   - mm/pgtable-generic.c pte_free_defer(): call_rcu(), so the table's page is freed
//     only after the readers inside RCU (pte_offset_map()'s) have left.
import { describe, expect, it } from "vitest";
import { isEnabled, step } from "../engine/exec.js";
import { exhaustiveRows } from "../engine/verdicts.js";
import { designById } from "../model/designs/index.js";
import { rcuReadersInside, rcuReadLock } from "../model/kernel/locks.js";
import type { StepRecord } from "../model/step.js";
import type { World } from "../model/world.js";
import { PROPERTIES } from "../properties/index.js";
import { bench, mini, scenario, tidOf } from "./helpers.js";

const props = (...ids: string[]) => PROPERTIES.filter((p) => ids.includes(p.id));
const EXHAUSTIVE = { depth: Number.POSITIVE_INFINITY };

function design(id: string) {
  const d = designById(id);
  if (!d) throw new Error(id);
  return d;
}

/** A bench of walk-pte-range in `scenarioId` that keeps every step's record. */
function walkBench(scenarioId: string) {
  const b = bench(scenario(scenarioId), design("walk-pte-range"));
  const recs: StepRecord[] = [];
  const run = (tid: number) => {
    const [next, rec] = step(b.world, tid, 0, b.programs);
    b.world = next;
    recs.push(rec);
    return rec;
  };
  return { b, recs, run, t: 0, h: tidOf(b.world, "C") };
}

const pc = (w: World, tid: number) => w.threads[tid]?.pc;
const table = (w: World) => w.objects.pte_table?.state;

describe("retract_page_tables()", () => {
  it("skips a VMA with an anon_vma: khugepaged does not start", () => {
    const { b, h } = walkBench("shmem-pte-retract");
    expect(isEnabled(b.world, h, b.programs)).toBe(true);
    const w = { ...b.world, vmas: b.world.vmas.map((v) => ({ ...v, anonVma: true })) };
    expect(isEnabled(w, h, b.programs)).toBe(false);
  });
});

describe("__pte_offset_map_lock: the pmd_same() recheck under the ptl", () => {
  it("a walker that mapped the table before khugepaged cleared the pmd unmaps, retries, and finds a hole", () => {
    const { b, run, t, h } = walkBench("shmem-pte-retract");
    run(t); // mmap_read_lock
    run(t); // pmd_none? no: a table
    expect(run(t).outcome).toBe("mapped"); // __pte_offset_map: inside RCU now
    expect(pc(b.world, t)).toBe("map.lock");
    // khugepaged: i_mmap_lock_read, pmd_lock, check_pmd_state, spin_lock_nested(ptl)
    for (let i = 0; i < 4; i++) run(h);
    expect(pc(b.world, h)).toBe("clear");
    // the walker spins on the ptl khugepaged holds
    run(t);
    expect(b.world.threads[t]?.status.kind).toBe("blocked");
    run(h); // pmdp_collapse_flush
    expect(table(b.world)).toBe("detached");
    run(h); // spin_unlock(ptl): hands it to the walker
    expect(b.world.locks.ptl).toMatchObject({ owner: t });
    // the pmd is not the one the walker mapped: pte_unmap_unlock and start again
    expect(run(t).outcome).toBe("changed");
    expect(pc(b.world, t)).toBe("map.retry");
    run(t); // pte_unmap_unlock(pte, ptl); goto again
    expect(b.world.locks.ptl).toMatchObject({ owner: null });
    expect(b.world.locks.rcu).toMatchObject({ readers: [] });
    // __pte_offset_map() returns NULL now: ACTION_AGAIN, and walk_pmd_range sees pmd_none
    expect(run(t).outcome).toBe("null");
    expect(run(t).outcome).toBe("none");
    expect(pc(b.world, t)).toBe("unlock");
  });

  it("without a racing khugepaged the recheck passes and the entry is read under the ptl", () => {
    const { b, run, t } = walkBench("shmem-pte-retract");
    const outcomes = [run(t), run(t), run(t), run(t), run(t)].map((r) => r.outcome);
    expect(outcomes).toEqual(["ok", "table", "mapped", "ok", "same"]);
    expect(pc(b.world, t)).toBe("entry");
    expect(b.world.locks.ptl).toMatchObject({ owner: t });
    expect(b.world.locks.rcu).toMatchObject({ readers: [t] });
  });
});

describe("retract_page_tables: no mmap lock, pte_free_defer", () => {
  it("retracts the table while another thread holds the mmap write lock, taking only i_mmap, pmd_lock and the ptl", () => {
    const { b, recs, run, h } = walkBench("shmem-pte-retract");
    // as if the walker's thread held mmap_write_lock: khugepaged does not wait for it
    b.world = { ...b.world, mmapLock: { readers: [], writer: 0, waiters: [] } };
    do run(h);
    while (pc(b.world, h) !== "rcu" && recs.length < 20);
    expect(table(b.world)).toBe("detached");
    expect(b.world.threads[h]?.status.kind).toBe("runnable");
    const taken = recs.flatMap((r) =>
      r.events.flatMap((e) => (e.k === "lock" && e.tid === h ? [e.lock] : [])),
    );
    expect(taken).toEqual([
      { kind: "named", name: "i_mmap_rwsem" },
      { kind: "named", name: "pmd_lock" },
      { kind: "named", name: "ptl" },
    ]);
    expect(b.world.mmapLock.readers).not.toContain(h);
  });

  it("frees the table only after the walker that mapped it has left RCU (pte_free_defer)", () => {
    const { b, run, t, h } = walkBench("shmem-pte-retract");
    run(t);
    run(t);
    run(t); // mapped: inside RCU
    do run(h);
    while (pc(b.world, h) !== "rcu");
    // the grace period waits for the walker: the callback stays at its step
    run(h);
    run(h);
    expect(pc(b.world, h)).toBe("rcu");
    expect(table(b.world)).toBe("detached");
    // the walker finds the pmd changed, unmaps (rcu_read_unlock), and goes on
    while (rcuReadersInside(b.world, "rcu").length > 0) run(t);
    run(h);
    expect(table(b.world)).toBe("freed");
    expect(pc(b.world, h)).toBe("idle");
  });

  it("with no reader inside RCU, the callback frees at once; the mutant frees at pte_free", () => {
    const ok = walkBench("shmem-pte-retract");
    do ok.run(ok.h);
    while (pc(ok.b.world, ok.h) !== "rcu");
    expect(table(ok.b.world)).toBe("detached");
    ok.run(ok.h);
    expect(table(ok.b.world)).toBe("freed");
    const bad = walkBench("shmem-pte-retract-pte-free");
    do bad.run(bad.h);
    while (pc(bad.b.world, bad.h) !== "unlock_immap");
    expect(table(bad.b.world)).toBe("freed");
  });
});

describe("no-pgtable-use-after-free and no-sleep-with-pte-mapped", () => {
  const both = props("no-pgtable-use-after-free", "no-sleep-with-pte-mapped", "no-sleep-in-atomic");

  it("walk-pte-range holds both beside khugepaged's retraction (exhaustive)", () => {
    const rows = exhaustiveRows(
      design("walk-pte-range"),
      scenario("shmem-pte-retract"),
      both,
      EXHAUSTIVE,
    );
    expect(rows.map((r) => [r.property, r.verdict, r.complete])).toEqual([
      ["no-sleep-in-atomic", "holds", true],
      ["no-pgtable-use-after-free", "holds", true],
      ["no-sleep-with-pte-mapped", "holds", true],
    ]);
  });

  for (const [id, use] of [
    ["walk-pte-range", "spin_lock(ptl)"],
    ["hmm-vma-walk-pmd", "ptep_get(pte)"],
  ] as const)
    it(`${id}: holds beside pte_free_defer, touches a freed table when khugepaged calls pte_free() at once`, () => {
      const uaf = props("no-pgtable-use-after-free");
      const [ok] = exhaustiveRows(design(id), scenario("shmem-pte-retract"), uaf, EXHAUSTIVE);
      expect([ok?.verdict, ok?.complete]).toEqual(["holds", true]);
      const [row] = exhaustiveRows(
        design(id),
        scenario("shmem-pte-retract-pte-free"),
        uaf,
        EXHAUSTIVE,
      );
      expect(row?.verdict).toBe("violated");
      expect(row?.message).toMatch(
        new RegExp(
          `T touched the page table pte_table in ${use.replace(/[()]/g, "\\$&")}, .* but C freed it`,
        ),
      );
      const ops = row?.counterexample?.run.trace.flatMap((s) => s.ops) ?? [];
      // mapped before the free, used after it
      expect(ops.indexOf("pte_free(mm, pmd_pgtable(pgt_pmd))")).toBeGreaterThan(
        ops.findIndex((o) => o.includes("pte_offset_map")),
      );
    });

  it("the walker that sleeps before pte_unmap() violates no-sleep-with-pte-mapped, not no-sleep-in-atomic", () => {
    const rows = exhaustiveRows(
      design("walk-pte-range-sleep-mapped"),
      scenario("shmem-pte-retract"),
      both,
      EXHAUSTIVE,
    );
    const by = Object.fromEntries(rows.map((r) => [r.property, r]));
    expect(by["no-sleep-with-pte-mapped"]?.verdict).toBe("violated");
    expect(by["no-sleep-with-pte-mapped"]?.message).toMatch(
      /T called cond_resched\(\), which may sleep, with the PTE table pte_table .* still mapped/,
    );
    // the ptl was released first: not a sleep under a spinlock
    expect(by["no-sleep-in-atomic"]?.verdict).toBe("holds");
    expect(by["no-pgtable-use-after-free"]?.verdict).toBe("holds");
  });

  it("a thread that returns inside rcu_read_lock() violates lock-balance", () => {
    const [row] = exhaustiveRows(
      mini({ enter: { op: rcuReadLock(), next: "exit" } }),
      scenario("shmem-pte-retract"),
      props("lock-balance"),
      EXHAUSTIVE,
    );
    expect(row?.verdict).toBe("violated");
    expect(row?.message).toMatch(/still holding rcu/);
  });
});
