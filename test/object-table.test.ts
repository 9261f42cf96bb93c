// The built-in objects with a lifetime are instances of the generic object a scenario
// declares (model/object-table.ts): VMAs, the hugetlb VMA lock, the userfaultfd context,
// the notifier subscription. The use-after-free property reads the table, so a freed
// VMA and a freed declared object are reported by one code path, in the same words.
import { describe, expect, it } from "vitest";
import { exit } from "../model/locals.js";
import { objectInstances, objectOf } from "../model/object-table.js";
import type { World } from "../model/world.js";
import { noFreedVmaUse } from "../properties/vma.js";
import { bench, mini, scenario } from "./helpers.js";

function world(id: string): World {
  return bench(scenario(id), mini({ x: { op: exit() } })).world;
}

describe("the object table", () => {
  it("lists hugetlb-uffd's objects, live at the start", () => {
    expect(objectInstances(world("hugetlb-uffd")).map((o) => `${o.label}:${o.state}`)).toEqual([
      "vma#0:live",
      "hugetlb_vma_lock(vma#0):live",
      "userfaultfd ctx:live",
      "mmu_interval_notifier:live",
    ]);
  });

  it("follows the lifetimes: a released ctx is detached, a zapped hugetlb VMA's lock freed", () => {
    const w0 = world("hugetlb-uffd");
    const w: World = {
      ...w0,
      uffd: { ...w0.uffd, released: true },
      vmas: w0.vmas.map((v) => ({
        ...v,
        state: "freed",
        hugetlbLock: null,
        freedAt: 7,
        freedBy: 2,
      })),
    };
    expect(objectOf(w, { kind: "uffd-ctx" })?.state).toBe("detached");
    expect(objectOf(w, { kind: "hugetlb-lock", vma: 0 })).toMatchObject({
      state: "freed",
      freedAt: 7,
    });
    expect(objectOf(w, { kind: "vma", vma: 0 })).toMatchObject({ state: "freed", freedBy: 2 });
    // an anonymous VMA has no hugetlb VMA lock at all
    expect(objectOf(world("anon-uffd"), { kind: "hugetlb-lock", vma: 0 })).toBeUndefined();
  });

  it("no-freed-vma-use words a freed VMA and a freed declared object alike", () => {
    const w0 = world("anon-uffd-1");
    const after: World = {
      ...w0,
      vmas: w0.vmas.map((v) => ({ ...v, state: "freed", freedAt: 3, freedBy: 1 })),
      objects: { region: { state: "freed", freedAt: 3, freedBy: 1 } },
    };
    const check = (events: unknown[]) =>
      noFreedVmaUse.monitor().step?.({
        before: w0,
        after,
        rec: { tid: 0, events, ops: [] },
      } as never);
    const vma = check([
      {
        k: "vma-use",
        tid: 0,
        ref: { vma: 0, epoch: 0, at: 1 },
        what: "vma->vm_flags",
        vmaState: "freed",
        protected: true,
      },
    ]);
    const obj = check([
      {
        k: "obj-use",
        tid: 0,
        ref: { obj: "region", via: null, epoch: 0, at: 1 },
        what: "vma->vm_flags",
        objState: "freed",
        protected: true,
      },
    ]);
    expect(typeof vma).toBe("string");
    expect(String(obj)).toBe(String(vma).replace("vma#0", "region"));
    expect(String(vma)).toMatch(/used vma#0 in vma->vm_flags, but .* freed it at step 3/);
  });
});
