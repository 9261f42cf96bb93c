// The scenarios of the v8 series' timeouts: the clock (model/actors/clock.ts) beside the
// actors of the older scenarios, an endless stream of invalidations, and a driver whose
// fault handler breaks the ALLOW_RETRY contract. Appended to the built-in list by
// model/scenarios.ts, which passes in its actor instances (one instance per id).
import type { Actor } from "./actor.js";
import { use } from "./actor.js";
import { MISBEHAVING_DRIVER } from "./kernel/fault-flags.js";
import type { Scenario, VmaSpec } from "./scenarios.js";

/** The built-in actor instances these scenarios run. */
export interface TimeActors {
  readonly clock: Actor;
  readonly munmap: Actor;
  readonly invalidate: Actor;
  readonly madvise: Actor;
  readonly monitor: Actor;
  readonly signal: Actor;
  readonly folio: Actor;
}

const anonUffd: VmaSpec = {
  name: "anon-uffd",
  pages: 2,
  write: true,
  shared: false,
  hugetlb: false,
  uffdMissing: true,
};
const anon: VmaSpec = { ...anonUffd, name: "anon", uffdMissing: false };

export function timeScenarios(a: TimeActors): Scenario[] {
  const hmm = ["hmm"] as const;
  return [
    {
      id: "anon-uffd-clock",
      title:
        "anon-uffd with the clock: deadlines come while faults drop the lock and invalidations collide",
      families: hmm,
      vmas: [anonUffd],
      write: true,
      actors: [
        use(a.munmap, 1),
        use(a.invalidate, 2),
        use(a.monitor, null),
        use(a.signal, 1),
        use(a.clock, null),
      ],
      stepsPerPage: 40,
    },
    {
      id: "anon-uffd-silent-clock",
      title:
        "anon-uffd with the clock, and the monitor never answers: the fault sleeps in handle_userfault past any deadline",
      families: hmm,
      vmas: [anonUffd],
      write: true,
      actors: [use(a.munmap, 1), use(a.signal, 1), use(a.clock, null)],
      stepsPerPage: 40,
    },
    {
      id: "uffd-silent-worker",
      title:
        "anon-uffd with 1 page and the clock, the monitor never answers, no signal: a kernel worker's fault sleeps in handle_userfault()",
      families: hmm,
      vmas: [{ ...anonUffd, pages: 1 }],
      write: true,
      actors: [use(a.clock, null)],
      stepsPerPage: 40,
    },
    {
      id: "anon-swap-clock",
      title:
        "anon-swap with the clock: folio-lock RETRYs drop the lock (and re-arm the budget) while deadlines come",
      families: hmm,
      vmas: [{ ...anon, name: "anon-swapped", swapped: true }],
      write: true,
      actors: [use(a.folio, 3), use(a.signal, 1), use(a.clock, null)],
      stepsPerPage: 40,
    },
    {
      id: "file-shared-clock",
      title:
        "file-shared with the clock: a first write fault completes with the lock dropped (VM_FAULT_COMPLETED) while deadlines come",
      families: hmm,
      vmas: [
        {
          name: "file-shared",
          pages: 2,
          write: true,
          shared: true,
          hugetlb: false,
          uffdMissing: false,
          file: "ext4:0",
        },
      ],
      write: true,
      actors: [use(a.invalidate, 2), use(a.signal, 1), use(a.clock, null)],
      stepsPerPage: 40,
    },
    {
      id: "invalidate-storm",
      title:
        "private anonymous VMA, 1 page, no uffd: an endless stream of invalidations (no bound: reclaim's rmap unmap of the page once mapped, and madvise(MADV_DONTNEED) over it, mapped or not) and the clock; no signal, as in a GPU fault worker",
      families: hmm,
      vmas: [{ ...anon, pages: 1 }],
      write: true,
      actors: [use(a.invalidate, null), use(a.madvise, null), use(a.clock, null)],
      stepsPerPage: 40,
    },
    {
      id: "uffd-invalidate-storm",
      title:
        "anon-uffd with 1 page, the monitor answering, an endless stream of invalidations that zap the page again (reclaim's rmap unmap, madvise(MADV_DONTNEED)), and the clock",
      families: hmm,
      vmas: [{ ...anonUffd, pages: 1 }],
      write: true,
      actors: [
        use(a.invalidate, null),
        use(a.madvise, null),
        use(a.monitor, null),
        use(a.clock, null),
      ],
      stepsPerPage: 40,
    },
    {
      id: "misbehaving-handler",
      title: `a mapping of a driver (${MISBEHAVING_DRIVER}) whose vm_ops->fault returns VM_FAULT_RETRY on a first attempt without testing FAULT_FLAG_ALLOW_RETRY, 1 page`,
      families: hmm,
      vmas: [
        {
          name: MISBEHAVING_DRIVER,
          pages: 1,
          write: true,
          shared: false,
          hugetlb: false,
          uffdMissing: false,
          file: `${MISBEHAVING_DRIVER}:0`,
        },
      ],
      write: true,
      actors: [],
      stepsPerPage: 40,
    },
  ];
}
