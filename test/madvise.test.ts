// The madvise(MADV_DONTNEED) actor (model/actors/madvise.ts): the per-VMA read lock
// first, the mmap read lock when that fails or the VMA is uffd-armed (mm/madvise.c
// try_vma_read_lock), and the hugetlb VMA lock for write around the zap.
import { describe, expect, it } from "vitest";
import { use } from "../model/actor.js";
import { madviseDontneedActor } from "../model/actors/madvise.js";
import { scenario as declare } from "../model/scenarios.js";
import { bench, mini, scenario, tidOf } from "./helpers.js";

const idle = mini({});

function zapper(uffd: boolean) {
  const s = declare({
    id: "madvise-test",
    vmas: [
      {
        name: "anon",
        pages: 1,
        write: true,
        shared: false,
        hugetlb: false,
        uffdMissing: uffd,
      },
    ],
    actors: [use(madviseDontneedActor(), 1)],
  });
  const b = bench(s, idle);
  b.world = { ...b.world, ptes: ["rw"] };
  return { b, z: tidOf(b.world, "Z") };
}

describe("madvise(MADV_DONTNEED)", () => {
  it("zaps under the per-VMA read lock, without the mmap lock", () => {
    const { b, z } = zapper(false);
    b.run(z); // madvise
    b.run(z); // try_vma_read_lock -> vma
    expect(b.world.vmas[0]?.readers).toEqual([z]);
    expect(b.world.mmapLock.readers).toEqual([]);
    while (b.world.threads[z]?.pc !== "idle") b.run(z);
    expect(b.world.ptes[0]).toBe("none");
    expect(b.world.vmas[0]?.readers).toEqual([]);
  });

  it("falls back to the mmap read lock on a uffd-armed VMA", () => {
    const { b, z } = zapper(true);
    b.run(z);
    b.run(z); // try_vma_read_lock -> mmap
    expect(b.world.threads[z]?.pc).toBe("mmap_lock");
    b.run(z); // mmap_read_lock
    expect(b.world.mmapLock.readers).toEqual([z]);
    expect(b.world.vmas[0]?.readers).toEqual([]);
    while (b.world.threads[z]?.pc !== "idle") b.run(z);
    expect(b.world.ptes[0]).toBe("none");
    expect(b.world.mmapLock.readers).toEqual([]);
  });

  it("falls back to the mmap read lock while the VMA is write-locked", () => {
    const { b, z } = zapper(false);
    const vmas = b.world.vmas.map((v) => ({ ...v, writeLocked: true }));
    b.world = { ...b.world, vmas };
    b.run(z);
    b.run(z);
    expect(b.world.threads[z]?.pc).toBe("mmap_lock");
  });

  it("takes the hugetlb VMA lock for write around the zap of a shared hugetlb VMA", () => {
    const b = bench(scenario("hugetlb-zap"), idle);
    const z = tidOf(b.world, "Z");
    b.run(z);
    b.run(z);
    b.run(z); // hugetlb_zap_begin
    expect(b.world.vmas[0]?.hugetlbLock?.writer).toBe(z);
    while (b.world.threads[z]?.pc !== "idle") b.run(z);
    expect(b.world.vmas[0]?.hugetlbLock?.writer).toBeNull();
  });
});
