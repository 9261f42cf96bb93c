// Scenarios: the initial world a design runs in: its VMAs, the caller's
// request, which environment actors take part and how often each may act.

import type { Actor, ActorUse } from "./actor.js";
import { use } from "./actor.js";
import { clockActor } from "./actors/clock.js";
import { folioActor } from "./actors/folio.js";
import { forkActor } from "./actors/fork.js";
import {
  hugetlbMunmapActor,
  hugetlbMunmapSplitActor,
  hugetlbTruncateActor,
  pmdSharerExitActor,
} from "./actors/hugetlbfs.js";
import { invalidateActor, swapOutActor } from "./actors/invalidate.js";
import { khugepagedRetractActor } from "./actors/khugepaged.js";
import { madviseDontneedActor } from "./actors/madvise.js";
import { migrateVmaActor } from "./actors/migrate-vma.js";
import { monitorActor } from "./actors/monitor.js";
import { mprotectActor } from "./actors/mprotect.js";
import { mprotectReadOnlyActor } from "./actors/mprotect-ro.js";
import { mremapActor } from "./actors/mremap.js";
import { munmapActor } from "./actors/munmap.js";
import { munmapSplitActor } from "./actors/munmap-split.js";
import {
  KVM_COUNT,
  kvmSubscriber,
  RADEON_LOCK,
  radeonLockActor,
  radeonSubscriber,
} from "./actors/notifier-subscribers.js";
import { oomReapActor } from "./actors/oom-reap.js";
import { otherMmActor } from "./actors/other-mm.js";
import { releaseActor } from "./actors/release.js";
import { signalActor } from "./actors/signal.js";
import { thpDontneedActor } from "./actors/thp-split.js";
import { PAGE_TABLE_LOCK } from "./kernel/anon-vma.js";
import { HMM_PFN_REQ_FAULT, HMM_PFN_REQ_WRITE } from "./kernel/hmm.js";
import { I_MMAP_RWSEM } from "./kernel/i-mmap.js";
import { freeLock } from "./kernel/locks.js";
import { newObj } from "./kernel/objects.js";
import { PGTABLE } from "./kernel/pgtable.js";
import { newVma } from "./kernel/vma.js";
import { BUILT_IN, branded, type Registry, registry } from "./registry.js";
import { timeScenarios } from "./scenarios-time.js";
import type { Design, Family, Program, Programs } from "./step.js";
import { isUffdMonitor } from "./uffd-monitors.js";
import type {
  LockKind,
  LockState,
  Obj,
  ObjState,
  Pte,
  Thread,
  UffdMode,
  Val,
  Vma,
  VmaFlags,
} from "./world.js";
import { emptyRwsem, type World } from "./world.js";

export interface VmaSpec extends VmaFlags {
  readonly name: string;
  readonly pages: number;
  /** its pages start swapped out (a fault must swap them in under the folio lock) */
  readonly swapped?: boolean;
  /**
   * its pages start mapped, as pages the process has written (writable with VM_WRITE): in
   * a private VMA, anonymous pages, not the zero page a read fault maps
   */
  readonly mapped?: boolean;
  /**
   * vma->anon_vma is set from the start: a private VMA that has held anonymous pages
   * (default: when its pages start swapped out or mapped)
   */
  readonly anonVma?: boolean;
  /**
   * a hugetlb VMA that no PMD table covers yet (the PUD entry over it is none):
   * hugetlb_walk() finds no entry there until a fault or UFFDIO_COPY allocates the table
   */
  readonly noPmdTable?: boolean;
}

/** A lock the scenario declares: a name a reader recognises (`drv.lock`) and its kind. */
export interface LockDecl {
  readonly name: string;
  readonly kind: LockKind;
  /** a refcount's initial count (default 1) */
  readonly count?: number;
}

/** An object with a lifetime the scenario declares, and the state it starts in (default live). */
export interface ObjectDecl {
  readonly name: string;
  readonly state?: ObjState;
}

export interface Scenario {
  readonly id: string;
  readonly title: string;
  /** the kinds of design that run here */
  readonly families: readonly Family[];
  readonly vmas: readonly VmaSpec[];
  /** the caller asks for writable pages (HMM_PFN_REQ_WRITE / hypervisor-writable) */
  readonly write: boolean;
  /** the environment actors, in thread order after the drivers, each with its budget */
  readonly actors: readonly ActorUse[];
  /** driver steps per page within which uffd-fault-completes expects a return */
  readonly stepsPerPage: number;
  /** locks the scenario declares beside the built-in ones (a driver's own mutex, ...) */
  readonly locks?: readonly LockDecl[];
  /** objects with a lifetime the scenario declares */
  readonly objects?: readonly ObjectDecl[];
  /** driver threads that run the design under check (default 1): T, or T1, T2, ... */
  readonly drivers?: number;
  /** other designs that run beside it on the same mm, one driver thread each */
  readonly alongside?: readonly Design[];
  /** how the userfaultfd was created (default: privileged, no UFFD_FEATURE_SIGBUS) */
  readonly uffd?: Partial<UffdMode>;
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

const munmap = munmapActor();
const invalidate = invalidateActor();
const swapOut = swapOutActor();
const mprotect = mprotectActor();
const folio = folioActor();
const release = releaseActor();
const monitor = monitorActor();
const signal = signalActor();
const killProcess = signalActor("process");
const madvise = madviseDontneedActor();
const folioContended = folioActor({ contended: true });
const munmapSplit = munmapSplitActor();
const mprotectRo = mprotectReadOnlyActor();
const mremap = mremapActor();
const fork = forkActor();
const clock = clockActor();
const oomReap = oomReapActor();
const oomReapEndAfterEagain = oomReapActor({ endAfterEagain: true });
const thpDontneed = thpDontneedActor();
const thpDontneedNolock = thpDontneedActor({ nolock: true });
/** A PMD-mapped THP (model/kernel/thp.ts): its huge pmd, its deposited PTE table, pmd_lock. */
const thpPmd = {
  locks: [{ name: "pmd_lock", kind: "spinlock" }],
  objects: [{ name: "huge_pmd" }, { name: "pgtable", state: "allocated" }],
} as const satisfies Pick<Scenario, "locks" | "objects">;
const khugepaged = khugepagedRetractActor();
const khugepagedPteFree = khugepagedRetractActor({ pteFree: true });
const otherMm = otherMmActor();
const hugetlbTruncate = hugetlbTruncateActor();
const hugetlbTruncateBlocking = hugetlbTruncateActor({ blocking: true });
const hugetlbTruncateNoKref = hugetlbTruncateActor({ noKref: true });
const hugetlbMunmap = hugetlbMunmapActor();
const pmdSharerExit = pmdSharerExitActor();
const hugetlbMunmapSplit = hugetlbMunmapSplitActor();
const hugetlbMunmapSplitKeepsLock = hugetlbMunmapSplitActor({ keepsLock: true });
const hlistSubs = [kvmSubscriber, radeonSubscriber];
const oomReapHlist = oomReapActor({ subscribers: hlistSubs });
const oomReapHlistNoBackout = oomReapActor({ subscribers: hlistSubs, backOut: false });
const radeonLock = radeonLockActor();
const migrateVma = migrateVmaActor();
const migrateVmaOther = migrateVmaActor({ otherDevice: true });
const hlistLocks = [
  { name: KVM_COUNT, kind: "refcount", count: 0 },
  { name: RADEON_LOCK, kind: "mutex" },
] as const;
const callers: readonly Family[] = ["hmm", "gup", "fault"];
/** uffd-copy's munmap: a shared shmem VMA mapped in the range's place, registered with userfaultfd or not. */
const shmemRemap = (uffdMissing: boolean) =>
  munmapActor({ write: true, shared: true, hugetlb: false, uffdMissing, file: "shmem:0" });
/** uffd-copy-hugetlb's munmap: a shared hugetlb VMA, registered with userfaultfd, mapped in the range's place. */
const hugetlbRemap = munmapActor({
  write: true,
  shared: true,
  hugetlb: true,
  uffdMissing: true,
  file: "hugetlbfs:0",
});
/** uffd-copy-hugetlb-dst's munmap: an anonymous VMA, registered with userfaultfd, mapped in the hugetlb range's place. */
const anonRemap = munmapActor({ write: true, shared: false, hugetlb: false, uffdMissing: true });
/** What the anon-fault scenarios declare: mm->page_table_lock (vma#0 starts without an anon_vma). */
const anonVmaDecls = {
  locks: [{ name: PAGE_TABLE_LOCK, kind: "spinlock" }],
} as const;

/** A MAP_SHARED shmem VMA of one page (its PTE table is the one khugepaged retracts). */
const shmemOne: VmaSpec = {
  name: "shmem",
  pages: 1,
  write: false,
  shared: true,
  hugetlb: false,
  uffdMissing: false,
  file: "shmem:0",
};
/** The page-table pieces as declared locks and objects (model/kernel/pgtable.ts). */
const pgtableLocks: readonly LockDecl[] = [
  { name: PGTABLE.rcu, kind: "rcu" },
  { name: PGTABLE.pmdLock, kind: "spinlock" },
  { name: PGTABLE.ptl, kind: "spinlock" },
  { name: I_MMAP_RWSEM, kind: "rwsem" },
];
const pgtableObjects: readonly ObjectDecl[] = [{ name: PGTABLE.table }];

/**
 * A shared hugetlbfs mapping of 1 huge page, with the file side declared through the
 * public API (model/kernel/hugetlbfs.ts): i_mmap_rwsem, the VMA's hugetlb_vma_lock as a
 * lock and an object with a kref, and process B's PMD page that the driver's fault may
 * share. Truncation (`truncate`), munmap of the VMA and B's exit race the fault.
 */
function hugetlbfsScenario(id: string, title: string, truncate: Actor): Scenario {
  return {
    id,
    title,
    families: ["hugetlbfs"],
    vmas: [{ ...hugetlbUffd, name: "hugetlbfs-shared", uffdMissing: false }],
    write: true,
    actors: [use(truncate, 1), use(hugetlbMunmap, 1), use(pmdSharerExit, 1)],
    stepsPerPage: 40,
    locks: [
      { name: I_MMAP_RWSEM, kind: "rwsem" },
      { name: "vma_lock", kind: "rwsem" },
      { name: "vma_lock.refs", kind: "refcount", count: 1 },
      { name: "pmd.sharers", kind: "refcount", count: 1 },
    ],
    objects: [
      { name: "vma_A" },
      { name: "vma_lock" },
      // process B's VMA's hugetlb vma lock (its vm_private_data)
      { name: "B.vma_lock" },
      { name: "pmd" },
      { name: "A.pmd_share", state: "allocated" },
    ],
  };
}

/** hugetlbfs with 2 huge pages in one VMA, and munmap of the second: a split. */
function hugetlbfsSplitScenario(id: string, title: string, split: Actor): Scenario {
  const base = hugetlbfsScenario(id, title, split);
  return {
    ...base,
    vmas: base.vmas.map((v) => ({ ...v, pages: 2 })),
    actors: [use(split, 1)],
    locks: [
      ...(base.locks ?? []),
      { name: "vma_lock.new", kind: "rwsem" },
      { name: "vma_lock.new.refs", kind: "refcount", count: 1 },
    ],
    objects: [...(base.objects ?? []), { name: "vma_lock.new", state: "allocated" }],
  };
}

export const SCENARIOS: readonly Scenario[] = [
  {
    id: "anon-uffd",
    title: "private anonymous VMA, 2 pages, registered for uffd missing faults",
    families: callers,
    vmas: [anonUffd],
    write: true,
    actors: [
      use(munmap, 1),
      use(invalidate, 2),
      use(release, 1),
      use(monitor, null),
      use(signal, 1),
    ],
    stepsPerPage: 40,
  },
  {
    id: "hugetlb-uffd",
    title: "shared hugetlb VMA, 1 huge page, registered for uffd missing faults",
    families: ["hmm"],
    vmas: [hugetlbUffd],
    write: true,
    actors: [
      use(munmap, 1),
      use(invalidate, 2),
      use(mprotect, 1),
      use(monitor, null),
      use(signal, 1),
    ],
    stepsPerPage: 40,
  },
  {
    id: "anon-plain",
    title: "private anonymous VMA, 2 pages, no userfaultfd",
    families: callers,
    vmas: [anonPlain],
    write: true,
    actors: [use(munmap, 1), use(invalidate, 2), use(signal, 1)],
    stepsPerPage: 40,
  },
  {
    id: "two-vmas",
    title: "a range over an anon-uffd VMA (2 pages) and a hugetlb-uffd VMA (1 page)",
    families: ["hmm"],
    vmas: [anonUffd, hugetlbUffd],
    write: true,
    actors: [use(munmap, 1), use(invalidate, 2), use(monitor, null), use(signal, 1)],
    stepsPerPage: 40,
  },
  {
    id: "anon-uffd-1",
    title: "anon-uffd with 1 page and one of each actor: small enough for exhaustive search",
    families: callers,
    vmas: [{ ...anonUffd, pages: 1 }],
    write: true,
    actors: [use(munmap, 1), use(invalidate, 1), use(monitor, null), use(signal, 1)],
    stepsPerPage: 40,
  },
  {
    id: "anon-oom-reap",
    title:
      "one anonymous page, SIGKILL and the OOM reaper: non-blocking invalidations that fail while the driver holds user_lock",
    families: callers,
    vmas: [{ ...anonUffd, pages: 1, uffdMissing: false }],
    write: true,
    actors: [use(signal, 1), use(oomReap, 2)],
    stepsPerPage: 40,
  },
  {
    id: "anon-oom-reap-end-after-eagain",
    title:
      "anon-oom-reap with a mutated reaper that calls invalidate_range_end after a failed non-blocking start",
    families: callers,
    vmas: [{ ...anonUffd, pages: 1, uffdMissing: false }],
    write: true,
    actors: [use(signal, 1), use(oomReapEndAfterEagain, 2)],
    stepsPerPage: 40,
  },
  {
    id: "thp-split",
    title:
      "two pages mapped by one huge pmd; MADV_DONTNEED of the second splits it under pmd_lock while the walker follows the first",
    families: ["thp"],
    vmas: [{ ...anonPlain, name: "anon-thp", pages: 2, anonVma: true }],
    write: true,
    actors: [use(thpDontneed, 1)],
    stepsPerPage: 40,
    ...thpPmd,
  },
  {
    id: "thp-split-nolock",
    title: "thp-split with a mutated MADV_DONTNEED whose split takes no pmd_lock",
    families: ["thp"],
    vmas: [{ ...anonPlain, name: "anon-thp", pages: 2, anonVma: true }],
    write: true,
    actors: [use(thpDontneedNolock, 1)],
    stepsPerPage: 40,
    ...thpPmd,
  },
  {
    id: "anon-vma-prepare",
    title:
      "two threads write-fault one page of an anonymous VMA without an anon_vma, under the per-VMA lock, while mprotect() write-locks the VMA and mprotect(PROT_READ) clears VM_WRITE",
    families: ["anon-fault"],
    vmas: [{ ...anonPlain, pages: 1 }],
    write: true,
    drivers: 2,
    actors: [use(mprotect, 1), use(mprotectRo, 1)],
    stepsPerPage: 40,
    ...anonVmaDecls,
  },
  {
    id: "anon-vma-slab-reuse",
    title:
      "a per-VMA-lock fault races munmap of its VMA, whose freed slot another mm's new VMA reuses (SLAB_TYPESAFE_BY_RCU); a fatal signal may come",
    families: ["anon-fault"],
    vmas: [{ ...anonPlain, pages: 1 }],
    write: true,
    actors: [use(munmap, 1), use(otherMm, 1), use(signal, 1)],
    stepsPerPage: 40,
    ...anonVmaDecls,
  },
  {
    id: "anon-oom-reap-subscribers",
    title:
      "one anonymous page, SIGKILL and the OOM reaper on an mm with two hlist notifiers (KVM, and radeon's userptr notifier whose non-blocking start fails while rmn->lock is held)",
    // the GUP and page-fault callers only: an interval start left in flight by a later
    // hlist failure (__mmu_notifier_invalidate_range_start) would hang an HMM caller's
    // read_begin, a combination no kernel had (interval notifiers came with v5.5, when
    // the last failing hlist subscribers went)
    families: ["gup", "fault"],
    vmas: [{ ...anonUffd, pages: 1, uffdMissing: false }],
    write: true,
    actors: [use(signal, 1), use(oomReapHlist, 2), use(radeonLock, 1)],
    stepsPerPage: 40,
    locks: hlistLocks,
  },
  {
    id: "anon-oom-reap-subscribers-no-backout",
    title:
      "anon-oom-reap-subscribers with the notifier core before c2655835fd8c: a failed hlist start leaves the subscribers that succeeded without their end",
    families: ["gup", "fault"],
    vmas: [{ ...anonUffd, pages: 1, uffdMissing: false }],
    write: true,
    actors: [use(signal, 1), use(oomReapHlistNoBackout, 2), use(radeonLock, 1)],
    stepsPerPage: 40,
    locks: hlistLocks,
  },
  {
    id: "anon-migrate",
    title:
      "one anonymous page, written before, that a device driver migrates with migrate_vma while the driver under check mirrors it with hmm_range_fault (read requests)",
    families: ["hmm-migrate"],
    // a page the process wrote: a read fault would map the zero page, which
    // migrate_vma_collect_pmd() migrates without a migration entry for the walker to meet
    vmas: [{ ...anonUffd, pages: 1, uffdMissing: false, mapped: true }],
    // read requests, as lib/test_hmm.c's dmirror_fault() for a read
    write: false,
    actors: [use(migrateVma, 1)],
    stepsPerPage: 40,
  },
  {
    id: "anon-migrate-device-private",
    title:
      "one anonymous page, written before, that another device's driver migrates to its device-private memory while the driver under check mirrors it with hmm_range_fault (read requests)",
    families: ["hmm-migrate"],
    vmas: [{ ...anonUffd, pages: 1, uffdMissing: false, mapped: true }],
    write: false,
    actors: [use(migrateVmaOther, 1)],
    stepsPerPage: 40,
  },
  {
    id: "hugetlb-uffd-1",
    title: "hugetlb-uffd with one of each actor (no mprotect): small enough for exhaustive search",
    families: ["hmm"],
    vmas: [hugetlbUffd],
    write: true,
    actors: [use(munmap, 1), use(invalidate, 1), use(monitor, null), use(signal, 1)],
    stepsPerPage: 40,
  },
  {
    id: "hugetlb-uffd-hole",
    title:
      "hugetlb-uffd-1 without the invalidation, and no PMD table over the VMA yet: the first walk meets a hole and faults with the hugetlb VMA lock held",
    families: ["hmm"],
    vmas: [{ ...hugetlbUffd, name: "hugetlb-uffd-hole", noPmdTable: true }],
    write: true,
    actors: [use(munmap, 1), use(monitor, null), use(signal, 1)],
    stepsPerPage: 40,
  },
  {
    id: "anon-uffd-silent",
    title: "anon-uffd, but the monitor never answers; a fatal signal may come",
    families: callers,
    vmas: [anonUffd],
    write: true,
    actors: [use(munmap, 1), use(signal, 1)],
    stepsPerPage: 40,
  },
  {
    id: "anon-uffd-killed",
    title: "anon-uffd with SIGKILL to the whole process: the monitor dies, the uffd stays open",
    families: callers,
    vmas: [anonUffd],
    write: true,
    actors: [use(munmap, 1), use(invalidate, 2), use(monitor, null), use(killProcess, 1)],
    stepsPerPage: 40,
  },
  {
    id: "anon-uffd-usermode",
    title:
      "anon-uffd, but the uffd was created with UFFD_USER_MODE_ONLY (unprivileged userfaultfd(2))",
    families: callers,
    vmas: [anonUffd],
    write: true,
    actors: [use(munmap, 1), use(invalidate, 2), use(monitor, null), use(signal, 1)],
    stepsPerPage: 40,
    uffd: { userModeOnly: true },
  },
  {
    id: "anon-uffd-sigbus",
    title: "anon-uffd, but the uffd was created with UFFD_FEATURE_SIGBUS: missing faults SIGBUS",
    families: callers,
    vmas: [anonUffd],
    write: true,
    actors: [use(munmap, 1), use(invalidate, 2), use(monitor, null), use(signal, 1)],
    stepsPerPage: 40,
    uffd: { sigbus: true },
  },
  {
    id: "anon-uffd-swap-out",
    title:
      "a uffd-registered private anonymous VMA, 2 pages mapped, no monitor; reclaim swaps pages out (at most twice), and faults swap them in through do_swap_page(), never handle_userfault()",
    families: callers,
    vmas: [{ ...anonUffd, name: "anon-uffd-mapped", mapped: true }],
    write: true,
    actors: [use(munmap, 1), use(swapOut, 2), use(folio, 1), use(signal, 1)],
    stepsPerPage: 40,
  },
  {
    id: "anon-swap",
    title: "private anonymous VMA, 2 pages swapped out; a folio-lock holder forces RETRY",
    families: callers,
    vmas: [{ ...anonPlain, name: "anon-swapped", swapped: true }],
    write: true,
    actors: [use(folio, 3), use(signal, 1)],
    stepsPerPage: 40,
  },
  {
    id: "anon-ro",
    title: "private anonymous VMA without VM_WRITE, uffd missing; the caller asks for write",
    families: ["hmm"],
    vmas: [{ ...anonUffd, name: "anon-ro-uffd", write: false }],
    write: true,
    actors: [use(invalidate, 2), use(monitor, null), use(signal, 1)],
    stepsPerPage: 40,
  },
  {
    id: "file-shared",
    title:
      "MAP_SHARED VMA of an ext4 file, 2 pages, no uffd: a first write fault dirties the page and completes with the lock dropped",
    families: callers,
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
    actors: [use(munmap, 1), use(invalidate, 2), use(signal, 1)],
    stepsPerPage: 40,
  },
  {
    id: "hugetlb-zap",
    title: "shared hugetlb VMA without uffd, 1 huge page missing; madvise(MADV_DONTNEED) zaps it",
    families: ["hmm"],
    vmas: [{ ...hugetlbUffd, name: "hugetlb", uffdMissing: false }],
    write: true,
    actors: [use(madvise, 1)],
    stepsPerPage: 40,
  },
  {
    id: "hugetlb-hole",
    title:
      "hugetlb-zap, but no PMD table covers the VMA yet: hugetlb_walk() finds no entry, and the walk calls pte_hole with the hugetlb VMA lock held",
    families: ["hmm"],
    vmas: [{ ...hugetlbUffd, name: "hugetlb-hole", uffdMissing: false, noPmdTable: true }],
    write: true,
    actors: [use(madvise, 1)],
    stepsPerPage: 40,
  },
  {
    id: "uffd-copy",
    title:
      "UFFDIO_COPY into an anon-uffd page whose source faults; munmap may remap the range as shmem",
    families: ["mfill"],
    vmas: [{ ...anonUffd, pages: 1 }],
    write: true,
    actors: [use(shmemRemap(true), 1)],
    stepsPerPage: 40,
  },
  {
    id: "uffd-copy-unregistered",
    title:
      "uffd-copy, but the VMA mapped in the range's place is not registered with userfaultfd: validate_dst_vma() refuses it",
    families: ["mfill"],
    vmas: [{ ...anonUffd, pages: 1 }],
    write: true,
    actors: [use(shmemRemap(false), 1)],
    stepsPerPage: 40,
  },
  {
    id: "uffd-copy-hugetlb",
    title: "uffd-copy, but munmap may remap the range as a hugetlb VMA registered with userfaultfd",
    families: ["mfill"],
    vmas: [{ ...anonUffd, pages: 1 }],
    write: true,
    actors: [use(hugetlbRemap, 1)],
    stepsPerPage: 40,
  },
  {
    id: "uffd-copy-hugetlb-dst",
    title:
      "UFFDIO_COPY into a hugetlb-uffd page whose source faults (mfill_atomic_hugetlb() and its own retry); munmap may remap the range as an anonymous VMA",
    families: ["mfill"],
    vmas: [{ ...hugetlbUffd, name: "hugetlb-uffd" }],
    write: true,
    actors: [use(anonRemap, 1)],
    stepsPerPage: 40,
  },
  {
    id: "uffd-copy-race",
    title:
      "two monitor threads answer the same fault with UFFDIO_COPY into one anon-uffd page: the second finds the entry and gets -EEXIST",
    families: ["mfill"],
    vmas: [{ ...anonUffd, pages: 1 }],
    write: true,
    drivers: 2,
    actors: [],
    stepsPerPage: 40,
  },
  {
    id: "anon-swap-contended",
    title: "anon-swap, but the folio holder locks and unlocks page 0's folio without bound (fair)",
    families: callers,
    vmas: [{ ...anonPlain, name: "anon-swapped", swapped: true }],
    write: true,
    actors: [use(folioContended, null), use(signal, 1)],
    stepsPerPage: 40,
  },
  // VMA layout changes (model/actors/munmap-split.ts, mprotect-ro.ts, mremap.ts, fork.ts)
  {
    id: "anon-uffd-split",
    title:
      "anon-uffd, 2 pages; munmap of one page splits the VMA (the original keeps the unmapped page)",
    families: callers,
    vmas: [anonUffd],
    write: true,
    actors: [use(munmapSplit, 1), use(monitor, null), use(signal, 1)],
    stepsPerPage: 40,
  },
  {
    id: "anon-mprotect-ro",
    title:
      "anon-uffd, 2 pages; mprotect(PROT_READ) of one page splits the VMA and clears VM_WRITE on it",
    families: callers,
    vmas: [anonUffd],
    write: true,
    actors: [use(mprotectRo, 1), use(monitor, null), use(signal, 1)],
    stepsPerPage: 40,
  },
  {
    id: "anon-mremap",
    title: "anon-uffd, 2 pages; mremap moves the VMA to a new address and unmaps the old one",
    families: callers,
    vmas: [anonUffd],
    write: true,
    actors: [use(mremap, 1), use(monitor, null), use(signal, 1)],
    stepsPerPage: 40,
  },
  {
    id: "anon-fork",
    title:
      "anon-uffd, 2 pages; fork() write-locks the VMA and write-protects its pages; madvise(MADV_DONTNEED) zaps",
    families: callers,
    vmas: [anonUffd],
    write: true,
    actors: [use(fork, 1), use(madvise, 1), use(monitor, null), use(signal, 1)],
    stepsPerPage: 40,
  },
  {
    id: "hugetlb-split",
    title:
      "shared hugetlb VMA, 2 huge pages, uffd missing; munmap or mprotect(PROT_READ) of one huge page splits it",
    families: ["hmm"],
    vmas: [{ ...hugetlbUffd, pages: 2 }],
    write: true,
    actors: [use(munmapSplit, 1), use(mprotectRo, 1), use(monitor, null), use(signal, 1)],
    stepsPerPage: 40,
  },
  // page tables: a walker that maps a PTE table while khugepaged retracts it
  {
    id: "shmem-pte-retract",
    title:
      "one shmem page; a page-table walker maps its PTE table while khugepaged retracts it (retract_page_tables: no mmap lock, pte_free_defer)",
    families: ["pgwalk"],
    vmas: [shmemOne],
    write: false,
    actors: [use(khugepaged, 1)],
    stepsPerPage: 40,
    locks: pgtableLocks,
    objects: pgtableObjects,
  },
  {
    id: "shmem-pte-retract-pte-free",
    title:
      "shmem-pte-retract with a mutated khugepaged that frees the retracted PTE table with pte_free() at once, without an RCU grace period",
    families: ["pgwalk"],
    vmas: [shmemOne],
    write: false,
    actors: [use(khugepagedPteFree, 1)],
    stepsPerPage: 40,
    locks: pgtableLocks,
    objects: pgtableObjects,
  },
  // the hugetlbfs file side (model/actors/hugetlbfs.ts): truncation through i_mmap
  hugetlbfsScenario(
    "hugetlbfs-truncate",
    "shared hugetlbfs page whose PMD page B shares; truncate (trylocked VMA lock, kref), munmap and B's exit race the fault",
    hugetlbTruncate,
  ),
  hugetlbfsScenario(
    "hugetlbfs-truncate-blocking",
    "hugetlbfs-truncate with a mutated truncate that takes hugetlb_vma_lock_write while holding i_mmap_rwsem",
    hugetlbTruncateBlocking,
  ),
  hugetlbfsScenario(
    "hugetlbfs-truncate-no-kref",
    "hugetlbfs-truncate with a mutated truncate that keeps vma_lock across i_mmap_unlock_write without kref_get",
    hugetlbTruncateNoKref,
  ),
  hugetlbfsSplitScenario(
    "hugetlbfs-split",
    "shared hugetlbfs VMA of 2 huge pages; munmap of the second splits it, and the new VMA gets a hugetlb_vma_lock of its own",
    hugetlbMunmapSplit,
  ),
  hugetlbfsSplitScenario(
    "hugetlbfs-split-keeps-lock",
    "hugetlbfs-split with a mutated hugetlb_vm_op_open that keeps the copied vm_private_data",
    hugetlbMunmapSplitKeepsLock,
  ),
  // the v8 series' timeouts: the clock, invalidation storms, a misbehaving fault handler
  ...timeScenarios({ clock, munmap, invalidate, madvise, monitor, signal, folio }),
];

/** The same scenario with `pages` pages in each VMA (a scenario's size knob). */
export function withPages(s: Scenario, pages: number): Scenario {
  return {
    ...s,
    id: `${s.id}*${pages}`,
    title: `${s.title} (${pages} pages per VMA)`,
    vmas: s.vmas.map((v) => ({ ...v, pages })),
  };
}

/** Every scenario that can be named: the built-ins, then those of loaded user modules. */
export const scenarioRegistry: Registry<Scenario> = registry<Scenario>("scenario");
/** Every actor that can be named in `use("id", budget)`: the built-ins, then users'. */
export const actorRegistry: Registry<Actor> = registry<Actor>("actor");
for (const s of SCENARIOS) scenarioRegistry.add(s, BUILT_IN);
/**
 * The built-in actor instances, the ones the built-in scenarios run: a user's scenario
 * names them by id (`{ actor: "clock", budget: null }`) or passes one of these.
 */
export const BUILT_IN_ACTORS: readonly Actor[] = [
  munmap,
  invalidate,
  swapOut,
  mprotect,
  folio,
  release,
  monitor,
  signal,
  killProcess,
  madvise,
  folioContended,
  munmapSplit,
  mprotectRo,
  mremap,
  fork,
  clock,
  oomReap,
  oomReapEndAfterEagain,
  thpDontneed,
  thpDontneedNolock,
  khugepaged,
  khugepagedPteFree,
  otherMm,
  hugetlbTruncate,
  hugetlbTruncateBlocking,
  hugetlbTruncateNoKref,
  hugetlbMunmap,
  pmdSharerExit,
  hugetlbMunmapSplit,
  hugetlbMunmapSplitKeepsLock,
  oomReapHlist,
  oomReapHlistNoBackout,
  radeonLock,
  migrateVma,
  migrateVmaOther,
];
for (const a of BUILT_IN_ACTORS) actorRegistry.add(a, BUILT_IN);

export function scenarioById(id: string): Scenario | undefined {
  return scenarioRegistry.get(id);
}

/** What `scenario()` takes: VMAs and actors are required, the rest has defaults. */
export interface ScenarioInput {
  readonly id: string;
  readonly title?: string;
  /**
   * default: hmm, gup, fault and mfill (the hugetlbfs designs run only where the
   * declared locks and objects of model/kernel/hugetlbfs.ts are)
   */
  readonly families?: readonly Family[];
  readonly vmas: readonly VmaSpec[];
  /** default true */
  readonly write?: boolean;
  /** in thread order; an actor may be named by a registered id */
  readonly actors?: readonly (
    | ActorUse
    | { readonly actor: string; readonly budget: number | null }
  )[];
  /** default 40 */
  readonly stepsPerPage?: number;
  readonly locks?: readonly LockDecl[];
  readonly objects?: readonly ObjectDecl[];
  readonly drivers?: number;
  readonly alongside?: readonly Design[];
  readonly uffd?: Partial<UffdMode>;
}

const UNKNOWN_ACTOR = branded("UnknownActorError");

export class UnknownActorError extends Error {
  readonly [UNKNOWN_ACTOR.brand] = true;
  static override [Symbol.hasInstance](x: unknown): boolean {
    return UNKNOWN_ACTOR.hasInstance(x);
  }
  constructor(
    message: string,
    /** the id named, and the ids known (for a "did you mean") */
    readonly actorId: string,
    readonly known: readonly string[],
  ) {
    super(message);
  }
}

/**
 * Declare a scenario (`export const myScenario = scenario({ ... })`): the same shape as
 * the built-ins, with defaults, and actors named by id resolved against the registry.
 */
export function scenario(input: ScenarioInput): Scenario {
  const actors = (input.actors ?? []).map((u): ActorUse => {
    if (typeof u.actor !== "string") return u as ActorUse;
    const a = actorRegistry.get(u.actor);
    if (!a) {
      const known = actorRegistry.all().map((x) => x.id);
      throw new UnknownActorError(
        `scenario "${input.id}" names an unknown actor "${u.actor}" (known: ${known.join(", ")}). Fix: pass the actor object, or the id of a built-in or declared actor.`,
        u.actor,
        known,
      );
    }
    return { actor: a, budget: u.budget };
  });
  return {
    id: input.id,
    title: input.title ?? input.id,
    families: input.families ?? ["hmm", "gup", "fault", "mfill", "hmm-migrate"],
    vmas: input.vmas,
    write: input.write ?? true,
    actors,
    stepsPerPage: input.stepsPerPage ?? 40,
    ...(input.locks ? { locks: input.locks } : {}),
    ...(input.objects ? { objects: input.objects } : {}),
    ...(input.drivers !== undefined ? { drivers: input.drivers } : {}),
    ...(input.alongside ? { alongside: input.alongside } : {}),
    ...(input.uffd ? { uffd: input.uffd } : {}),
  };
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

/**
 * The first declared lock or object that design `d`, an actor of `s` or a design `s`
 * runs alongside names in a step (Op.locks, Op.objects) and `s` does not declare (a lock
 * with a fitting kind), as one paragraph with the fix; null when there is none. Checked
 * before anything runs, so that it is never a design error in the middle of a search.
 */
export function undeclaredLockOrObject(s: Scenario, d: Design): string | null {
  const declared = new Map((s.locks ?? []).map((l) => [l.name, l.kind]));
  const objects = new Set((s.objects ?? []).map((o) => o.name));
  // every step, reachable here or not; an actor only where it may act (a budget above 0)
  const programs: { readonly what: string; readonly steps: Program["steps"] }[] = [
    { what: `design "${d.id}"`, steps: d.steps },
    ...s.actors
      .filter((u) => u.budget === null || u.budget > 0)
      .map((u) => ({ what: `actor "${u.actor.id}"`, steps: u.actor.steps })),
    ...(s.alongside ?? []).map((a) => ({ what: `design "${a.id}"`, steps: a.steps })),
  ];
  const names = [...declared.keys()].join(", ") || "none";
  for (const p of programs)
    for (const [label, step] of Object.entries(p.steps))
      for (const lock of step.op.locks ?? []) {
        const kind = declared.get(lock.name);
        if (kind === undefined) {
          const fix = declareIn(s, "locks", `{ name: "${lock.name}", kind: "${lock.kinds[0]}" }`);
          return `${p.what}, step "${label}": ${step.op.name} names the lock "${lock.name}", which scenario "${s.id}" does not declare (it declares: ${names}). Fix: ${fix}.`;
        }
        if (!lock.kinds.includes(kind))
          return `${p.what}, step "${label}": ${step.op.name} needs "${lock.name}" to be a ${lock.kinds.join(" or ")}, and scenario "${s.id}" declares it a ${kind}. Fix: declare it with kind "${lock.kinds[0]}", or use the primitives of a ${kind}.`;
      }
  const objectNames = [...objects].join(", ") || "none";
  for (const p of programs)
    for (const [label, step] of Object.entries(p.steps))
      for (const name of step.op.objects ?? [])
        if (!objects.has(name))
          return `${p.what}, step "${label}": ${step.op.name} names the object "${name}", which scenario "${s.id}" does not declare (it declares: ${objectNames}). Fix: ${declareIn(s, "objects", `{ name: "${name}" }`)}.`;
  return null;
}

/**
 * How to declare `decl` in scenario `s`'s `field`: in its own list, or, for a built-in
 * scenario, in a scenario of one's own made from it (undeclaredLockOrObject's fix).
 */
function declareIn(s: Scenario, field: "locks" | "objects", decl: string): string {
  const what = field === "locks" ? "lock" : "object";
  if (scenarioRegistry.source(s.id) === BUILT_IN)
    return `run it in a scenario of your own that adds the ${what} to this built-in one, scenario({ ...builtIn, id: "my-${s.id}", ${field}: [${decl}] }) with builtIn = scenarioById("${s.id}")${field === "locks" ? " (lockdrop init's lockdrop/scenario.mts does so)" : ""}`;
  return `add ${decl} to the scenario's ${field}${field === "objects" ? ' (state "live" by default: "allocated" for one not yet published)' : ""}`;
}

/**
 * The deliberately broken actors a scenario runs (declared with `mutant`): every design
 * may violate a property beside one, the bug being the actor's.
 */
export function mutantActors(s: Scenario): Actor[] {
  return s.actors.flatMap((u) => (u.actor.mutant !== undefined ? [u.actor] : []));
}

/** May this actor of a scenario act at all (no budget, or one above 0)? */
const mayAct = (u: ActorUse): boolean => u.budget === null || u.budget > 0;

/** Does the scenario run actor `id` with a budget above 0 (or unbounded)? */
export function hasActor(s: Scenario, id: string): boolean {
  return s.actors.some((u) => u.actor.id === id && mayAct(u));
}

/** Does scenario `s` run a userfaultfd monitor, built-in or a variant, that may act? */
export function hasUffdMonitor(s: Scenario): boolean {
  return s.actors.some((u) => isUffdMonitor(u.actor.id) && mayAct(u));
}

export function hasUffd(s: Scenario): boolean {
  return s.vmas.some((v) => v.uffdMissing);
}

/** The designs a scenario's driver threads run: the design under check, then the others. */
export function driverDesigns(s: Scenario, design: Design): Design[] {
  return [...new Array<Design>(s.drivers ?? 1).fill(design), ...(s.alongside ?? [])];
}

/** The programs a scenario's threads run: the designs, then the actors. */
export function programsFor(s: Scenario, design: Design): Programs {
  const out: Record<string, Program> = {};
  for (const d of driverDesigns(s, design)) out[d.id] = d;
  for (const u of s.actors) out[u.actor.id] = u.actor;
  return out;
}

/** A VMA's pages at the start: swapped out, mapped (written), or not there. */
function initialPte(v: VmaSpec): Pte {
  if (v.swapped) return "swap";
  // written pages: in a private VMA exclusive anonymous pages, read-only without VM_WRITE
  if (v.mapped) return v.write ? "rw" : "ro";
  return "none";
}

/** The initial world: VMAs laid out from page 0, as their specs lay the pages out, T first. */
export function initialWorld(s: Scenario, design: Design): World {
  const vmas: Vma[] = [];
  let at = 0;
  for (const spec of s.vmas) {
    const { name: _name, pages, swapped, mapped, anonVma, noPmdTable, ...flags } = spec;
    const prepared = anonVma ?? ((swapped === true || mapped === true) && !flags.shared);
    const vma = newVma(vmas.length, at, at + pages, flags, false, prepared);
    vmas.push(noPmdTable === true ? { ...vma, noPmdTable: true } : vma);
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
  const drivers = driverDesigns(s, design);
  const threads: Thread[] = drivers.map((d, i) => ({
    id: i,
    name: drivers.length === 1 ? "T" : `T${i + 1}`,
    role: "driver",
    program: d.id,
    pc: d.start,
    locals,
    status: { kind: "runnable" },
    fatal: false,
    budget: null,
    disruptive: false,
    fromWorker: d.runsFrom === "worker",
  }));
  for (const u of s.actors)
    if (u.budget === null || u.budget > 0)
      threads.push({
        id: threads.length,
        name: u.lane ?? u.actor.lane,
        role: "actor",
        program: u.actor.id,
        pc: u.actor.start,
        locals: {},
        status: { kind: "runnable" },
        fatal: false,
        budget: u.budget,
        disruptive: u.actor.disruptive,
        fromWorker: false,
      });
  const locks: Record<string, LockState> = {};
  for (const l of s.locks ?? []) locks[l.name] = freeLock(l.kind, l.count);
  const objects: Record<string, Obj> = {};
  for (const o of s.objects ?? []) objects[o.name] = newObj(o.state);
  return {
    clock: 0,
    mmapLock: emptyRwsem(),
    vmas,
    ptes: s.vmas.flatMap((v) => new Array<Pte>(v.pages).fill(initialPte(v))),
    folioLock: new Array(pages).fill(null),
    folioWaiters: Array.from({ length: pages }, () => []),
    notifier: {
      mmSeq: 2,
      active: 0,
      subSeq: 1,
      userLock: { owner: null, waiters: [] },
      invalidators: [],
      ...(design.invalidateNonblock === "refuse" ? { refusesNonblock: true as const } : {}),
      ...(design.marksUnmapped === true ? { marksUnmapped: true as const } : {}),
    },
    uffd: {
      released: false,
      waiting: [],
      mode: { userModeOnly: s.uffd?.userModeOnly ?? false, sigbus: s.uffd?.sigbus ?? false },
    },
    locks,
    objects,
    childMms: [],
    ghost: {
      epoch: threads.map(() => 0),
      lastDrop: threads.map(() => null),
      vmaEpoch: threads.map(() => 0),
      lockEpoch: {},
      disrupted: false,
      driverSteps: 0,
      consumed: null,
    },
    deadlines: {},
    mm: { unstable: false },
    threads,
  };
}
