// Scenarios: the initial world a design runs in (errata 7): its VMAs, the caller's
// request, which environment actors take part and how often each may act.
import { invalidateProgram } from "./actors/invalidate.js";
import { monitorProgram } from "./actors/monitor.js";
import { munmapProgram } from "./actors/munmap.js";
import { signalProgram } from "./actors/signal.js";
import type { Programs } from "./exec.js";
import { HMM_PFN_REQ_FAULT, HMM_PFN_REQ_WRITE } from "./kernel/hmm.js";
import type { Design } from "./step.js";
import type { Thread, Val, Vma, VmaFlags, World } from "./world.js";
import { emptyRwsem } from "./world.js";

export interface VmaSpec extends VmaFlags {
  readonly name: string;
  readonly pages: number;
}

export interface Scenario {
  readonly id: string;
  readonly title: string;
  readonly vmas: readonly VmaSpec[];
  /** the caller asks for writable pages (HMM_PFN_REQ_WRITE / hypervisor-writable) */
  readonly write: boolean;
  readonly actors: {
    /** munmap at most this many times */
    readonly munmap: number;
    /** invalidations (rmap unmap of a page) at most this many times */
    readonly invalidate: number;
    /** fatal signals to the driver thread (0 or 1) */
    readonly signal: number;
    /** the uffd monitor: answers faults, or never does */
    readonly monitor: "answers" | "never" | null;
  };
  /** after munmap, map a VMA with these flags at the same address */
  readonly remap: VmaFlags | null;
  /** driver steps per page within which uffd-fault-completes expects a return */
  readonly stepsPerPage: number;
}

const anonUffd: VmaSpec = {
  name: "anon-uffd",
  pages: 2,
  write: true,
  shared: false,
  hugetlb: false,
  uffdMissing: true,
};
const hugetlbUffd: VmaSpec = {
  name: "hugetlb-uffd",
  pages: 1,
  write: true,
  shared: true,
  hugetlb: true,
  uffdMissing: true,
};
const anonPlain: VmaSpec = { ...anonUffd, name: "anon", uffdMissing: false };

const allActors = { munmap: 1, invalidate: 2, signal: 1, monitor: "answers" } as const;

export const SCENARIOS: readonly Scenario[] = [
  {
    id: "anon-uffd",
    title: "private anonymous VMA, 2 pages, registered for uffd missing faults",
    vmas: [anonUffd],
    write: true,
    actors: allActors,
    remap: null,
    stepsPerPage: 40,
  },
  {
    id: "hugetlb-uffd",
    title: "shared hugetlb VMA, 1 huge page, registered for uffd missing faults",
    vmas: [hugetlbUffd],
    write: true,
    actors: allActors,
    remap: null,
    stepsPerPage: 40,
  },
  {
    id: "anon-plain",
    title: "private anonymous VMA, 2 pages, no userfaultfd",
    vmas: [anonPlain],
    write: true,
    actors: { ...allActors, monitor: null },
    remap: null,
    stepsPerPage: 40,
  },
  {
    id: "two-vmas",
    title: "a range over an anon-uffd VMA (2 pages) and a hugetlb-uffd VMA (1 page)",
    vmas: [anonUffd, hugetlbUffd],
    write: true,
    actors: allActors,
    remap: null,
    stepsPerPage: 40,
  },
];

export function scenarioById(id: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.id === id);
}

export function totalPages(s: Scenario): number {
  return s.vmas.reduce((n, v) => n + v.pages, 0);
}

export function hasHugetlb(s: Scenario): boolean {
  return s.vmas.some((v) => v.hugetlb);
}

export function hasUffd(s: Scenario): boolean {
  return s.vmas.some((v) => v.uffdMissing);
}

function actor(
  id: number,
  name: string,
  program: string,
  budget: number | null,
  disruptive: boolean,
): Thread {
  return {
    id,
    name,
    role: "actor",
    program,
    pc: "idle",
    locals: {},
    status: { kind: "runnable" },
    fatal: false,
    budget,
    disruptive,
  };
}

/** The programs a scenario's threads run: the design, then the actors. */
export function programsFor(s: Scenario, design: Design): Programs {
  return {
    [design.id]: design,
    munmap: munmapProgram(s.remap),
    invalidate: invalidateProgram(),
    monitor: monitorProgram(),
    signal: signalProgram(),
  };
}

/** The initial world: VMAs laid out from page 0, no page present, T first. */
export function initialWorld(s: Scenario, design: Design): World {
  const vmas: Vma[] = [];
  let at = 0;
  for (const spec of s.vmas) {
    const { name: _name, pages, ...flags } = spec;
    vmas.push({
      id: vmas.length,
      start: at,
      end: at + pages,
      flags,
      state: "live",
      hugetlbLock: flags.hugetlb && flags.shared ? emptyRwsem() : null,
      freedAt: null,
      freedBy: null,
    });
    at += pages;
  }
  const pages = at;
  const locals: Record<string, Val> = {
    rstart: 0,
    rend: pages,
    start: 0,
    end: pages,
    req: HMM_PFN_REQ_FAULT | (s.write ? HMM_PFN_REQ_WRITE : 0),
    hv_writable: s.write,
    pfns: new Array<number>(pages).fill(0),
    pfn_seqs: new Array<number>(pages).fill(-1),
    seq: 0,
    last: 0,
    ret: 0,
    locked: 1,
  };
  const threads: Thread[] = [
    {
      id: 0,
      name: "T",
      role: "driver",
      program: design.id,
      pc: design.start,
      locals,
      status: { kind: "runnable" },
      fatal: false,
      budget: null,
      disruptive: false,
    },
  ];
  const a = s.actors;
  if (a.munmap > 0) threads.push(actor(threads.length, "W", "munmap", a.munmap, true));
  if (a.invalidate > 0) threads.push(actor(threads.length, "I", "invalidate", a.invalidate, true));
  if (a.monitor === "answers") threads.push(actor(threads.length, "M", "monitor", null, false));
  if (a.signal > 0) {
    const sig = actor(threads.length, "S", "signal", a.signal, true);
    threads.push({ ...sig, pc: "send" });
  }
  return {
    clock: 0,
    mmapLock: emptyRwsem(),
    vmas,
    ptes: new Array(pages).fill("none"),
    notifier: { mmSeq: 2, active: 0, subSeq: 1, userLock: { owner: null, waiters: [] } },
    uffd: { released: false, waiting: [] },
    threads,
    ghost: {
      epoch: threads.map(() => 0),
      lastDrop: threads.map(() => null),
      disrupted: false,
      driverSteps: 0,
    },
  };
}
