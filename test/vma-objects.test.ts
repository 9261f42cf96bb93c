// VMA objects (issue 18, point 4) and decisions about VMA fields (point 6), against the
// kernel rules they model:
//   - __vmf_anon_prepare() (mm/memory.c) with vmf_anon_prepare() (mm/internal.h), read
//     as quoted from v7.0 (the trylock since "mm: Optimise vmf_anon_prepare() for VMAs
//     without an anon_vma", v6.10): under FAULT_FLAG_VMA_LOCK a VMA without an anon_vma is prepared
//     only after mmap_read_trylock() succeeds, else VM_FAULT_RETRY with the VMA lock
//     released; __anon_vma_prepare() (mm/rmap.c) asserts the mmap lock and attaches
//     vma->anon_vma under mm->page_table_lock;
//   - vma_start_read() (include/linux/mmap_lock.h, v6.16-v7.0) and lock_vma_under_rcu()
//     (mm/mmap_lock.c, read at v6.15 in torvalds/linux and as quoted from v7.0): a write-
//     locked VMA gives NULL, a vm_refcnt of 0 (detached or freed) -EAGAIN and a new walk,
//     a VMA whose vm_mm is another mm (its slot reused: SLAB_TYPESAFE_BY_RCU) has the
//     reference put back and gives NULL; then the address is checked against
//     [vm_start, vm_end).
import { describe, expect, it } from "vitest";
import { exhaustiveRows } from "../engine/verdicts.js";
import { EFAULT } from "../model/errno.js";
import { PAGE_TABLE_LOCK } from "../model/kernel/anon-vma.js";
import { vmaAt } from "../model/kernel/vma.js";
import { VMA_FIELD_RULES } from "../model/kernel/vma-field.js";
import type { World } from "../model/world.js";
import { PROPERTIES } from "../properties/index.js";
import { bench, design, scenario, tidOf } from "./helpers.js";

const FIELD = PROPERTIES.filter((p) => p.id === "vma-field-under-lock");
const OWN_MM = PROPERTIES.filter((p) => p.id === "vma-of-own-mm");

/** T1 of anon-vma-prepare run to `label` (no other thread runs). */
function faultTo(label: string, designId = "anon-fault") {
  const b = bench(scenario("anon-vma-prepare"), design(designId));
  const pcs: string[] = [];
  while (b.world.threads[0]?.pc !== label && pcs.length < 20) {
    pcs.push(b.world.threads[0]?.pc ?? "?");
    b.run(0);
  }
  return { b, pcs };
}

describe("vmf_anon_prepare under the per-VMA lock", () => {
  it("finds no anon_vma under the VMA lock and, with mmap_read_trylock failing, returns RETRY with the VMA lock released", () => {
    const { b, pcs } = faultTo("vl.trylock");
    expect(pcs).toEqual(["start", "vl.walk", "vl.start", "vl.range", "vl.access", "vl.anon"]);
    expect(b.world.vmas[0]?.readers).toEqual([0]);
    // mprotect holds the mmap write lock
    const w2 = tidOf(b.world, "W2");
    b.world = { ...b.world, mmapLock: { readers: [], writer: w2, waiters: [] } } as World;
    b.run(0);
    expect(b.world.threads[0]?.pc).toBe("vl.retry");
    b.run(0);
    expect(b.world.vmas[0]?.readers).toEqual([]);
    expect(b.world.threads[0]?.pc).toBe("mm.lock");
    expect(b.world.vmas[0]?.anonVma).toBeUndefined();
  });

  it("with the trylock, attaches vma->anon_vma under the mmap read lock and page_table_lock, then drops both", () => {
    const { b } = faultTo("vl.prep.attach");
    expect(b.world.mmapLock.readers).toEqual([0]);
    const ptl = b.world.locks[PAGE_TABLE_LOCK];
    expect(ptl?.kind === "spinlock" && ptl.owner).toBe(0);
    b.run(0);
    expect(b.world.vmas[0]?.anonVma).toBe(true);
    while (b.world.threads[0]?.pc !== "vl.install") b.run(0);
    expect(b.world.mmapLock.readers).toEqual([]);
    expect(b.world.locks[PAGE_TABLE_LOCK]).toMatchObject({ owner: null });
    b.run(0);
    expect(b.world.ptes[0]).toBe("rw");
  });

  it("a second thread that finds the anon_vma attached by the first puts its own back", () => {
    const { b } = faultTo("vl.prep.attach");
    b.run(0);
    expect(b.world.vmas[0]?.anonVma).toBe(true);
    // T2 is at the same check now: it sees the anon_vma under the VMA lock and goes on
    while (b.world.threads[1]?.pc !== "vl.anon") b.run(1);
    b.run(1);
    expect(b.world.threads[1]?.pc).toBe("vl.install");
  });

  it("the rules: anon_vma is written with the mmap lock and page_table_lock, never under the VMA lock alone", () => {
    const r = VMA_FIELD_RULES.anon_vma;
    expect(r.write({ mmap: "read", vma: "read", pageTableLock: true })).toBe(true);
    expect(r.write({ mmap: null, vma: "read", pageTableLock: true })).toBe(false);
    expect(r.write({ mmap: "read", vma: null, pageTableLock: false })).toBe(false);
    expect(r.read({ mmap: null, vma: "read", pageTableLock: false })).toBe(true);
    // vm_mm under RCU alone (no reference yet) is not to be trusted
    expect(VMA_FIELD_RULES.vm_mm.read({ mmap: null, vma: null, pageTableLock: false })).toBe(false);
    expect(
      VMA_FIELD_RULES["vm_start/vm_end"].write({ mmap: "write", vma: null, pageTableLock: false }),
    ).toBe(false);
  });
});

describe("vma_start_read on the slot mas_walk found", () => {
  /** T of anon-vma-slab-reuse after mas_walk, with vma#0's slot changed by `change`. */
  function afterWalk(change: (w: World) => World) {
    const b = bench(scenario("anon-vma-slab-reuse"), design("anon-fault"));
    b.run(0);
    b.run(0);
    expect(b.world.threads[0]?.pc).toBe("vl.start");
    b.world = change(b.world);
    b.run(0);
    return b;
  }
  const slot = (w: World, v: Partial<World["vmas"][number]>) =>
    ({ ...w, vmas: [{ ...w.vmas[0], ...v }] }) as World;

  it("takes a reference on an attached VMA of its own mm", () => {
    const b = afterWalk((w) => w);
    expect(b.world.vmas[0]?.readers).toEqual([0]);
    expect(b.world.threads[0]?.pc).toBe("vl.range");
  });

  it("puts the reference back when the slot now holds another mm's VMA, and falls back to the mmap lock", () => {
    const b = afterWalk(
      (w) =>
        ({
          ...slot(w, { mm: 0 }),
          childMms: [{ vmas: [{ start: 0, end: 1, flags: w.vmas[0]?.flags }] }],
        }) as World,
    );
    expect(b.world.vmas[0]?.readers).toEqual([]);
    expect(b.world.threads[0]?.pc).toBe("mm.lock");
    // the mmap-lock lookup does not see another mm's VMA either
    expect(vmaAt(b.world, 0)).toBeNull();
  });

  it("walks again when vm_refcnt is 0 (detached or freed), and gives NULL while write-locked", () => {
    expect(afterWalk((w) => slot(w, { state: "detached" })).world.threads[0]?.pc).toBe("vl.walk");
    expect(afterWalk((w) => slot(w, { state: "freed" })).world.threads[0]?.pc).toBe("vl.walk");
    const locked = afterWalk((w) => slot(w, { writeLocked: true }));
    expect(locked.world.threads[0]?.pc).toBe("mm.lock");
    expect(locked.world.vmas[0]?.readers).toEqual([]);
  });
});

describe("the VMA reference and the detach wait (vm_refcnt, v6.15+)", () => {
  /** Run thread `tid` until its pc is `label` (at most 30 steps). */
  function runTo(b: ReturnType<typeof bench>, tid: number, label: string): void {
    for (let i = 0; i < 30 && b.world.threads[tid]?.pc !== label; i++) b.run(tid);
    expect(b.world.threads[tid]?.pc).toBe(label);
  }

  it("vma_mark_detached() waits while the fault holds its reference, and vma_end_read() wakes it", () => {
    const b = bench(scenario("anon-vma-slab-reuse"), design("anon-fault"));
    const w = tidOf(b.world, "W");
    runTo(b, 0, "vl.access");
    expect(b.world.vmas[0]?.readers).toEqual([0]);
    runTo(b, w, "detach");
    b.run(w);
    // munmap holds the mmap write lock and sleeps until the reader leaves
    expect(b.world.threads[w]?.status).toMatchObject({
      kind: "blocked",
      on: { kind: "vma-readers", vma: 0 },
    });
    expect(b.world.vmas[0]?.state).toBe("live");
    // the anon_vma is missing and the trylock fails under munmap's write lock: RETRY
    runTo(b, 0, "vl.retry");
    b.run(0);
    expect(b.world.vmas[0]?.readers).toEqual([]);
    expect(b.world.threads[w]?.status.kind).toBe("runnable");
    b.run(w);
    expect(b.world.vmas[0]?.state).toBe("detached");
  });

  it("a slot freed by munmap and reused by another mm between mas_walk and vma_start_read is put back", () => {
    const b = bench(scenario("anon-vma-slab-reuse"), design("anon-fault"));
    const w = tidOf(b.world, "W");
    const x = tidOf(b.world, "X");
    runTo(b, 0, "vl.start");
    b.run(w);
    runTo(b, w, "idle");
    expect(b.world.vmas[0]?.state).toBe("freed");
    b.run(x);
    expect(b.world.vmas[0]).toMatchObject({ state: "live", mm: 0 });
    expect(b.world.childMms).toHaveLength(1);
    b.run(0);
    expect(b.world.threads[0]?.pc).toBe("mm.lock");
    expect(b.world.vmas[0]?.readers).toEqual([]);
    // under the mmap lock the fault finds no VMA of its own at the address: SIGSEGV
    runTo(b, 0, "exit");
    expect(b.world.threads[0]?.locals.ret).toBe(EFAULT);
    expect(b.world.ptes[0]).toBe("none");
  });
});

describe("exhaustive verdicts", () => {
  const row = (d: string, s: string, props: typeof FIELD) =>
    exhaustiveRows(design(d), scenario(s), props, { depth: Number.POSITIVE_INFINITY })[0];

  for (const s of ["anon-vma-prepare", "anon-vma-slab-reuse"])
    it(`anon-fault holds vma-field-under-lock and vma-of-own-mm in ${s}`, () => {
      for (const p of [FIELD, OWN_MM]) {
        const r = row("anon-fault", s, p);
        expect(r?.verdict).toBe("holds");
        expect(r?.complete).toBe(true);
      }
    });

  it("preparing the anon_vma under the VMA lock alone violates vma-field-under-lock", () => {
    const r = row("anon-fault-prepare-vma-locked", "anon-vma-prepare", FIELD);
    expect(r?.verdict).toBe("violated");
    expect(r?.message).toMatch(
      /wrote vma#0->anon_vma .* holding vma#0's VMA lock \(read\), mm->page_table_lock; that needs the mmap lock/,
    );
  });

  it("lock_vma_under_rcu without the vm_mm and range checks faults another mm's VMA (vma-of-own-mm)", () => {
    const r = row("anon-fault-no-recheck", "anon-vma-slab-reuse", OWN_MM);
    expect(r?.verdict).toBe("violated");
    expect(r?.message).toMatch(/now holds a VMA of another mm/);
    const ops = r?.counterexample?.run.trace.map((t) => t.ops.join("; ")) ?? [];
    // the slot was reused between the walk and vma_start_read
    const walk = ops.findIndex((x) => x.includes("mas_walk"));
    const reuse = ops.findIndex((x) => x.includes("vm_area_alloc()"));
    const start = ops.findIndex((x) => x.includes("vma_start_read"));
    expect(walk).toBeGreaterThanOrEqual(0);
    expect(reuse).toBeGreaterThan(walk);
    expect(start).toBeGreaterThan(reuse);
    // without a reuse (anon-vma-prepare) the same mutant holds
    expect(row("anon-fault-no-recheck", "anon-vma-prepare", OWN_MM)?.verdict).toBe("holds");
  });
});
