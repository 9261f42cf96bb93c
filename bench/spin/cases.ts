// The cases the Spin benchmark runs on both tools: a lockdrop design and scenario, the
// properties checked, and the Promela twin with the preprocessor flags that build the
// same scenario. Shared by bench/spin.ts and its child process bench/spin/lockdrop-run.ts.
import { designById } from "../../model/designs/index.js";
import type { Scenario } from "../../model/scenarios.js";
import { scenarioById, withPages } from "../../model/scenarios.js";
import type { Design } from "../../model/step.js";
import { propertyById } from "../../properties/index.js";
import type { Property } from "../../properties/property.js";

export type CaseKind = "v2-munmap" | "v2-all-actors" | "drop-munmap" | "drop-all-actors";

export interface Case {
  readonly kind: CaseKind;
  readonly pages: number;
  readonly design: Design;
  readonly scenario: Scenario;
  readonly props: readonly Property[];
  /** the twin, relative to bench/spin/ */
  readonly pml: string;
  /** -D flags for spin (the scenario and the assertions) */
  readonly defines: readonly string[];
}

function must<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new Error(`bench/spin: no ${what}`);
  return v;
}

const SAFETY = ["no-vma-use-after-unlock", "no-freed-vma-use", "lock-balance"];
const ASSERTS = ["-DCHECK_S1", "-DCHECK_S2", "-DCHECK_LB"];
/** one munmap and the monitor, nothing else */
const MUNMAP_ONLY = (s: Scenario) =>
  s.actors.filter((u) => u.actor.id === "munmap" || u.actor.id === "monitor");

export function caseFor(kind: CaseKind, pages: number): Case {
  const props = (ids: readonly string[]) => ids.map((id) => must(propertyById(id), id));
  switch (kind) {
    case "v2-munmap": {
      // anon-uffd (N pages) with one munmap and the monitor, nothing else
      const base = must(scenarioById("anon-uffd"), "anon-uffd");
      const scenario = withPages(
        {
          ...base,
          id: "anon-uffd-munmap",
          title: "anon-uffd with one munmap and the monitor (no invalidation, signal, close)",
          actors: MUNMAP_ONLY(base),
        },
        pages,
      );
      return {
        kind,
        pages,
        design: must(designById("v2"), "v2"),
        scenario,
        props: props(SAFETY),
        pml: "v2.pml",
        defines: [`-DN=${pages}`, ...ASSERTS],
      };
    }
    case "v2-all-actors":
      // anon-uffd-1 (munmap, invalidation, monitor, fatal signal) with N pages
      return {
        kind,
        pages,
        design: must(designById("v2"), "v2"),
        scenario: withPages(must(scenarioById("anon-uffd-1"), "anon-uffd-1"), pages),
        props: props(SAFETY),
        pml: "v2.pml",
        defines: [`-DN=${pages}`, ...ASSERTS, "-DWITH_INVALIDATE", "-DWITH_SIGNAL"],
      };
    case "drop-munmap": {
      const base = must(scenarioById("hugetlb-uffd-1"), "hugetlb-uffd-1");
      return {
        kind,
        pages: 1,
        design: must(designById("v1-hugetlb-drop"), "v1-hugetlb-drop"),
        scenario: {
          ...base,
          id: "hugetlb-uffd-munmap",
          title: "hugetlb-uffd (1 huge page) with one munmap and the monitor",
          actors: MUNMAP_ONLY(base),
        },
        props: props(["no-freed-vma-use"]),
        pml: "v1-hugetlb-drop.pml",
        defines: ["-DCHECK_S2"],
      };
    }
    case "drop-all-actors":
      return {
        kind,
        pages: 1,
        design: must(designById("v1-hugetlb-drop"), "v1-hugetlb-drop"),
        scenario: must(scenarioById("hugetlb-uffd-1"), "hugetlb-uffd-1"),
        props: props(["no-freed-vma-use"]),
        pml: "v1-hugetlb-drop.pml",
        defines: ["-DCHECK_S2", "-DWITH_INVALIDATE", "-DWITH_SIGNAL"],
      };
  }
}
