// The open model end to end, from files a user writes (examples/svm-*.ts): a driver
// that declares its own lock and takes it around the unlockable HMM call, an actor that
// takes the same lock (the driver's invalidate callback), a scenario with two driver
// threads, and a property the user wrote. The first version is found violating, with a
// readable counterexample; the fixed version holds, exhaustively.
import { describe, expect, it } from "vitest";
import { lockdrop } from "./run-cli.js";

describe("examples/svm: a user's lock, actor, scenario, two drivers and property", () => {
  it("finds the first version's deadlock on the declared lock, and the user's property violated", () => {
    const r = lockdrop("check", "./examples/svm-first.ts");
    expect(r.code).toBe(1);
    expect(r.out).toMatch(
      /svm-two-queues no-range-lock-across-fault +VIOLATED in \d+ steps \(shortest\)/,
    );
    expect(r.out).toMatch(/svm-two-queues no-deadlock +VIOLATED in 5 steps \(shortest\)/);
    // the lanes name the threads and the declared lock as the C does
    expect(r.out).toMatch(/T1 \(svm-first\) +W \(svm-invalidate\)/);
    expect(r.out).toMatch(/mutex_lock\(prange->lock\) +\{waits for prange->lock\}/);
    expect(r.out).toMatch(
      /deadlock: T1 waits for W \(mmap_lock held for write\), W waits for T1 \(prange->lock held\)/,
    );
    expect(r.out).toMatch(/T1 entered handle_mm_fault\(\) holding prange->lock/);
  });

  it("proves the fixed version: every property holds, the search complete", () => {
    const r = lockdrop("check", "./examples/svm-fixed.ts", "--exhaustive", "--depth", "200");
    expect(r.code).toBe(0);
    const rows = r.out.split("\n").filter((l) => l.startsWith("svm-two-queues"));
    expect(rows).toHaveLength(5);
    for (const row of rows)
      expect(row).toMatch(/holds \(exhaustive, depth \d+, complete, \d+ states\)/);
  });

  it("runs the same files in the matrix, on worker threads that load them again", () => {
    // no --scenario or --property: the file's own lists, as in check (a built-in
    // scenario does not declare prange->lock)
    const r = lockdrop("matrix", "--design", "./examples/svm-first.ts", "--runs", "200");
    expect(r.code, r.err).toBe(0);
    const block = r.out.slice(r.out.indexOf("== svm-first"));
    expect(block.split("\n")[1]?.trim()).toBe("svm-two-queues");
    const rows = block
      .split("\n")
      .slice(2)
      .filter((l) => l.startsWith("  "));
    expect(rows.map((l) => l.trim().split(/ +/)[0])).toEqual([
      "no-range-lock-across-fault",
      "no-deadlock",
      "lock-balance",
      "no-vma-use-after-unlock",
      "no-freed-vma-use",
    ]);
    expect(r.out).toMatch(/no-range-lock-across-fault +VIOLATED/);
    expect(r.out).toMatch(/no-deadlock +VIOLATED/);
  });

  it("compares the two files on the scenarios and properties they name", () => {
    const r = lockdrop(
      "compare",
      "./examples/svm-first.ts",
      "./examples/svm-fixed.ts",
      "--runs",
      "200",
      "--json",
    );
    expect(r.code, r.err).toBe(0);
    const c = JSON.parse(r.out) as { rows: { scenario: string; property: string }[] };
    expect(new Set(c.rows.map((x) => x.scenario))).toEqual(new Set(["svm-two-queues"]));
    expect(c.rows.map((x) => x.property)).toContain("no-range-lock-across-fault");
  });
});

describe("examples/xe-vm-lock: a lock held across the v8 helper, and a monitor that takes it", () => {
  it("finds the cycle: the worker asleep on the monitor with vm->lock held, the monitor binding", () => {
    const r = lockdrop("check", "./examples/xe-vm-lock.ts", "--exhaustive");
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/xe-uffd-monitor-binds +no-deadlock +VIOLATED in 15 steps \(shortest\)/);
    expect(r.out).toMatch(/T \(xe-pagefault-v8\) +M \(monitor-binds\)/);
    expect(r.out).toMatch(
      /deadlock: T waits for M \(the uffd monitor to resolve its fault\), M waits for T \(vm->lock held for write\)/,
    );
    // with a monitor that only copies, every property holds, the search complete
    const copies = r.out.split("\n").filter((l) => l.startsWith("xe-uffd-monitor-copies"));
    expect(copies).toHaveLength(4);
    for (const row of copies)
      expect(row).toMatch(/holds \(exhaustive, depth \d+, complete, \d+ states\)/);
  });
});
