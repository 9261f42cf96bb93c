// The kernel world as one plain, immutable value. Nothing here is a class or a
// closure, so a world can be hashed, diffed (immer patches), printed and replayed.

/** Thread id: an index into `World.threads`. */
export type Tid = number;
/** VMA id: an index into `World.vmas`. A freed VMA keeps its slot (state "freed"). */
export type VmaId = number;
/** A page is its index in the modelled address space (one slot per base or huge page). */
export type Page = number;

/** A waiter queued on an rw-semaphore, in order of arrival. */
export interface RwWaiter {
  readonly tid: Tid;
  readonly mode: "read" | "write";
}

/**
 * An rw_semaphore (mm->mmap_lock, hugetlb_vma_lock->rw_sema). Readers share, a writer
 * excludes, and waiters queue in order of arrival; a queued writer blocks later readers
 * (writer fairness, kernel/locking/rwsem.c), which is what turns uffd sleeps into
 * deadlocks. A writer at the head is granted alone; a reader at the head lets every
 * queued reader in (rwsem_mark_wake; model/rwsem.ts).
 */
export interface Rwsem {
  readonly readers: readonly Tid[];
  readonly writer: Tid | null;
  readonly waiters: readonly RwWaiter[];
}

/** A sleeping mutex (the driver's `user_lock`, e.g. mshv's mreg_mutex). */
export interface Mutex {
  readonly owner: Tid | null;
  readonly waiters: readonly Tid[];
}

/**
 * A lock a scenario declares by name (a driver's own mutex, rwsem or spinlock), beside
 * the built-in ones. rwsem: as `Rwsem` (hand-off, writer fairness); mutex: FIFO
 * hand-off (kernel/locking/mutex.c with MUTEX_FLAG_HANDOFF); spinlock: FIFO like a
 * queued spinlock (kernel/locking/qspinlock.c), a waiter spins and cannot sleep.
 */
export type LockState =
  | ({ readonly kind: "rwsem" } & Rwsem)
  | {
      readonly kind: "mutex" | "spinlock";
      readonly owner: Tid | null;
      readonly waiters: readonly Tid[];
    }
  /**
   * A seqcount_t: a writer inside write_seqcount_begin/end, and the readers between
   * read_seqcount_begin and read_seqcount_retry, in thread order, with whether a write
   * began since (no sequence number: a counter would never let a retry loop close into
   * a lasso).
   */
  | {
      readonly kind: "seqcount";
      readonly writer: Tid | null;
      readonly readers: readonly { readonly tid: Tid; readonly stale: boolean }[];
      /** threads spinning in read_seqcount_begin while a write is in progress */
      readonly waiters: readonly Tid[];
    }
  /** A refcount_t (include/linux/refcount.h): its count. */
  | { readonly kind: "refcount"; readonly count: number }
  /**
   * A per-VMA lock on an object of the user's (include/linux/mmap_lock.h, as the
   * built-in VMAs' per-VMA locks): readers that entered with vma_start_read(), and the
   * thread that write-locked it with vma_start_write() under the mmap write lock, until
   * its mmap_write_unlock() (vma_end_write_all).
   */
  | { readonly kind: "vma-lock"; readonly readers: readonly Tid[]; readonly writer: Tid | null }
  /**
   * RCU (include/linux/rcupdate.h) as a declared lock: the threads inside an
   * rcu_read_lock() section, in thread order, once per nesting level. Readers never
   * wait; a grace period has elapsed once none of the readers that were inside when it
   * began is left (model/kernel/locks.ts).
   */
  | { readonly kind: "rcu"; readonly readers: readonly Tid[] };
export type LockKind = LockState["kind"];

/**
 * The lifetime of an object a scenario declares (a driver's region, a mapping, a
 * context): allocated (not yet published), live (reachable by lookup), detached
 * (unpublished, still allocated), freed.
 */
export type ObjState = "allocated" | "live" | "detached" | "freed";

/**
 * Abstract time (model/kernel/time.ts): a deadline is pending (jiffies before it), due
 * (jiffies on it: time_after_eq() is true, time_after() not yet) or passed (jiffies
 * after it). Only the clock actor moves it on; no jiffies counter is kept, so retry
 * loops still close into lassos.
 */
export type DeadlineState = "pending" | "due" | "passed";

/** A deadline a thread armed (`deadline = jiffies + timeout`), kept under its key. */
export interface Deadline {
  /** the thread whose local holds it */
  readonly owner: Tid;
  /** the local's name in the C (`deadline`, `timeout`) */
  readonly name: string;
  readonly state: DeadlineState;
  /**
   * The key of a deadline this one cannot fall before: it was armed from a budget read
   * as the time left to that one (`remaining = timeout - jiffies`, then `jiffies +
   * remaining`), or from the same constant after it (`jiffies + C` twice), jiffies only
   * growing in between. The clock moves it on only while it is behind that one, or once
   * that one has passed (model/kernel/time.ts).
   */
  readonly notBefore?: string;
  /**
   * It falls strictly after `notBefore` (jiffies moved on between the read of the time
   * left and the arming, or since that one was armed from the same constant, or `max()`
   * raised the budget): it is due only once that one has passed. Present only when true.
   */
  readonly strictlyAfter?: true;
  /**
   * The constant it was armed from (`jiffies + C`, as the C writes C), when armed from a
   * number: a deadline armed later from the same constant falls on or after it.
   */
  readonly from?: string;
}

export interface Obj {
  readonly state: ObjState;
  /** Ghost: the clock tick and thread that freed it. */
  readonly freedAt: number | null;
  readonly freedBy: Tid | null;
}

/**
 * A pointer to a declared object held in a thread's locals: the object, the lock its
 * lookup was protected by (null: none), and that thread's epoch of that lock (bumped on
 * every release), as VMA pointers carry the mmap-lock epoch.
 */
export interface ObjRef {
  readonly obj: string;
  readonly via: string | null;
  readonly epoch: number;
  /** clock tick of the lookup */
  readonly at: number;
}

/** live: in the VMA tree; detached: removed under the write lock; freed: vm_area_free. */
export type VmaState = "live" | "detached" | "freed";

export interface VmaFlags {
  /** VM_WRITE */
  readonly write: boolean;
  /** VM_SHARED | VM_MAYSHARE */
  readonly shared: boolean;
  /** is_vm_hugetlb_page() */
  readonly hugetlb: boolean;
  /** VM_UFFD_MISSING with a userfaultfd context attached */
  readonly uffdMissing: boolean;
  /** the backing file (shmem, hugetlbfs) and pgoff, null for anonymous memory */
  readonly file?: string | null;
}

export interface Vma {
  readonly id: VmaId;
  /** [start, end) in pages */
  readonly start: Page;
  readonly end: Page;
  readonly flags: VmaFlags;
  readonly state: VmaState;
  /**
   * hugetlb_vma_lock (vm_private_data) for shared hugetlb VMAs: a lock of its own per VMA
   * (a split gives the new VMA a new one), freed by the final unmap's __hugetlb_zap_end
   * before the VMA itself (model/kernel/hugetlb.ts); null once freed.
   */
  readonly hugetlbLock: Rwsem | null;
  /** per-VMA read lock holders (vma_start_read / lock_vma_under_rcu) */
  readonly readers: readonly Tid[];
  /** write-locked by vma_start_write until the mmap write lock is released */
  readonly writeLocked: boolean;
  /** Ghost: the clock tick and thread that freed the VMA. */
  readonly freedAt: number | null;
  readonly freedBy: Tid | null;
  /**
   * The mm the vm_area_struct in this slot belongs to now: absent for the process's own
   * mm; n for `World.childMms[n]`, another mm whose new VMA got this freed slot back from
   * the SLAB_TYPESAFE_BY_RCU vm_area_struct cache (model/actors/other-mm.ts). Such a VMA
   * is in no lookup of this mm, but a pointer taken under RCU before the free still
   * reaches it (lock_vma_under_rcu()'s vm_mm check).
   */
  readonly mm?: number;
  /**
   * vma->anon_vma is set: absent while it is NULL. __anon_vma_prepare() (mm/rmap.c) sets
   * it for a private VMA before its first anonymous page: a write fault's
   * vmf_anon_prepare() (mm/memory.c), the uffd monitor's find_vma_and_prepare_anon()
   * (mm/userfaultfd.c). __split_vma()'s anon_vma_clone() and copy_vma() give the new VMA
   * the same one, and it stays when the pages are zapped (read at v7.0).
   */
  readonly anonVma?: boolean;
  /**
   * A hugetlb VMA that no PMD table covers yet: absent once one does. The PUD entry over
   * it is none (the first huge page mapped in a 1 GiB region), so hugetlb_walk() finds
   * no entry and walk_hugetlb_range() calls the walker's pte_hole instead of its
   * hugetlb_entry (mm/pagewalk.c, v7.0). huge_pte_alloc() allocates the table:
   * hugetlb_fault() once it holds the fault mutex and the hugetlb VMA lock,
   * mfill_atomic_hugetlb() for UFFDIO_COPY (mm/hugetlb.c, mm/userfaultfd.c, v7.0). One
   * fact per VMA: exact for a VMA within one 1 GiB region. Not modelled: a table that
   * goes away again (huge_pmd_unshare() of a shared PMD page in a zap, free_pgtables()).
   */
  readonly noPmdTable?: boolean;
}

/**
 * A VMA of a child mm that fork() made (dup_mmap): its range and flags. No thread runs in
 * a child mm; it is kept so that the lanes and `replay --step N` show what fork copied.
 */
export interface ChildVma {
  readonly start: Page;
  readonly end: Page;
  readonly flags: VmaFlags;
}

/** The bits of mm->flags the model keeps. */
export interface MmFlags {
  /**
   * MMF_UNSTABLE: the OOM reaper has begun to unmap the mm (__oom_reap_task_mm, mm/oom_kill.c
   * at v7.0): check_stable_address_space() fails a fault on an anonymous or private page
   * with VM_FAULT_SIGBUS from then on.
   */
  readonly unstable: boolean;
  /**
   * MMF_OOM_SKIP: the reaper is done with the mm (oom_reap_task() sets it once a pass
   * succeeded, or its retries ran out), and reaps it no more.
   */
  readonly oomSkip?: boolean;
}

/**
 * Another mm: a child of fork() (the VMAs dup_mmap() copied into it so far), or another
 * process whose VMA reuses a freed slot of this mm's (model/actors/other-mm.ts).
 */
export interface ChildMm {
  readonly vmas: readonly ChildVma[];
}

/**
 * Page-table entry of one page: none, present read-only, present writable, the zero page
 * (read-only: a read fault on a private anonymous VMA maps it, do_anonymous_page(); it is
 * no folio of the VMA's and needs no anon_vma), present read-only and to be copied on a
 * write ("cow": an anonymous page fork() left shared with the child, or a private
 * mapping's file page; do_wp_page() copies it with wp_page_copy(), where a "ro" page of a
 * private mapping is an exclusive anonymous page it reuses in place), swapped out (the
 * entry exclusive, or with "swap-cow" shared with a fork child: copy_nonpresent_pte()
 * clears its exclusive bit, and do_swap_page() maps the page read-only and shared, "cow"),
 * a migration entry (not present: migrate_vma_collect_pmd or try_to_migrate put it
 * there, under the PTL and the folio lock, until remove_migration_ptes() replaces it),
 * or a device-private entry (a page migrated to the private memory of a device other
 * than the HMM caller's: pgmap->owner != range->dev_private_owner; "device-private-cow"
 * once fork shared it, which migrate_to_ram() brings back as a "cow" page).
 */
export type Pte =
  | "none"
  | "ro"
  | "rw"
  | "zero"
  | "cow"
  | "swap"
  | "swap-cow"
  | "migration"
  | "device-private"
  | "device-private-cow";

/**
 * A device-private entry of another device, exclusive or ("device-private-cow") made
 * readable and shared with a fork child by copy_nonpresent_pte() (mm/memory.c, v7.0).
 */
export const devicePrivatePte = (p: string | undefined): boolean =>
  p === "device-private" || p === "device-private-cow";

/** A swap entry, exclusive or shared with a fork child: do_swap_page() swaps it in. */
export const swapPte = (p: Pte | undefined): boolean => p === "swap" || p === "swap-cow";

/** A present entry a read may use as it is: read-only, writable, the zero page or a COW page. */
export const presentPte = (p: Pte | undefined): boolean =>
  p === "ro" || p === "rw" || p === "zero" || p === "cow";

/** A present entry a write must copy first (do_wp_page() -> wp_page_copy()). */
export const copiedOnWrite = (p: Pte | undefined): boolean => p === "zero" || p === "cow";

/**
 * One mmu interval notifier subscription over the whole modelled range, plus the
 * mm-wide side (struct mmu_notifier_subscriptions). `mmSeq` is odd while an
 * invalidation that overlaps the subscription runs (mn_itree_inv_start_range).
 */
export interface Notifier {
  readonly mmSeq: number;
  readonly active: number;
  /** interval_sub->invalidate_seq, written by mmu_interval_set_seq() under user_lock */
  readonly subSeq: number;
  /** The driver lock that invalidate() takes and that read_retry() must be called under. */
  readonly userLock: Mutex;
  /** threads inside an invalidate_range_start/end window (read_begin waits for them) */
  readonly invalidators: readonly Tid[];
  /** the driver's invalidate() refuses every non-blockable range (Design.invalidateNonblock; fixed for a run) */
  readonly refusesNonblock?: true;
  /**
   * the driver's invalidate() marks its range unmapped on an MMU_NOTIFY_UNMAP event
   * (Design.marksUnmapped; fixed for a run)
   */
  readonly marksUnmapped?: true;
  /**
   * the range was marked so: drm_gpusvm_range_set_unmapped(), called by xe_svm_invalidate()
   * for munmap's and mremap's invalidations (MMU_NOTIFY_UNMAP), read by
   * drm_gpusvm_get_pages() as flags.unmapped (v7.0); set only where marksUnmapped is
   */
  readonly unmapped?: true;
}

/** A thread queued in handle_userfault() on ctx->fault_pending_wqh. */
export interface UffdWaiter {
  readonly tid: Tid;
  readonly addr: Page;
  /** the monitor has read() this fault's message */
  readonly read: boolean;
}

/** How the process created its userfaultfd: ctx->flags and ctx->features. Fixed for a run. */
export interface UffdMode {
  /** UFFD_USER_MODE_ONLY: the only kind an unprivileged process gets from userfaultfd(2) */
  readonly userModeOnly: boolean;
  /** UFFD_FEATURE_SIGBUS: every missing fault is SIGBUS, none reaches the monitor */
  readonly sigbus: boolean;
}

export interface Uffd {
  /** ctx->released: set by userfaultfd_release(). */
  readonly released: boolean;
  readonly waiting: readonly UffdWaiter[];
  readonly mode: UffdMode;
}

/**
 * A task on a folio's wait queue (folio_waitqueue(), mm/filemap.c), in FIFO order:
 * `exclusive` wants the lock (__folio_lock, __folio_lock_killable), otherwise it only
 * waits for the unlock (folio_wait_locked, folio_wait_locked_killable).
 */
export interface FolioWaiter {
  readonly tid: Tid;
  readonly exclusive: boolean;
}

/** What a blocked thread sleeps on. */
export type BlockedOn =
  | { readonly kind: "rwsem"; readonly lock: LockName; readonly killable: boolean }
  | { readonly kind: "mutex" }
  | { readonly kind: "uffd"; readonly killable: boolean }
  | { readonly kind: "read_begin"; readonly seq: number }
  /** vma_mark_detached() waiting for the VMA's readers to leave */
  | { readonly kind: "vma-readers"; readonly vma: VmaId }
  /** folio_wait_locked(_killable) / folio_lock on a page's folio */
  | { readonly kind: "folio"; readonly page: Page; readonly killable: boolean }
  /** a lock the scenario declares, by name */
  | {
      readonly kind: "lock";
      readonly name: string;
      readonly mode: "read" | "write";
      /** a killable sleep (down_write_killable() and the like); absent: uninterruptible */
      readonly killable?: true;
    };

export type Status =
  | { readonly kind: "runnable" }
  | {
      readonly kind: "blocked";
      readonly on: BlockedOn;
      /** pc to continue at on a normal wake-up */
      readonly resume: string;
      /** pc to continue at when a fatal signal ends a killable sleep */
      readonly resumeOnSignal: string | null;
    }
  | { readonly kind: "done" };

/** Which lock a thread holds or waits for (model/lock-table.ts lists them all). */
export type LockName =
  | { readonly kind: "mmap" }
  /** a lock the scenario declares, by its name */
  | { readonly kind: "named"; readonly name: string }
  | { readonly kind: "hugetlb"; readonly vma: VmaId }
  | { readonly kind: "vma"; readonly vma: VmaId }
  /** the driver's user_lock, the mutex its notifier callback takes (World.notifier) */
  | { readonly kind: "user" };

/**
 * A VMA pointer held in a thread's locals: the VMA and the epoch of the mmap-lock
 * hold it was looked up under. Any release of the mmap lock by that thread ends the
 * epoch; re-taking the lock does not revive the pointer (README "Properties", S1).
 */
export interface VmaRef {
  readonly vma: VmaId;
  /** the lock protecting the pointer: the mmap lock, or the VMA's own read lock */
  readonly via?: "mmap" | "vma-lock";
  readonly epoch: number;
  /** clock tick of the lookup */
  readonly at: number;
}

export type Val = number | boolean | string | null | VmaRef | ObjRef | readonly number[];

export interface Thread {
  readonly id: Tid;
  /** short name shown in lanes: T, W, I, M, S */
  readonly name: string;
  /** "driver" runs a design; anything else is an environment actor */
  readonly role: "driver" | "actor";
  /** program id: a design id or an actor id */
  readonly program: string;
  readonly pc: string;
  readonly locals: Readonly<Record<string, Val>>;
  readonly status: Status;
  /** fatal_signal_pending(current) */
  readonly fatal: boolean;
  /** how many more operations an actor may start; null for unbounded */
  readonly budget: number | null;
  /** environment actors that disturb the call (munmap, invalidation, signal) */
  readonly disruptive: boolean;
  /**
   * a driver whose design runs from a kernel worker (`runsFrom: "worker"`): no signal
   * reaches it (a kworker ignores signals, so fatal_signal_pending() stays false)
   */
  readonly fromWorker: boolean;
}

/** The reason a thread's mmap-lock epoch ended, kept for explanations. */
export interface DropFact {
  readonly at: number;
  readonly what: string;
}

export interface Ghost {
  /** per thread: the current mmap-lock epoch (bumped on every release) */
  readonly epoch: readonly number[];
  /** per thread: the last release of the mmap lock */
  readonly lastDrop: readonly (DropFact | null)[];
  /** per thread: bumped on every vma_end_read (pointers from lock_vma_under_rcu die) */
  readonly vmaEpoch: readonly number[];
  /** per declared lock, per thread: bumped on every release (pointers looked up under it die) */
  readonly lockEpoch: Readonly<Record<string, readonly number[]>>;
  /** a disruptive actor (munmap, invalidation, signal) has acted */
  readonly disrupted: boolean;
  /** steps taken by the driver thread */
  readonly driverSteps: number;
  /** the hmm_pfns the driver consumed (programmed into the device), once it did */
  readonly consumed: readonly number[] | null;
}

export interface World {
  /** number of steps taken so far */
  readonly clock: number;
  readonly mmapLock: Rwsem;
  readonly vmas: readonly Vma[];
  readonly ptes: readonly Pte[];
  /** per page: the thread holding the folio lock (reclaim, migration, I/O), or null */
  readonly folioLock: readonly (Tid | null)[];
  /** per page: the tasks queued on its folio, FIFO (non-empty only while it is locked) */
  readonly folioWaiters: readonly (readonly FolioWaiter[])[];
  readonly notifier: Notifier;
  readonly uffd: Uffd;
  /** locks the scenario declares, by name (empty for the built-in scenarios) */
  readonly locks: Readonly<Record<string, LockState>>;
  /** objects with a lifetime the scenario declares, by name */
  readonly objects: Readonly<Record<string, Obj>>;
  /** the mms fork() created (empty unless a scenario forks) */
  readonly childMms: readonly ChildMm[];
  /** deadlines threads armed, by key (`deadline@T`); empty unless a design keeps time */
  readonly deadlines: Readonly<Record<string, Deadline>>;
  /** the mm's flag bits the model keeps */
  readonly mm: MmFlags;
  readonly threads: readonly Thread[];
  readonly ghost: Ghost;
}

/** A mutable view used inside immer producers and by the kernel primitives. */
export type Draft<T> = T extends readonly (infer E)[]
  ? Draft<E>[]
  : T extends object
    ? { -readonly [K in keyof T]: Draft<T[K]> }
    : T;

export type WorldDraft = Draft<World>;

export const emptyRwsem = (): Rwsem => ({ readers: [], writer: null, waiters: [] });

export function isVmaRef(v: Val | undefined): v is VmaRef {
  return typeof v === "object" && v !== null && !Array.isArray(v) && "vma" in v;
}

export function isObjRef(v: Val | undefined): v is ObjRef {
  return typeof v === "object" && v !== null && !Array.isArray(v) && "obj" in v;
}

export function lockLabel(l: LockName): string {
  if (l.kind === "mmap") return "mmap_lock";
  if (l.kind === "named") return l.name;
  if (l.kind === "user") return "user_lock";
  return l.kind === "hugetlb" ? `hugetlb_vma_lock(vma#${l.vma})` : `vma_lock(vma#${l.vma})`;
}
