/*
 * v2.pml: the Promela twin of lockdrop's `v2` design (model/designs/v2.ts: seed 000
 * v2, fault moved out of the walk, with mshv's restart loop from seed 002) in the
 * scenario the bench builds as
 *
 *   withPages({ ...anon-uffd, actors: { munmap: 1, invalidate: 0, signal: 0,
 *                                       monitor: "answers" } }, N)
 *
 * one private anonymous VMA of N pages with VM_WRITE, registered for uffd missing
 * faults; threads T (the driver), W (munmap once), M (the monitor, answering with
 * UFFDIO_COPY or UFFDIO_WAKE). Build with `spin -DN=<pages> -a v2.pml`.
 *
 * Step granularity. lockdrop runs one table entry (an Op) per scheduled step and then,
 * in the same step, every following thread-local op (model/exec.ts, Op.local: set,
 * test, hmmCall, hmmReturn, hmmFaultNext). Here T is a single d_step that runs the op
 * at its pc and then the same chain of local ops (t_step below), so one Spin transition
 * is exactly one lockdrop step, including the case lockdrop has after a wake-up: a
 * thread woken at a local label (do_fault.unlocked after the uffd sleep, seg after
 * mmap_read_lock) runs a step made of local ops only.
 *
 * Properties (assertions; each can be switched off): CHECK_S1 no-vma-use-after-unlock,
 * CHECK_S2 no-freed-vma-use, CHECK_LB lock-balance. A VMA pointer local is (vma, ok),
 * where ok is lockdrop's "the mmap-lock epoch it was looked up under is still current"
 * (model/ghost.ts): every release of the mmap lock by T clears every ok bit of T.
 *
 * Not modelled, because the scenario cannot reach it: the hugetlb branch of the walk
 * (the VMA is anonymous), fatal signals and invalidations (not in the actor set),
 * the folio lock (no swapped pages), -EPERM (the VMA has VM_WRITE).
 */

#include "kernel.pml"
#include "driver.pml"

/* T's labels, as in v2's step table. Labels from LOCAL0 on are thread-local ops, which
 * lockdrop runs in the same step as the op before them. */
#define AGAIN          1   /* seq = mmu_interval_read_begin(sub) */
#define LOCK           2   /* mmap_read_lock(mm) */
#define SEG_LOOKUP     3   /* vma = vma_lookup(mm, cur) */
#define SEG_SETUP      4   /* range->start = cur; range->end = min(vma->vm_end, end) */
#define UNLOCK         5   /* mmap_read_unlock(mm) */
#define TAKE           6   /* mutex_lock(user_lock) */
#define READ_RETRY     7   /* mmu_interval_read_retry(sub, seq) */
#define COLLISION      8   /* mutex_unlock(user_lock) */
#define CONSUME        9   /* program device page table from hmm_pfns */
#define RELEASE       10   /* mutex_unlock(user_lock) */
#define EXIT          11   /* return ret */
#define HMM_TOP       12   /* mmu_interval_check_retry(sub, seq) */
#define WALK          13   /* walk_page_range(mm, last, end): walk->vma = find_vma() */
#define WALK_NEXT     14   /* walk_page_range: walk->vma = next */
#define PTE_ENTRY     15   /* hmm_vma_handle_pte(addr) */
#define DO_FAULT      16   /* fault_vma = vma_lookup(mm, last) */
#define DO_FAULT_PERM 17   /* if (write fault && !(fault_vma->vm_flags & VM_WRITE)) */
#define DO_FAULT_ONE  18   /* handle_mm_fault(fault_vma, fault_addr, REMOTE|WRITE|ALLOW_RETRY|KILLABLE) */
#define LOCAL0        30
#define AGAIN_LOCKED  30   /* locked = 1; cur = rstart */
#define SEG           31   /* if (cur < end) */
#define SEG_OK        32   /* ret = 0 */
#define SEG_EFAULT    33   /* ret = -EFAULT */
#define HMM           34   /* hmm_range_fault_unlockable(range, &locked): last = start */
#define HMM_RETURN    35   /* if (ret || !*locked) */
#define SEG_ADVANCE   36   /* cur = end */
#define SEG_DONE      37   /* if (locked) */
#define LOOP          38   /* if (!locked || ret == -EBUSY) */
#define CHECK_ERR     39   /* if (ret) */
#define BUSY          40   /* ret = -EBUSY */
#define HMM_EBUSY     41   /* ret = -EBUSY */
#define WALK_RET      42   /* if (ret == -EBUSY) */
#define WALK_RET_UNL  43   /* if (ret == HMM_FAULT_PENDING) */
#define WALK_RET_SENT 44   /* if (ret == HMM_FAULT_UNLOCKED) */
#define HMM_UNLOCKED  45   /* ret = 0 */
#define HMM_RET       46   /* return ret (*locked) from hmm_range_fault_unlockable */
#define WALK_HOLE     47   /* ret = -EFAULT */
#define WALK_DONE     48   /* ret = 0 */
#define PTE_FAULT     49   /* return hmm_record_fault() */
#define DO_FAULT_NEXT 50   /* addr += PAGE_SIZE */
#define DO_FAULT_REWALK 51 /* ret = -EBUSY */
#define DO_FAULT_UNLOCKED 52 /* locked = 0; ret = HMM_FAULT_UNLOCKED */
#define DO_FAULT_EFAULT 53 /* ret = -EFAULT */
#define T_DONE        99

/* One scheduled step of T: the op at pc, then every following thread-local op, as
 * model/exec.ts stepDraft does. A blocking op sets blk[TT] and leaves pc at the label
 * lockdrop resumes at; a woken thread starts its next step there, local or not. */
inline t_step() {
  first = 1;
  do
  :: (first || pc >= LOCAL0) && blk[TT] == B_RUN && pc != T_DONE ->
     first = 0;
     if
     /* ---- mshv's caller loop (callers.ts mshvCaller) ---- */
     :: pc == AGAIN ->
        seq = subseq;
        if
        :: seq == mmseq -> blk[TT] = B_RBEGIN     /* sleeps until the invalidation ends */
        :: else -> skip
        fi;
        pc = AGAIN_LOCKED
     :: pc == AGAIN_LOCKED -> locked = 1; cur = 0; pc = LOCK
     :: pc == LOCK ->
        rw_acquire(MMAP, TT, 0);
        if
        :: !granted -> blk[TT] = B_RWSEM
        :: else -> skip
        fi;
        pc = SEG
     :: pc == SEG -> pc = (cur < N -> SEG_LOOKUP : SEG_OK)
     :: pc == SEG_OK -> ret = 0; pc = SEG_DONE
     :: pc == SEG_LOOKUP ->
        if
        :: vstate == LIVE && cur < N -> vma = 0; vma_ok = 1; pc = SEG_SETUP
        :: else -> vma = NULLREF; vma_ok = 0; pc = SEG_EFAULT
        fi
     :: pc == SEG_EFAULT -> ret = EFAULT; pc = SEG_DONE
     :: pc == SEG_SETUP -> t_use(vma_ok); pc = HMM   /* start = cur = 0, end = N, req = FAULT|WRITE */
     :: pc == HMM_RETURN -> pc = (ret != 0 || !locked -> SEG_DONE : SEG_ADVANCE)
     :: pc == SEG_ADVANCE -> cur = N; pc = SEG
     :: pc == SEG_DONE -> pc = (locked -> UNLOCK : LOOP)
     :: pc == UNLOCK -> t_mmap_read_unlock(); pc = LOOP
     :: pc == LOOP -> pc = (!locked || ret == EBUSY -> AGAIN : CHECK_ERR)
     :: pc == CHECK_ERR -> pc = (ret != 0 -> EXIT : TAKE)
     :: pc == TAKE ->
        mutex_lock(TT);
        if
        :: !granted -> blk[TT] = B_MUTEX
        :: else -> skip
        fi;
        pc = READ_RETRY
     :: pc == READ_RETRY -> pc = (subseq != seq -> COLLISION : CONSUME)
     :: pc == COLLISION -> mutex_unlock(TT); pc = BUSY
     :: pc == BUSY -> ret = EBUSY; pc = EXIT
     :: pc == CONSUME ->
        consumed_set = 1;
        ki = 0;
        do
        :: ki < N -> consumed[ki] = (pfns[ki] == 3); ki++
        :: else -> break
        od;
        pc = RELEASE
     :: pc == RELEASE -> mutex_unlock(TT); pc = EXIT
     :: pc == EXIT -> t_exit_check(); pc = T_DONE
     /* ---- hmm_range_fault_unlockable(), v2 (v1.ts, v2.ts) ---- */
     :: pc == HMM -> last = 0; pc = HMM_TOP
     :: pc == HMM_TOP -> pc = (subseq != seq -> HMM_EBUSY : WALK)
     :: pc == HMM_EBUSY -> ret = EBUSY; pc = HMM_RET
     :: pc == WALK_RET -> pc = (ret == EBUSY -> HMM_TOP : WALK_RET_UNL)
     :: pc == WALK_RET_UNL -> pc = (ret == HMM_FAULT_PENDING -> DO_FAULT : WALK_RET_SENT)
     :: pc == WALK_RET_SENT -> pc = (ret == HMM_FAULT_UNLOCKED -> HMM_UNLOCKED : HMM_RET)
     :: pc == HMM_UNLOCKED -> ret = 0; pc = HMM_RET
     :: pc == HMM_RET ->
        rw_holds(MMAP, TT);
#ifdef CHECK_LB
        assert(h == locked);    /* *locked == 1 exactly when the mmap lock is held */
#endif
        pc = HMM_RETURN
     /* ---- walk_page_range() with hmm_walk_ops (hmm-walk.ts, pagewalk.ts) ---- */
     :: pc == WALK ->
        addr = last;
        if
        :: last >= N -> pc = WALK_DONE
        :: else ->
           if
           :: vstate == LIVE ->                /* find_vma(mm, last) */
              walk_vma = 0;
              walk_vma_ok = 1;
              t_use(walk_vma_ok);              /* test_walk */
              walk_next = NULLREF;             /* no VMA above vma#0 */
              seg_end = N;
              pc = PTE_ENTRY
           :: else -> walk_vma = NULLREF; walk_vma_ok = 0; pc = WALK_HOLE
           fi
        fi
     :: pc == WALK_NEXT ->
        addr = seg_end;
        if
        :: addr >= N -> pc = WALK_DONE
        :: else -> walk_vma = walk_next; walk_vma_ok = 0; pc = WALK_HOLE
        fi
     :: pc == WALK_HOLE -> ret = EFAULT; pc = WALK_RET
     :: pc == WALK_DONE -> ret = 0; pc = WALK_RET
     :: pc == PTE_ENTRY ->
        if
        :: addr >= seg_end -> pc = WALK_NEXT
        :: else ->
           t_use(walk_vma_ok);
           if
           :: pte[addr] -> pfns[addr] = 3; pfn_seqs[addr] = seq + 1; addr++; pc = PTE_ENTRY
           :: else ->
              last = addr; fault_addr = addr; fault_end = seg_end; fault_write = 1;
              pc = PTE_FAULT
           fi
        fi
     /* ---- v2 patch 1: the callback records the fault; hmm_do_fault() ---- */
     :: pc == PTE_FAULT -> ret = HMM_FAULT_PENDING; pc = WALK_RET
     :: pc == DO_FAULT ->
        if
        :: vstate == LIVE && last < N -> fault_vma = 0; fault_vma_ok = 1; pc = DO_FAULT_PERM
        :: else -> fault_vma = NULLREF; fault_vma_ok = 0; pc = DO_FAULT_EFAULT
        fi
     :: pc == DO_FAULT_PERM -> t_use(fault_vma_ok); pc = DO_FAULT_ONE   /* VM_WRITE is set */
     :: pc == DO_FAULT_ONE ->
        t_handle_mm_fault(fault_vma_ok);
        if
        :: outcome == 0 -> pc = DO_FAULT_NEXT
        :: outcome == 1 -> pc = DO_FAULT_UNLOCKED
        :: else -> skip                   /* runs again at T's next turn */
        fi
     :: pc == DO_FAULT_NEXT ->
        fault_addr++;
        pc = (fault_addr < fault_end -> DO_FAULT_ONE : DO_FAULT_REWALK)
     :: pc == DO_FAULT_REWALK -> ret = EBUSY; pc = WALK_RET
     :: pc == DO_FAULT_UNLOCKED -> locked = 0; ret = HMM_FAULT_UNLOCKED; pc = WALK_RET
     :: pc == DO_FAULT_EFAULT -> ret = EFAULT; pc = WALK_RET
     fi
  :: else -> break
  od;
  skip
}

active proctype T() {
  byte pc = AGAIN;
  /* T's locals (model/scenarios.ts initialWorld, then as the ops set them). rstart,
     start (always 0), rend, end (always N), req and hv_writable never change here. */
  bit locked = 1;
  byte seq = 0;
  byte cur = UNSET;
  byte vma = UNSET;       bit vma_ok;
  byte last = 0;
  byte addr = UNSET;
  byte walk_vma = UNSET;  bit walk_vma_ok;
  byte walk_next = UNSET;
  byte seg_end = UNSET;
  byte fault_addr = UNSET;
  byte fault_end = UNSET;
  byte fault_write = UNSET;
  byte fault_vma = UNSET; bit fault_vma_ok;
  short ret = 0;
  byte vmret = UNSET;     /* 0: "0", 1: VM_FAULT_RETRY */
  byte retry_src = UNSET; /* 0: null, 1: "userfaultfd" */
  byte hu_queued = UNSET; /* handle_userfault.queued: 1 while a killed fault is queued, unset again after */
  byte pfns[N];           /* 0, or 3 = HMM_PFN_VALID | HMM_PFN_WRITE */
  byte pfn_seqs[N];       /* seq + 1 of the walk that collected the pfn; 0 = -1 */

  do
  :: d_step { blk[TT] == B_RUN && pc != T_DONE -> t_step() }
  od
}
