// The two questions issue 16 asks of the series once VMAs can split, written with the
// public API (lockdrop/model, lockdrop/vitest) as a reviewer would:
//
// 1. v5 retries a RETRY inside hmm_do_fault(): it re-takes the lock and looks up
//    vma_lookup(fault_addr) again, but keeps fault_end, which the walk took from the VMA
//    before the drop. After a split during the drop, fault_addr + 1 .. fault_end lies
//    outside the VMA it looked up, and handle_mm_fault() gets an address outside its
//    VMA: fault-addr-in-vma (S19). Clamping fault_end to the new VMA's vm_end fixes it.
//
// 2. v5 returns *locked == 1 after an internal drop. lock-balance judges the lock (held
//    exactly when *locked == 1), which v5 keeps; GUP's __get_user_pages_locked() (mm/gup.c,
//    kernel 6.5+: must_unlock) returns *locked == 0 whenever it had to re-take the lock,
//    so a caller of the *locked API may keep a VMA pointer across a call that returns
//    *locked == 1. With v5 that pointer is stale: no-vma-use-after-unlock (S1).
import {
  compose,
  test as cond,
  DESIGNS,
  type Design,
  design,
  hmmDoFault,
  hmmRangeFaultUnlockableV2,
  hmmWalk,
  mmapReadLock,
  op,
  override,
  recordFaultInCallbacks,
  unlockableCaller,
  userfaultfdMissing,
  useVma,
  vmaLookup,
} from "lockdrop/model";
import { checkDesign } from "lockdrop/vitest";
import { describe, expect, it } from "vitest";

const v5 = DESIGNS.find((d) => d.id === "v5") as Design;
const SPLITS = ["anon-uffd-split", "anon-mprotect-ro"];

/** v5 with fault_end clamped to the VMA looked up after the drop. */
const reclamp = op({
  name: "fault_flags |= FAULT_FLAG_TRIED; fault_end = min(fault_end, fault_vma->vm_end)",
  outcomes: ["ok"],
  run: (k) => {
    const r = k.ref("fault_vma");
    if (!r) throw new Error("no fault_vma");
    const v = useVma(k, r, "fault_vma->vm_end");
    k.set("tried", true);
    k.set("fault_end", Math.min(k.num("fault_end"), v.end));
    return "ok";
  },
});
const v5Reclamp = design({
  ...v5,
  id: "v5-reclamp",
  steps: { ...v5.steps, "v5.tried": { op: reclamp, next: "do_fault.perm" } },
});

describe("v5's internal retry across a split", () => {
  for (const s of SPLITS)
    it(`faults outside the VMA it looked up again on ${s}; clamping fault_end holds`, () => {
      const props = ["fault-addr-in-vma", "no-vma-use-after-unlock", "no-cow-on-readonly"];
      const bad = checkDesign("v5", { scenarios: [s], properties: props, runs: 1000 });
      bad.expect({ "fault-addr-in-vma": "violated", "no-vma-use-after-unlock": "holds" });
      expect(bad.lanes("fault-addr-in-vma")).toMatch(
        /handle_mm_fault\(vma#1, page 1, [A-Z_|]*TRIED\)[^\n]*\n\s+>>VIOLATION fault-addr-in-vma: T called handle_mm_fault\(vma#1, page 1\), but vma#1 covers \[0,1\)/,
      );
      checkDesign(v5Reclamp, { scenarios: [s], properties: props, runs: 1000 }).expectAllHold();
    });

  it("faults inside its VMA on hugetlb-split: a hugetlb fault range is one huge page, which no split cuts", () => {
    // walk_hugetlb_range() calls the hugetlb callback per huge page, so fault_end is
    // that page's end, and a split of a hugetlb VMA falls on a huge-page boundary
    checkDesign("v5", {
      scenarios: ["hugetlb-split"],
      properties: ["fault-addr-in-vma"],
      runs: 1000,
    }).expectAllHold();
  });

  it("sees nothing on mremap, where the VMA looked up again is gone (-EFAULT)", () => {
    checkDesign("v5", {
      scenarios: ["anon-mremap"],
      properties: ["fault-addr-in-vma"],
      runs: 1000,
    }).expectAllHold();
  });
});

/**
 * A caller that keeps `cvma = vma_lookup(mm, start)` across the call and reads
 * cvma->vm_flags after a return with *locked == 1, as GUP's contract allows.
 */
function keepsVma(id: string, api: Design["steps"]): Design {
  return design({
    id,
    family: "hmm",
    start: "again",
    steps: compose(
      unlockableCaller(),
      api,
      override({
        lock: { op: mmapReadLock(), next: "caller.lookup" },
        "hmm.return": {
          op: cond("locked && cvma", (k) => k.num("locked") !== 0 && k.get("cvma") !== null),
          on: { yes: "caller.use", no: "hmm.unlocked_or_gone" },
        },
      }),
      {
        "caller.lookup": { op: vmaLookup("rstart", "cvma"), next: "hmm" },
        "caller.use": { op: userfaultfdMissing("cvma"), next: "unlock" },
        "hmm.unlocked_or_gone": {
          op: cond("locked", (k) => k.num("locked") !== 0),
          on: { yes: "unlock", no: "check" },
        },
      },
    ),
  });
}

describe("*locked == 1 after an internal drop", () => {
  // v5's API: its steps without the documented caller it is checked with
  const caller = unlockableCaller();
  const v5Api = Object.fromEntries(
    Object.entries(v5.steps).filter(([label]) => !(label in caller)),
  );
  const v2Api = compose(
    hmmRangeFaultUnlockableV2(),
    hmmWalk(),
    recordFaultInCallbacks(),
    hmmDoFault(),
  );
  const props = ["no-vma-use-after-unlock", "lock-balance"];

  it("v5 keeps lock-balance, but a caller's pointer from before the call is stale (S1)", () => {
    const c = checkDesign(keepsVma("v5-keeps-vma", v5Api), {
      scenarios: ["anon-uffd"],
      properties: props,
      runs: 1000,
    });
    c.expect({ "lock-balance": "holds", "no-vma-use-after-unlock": "violated" });
    expect(c.lanes("no-vma-use-after-unlock")).toMatch(
      /hmm_range_fault_unlockable returns 0, \*locked = 1[\s\S]*VIOLATION no-vma-use-after-unlock: T used vma#0 \(looked up at step \d+, epoch 0\) in userfaultfd_missing\(cvma\) after handle_userfault released the mmap lock/,
    );
  });

  it("v2's API returns *locked = 0 after a drop, so the same caller never uses the pointer", () => {
    checkDesign(keepsVma("v2-keeps-vma", v2Api), {
      scenarios: ["anon-uffd"],
      properties: props,
      runs: 1000,
    }).expectAllHold();
  });
});
