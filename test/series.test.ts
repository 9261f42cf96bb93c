// The verdicts issue 4 asks for, computed by random exploration with fixed seeds.
import { describe, expect, it } from "vitest";
import { verdictRows } from "../engine/verdicts.js";
import { runsIn, SCENARIOS } from "../model/scenarios.js";
import { PROPERTIES, propertyById } from "../properties/index.js";
import { design, runsMutantActor, scenario } from "./helpers.js";

const SEED = 4;

function verdict(d: string, s: string, p: string, runs = 1000) {
  const prop = propertyById(p);
  if (!prop) throw new Error(p);
  const [row] = verdictRows(design(d), scenario(s), [prop], { runs, seed: SEED });
  return row;
}

/** The verdict of `p` on every scenario `d` runs in where it applies. */
function everywhere(d: string, p: string, runs = 500) {
  return SCENARIOS.filter((s) => runsIn(s, design(d)) && !runsMutantActor(s))
    .map((s) => verdict(d, s.id, p, runs))
    .filter((r) => r?.verdict !== "n/a")
    .map((r) => [r?.scenario, r?.verdict, r?.message]);
}

const held = (rows: unknown[][]) => rows.filter((r) => r[1] !== "holds");

describe("the seed series", () => {
  it("rfc frees the hugetlb VMA lock under the walk", () => {
    const r = verdict("rfc", "hugetlb-uffd", "no-freed-vma-use");
    expect(r?.verdict).toBe("violated");
    // munmap's __hugetlb_zap_end frees the lock T sleeps on through its stale pointer
    expect(r?.message).toMatch(
      /W freed vma#0's hugetlb_vma_lock in __hugetlb_vma_unlock_write_free, and its up_write woke T, asleep on that lock, onto the freed lock/,
    );
  });

  it("v1-hugetlb-hold deadlocks: T -> M -> W2 -> W -> T", () => {
    const r = verdict("v1-hugetlb-hold", "hugetlb-uffd", "no-deadlock");
    expect(r?.verdict).toBe("violated");
    expect(r?.message).toMatch(/T waits for M/);
    expect(r?.message).toMatch(/M waits for W2/);
    expect(r?.message).toMatch(/W2 waits for W \(mmap_lock held for read\)/);
    expect(r?.message).toMatch(/W waits for T \(hugetlb_vma_lock/);
  });

  it("v1 holds every safety property and refuses hugetlb faults", () => {
    for (const p of PROPERTIES.filter((x) => x.kind === "safety"))
      expect(held(everywhere("v1", p.id, 300)), p.id).toEqual([]);
    const r = verdict("v1", "hugetlb-uffd", "uffd-fault-completes");
    expect(r?.verdict).toBe("violated");
    expect(r?.message).toMatch(/-EFAULT/);
  });

  it("mshv loops forever after a fatal signal when the monitor never answers", () => {
    expect(verdict("mshv", "anon-uffd-silent", "fatal-signal-ends-loop")?.verdict).toBe("violated");
  });

  it("mshv holds no-freed-vma-use and no-cow-on-readonly", () => {
    expect(held(everywhere("mshv", "no-freed-vma-use"))).toEqual([]);
    expect(held(everywhere("mshv", "no-cow-on-readonly"))).toEqual([]);
  });

  it("v8 ends on a fatal signal but livelocks without FAULT_FLAG_TRIED", () => {
    expect(held(everywhere("v8", "fatal-signal-ends-loop"))).toEqual([]);
    for (const d of ["v8", "v2"]) {
      const r = verdict(d, "anon-swap-contended", "no-retry-livelock");
      expect(r?.verdict).toBe("violated");
      expect(r?.counterexample?.loopStart).toBeGreaterThan(0);
      expect(r?.message).toMatch(/no page of its range becomes present/);
    }
    // a holder that gives up (anon-swap: at most 3 times) lets the refault through
    expect(verdict("v8", "anon-swap", "no-retry-livelock")?.verdict).toBe("holds");
  });

  it("v5 and GUP retry with FAULT_FLAG_TRIED and are handed the folio", () => {
    for (const d of ["v5", "gup"]) {
      expect(verdict(d, "anon-swap", "no-retry-livelock")?.verdict).toBe("holds");
      expect(verdict(d, "anon-swap-contended", "no-retry-livelock")?.verdict).toBe("holds");
    }
  });

  it("UFFDIO_COPY needs the re-validation after dropping its locks", () => {
    const bad = verdict("mfill-copy-norevalidate", "uffd-copy", "uffd-copy-revalidates");
    expect(bad?.verdict).toBe("violated");
    expect(bad?.message).toMatch(
      /allocated for an anon\/private\/uffd VMA into vma#1, which is shmem/,
    );
    expect(verdict("mfill-copy", "uffd-copy", "uffd-copy-revalidates")?.verdict).toBe("holds");
  });
});

describe("caller mutants violate what their name points at; the originals hold it", () => {
  const cases: [string, string, string, string][] = [
    ["v2-ignores-locked", "v2", "anon-uffd", "zero-unlocked-not-success"],
    ["mainline-no-read-retry", "mainline", "anon-plain", "pfns-under-valid-seq"],
    ["v2-unlock-after-drop", "v2", "anon-uffd", "lock-balance"],
    ["vma-lock-nowait", "vma-lock-fault", "anon-uffd", "fault-flags-legal"],
  ];
  for (const [bad, good, s, p] of cases)
    it(`${bad}: ${p}`, () => {
      expect(verdict(bad, s, p)?.verdict).toBe("violated");
      expect(held(everywhere(good, p))).toEqual([]);
    });
});
