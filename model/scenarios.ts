// Scenarios: the initial world a design runs in (errata 7): its VMAs, the caller's
// request, which environment actors take part and how often each may act.

import { folioProgram } from "./actors/folio.js";
import { invalidateProgram } from "./actors/invalidate.js";
import { monitorProgram } from "./actors/monitor.js";
import { mprotectProgram } from "./actors/mprotect.js";
import { munmapProgram } from "./actors/munmap.js";
import { releaseProgram } from "./actors/release.js";
import { signalProgram } from "./actors/signal.js";

import { HMM_PFN_REQ_FAULT, HMM_PFN_REQ_WRITE } from "./kernel/hmm.js";
import type { Design, Family, Programs } from "./step.js";
import type { Thread, Val, Vma, VmaFlags, World } from "./world.js";
import { emptyRwsem } from "./world.js";

export interface VmaSpec extends VmaFlags {
  readonly name: string;
  readonly pages: number;
  /** its pages start swapped out (a fault must swap them in under the folio lock) */
  readonly swapped?: boolean;
}

export interface Actors {
  /** munmap at most this many times */
  readonly munmap: number;
  /** invalidations (rmap unmap of a page) at most this many times */
  readonly invalidate: number;
  /** fatal signals to the driver thread (0 or 1) */
  readonly signal: number;
  /** the uffd monitor: answers faults, or never does */
  readonly monitor: "answers" | "never" | null;
  /** VMA writers queued for the mmap write lock (mprotect, UFFDIO_REGISTER) */
  readonly mprotect?: number;
  /** close() of the userfaultfd */
  readonly release?: number;
  /** folio-lock holders taking a swapped page's folio (reclaim, swap I/O) */
  readonly folio?: number;
}

export interface Scenario {
  readonly id: string;
  readonly title: string;
  /** the kinds of design that run here */
  readonly families: readonly Family[];
  readonly vmas: readonly VmaSpec[];
  /** the caller asks for writable pages (HMM_PFN_REQ_WRITE / hypervisor-writable) */
  readonly write: boolean;
  readonly actors: Actors;
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
  file: "hugetlbfs:0",
};
const anonPlain: VmaSpec = { ...anonUffd, name: "anon", uffdMissing: false };

const base = { munmap: 1, invalidate: 2, signal: 1, monitor: "answers" } as const;
const callers: readonly Family[] = ["hmm", "gup", "fault"];

export const SCENARIOS: readonly Scenario[] = [
  {
    id: "anon-uffd",
    title: "private anonymous VMA, 2 pages, registered for uffd missing faults",
    families: callers,
    vmas: [anonUffd],
    write: true,
    actors: { ...base, release: 1 },
    remap: null,
    stepsPerPage: 40,
  },
  {
    id: "hugetlb-uffd",
    title: "shared hugetlb VMA, 1 huge page, registered for uffd missing faults",
    families: ["hmm"],
    vmas: [hugetlbUffd],
    write: true,
    actors: { ...base, mprotect: 1 },
    remap: null,
    stepsPerPage: 40,
  },
  {
    id: "anon-plain",
    title: "private anonymous VMA, 2 pages, no userfaultfd",
    families: callers,
    vmas: [anonPlain],
    write: true,
    actors: { ...base, monitor: null },
    remap: null,
    stepsPerPage: 40,
  },
  {
    id: "two-vmas",
    title: "a range over an anon-uffd VMA (2 pages) and a hugetlb-uffd VMA (1 page)",
    families: ["hmm"],
    vmas: [anonUffd, hugetlbUffd],
    write: true,
    actors: base,
    remap: null,
    stepsPerPage: 40,
  },
  {
    id: "anon-uffd-1",
    title: "anon-uffd with 1 page and one of each actor: small enough for exhaustive search",
    families: callers,
    vmas: [{ ...anonUffd, pages: 1 }],
    write: true,
    actors: { munmap: 1, invalidate: 1, signal: 1, monitor: "answers" },
    remap: null,
    stepsPerPage: 40,
  },
  {
    id: "hugetlb-uffd-1",
    title: "hugetlb-uffd with one of each actor (no mprotect): small enough for exhaustive search",
    families: ["hmm"],
    vmas: [hugetlbUffd],
    write: true,
    actors: { munmap: 1, invalidate: 1, signal: 1, monitor: "answers" },
    remap: null,
    stepsPerPage: 40,
  },
  {
    id: "anon-uffd-silent",
    title: "anon-uffd, but the monitor never answers; a fatal signal may come",
    families: callers,
    vmas: [anonUffd],
    write: true,
    actors: { munmap: 1, invalidate: 0, signal: 1, monitor: "never" },
    remap: null,
    stepsPerPage: 40,
  },
  {
    id: "anon-swap",
    title: "private anonymous VMA, 2 pages swapped out; a folio-lock holder forces RETRY",
    families: callers,
    vmas: [{ ...anonPlain, name: "anon-swapped", swapped: true }],
    write: true,
    actors: { munmap: 0, invalidate: 0, signal: 1, monitor: null, folio: 3 },
    remap: null,
    stepsPerPage: 40,
  },
  {
    id: "anon-ro",
    title: "private anonymous VMA without VM_WRITE, uffd missing; the caller asks for write",
    families: ["hmm"],
    vmas: [{ ...anonUffd, name: "anon-ro-uffd", write: false }],
    write: true,
    actors: { ...base, munmap: 0 },
    remap: null,
    stepsPerPage: 40,
  },
  {
    id: "uffd-copy",
    title:
      "UFFDIO_COPY into an anon-uffd page whose source faults; munmap may remap the range as shmem",
    families: ["mfill"],
    vmas: [{ ...anonUffd, pages: 1 }],
    write: true,
    actors: { munmap: 1, invalidate: 0, signal: 0, monitor: null },
    remap: { write: true, shared: true, hugetlb: false, uffdMissing: true, file: "shmem:0" },
    stepsPerPage: 40,
  },
];

/** The same scenario with `pages` pages in each VMA (the knob errata 7 asks for). */
export function withPages(s: Scenario, pages: number): Scenario {
  return {
    ...s,
    id: `${s.id}*${pages}`,
    title: `${s.title} (${pages} pages per VMA)`,
    vmas: s.vmas.map((v) => ({ ...v, pages })),
  };
}

export function scenarioById(id: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.id === id);
}

export function totalPages(s: Scenario): number {
  return s.vmas.reduce((n, v) => n + v.pages, 0);
}

export function hasHugetlb(s: Scenario): boolean {
  return s.vmas.some((v) => v.hugetlb);
}

export function runsIn(s: Scenario, d: Design): boolean {
  return s.families.includes(d.family);
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
    mprotect: mprotectProgram(),
    release: releaseProgram(),
    folio: folioProgram(),
  };
}

/** The initial world: VMAs laid out from page 0, no page present, T first. */
export function initialWorld(s: Scenario, design: Design): World {
  const vmas: Vma[] = [];
  let at = 0;
  for (const spec of s.vmas) {
    const { name: _name, pages, swapped: _swapped, ...flags } = spec;
    vmas.push({
      id: vmas.length,
      start: at,
      end: at + pages,
      flags,
      state: "live",
      hugetlbLock: flags.hugetlb && flags.shared ? emptyRwsem() : null,
      readers: [],
      writeLocked: false,
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
  if (a.mprotect) threads.push(actor(threads.length, "W2", "mprotect", a.mprotect, true));
  if (a.folio) threads.push(actor(threads.length, "F", "folio", a.folio, false));
  if (a.release) threads.push(actor(threads.length, "R", "release", a.release, true));
  if (a.monitor === "answers") threads.push(actor(threads.length, "M", "monitor", null, false));
  if (a.signal > 0) {
    const sig = actor(threads.length, "S", "signal", a.signal, true);
    threads.push({ ...sig, pc: "send" });
  }
  return {
    clock: 0,
    mmapLock: emptyRwsem(),
    vmas,
    ptes: s.vmas.flatMap((v) => new Array(v.pages).fill(v.swapped ? "swap" : "none")),
    folioLock: new Array(pages).fill(null),
    notifier: {
      mmSeq: 2,
      active: 0,
      subSeq: 1,
      userLock: { owner: null, waiters: [] },
      invalidators: [],
    },
    uffd: { released: false, waiting: [] },
    locks: {},
    objects: {},
    ghost: {
      epoch: threads.map(() => 0),
      lastDrop: threads.map(() => null),
      vmaEpoch: threads.map(() => 0),
      lockEpoch: {},
      disrupted: false,
      driverSteps: 0,
      consumed: null,
    },
    threads,
  };
}
