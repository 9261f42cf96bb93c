// What a step did, as data. Properties and reports read events; they never re-run
// kernel logic. Each event carries the ghost facts that were true when it happened.
import type { FaultFlag } from "./kernel/fault-flags.js";
import type {
  DeadlineState,
  LockName,
  ObjRef,
  ObjState,
  Page,
  Tid,
  VmaId,
  VmaRef,
  VmaState,
} from "./world.js";

export type Event =
  /** a dereference of a VMA pointer held in a thread's locals */
  | {
      readonly k: "vma-use";
      readonly tid: Tid;
      readonly ref: VmaRef;
      readonly what: string;
      readonly vmaState: VmaState;
      /** the thread held the mmap lock without a break since the lookup */
      readonly protected: boolean;
    }
  | { readonly k: "lookup"; readonly tid: Tid; readonly vma: VmaId | null; readonly addr: Page }
  /** a dereference of a pointer to a declared object held in a thread's locals */
  | {
      readonly k: "obj-use";
      readonly tid: Tid;
      readonly ref: ObjRef;
      readonly what: string;
      readonly objState: ObjState;
      /** the thread held the lock of the lookup without a break since (true without one) */
      readonly protected: boolean;
      /** a page-table page touched through a mapped pointer (model/kernel/pgtable.ts) */
      readonly pgtable?: boolean;
    }
  /**
   * a walker acted on a pmd value it kept (model/kernel/thp.ts): as a huge entry or a PTE
   * table; `entry` the declared object it read, `state` that object's state now, `now`
   * what the pmd holds now; `lockHeld` pmd_lock held at the use, `readLocked` the value
   * was read under pmd_lock
   */
  | {
      readonly k: "pmd-use";
      readonly tid: Tid;
      readonly as: "huge" | "table";
      readonly entry: string;
      readonly state: ObjState;
      readonly now: "huge" | "table" | "none";
      readonly lockHeld: boolean;
      readonly readLocked: boolean;
      readonly what: string;
    }
  /** a declared object changed state (published, unpublished, freed) */
  | {
      readonly k: "obj-state";
      readonly tid: Tid;
      readonly obj: string;
      readonly state: ObjState;
    }
  /** refcount_inc / refcount_dec_and_test on a declared refcount, with the count before */
  | {
      readonly k: "refcount";
      readonly tid: Tid;
      readonly name: string;
      readonly op: "inc" | "dec";
      readonly from: number;
    }
  /** the thread called something that may sleep (might_sleep()) */
  | { readonly k: "might-sleep"; readonly tid: Tid; readonly what: string }
  | {
      readonly k: "lock";
      readonly tid: Tid;
      readonly lock: LockName;
      readonly mode: "read" | "write";
      readonly granted: boolean;
    }
  | {
      readonly k: "unlock";
      readonly tid: Tid;
      readonly lock: LockName;
      readonly mode: "read" | "write";
      /** false: an unlock of a lock the thread did not hold (S4) */
      readonly held: boolean;
      readonly by: string;
    }
  | { readonly k: "wake"; readonly tid: Tid; readonly by: string }
  | {
      readonly k: "fault";
      readonly tid: Tid;
      readonly vma: VmaId;
      readonly addr: Page;
      readonly flags: readonly FaultFlag[];
      readonly result: string;
      /** hugetlb VMA locks the faulting thread held when it entered handle_mm_fault */
      readonly hugetlbHeld: readonly VmaId[];
      /**
       * for RETRY: handle_userfault's, a folio-lock wait (which TRIED turns into a sleep),
       * or a misbehaving vm_ops->fault's (FaultHandler.retryWithoutAllowRetry)
       */
      readonly retrySource: "userfaultfd" | "folio" | "handler" | "vma-lock" | null;
      /** VM_WRITE of the faulted VMA */
      readonly vmaWrite: boolean;
    }
  | { readonly k: "uffd-sleep"; readonly tid: Tid; readonly addr: Page }
  | { readonly k: "read-begin"; readonly tid: Tid; readonly seq: number }
  | {
      readonly k: "api-call";
      readonly tid: Tid;
      readonly api: string;
      readonly seq: number;
      /** the timeout argument of an API that takes one (0: retry for ever) */
      readonly timeout?: number;
    }
  | {
      readonly k: "api-return";
      readonly tid: Tid;
      readonly api: string;
      readonly ret: number;
      /** *locked after the call, null for APIs without it */
      readonly locked: number | null;
      readonly holdsMmap: boolean;
      /** what the API's contract says about the mmap lock on return */
      readonly shouldHold: boolean;
    }
  | {
      readonly k: "consume";
      readonly tid: Tid;
      /** the seq of the read_begin the pfns were collected under */
      readonly seq: number;
      readonly holdsUserLock: boolean;
      /** pfn entries: output flags and the seq each was written under */
      readonly pfns: readonly number[];
      readonly pfnSeqs: readonly number[];
      readonly subSeq: number;
    }
  | {
      readonly k: "mfill-install";
      readonly tid: Tid;
      readonly vma: VmaId;
      readonly page: Page;
      /** identity of the VMA the folio was allocated for */
      readonly folioFor: string;
      /** identity of the VMA it is installed into */
      readonly vmaIs: string;
      /** the folio is of the kind that VMA takes */
      readonly fits: boolean;
    }
  /**
   * UFFDIO_COPY returns: the folio it allocated and still holds (neither installed nor
   * put), by what it was allocated for, or null
   */
  | { readonly k: "mfill-return"; readonly tid: Tid; readonly folio: string | null }
  | { readonly k: "detach"; readonly tid: Tid; readonly vma: VmaId }
  | { readonly k: "free"; readonly tid: Tid; readonly vma: VmaId; readonly hugetlb: boolean }
  /**
   * a VMA's hugetlb_vma_lock freed (__hugetlb_vma_unlock_write_free), with the threads
   * its up_write woke onto it
   */
  | {
      readonly k: "hugetlb-lock-free";
      readonly tid: Tid;
      readonly vma: VmaId;
      readonly woken: readonly Tid[];
    }
  | { readonly k: "map"; readonly tid: Tid; readonly vma: VmaId }
  /**
   * the VMA layout changed under the mmap write lock (a split, new flags, a copy at
   * another address, page tables moved): `vma` is the VMA created or changed
   */
  | { readonly k: "vma-change"; readonly tid: Tid; readonly vma: VmaId; readonly text: string }
  | { readonly k: "pte"; readonly tid: Tid; readonly page: Page; readonly pte: string }
  /**
   * an mmu notifier invalidation: its start; its end (`unpaired`: an end its caller
   * called without a successful start); or a non-blocking start that failed with -EAGAIN
   * (the core has balanced what it can; the caller must not call the end)
   */
  | {
      readonly k: "invalidate";
      readonly tid: Tid;
      readonly phase: "start" | "end" | "failed";
      readonly unpaired?: boolean;
    }
  /**
   * an hlist mmu_notifier subscriber's part of an invalidation (model/kernel/notifier.ts
   * HlistSubscriber): its start, its end (`unpaired`: with none of its starts in
   * flight), or its non-blockable start failing with -EAGAIN
   */
  | {
      readonly k: "subscriber";
      readonly tid: Tid;
      readonly sub: string;
      readonly phase: "start" | "end" | "failed";
      readonly unpaired?: boolean;
    }
  /**
   * hmm_vma_handle_pte() stored `pfn` for `page` from a PTE that is not a present page
   * (a migration or device-private entry): what migration-entry-not-valid and
   * device-private-owner judge
   */
  | {
      readonly k: "hmm-pfn";
      readonly tid: Tid;
      readonly page: Page;
      readonly pte: string;
      readonly pfn: number;
    }
  | { readonly k: "signal"; readonly tid: Tid; readonly target: Tid }
  | { readonly k: "return"; readonly tid: Tid; readonly ret: number }
  /**
   * a remark the lanes print beside the step; `diagram`: one the sequence diagram shows
   * too, where it says which kernel function ran (the hugetlb hole's pte_hole)
   */
  | { readonly k: "note"; readonly tid: Tid; readonly text: string; readonly diagram?: true }
  /**
   * a deadline armed by its owner (`deadline = jiffies + timeout`, with the function whose
   * local it is) or moved on by the clock (model/kernel/time.ts)
   */
  | {
      readonly k: "deadline";
      readonly tid: Tid;
      readonly key: string;
      readonly owner: Tid;
      readonly name: string;
      readonly state: DeadlineState;
      /** for an arm: the function whose local it is (null: a tick, or not said) */
      readonly fn: string | null;
      /** for an arm: the key of the deadline this one falls on or after (Deadline.notBefore) */
      readonly notBefore: string | null;
      /** for an arm with notBefore: it falls strictly after that one */
      readonly strictlyAfter: boolean;
    }
  /**
   * a decision about a VMA field (model/kernel/vma-field.ts): the field read to decide
   * something, or written, and the locks the thread held then
   */
  | {
      readonly k: "vma-field";
      readonly tid: Tid;
      readonly vma: VmaId;
      readonly field: VmaField;
      readonly access: "read" | "write";
      readonly what: string;
      readonly held: FieldLocks;
    }
  /** a write or read through a NULL pointer: the kernel oopses and the task dies */
  | { readonly k: "null-deref"; readonly tid: Tid; readonly what: string };

export type EventKind = Event["k"];

/** The vm_area_struct fields whose decisions are judged (include/linux/mm_types.h). */
export type VmaField = "vm_start/vm_end" | "vm_flags" | "vm_mm" | "anon_vma";

/** The locks that protect VMA fields, as the deciding thread held them. */
export interface FieldLocks {
  /** mm->mmap_lock */
  readonly mmap: "read" | "write" | null;
  /** the VMA's own per-VMA lock: read (vma_start_read), write (vma_start_write) */
  readonly vma: "read" | "write" | null;
  /** mm->page_table_lock (a declared spinlock of that name) */
  readonly pageTableLock: boolean;
}
