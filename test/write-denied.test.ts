// A write to a VMA without VM_WRITE never reaches handle_mm_fault() from these callers:
// x86's do_user_addr_fault() tests access_error() under the VMA lock and again under the
// mmap lock (arch/x86/mm/fault.c at v7.0), GUP tests check_vma_flags() and
// fixup_user_fault() vma_permits_fault() (mm/gup.c at v7.0). handle_mm_fault() itself
// (sanitize_fault_flags()) lets a private VMA's write through, for FOLL_FORCE only.
import { describe, expect, it } from "vitest";
import { setupFor } from "../engine/run.js";
import { gup, gupFixup } from "../model/designs/gup.js";
import { vmaLockFault, vmaLockFaultPre } from "../model/designs/vma-lock-fault.js";
import { EFAULT } from "../model/errno.js";
import { handleMmFault } from "../model/kernel/fault.js";
import { vmaLookup } from "../model/kernel/vma.js";
import type { StepRecord } from "../model/step.js";
import type { World } from "../model/world.js";
import { bench, calls, exited, mini, runAlone, scenario, tidOf } from "./helpers.js";

/** anon-mprotect-ro with mprotect(PROT_READ) of page 0 done, then T alone to its exit. */
function afterMprotect(design: typeof gup): { world: World; recs: StepRecord[] } {
  const setup = setupFor(design, scenario("anon-mprotect-ro"));
  const p = tidOf(setup.world0, "P");
  const w = runAlone(setup.programs, setup.world0, p, calls("mmap_write_unlock")).world;
  const v = w.vmas.find((x) => x.state === "live" && x.start === 0);
  expect(v?.flags.write).toBe(false);
  return runAlone(setup.programs, w, 0, exited, 60);
}

describe("a write fault on a VMA without VM_WRITE", () => {
  it("x86: access_error() under the VMA lock ends the fault with vma_end_read() and SIGSEGV", () => {
    const { world, recs } = afterMprotect(vmaLockFault);
    const ops = recs.flatMap((r) => r.ops);
    expect(ops).toContain("if (access_error(error_code, vma))");
    expect(ops.some((o) => o.startsWith("handle_mm_fault"))).toBe(false);
    expect(ops.some((o) => o.startsWith("mmap_read_lock"))).toBe(false);
    expect(world.threads[0]?.locals.ret).toBe(EFAULT);
    expect(world.vmas.filter((v) => v.readers.includes(0))).toEqual([]);
  });

  it("x86 in 6.4-6.5: the uffd VMA is refused its VMA lock, and the mmap-lock path's access_error() fails", () => {
    const { world, recs } = afterMprotect(vmaLockFaultPre);
    const ops = recs.flatMap((r) => r.ops);
    expect(ops.filter((o) => o === "if (access_error(error_code, vma))")).toHaveLength(1);
    const denied = recs.findIndex(calls("if (access_error"));
    expect(recs.slice(0, denied).some(calls("mmap_read_lock"))).toBe(true);
    expect(ops.some((o) => o.startsWith("handle_mm_fault"))).toBe(false);
    expect(ops.filter((o) => o.startsWith("mmap_read_unlock"))).toHaveLength(1);
    expect(world.threads[0]?.locals.ret).toBe(EFAULT);
  });

  it("GUP: check_vma_flags() returns -EFAULT before follow_page_mask()", () => {
    const { world, recs } = afterMprotect(gup);
    const ops = recs.flatMap((r) => r.ops);
    expect(ops).toContain("if (check_vma_flags(vma, gup_flags))");
    expect(ops.some((o) => o.startsWith("follow_page_mask"))).toBe(false);
    expect(ops.some((o) => o.startsWith("handle_mm_fault"))).toBe(false);
    expect(world.threads[0]?.locals.ret).toBe(EFAULT);
  });

  it("fixup_user_fault(): vma_permits_fault() returns -EFAULT", () => {
    const { world, recs } = afterMprotect(gupFixup);
    expect(recs.some(calls("if (!vma_permits_fault"))).toBe(true);
    expect(recs.some(calls("handle_mm_fault"))).toBe(false);
    expect(world.threads[0]?.locals.ret).toBe(EFAULT);
  });

  it("handle_mm_fault() on a private one is a design error: only FOLL_FORCE makes it", () => {
    const d = mini({
      find: { op: vmaLookup("rstart", "vma"), next: "fault" },
      fault: { op: handleMmFault("vma", "rstart", () => ["WRITE"]), next: "exit" },
    });
    const b = bench(scenario("anon-mprotect-ro"), d);
    const p = tidOf(b.world, "P");
    b.world = runAlone(b.programs, b.world, p, calls("mmap_write_unlock")).world;
    b.run(0);
    expect(() => b.run(0)).toThrow(/private VMA without VM_WRITE.*FOLL_FORCE/);
  });
});
