// The VMA layout changes, each against the kernel rule it models:
//   - munmap-split: vms_gather_munmap_vmas() -> __split_vma() (mm/vma.c at torvalds/linux
//     01c373e9a5ce): `new` takes the part below addr when new_below, else the part
//     above; the original vm_area_struct keeps the range that is unmapped and freed;
//     vma_start_write() waits for the VMA's readers first;
//   - mprotect-ro: mprotect_fixup() (mm/mprotect.c at 003fde4492c8): vma_modify_flags()
//     splits so that the original keeps the range, vm_flags_reset_once() clears
//     VM_WRITE, change_protection() write-protects; hugetlb_change_protection()
//     (mm/hugetlb.c at 0010b838db9f) takes hugetlb_vma_lock_write() after
//     mmu_notifier_invalidate_range_start();
//   - mremap: move_vma() (mm/mremap.c at 000c0691ec6a): vma_start_write(vma), copy_vma()
//     (the new VMA write-locked by vma_link()), move_page_tables() under an
//     invalidation, mremap_userfaultfd_prep() without EVENT_REMAP, the old VMA unmapped
//     and freed, all under the mmap write lock;
//   - fork: dup_mmap() (kernel/fork.c, "fork: lock VMAs of the parent process when
//     forking", Jul 2023): the parent's mmap write lock across the copy,
//     vma_start_write() on each parent VMA, copy_page_range() write-protecting the
//     parent's entries of a COW mapping under an invalidation, dup_userfaultfd()
//     dropping the child's uffd context.
import { describe, expect, it } from "vitest";
import type { Actor } from "../model/actor.js";
import { use } from "../model/actor.js";
import { forkActor } from "../model/actors/fork.js";
import { mprotectReadOnlyActor } from "../model/actors/mprotect-ro.js";
import { mremapActor } from "../model/actors/mremap.js";
import { munmapSplitActor } from "../model/actors/munmap-split.js";
import { vmaAt } from "../model/kernel/vma.js";
import { lockVmaUnderRcu, vmaEndReadOp } from "../model/kernel/vma-lock.js";
import { scenario as declare, type VmaSpec } from "../model/scenarios.js";
import { DesignError } from "../model/step.js";
import type { Pte, World } from "../model/world.js";
import { type Bench, bench, mini, tidOf } from "./helpers.js";

const anon = (pages: number, extra: Partial<VmaSpec> = {}): VmaSpec => ({
  name: "anon",
  pages,
  write: true,
  shared: false,
  hugetlb: false,
  uffdMissing: true,
  ...extra,
});
const hugetlb = (pages: number): VmaSpec => ({
  name: "hugetlb",
  pages,
  write: true,
  shared: true,
  hugetlb: true,
  uffdMissing: true,
  file: "hugetlbfs:0",
});

/** T takes the per-VMA read lock of page 0's VMA and, when scheduled again, drops it. */
const reader = mini({
  lock: { op: lockVmaUnderRcu("start", "vma"), on: { locked: "unlock", none: "exit" } },
  unlock: { op: vmaEndReadOp("vma"), next: "exit" },
});

function world(vmas: readonly VmaSpec[], a: Actor, ptes?: readonly Pte[]): Bench {
  const s = declare({ id: `layout-${a.id}`, vmas, actors: [use(a, 1)] });
  const b = bench(s, reader);
  if (ptes) b.world = { ...b.world, ptes: [...ptes] };
  return b;
}

/** Run thread `tid` until it is back at `pc` (or blocked, or done): the picks, then 0s. */
function runTo(b: Bench, tid: number, pc: string, picks: readonly number[] = []): void {
  let n = 0;
  do {
    b.run(tid, picks[n] ?? 0);
    n++;
    if (n > 100) throw new Error(`thread ${tid} never reached ${pc}`);
  } while (b.world.threads[tid]?.pc !== pc && b.world.threads[tid]?.status.kind === "runnable");
}

const span = (w: World, id: number) => {
  const v = w.vmas[id];
  return v && { start: v.start, end: v.end, state: v.state };
};

describe("munmap of one page: __split_vma at the range edges", () => {
  it("unmaps the original vm_area_struct; the new one keeps the page below (new_below = 1)", () => {
    const b = world([anon(2)], munmapSplitActor(), ["rw", "rw"]);
    const w = tidOf(b.world, "W");
    b.run(w, 1); // munmap(page 1)
    b.run(w); // mmap_write_lock
    b.run(w); // vms_gather_munmap_vmas: the split
    expect(span(b.world, 0)).toEqual({ start: 1, end: 2, state: "live" });
    expect(span(b.world, 1)).toEqual({ start: 0, end: 1, state: "live" });
    // both write-locked: lock_vma_under_rcu() fails on either until the lock goes
    expect(b.world.vmas.map((v) => v.writeLocked)).toEqual([true, true]);
    runTo(b, w, "idle");
    expect(span(b.world, 0)).toEqual({ start: 1, end: 2, state: "freed" });
    expect(span(b.world, 1)).toEqual({ start: 0, end: 1, state: "live" });
    expect(b.world.ptes).toEqual(["rw", "none"]);
    expect(b.world.vmas[1]?.writeLocked).toBe(false);
    expect(vmaAt(b.world, 1)).toBeNull();
  });

  it("with the range at the VMA's start, the new VMA takes the part above (new_below = 0)", () => {
    const b = world([anon(2)], munmapSplitActor(), ["rw", "rw"]);
    const w = tidOf(b.world, "W");
    runTo(b, w, "idle", [0]); // munmap(page 0)
    expect(span(b.world, 0)).toEqual({ start: 0, end: 1, state: "freed" });
    expect(span(b.world, 1)).toEqual({ start: 1, end: 2, state: "live" });
    expect(b.world.ptes).toEqual(["none", "rw"]);
  });

  it("splits the middle page out of a three-page VMA twice; the original is the middle", () => {
    const b = world([anon(3)], munmapSplitActor());
    const w = tidOf(b.world, "W");
    runTo(b, w, "idle", [1]);
    expect(span(b.world, 0)).toEqual({ start: 1, end: 2, state: "freed" });
    expect(span(b.world, 1)).toEqual({ start: 0, end: 1, state: "live" });
    expect(span(b.world, 2)).toEqual({ start: 2, end: 3, state: "live" });
  });

  it("write-locks the VMA and waits for its reader before splitting", () => {
    const b = world([anon(2)], munmapSplitActor());
    const w = tidOf(b.world, "W");
    b.run(0); // T: lock_vma_under_rcu
    expect(b.world.vmas[0]?.readers).toEqual([0]);
    b.run(w, 1);
    b.run(w);
    b.run(w); // the split waits
    expect(b.world.threads[w]?.status.kind).toBe("blocked");
    expect(b.world.vmas).toHaveLength(1);
    expect(b.world.vmas[0]?.writeLocked).toBe(true);
    b.run(0); // T: vma_end_read wakes W
    expect(b.world.threads[w]?.status.kind).toBe("runnable");
    b.run(w);
    expect(b.world.vmas).toHaveLength(2);
  });

  it("gives the new part of a shared hugetlb VMA a hugetlb_vma_lock of its own", () => {
    const b = world([hugetlb(2)], munmapSplitActor());
    const w = tidOf(b.world, "W");
    b.run(w, 1);
    b.run(w);
    b.run(w);
    const [old, split] = b.world.vmas;
    expect(split?.hugetlbLock).toEqual({ readers: [], writer: null, waiters: [] });
    expect(split?.hugetlbLock).not.toBe(old?.hugetlbLock);
    runTo(b, w, "idle");
    // the zap took and released the original's lock; the new part is untouched
    expect(b.world.vmas[0]?.state).toBe("freed");
    expect(b.world.vmas[1]?.hugetlbLock).toEqual({ readers: [], writer: null, waiters: [] });
  });
});

describe("mprotect(PROT_READ) of one page", () => {
  it("splits, clears VM_WRITE on the original and write-protects its entries under an invalidation", () => {
    const b = world([anon(2)], mprotectReadOnlyActor(), ["rw", "rw"]);
    const p = tidOf(b.world, "P");
    const seq = b.world.notifier.subSeq;
    runTo(b, p, "idle", [1]); // mprotect(page 1)
    expect(span(b.world, 0)).toEqual({ start: 1, end: 2, state: "live" });
    expect(span(b.world, 1)).toEqual({ start: 0, end: 1, state: "live" });
    expect(b.world.vmas.map((v) => v.flags.write)).toEqual([false, true]);
    expect(b.world.ptes).toEqual(["rw", "ro"]);
    expect(b.world.notifier.subSeq).not.toBe(seq);
    expect(b.world.vmas.map((v) => v.writeLocked)).toEqual([false, false]);
  });

  it("starts no invalidation when no page of the range has an entry", () => {
    const b = world([anon(2)], mprotectReadOnlyActor());
    const p = tidOf(b.world, "P");
    runTo(b, p, "idle", [0]);
    expect(b.world.vmas.map((v) => [v.start, v.end, v.flags.write])).toEqual([
      [0, 1, false],
      [1, 2, true],
    ]);
    expect(b.world.notifier.mmSeq).toBe(2);
  });

  it("takes hugetlb_vma_lock_write after invalidate_range_start, and waits for a reader", () => {
    const b = world([hugetlb(1)], mprotectReadOnlyActor(), ["rw"]);
    const p = tidOf(b.world, "P");
    const vmas = b.world.vmas.map((v) => ({
      ...v,
      hugetlbLock: { readers: [0], writer: null, waiters: [] },
    }));
    b.world = { ...b.world, vmas };
    runTo(b, p, "h_lock");
    expect(b.world.notifier.mmSeq % 2).toBe(1); // inside invalidate_range_start/end
    expect(b.world.vmas[0]?.flags.write).toBe(false);
    b.run(p); // hugetlb_vma_lock_write: queued behind T's read hold
    expect(b.world.threads[p]?.status.kind).toBe("blocked");
    expect(b.world.vmas[0]?.hugetlbLock?.waiters).toEqual([{ tid: p, mode: "write" }]);
    expect(b.world.ptes).toEqual(["rw"]);
  });

  it("refuses a range whose new flags would merge with a neighbour, which it does not model", () => {
    const b = world([anon(1, { write: false }), anon(1)], mprotectReadOnlyActor());
    const p = tidOf(b.world, "P");
    b.run(p); // mprotect(page 1): the only writable page
    b.run(p);
    expect(() => b.run(p)).toThrow(DesignError);
    expect(() => b.run(p)).toThrow(/would merge vma#1 with vma#0/);
  });
});

describe("mremap of a whole VMA", () => {
  it("copies the VMA past everything mapped, moves the entries and frees the old VMA", () => {
    const b = world([anon(2)], mremapActor(), ["rw", "none"]);
    const v = tidOf(b.world, "V");
    const seq = b.world.notifier.subSeq;
    runTo(b, v, "mv_start");
    // the old VMA and its copy are both write-locked; the copy lies past a one-page gap
    expect(b.world.vmas.map((x) => [x.start, x.end, x.writeLocked])).toEqual([
      [0, 2, true],
      [3, 5, true],
    ]);
    runTo(b, v, "idle");
    expect(span(b.world, 0)).toEqual({ start: 0, end: 2, state: "freed" });
    expect(span(b.world, 1)).toEqual({ start: 3, end: 5, state: "live" });
    expect(b.world.ptes).toEqual(["none", "none", "none", "rw", "none"]);
    // mremap_userfaultfd_prep() without UFFD_FEATURE_EVENT_REMAP
    expect(b.world.vmas[1]?.flags).toMatchObject({ uffdMissing: false, write: true });
    expect(b.world.notifier.subSeq).not.toBe(seq);
    expect(b.world.vmas[1]?.writeLocked).toBe(false);
    expect(b.world.mmapLock.writer).toBeNull();
  });

  it("moves a shared hugetlb VMA's entries under hugetlb_vma_lock_write, after the invalidation starts", () => {
    const b = world([hugetlb(1)], mremapActor(), ["rw"]);
    const v = tidOf(b.world, "V");
    const vmas = b.world.vmas.map((x) => ({
      ...x,
      hugetlbLock: { readers: [0], writer: null, waiters: [] },
    }));
    b.world = { ...b.world, vmas };
    runTo(b, v, "h_mv_hlock");
    expect(b.world.notifier.mmSeq % 2).toBe(1);
    // the copy got a hugetlb_vma_lock of its own (vm_ops->open)
    expect(b.world.vmas[1]?.hugetlbLock).toEqual({ readers: [], writer: null, waiters: [] });
    b.run(v); // move_hugetlb_page_tables: hugetlb_vma_lock_write waits for T's read hold
    expect(b.world.threads[v]?.status.kind).toBe("blocked");
    // the page table grew to cover the copy at [2,3); nothing has moved yet
    expect(b.world.ptes).toEqual(["rw", "none", "none"]);
  });

  it("holds the mmap write lock from the lookup to the unmap of the old VMA", () => {
    const b = world([anon(2)], mremapActor());
    const v = tidOf(b.world, "V");
    b.run(v);
    b.run(v);
    while (b.world.threads[v]?.pc !== "unlock") {
      expect(b.world.mmapLock.writer).toBe(v);
      b.run(v);
    }
    expect(b.world.vmas[0]?.state).toBe("freed");
  });
});

describe("fork: dup_mmap", () => {
  it("write-locks every parent VMA under the mmap write lock and write-protects the COW pages", () => {
    // the private VMA maps an anonymous page, so it has an anon_vma
    const b = world([{ ...anon(2), anonVma: true }, hugetlb(1)], forkActor(), ["rw", "none", "rw"]);
    const k = tidOf(b.world, "K");
    const seq = b.world.notifier.subSeq;
    runTo(b, k, "unlock");
    expect(b.world.mmapLock.writer).toBe(k);
    expect(b.world.vmas.map((v) => v.writeLocked)).toEqual([true, true]);
    // the private VMA's writable entry is write-protected; the shared hugetlb VMA is
    // not copied at all (vma_needs_copy: no anon_vma)
    expect(b.world.ptes).toEqual(["cow", "none", "rw"]);
    expect(b.world.notifier.subSeq).not.toBe(seq);
    expect(b.world.childMms).toEqual([
      {
        vmas: [
          { start: 0, end: 2, flags: { ...b.world.vmas[0]?.flags, uffdMissing: false } },
          { start: 2, end: 3, flags: { ...b.world.vmas[1]?.flags, uffdMissing: false } },
        ],
      },
    ]);
    b.run(k); // mmap_write_unlock ends every VMA write lock
    expect(b.world.vmas.map((v) => v.writeLocked)).toEqual([false, false]);
    expect(b.world.vmas[0]?.flags.uffdMissing).toBe(true);
  });

  it("starts no invalidation for a private VMA with no page in it", () => {
    const b = world([anon(2)], forkActor());
    const k = tidOf(b.world, "K");
    runTo(b, k, "idle");
    expect(b.world.notifier.mmSeq).toBe(2);
    expect(b.world.childMms[0]?.vmas).toHaveLength(1);
  });

  it("waits in vma_start_write() for a per-VMA reader of the parent", () => {
    const b = world([anon(2)], forkActor());
    const k = tidOf(b.world, "K");
    b.run(0); // T: lock_vma_under_rcu
    b.run(k);
    b.run(k);
    b.run(k); // for_each_vma: vma_start_write waits
    expect(b.world.threads[k]?.status.kind).toBe("blocked");
    expect(b.world.vmas[0]?.writeLocked).toBe(true);
    expect(b.world.childMms[0]?.vmas).toEqual([]);
    b.run(0);
    b.run(k);
    expect(b.world.childMms[0]?.vmas).toHaveLength(1);
  });
});

describe("the layout actors by id", () => {
  it("are registered, so a scenario can name them", () => {
    const s = declare({
      id: "layout-by-id",
      vmas: [anon(2)],
      actors: ["munmap-split", "mprotect-ro", "mremap", "fork"].map((actor) => ({
        actor,
        budget: 1,
      })),
    });
    expect(s.actors.map((u) => [u.actor.id, u.actor.lane, u.actor.disruptive])).toEqual([
      ["munmap-split", "W", true],
      ["mprotect-ro", "P", true],
      ["mremap", "V", true],
      ["fork", "K", true],
    ]);
  });
});
