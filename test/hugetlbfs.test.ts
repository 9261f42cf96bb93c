// The hugetlbfs file side (model/kernel/hugetlbfs.ts, model/actors/hugetlbfs.ts,
// model/designs/hugetlbfs-fault.ts) against the kernel's rules, as read in
// torvalds/linux: fs/hugetlbfs/inode.c (a v6.12+ tree: hugetlb_vma_maps_pfn) and
// mm/hugetlb.c (a v6.13+ tree: ptdesc_pmd_pts_*), with mm/rmap.c's hugetlbfs lock order
// (vma_lock before i_mmap_rwsem):
//   - hugetlb_vmdelete_list(): under i_mmap_rwsem, hugetlb_vma_trylock_write() and skip
//     the VMA when it fails;
//   - hugetlb_unmap_file_folio(): kref_get(&vma_lock->refs) before i_mmap_unlock_write,
//     down_write on the lock itself, then vma_lock->vma == NULL means the VMA was
//     closed: up_write, kref_put (the last put frees), retry;
//   - __hugetlb_vma_unlock_write_put(): clears vma_lock->vma, up_write, kref_put;
//   - hugetlb_vm_op_open(): a VMA that vm_area_dup() made (a split) gets a lock of its
//     own ("vma_lock structure for sharable mappings is vma specific");
//   - huge_pmd_unshare(): only with i_mmap_rwsem and the vma lock held for write, and
//     only when the PMD page is shared (pts count > 0); hugetlb_fault() holds the vma lock
//     for read across huge_pte_alloc() and the write of the entry.
import { describe, expect, it } from "vitest";
import { step } from "../engine/exec.js";
import { exhaustiveRows } from "../engine/verdicts.js";
import { hugetlbfsFault, hugetlbfsFaultNoVmaLock } from "../model/designs/hugetlbfs-fault.js";
import { downRead, downWriteTrylock, upRead } from "../model/kernel/locks.js";
import { lookupObj, pinObjRef, useObj } from "../model/kernel/objects.js";
import type { Design } from "../model/step.js";
import { op } from "../model/step.js";
import type { World } from "../model/world.js";
import { isObjRef } from "../model/world.js";
import { PROPERTIES } from "../properties/index.js";
import { bench, mini, scenario, tidOf } from "./helpers.js";

const props = (...ids: string[]) => PROPERTIES.filter((p) => ids.includes(p.id));
const refcount = (w: World, name: string) => {
  const l = w.locks[name];
  return l?.kind === "refcount" ? l.count : Number.NaN;
};
const rwsemOf = (w: World, name: string) => {
  const l = w.locks[name];
  if (l?.kind !== "rwsem") throw new Error(name);
  return l;
};

/** The hugetlbfs-truncate world with T, F, U, B; `runTo` runs one thread until its pc is `label`. */
function world(id = "hugetlbfs-truncate", d: Design = hugetlbfsFault) {
  const b = bench(scenario(id), d);
  const tid = { T: 0, F: tidOf(b.world, "F"), U: tidOf(b.world, "U"), B: tidOf(b.world, "B") };
  const pc = (t: number) => b.world.threads[t]?.pc;
  const runTo = (t: number, label: string) => {
    for (let i = 0; i < 30 && pc(t) !== label; i++) b.run(t);
    expect(pc(t)).toBe(label);
  };
  return { b, tid, pc, runTo };
}

describe("truncation of a hugetlbfs file (fs/hugetlbfs/inode.c)", () => {
  it("hugetlb_vmdelete_list skips a VMA whose lock a fault holds; hugetlb_unmap_file_folio then waits on it holding a kref", () => {
    const { b, tid, pc, runTo } = world();
    // T: the fault holds hugetlb_vma_lock_read and has written the entry through ptep
    runTo(tid.T, "unlock");
    expect(rwsemOf(b.world, "vma_lock").readers).toEqual([tid.T]);
    expect(b.world.ptes[0]).toBe("rw");
    // F: i_mmap_lock_write, then the trylock fails and the VMA is skipped
    b.run(tid.F);
    b.run(tid.F);
    expect(pc(tid.F)).toBe("del.unlock");
    expect(b.world.ptes[0]).toBe("rw");
    expect(b.world.objects["A.pmd_share"]?.state).toBe("live");
    // remove_inode_hugepages: still mapped, so hugetlb_unmap_file_folio; trylock fails again
    runTo(tid.F, "u.ref");
    expect(refcount(b.world, "vma_lock.refs")).toBe(1);
    b.run(tid.F);
    // kref_get under i_mmap_rwsem: the pointer is pinned by its own reference now
    expect(refcount(b.world, "vma_lock.refs")).toBe(2);
    const lock = b.world.threads[tid.F]?.locals.lock;
    expect(isObjRef(lock) && lock.via).toBe(null);
    b.run(tid.F); // i_mmap_unlock_write
    b.run(tid.F); // down_write(&vma_lock->rw_sema): T holds it for read
    expect(b.world.threads[tid.F]?.status.kind).not.toBe("runnable");
    expect(rwsemOf(b.world, "i_mmap_rwsem").writer).toBe(null);
    // the fault ends: up_read hands the lock to F
    b.run(tid.T);
    expect(rwsemOf(b.world, "vma_lock").writer).toBe(tid.F);
    runTo(tid.F, "u.zap2");
    b.run(tid.F);
    // the VMA was still attached: unmap_hugepage_range unshared the PUD (B still maps the page)
    expect(b.world.ptes[0]).toBe("none");
    expect(b.world.objects["A.pmd_share"]?.state).toBe("detached");
    expect(refcount(b.world, "pmd.sharers")).toBe(1);
    expect(b.world.objects.pmd?.state).toBe("live");
    b.run(tid.F); // kref_put: the VMA's own reference remains
    expect(refcount(b.world, "vma_lock.refs")).toBe(1);
    expect(b.world.objects.vma_lock?.state).toBe("live");
    runTo(tid.F, "remove");
    expect(rwsemOf(b.world, "vma_lock").writer).toBe(null);
    expect(rwsemOf(b.world, "i_mmap_rwsem").writer).toBe(null);
  });

  it("the kref keeps a lock that munmap's final zap detaches; truncate's kref_put frees it", () => {
    const { b, tid, pc, runTo } = world();
    runTo(tid.T, "unlock");
    runTo(tid.F, "u.wait");
    expect(refcount(b.world, "vma_lock.refs")).toBe(2);
    // the fault ends before F's down_write; munmap of the VMA runs to the end
    runTo(tid.T, "exit");
    runTo(tid.U, "iunlock");
    // __hugetlb_vma_unlock_write_free: detached, the VMA's reference put, not freed
    expect(b.world.objects.vma_lock?.state).toBe("detached");
    expect(refcount(b.world, "vma_lock.refs")).toBe(1);
    runTo(tid.U, "start");
    // F: down_write, i_mmap_lock_write, vma_lock->vma is NULL: up_write, kref_put, retry
    runTo(tid.F, "u.attached");
    b.run(tid.F);
    expect(pc(tid.F)).toBe("u.gone");
    b.run(tid.F);
    b.run(tid.F);
    expect(b.world.objects.vma_lock?.state).toBe("freed");
    expect(refcount(b.world, "vma_lock.refs")).toBe(0);
    // retry: the VMA no longer maps the page (its lock is gone with it)
    b.run(tid.F);
    expect(pc(tid.F)).toBe("u.unlock");
  });

  it("without the kref (mutant) the freed lock is taken: use-after-free", () => {
    const { b, tid, runTo } = world("hugetlbfs-truncate-no-kref");
    runTo(tid.T, "unlock");
    runTo(tid.F, "u.wait");
    expect(refcount(b.world, "vma_lock.refs")).toBe(1);
    runTo(tid.T, "exit");
    runTo(tid.U, "iunlock");
    expect(b.world.objects.vma_lock?.state).toBe("freed");
    // F's down_write through its pointer is a use of the freed lock
    b.run(tid.F);
    expect(b.world.threads[tid.F]?.pc).toBe("u.relock");
  });
});

describe("shared hugetlb PMDs (mm/hugetlb.c huge_pmd_share / huge_pmd_unshare)", () => {
  it("the fault shares B's PMD page under i_mmap_lock_read and holds the vma lock across it", () => {
    const { b, tid, runTo } = world();
    runTo(tid.T, "iunlock");
    expect(rwsemOf(b.world, "vma_lock").readers).toEqual([tid.T]);
    expect(rwsemOf(b.world, "i_mmap_rwsem").readers).toEqual([tid.T]);
    expect(b.world.objects["A.pmd_share"]?.state).toBe("live");
    expect(refcount(b.world, "pmd.sharers")).toBe(2);
    // B's exit now only unshares: the page stays for the fault
    b.run(tid.T);
    runTo(tid.B, "done");
    expect(refcount(b.world, "pmd.sharers")).toBe(1);
    expect(b.world.objects.pmd?.state).toBe("live");
  });

  it("a PMD page nobody shares is freed by its last user, and a later fault allocates its own", () => {
    const { b, tid, runTo } = world();
    runTo(tid.B, "done");
    expect(b.world.objects.pmd?.state).toBe("freed");
    runTo(tid.T, "find");
    b.run(tid.T);
    expect(b.world.threads[tid.T]?.pc).toBe("alloc");
  });

  it("between B's zap and its unlink_file_vma no fault shares B's page: page_table_shareable() needs svma->vm_private_data", () => {
    // mm/hugetlb.c (v6.1+): __hugetlb_zap_end() frees B's vma lock under i_mmap_rwsem,
    // and free_pgtables() unlinks B's VMA under i_mmap_rwsem again; in between the VMA is
    // still in i_mmap with its PMD page, but it is no longer shareable
    const { b, tid, runTo } = world();
    runTo(tid.B, "unlock.own");
    expect(b.world.objects["B.vma_lock"]?.state).toBe("freed");
    b.run(tid.B); // i_mmap_unlock_write: the first hold ends
    expect(b.world.threads[tid.B]?.pc).toBe("unlink");
    expect(b.world.objects.pmd?.state).toBe("live");
    runTo(tid.T, "find");
    b.run(tid.T);
    expect(b.world.threads[tid.T]?.pc).toBe("alloc");
    expect(b.world.objects["A.pmd_share"]?.state).toBe("allocated");
  });

  it("unmap_hugepage_range under both locks unshares the PUD only while the page is shared", () => {
    const { b, tid, runTo } = world();
    runTo(tid.T, "exit");
    expect(refcount(b.world, "pmd.sharers")).toBe(2);
    // F's first pass takes the free vma lock and unshares
    runTo(tid.F, "del.zap");
    expect(rwsemOf(b.world, "vma_lock").writer).toBe(tid.F);
    expect(rwsemOf(b.world, "i_mmap_rwsem").writer).toBe(tid.F);
    b.run(tid.F);
    expect(refcount(b.world, "pmd.sharers")).toBe(1);
    expect(b.world.objects["A.pmd_share"]?.state).toBe("detached");
    expect(b.world.ptes[0]).toBe("none");
  });
});

describe("the hugetlb VMA lock across a split (mm/hugetlb.c hugetlb_vm_op_open)", () => {
  it("the VMA a split creates gets a lock of its own, and its final zap frees only that one", () => {
    const b = bench(scenario("hugetlbfs-split"), hugetlbfsFault);
    const s = tidOf(b.world, "S");
    expect(b.world.objects["vma_lock.new"]?.state).toBe("allocated");
    b.run(s); // mmap_write_lock
    b.run(s); // __split_vma: hugetlb_vm_op_open(new) allocates
    expect(b.world.objects["vma_lock.new"]?.state).toBe("live");
    for (let i = 0; i < 4; i++) b.run(s);
    // __hugetlb_vma_unlock_write_free(new): the new lock is freed, the original stays
    expect(b.world.objects["vma_lock.new"]?.state).toBe("freed");
    expect(b.world.objects.vma_lock?.state).toBe("live");
    expect(refcount(b.world, "vma_lock.refs")).toBe(1);
  });

  it("with the copied pointer kept (mutant), the zap of the new VMA frees the original's lock", () => {
    const b = bench(scenario("hugetlbfs-split-keeps-lock"), hugetlbfsFault);
    const s = tidOf(b.world, "S");
    for (let i = 0; i < 6; i++) b.run(s);
    expect(b.world.objects["vma_lock.new"]?.state).toBe("allocated");
    expect(b.world.objects.vma_lock?.state).toBe("freed");
    // the original VMA is still there, and its vm_private_data still points to the lock
    expect(b.world.objects.vma_A?.state).toBe("live");
  });

  it("exhaustive: the fault holds with the kernel's split, and takes a freed lock after the mutant's", () => {
    const P = props("no-freed-vma-use", "lock-balance", "no-deadlock");
    const ok = exhaustiveRows(hugetlbfsFault, scenario("hugetlbfs-split"), P, {
      depth: Number.POSITIVE_INFINITY,
    });
    for (const r of ok) {
      expect(r.verdict, r.property).toBe("holds");
      expect(r.complete, r.property).toBe(true);
    }
    const [bad] = exhaustiveRows(
      hugetlbfsFault,
      scenario("hugetlbfs-split-keeps-lock"),
      props("no-freed-vma-use"),
      {
        depth: Number.POSITIVE_INFINITY,
      },
    );
    expect(bad?.verdict).toBe("violated");
    expect(bad?.message).toMatch(
      /T used vma_lock in down_read\(&vma_lock->rw_sema\), but S freed it/,
    );
  });
});

describe("exhaustive verdicts", () => {
  const P = props("no-freed-vma-use", "no-vma-use-after-unlock", "no-deadlock", "lock-balance");
  const rows = (d: Design, s: string) =>
    new Map(
      exhaustiveRows(d, scenario(s), P, { depth: Number.POSITIVE_INFINITY }).map((r) => [
        r.property,
        r,
      ]),
    );

  it("hugetlbfs-fault holds every property with the kernel's truncate, munmap and B's exit", () => {
    const r = rows(hugetlbfsFault, "hugetlbfs-truncate");
    for (const id of [
      "no-freed-vma-use",
      "no-vma-use-after-unlock",
      "no-deadlock",
      "lock-balance",
    ]) {
      expect(r.get(id)?.verdict, id).toBe("holds");
      expect(r.get(id)?.complete, id).toBe(true);
    }
  }, 60_000);

  it("the fault without hugetlb_vma_lock_read writes into a PMD page freed after a truncate unshared it", () => {
    const r = rows(hugetlbfsFaultNoVmaLock, "hugetlbfs-truncate");
    const bad = r.get("no-freed-vma-use");
    expect(bad?.verdict).toBe("violated");
    expect(bad?.message).toMatch(/T used pmd in set_huge_pte_at.*but B freed it/);
    const ops = bad?.counterexample?.run.trace.map((t) => t.ops.join("; ")) ?? [];
    expect(ops.some((o) => o.includes("hugetlb_vmdelete_list(): unmap_hugepage_range"))).toBe(true);
    expect(r.get("no-deadlock")?.verdict).toBe("holds");
  }, 60_000);

  it("a truncate that sleeps on the vma lock under i_mmap_rwsem deadlocks; the fault still holds the rest", () => {
    const r = rows(hugetlbfsFault, "hugetlbfs-truncate-blocking");
    const bad = r.get("no-deadlock");
    expect(bad?.verdict).toBe("violated");
    expect(bad?.message).toMatch(/i_mmap_rwsem held for write/);
    expect(bad?.message).toMatch(/vma_lock held for (write|read)/);
    expect(r.get("no-freed-vma-use")?.verdict).toBe("holds");
  }, 60_000);

  it("a truncate without the kref takes the lock munmap freed", () => {
    const r = rows(hugetlbfsFault, "hugetlbfs-truncate-no-kref");
    const bad = r.get("no-freed-vma-use");
    expect(bad?.verdict).toBe("violated");
    expect(bad?.message).toMatch(
      /F used vma_lock in down_write\(&vma_lock->rw_sema\), but U freed it/,
    );
    expect(r.get("no-vma-use-after-unlock")?.verdict).toBe("violated");
    expect(r.get("no-deadlock")?.verdict).toBe("holds");
  }, 60_000);
});

describe("the public helpers the file side is built from (lockdrop/model)", () => {
  it("down_write_trylock never queues: busy while a reader holds the rwsem, locked once it is free", () => {
    const b = bench(
      scenario("hugetlbfs-truncate"),
      mini({
        r: { op: downRead("vma_lock"), next: "t1" },
        t1: { op: downWriteTrylock("vma_lock"), next: "u" },
        u: { op: upRead("vma_lock"), next: "t2" },
        t2: { op: downWriteTrylock("vma_lock"), next: "exit" },
      }),
    );
    b.run();
    b.run();
    expect(rwsemOf(b.world, "vma_lock").waiters).toEqual([]);
    expect(rwsemOf(b.world, "vma_lock").writer).toBe(null);
    b.run();
    b.run();
    expect(rwsemOf(b.world, "vma_lock").writer).toBe(0);
  });

  it("a pointer pinned by pinObjRef is no use-after-unlock, but still a use-after-free", () => {
    const use = op({
      name: "use",
      outcomes: ["ok"],
      run: (k) => {
        useObj(k, "p", "use");
        return "ok";
      },
    });
    const pin = op({
      name: "kref_get",
      outcomes: ["ok"],
      run: (k) => {
        pinObjRef(k, "p");
        return "ok";
      },
    });
    /** the obj-use event of running `steps` to the end, with or without the pin */
    const uses = (pinned: boolean, freed: boolean) => {
      const b = bench(
        scenario("hugetlbfs-truncate"),
        mini({
          r: { op: downRead("i_mmap_rwsem"), next: "l" },
          l: { op: lookupObj("vma_lock", "p", "i_mmap_rwsem"), next: pinned ? "pin" : "u" },
          pin: { op: pin, next: "u" },
          u: { op: upRead("i_mmap_rwsem"), next: "use" },
          use: { op: use, next: "exit" },
        }),
      );
      for (let i = 0; i < (pinned ? 4 : 3); i++) b.run();
      if (freed)
        b.world = {
          ...b.world,
          objects: { ...b.world.objects, vma_lock: { state: "freed", freedAt: 0, freedBy: 1 } },
        };
      const [, rec] = step(b.world, 0, 0, b.programs);
      return rec.events.find((e) => e.k === "obj-use");
    };
    expect(uses(false, false)).toMatchObject({ protected: false, objState: "live" });
    expect(uses(true, false)).toMatchObject({ protected: true, objState: "live" });
    expect(uses(true, true)).toMatchObject({ protected: true, objState: "freed" });
  });
});
