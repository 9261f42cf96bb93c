/*
 * v1-hugetlb-drop.pml: the Promela twin of lockdrop's buggy `v1-hugetlb-drop` design
 * (model/designs/v1-hugetlb-drop.ts, v1.ts: hmm_range_fault_unlockable() of the v1
 * series without its hugetlb refusal, called as hmm.rst documents the *locked API) on
 * a shared hugetlb VMA of one huge page with VM_WRITE, registered for uffd missing
 * faults. The hugetlb callback drops hugetlb_vma_lock_read around a fault that may now
 * drop the mmap lock, re-takes it through the same VMA pointer, and the walker unlocks
 * through it again: munmap can free the VMA (and its lock) in between (S2).
 *
 * Threads: T, W (munmap once), M (monitor); with -DWITH_INVALIDATE an invalidation I,
 * with -DWITH_SIGNAL a fatal signal S (both: lockdrop's hugetlb-uffd-1). Build with
 * `spin -DHUGETLB -DCHECK_S2 [-DWITH_INVALIDATE -DWITH_SIGNAL] -a v1-hugetlb-drop.pml`.
 *
 * Step granularity and state: as v2.pml (one d_step per lockdrop step, thread-local
 * ops merged into the step before them, the same state as lockdrop's state key).
 * Not modelled, because the scenario cannot reach it: the PTE branch of the walk (the
 * VMA is hugetlb), -EPERM (it has VM_WRITE), the folio lock.
 */

#ifndef N
#define N 1
#endif
#ifndef HUGETLB
#define HUGETLB
#endif

#include "kernel.pml"
#include "driver.pml"

#define AGAIN              1   /* seq = mmu_interval_read_begin(sub) */
#define LOCK               2   /* mmap_read_lock(mm) */
#define UNLOCK             3   /* mmap_read_unlock(mm) */
#define TAKE               4   /* mutex_lock(user_lock) */
#define READ_RETRY         5   /* mmu_interval_read_retry(sub, seq) */
#define COLLISION          6   /* mutex_unlock(user_lock) */
#define CONSUME            7   /* program device page table from hmm_pfns */
#define RELEASE            8   /* mutex_unlock(user_lock) */
#define EXIT               9   /* return ret */
#define HMM_TOP           10   /* mmu_interval_check_retry(sub, seq) */
#define WALK              11   /* walk_page_range(): walk->vma = find_vma(mm, last) */
#define WALK_NEXT         12   /* walk_page_range: walk->vma = next */
#define HUGETLB_LOCK      13   /* hugetlb_vma_lock_read(walk_vma) */
#define HUGETLB_ENTRY     14   /* hmm_vma_walk_hugetlb_entry(addr) */
#define HUGETLB_UNLOCK    15   /* hugetlb_vma_unlock_read(walk_vma) -> walk.next */
#define HUGETLB_UNLOCK_RET 16  /* hugetlb_vma_unlock_read(walk_vma) -> walk.ret */
#define HUGETLB_FAULT     17   /* hugetlb_vma_unlock_read(walk_vma) before the fault */
#define HUGETLB_FAULT_ONE 18   /* handle_mm_fault(walk_vma, fault_addr, flags) */
#define HUGETLB_RELOCK    19   /* hugetlb_vma_lock_read(walk_vma) after it */
#define LOCAL0            30
#define AGAIN_LOCKED      30   /* locked = 1 */
#define HMM               31   /* hmm_range_fault_unlockable(range, &locked): last = start */
#define HMM_RETURN        32   /* if (locked) */
#define CHECK             33   /* if (ret == -EBUSY) */
#define CHECK_ERR         34   /* if (ret) */
#define CHECK_LOCKED      35   /* if (!locked) */
#define HMM_EBUSY         36   /* ret = -EBUSY */
#define WALK_RET          37   /* if (ret == -EBUSY) */
#define WALK_RET_UNL      38   /* if (ret == HMM_FAULT_UNLOCKED) */
#define HMM_UNLOCKED      39   /* ret = 0 */
#define HMM_RET           40   /* return ret (*locked) */
#define WALK_HOLE         41   /* ret = -EFAULT */
#define WALK_DONE         42   /* ret = 0 */
#define HUGETLB_FAULT_NEXT 43  /* addr += PAGE_SIZE */
#define HUGETLB_EBUSY     44   /* ret = -EBUSY */
#define HUGETLB_EFAULT    45   /* ret = -EFAULT */
#define HUGETLB_DROPPED   46   /* locked = 0; ret = HMM_FAULT_UNLOCKED */
#define T_DONE            99

/* hugetlb_vma_lock_read(walk_vma): a dereference of walk_vma, then down_read; a no-op
 * once __hugetlb_zap_end freed the lock (__vma_shareable_lock: no vm_private_data) */
inline t_hugetlb_lock_read() {
  t_use(walk_vma_ok);
  if
  :: hfreed -> skip
  :: else ->
     rw_acquire(HUGE, TT, 0);
     if
     :: !granted -> blk[TT] = B_RWSEM
     :: else -> skip
     fi
  fi
}

/* hugetlb_vma_unlock_read(walk_vma) */
inline t_hugetlb_unlock_read() {
  t_use(walk_vma_ok);
  if
  :: hfreed -> skip
  :: else -> rw_release(HUGE, TT, 0); unlock_held()
  fi
}

inline t_step() {
  first = 1;
  do
  :: (first || pc >= LOCAL0) && blk[TT] == B_RUN && pc != T_DONE ->
     first = 0;
     if
     /* ---- the *locked caller of hmm.rst (callers.ts unlockableCaller) ---- */
     :: pc == AGAIN ->
        seq = subseq;
        if
        :: seq == mmseq -> blk[TT] = B_RBEGIN
        :: else -> skip
        fi;
        pc = AGAIN_LOCKED
     :: pc == AGAIN_LOCKED -> locked = 1; pc = LOCK
     :: pc == LOCK ->
        rw_acquire(MMAP, TT, 0);
        if
        :: !granted -> blk[TT] = B_RWSEM
        :: else -> skip
        fi;
        pc = HMM
     :: pc == HMM_RETURN -> pc = (locked -> UNLOCK : CHECK)
     :: pc == UNLOCK -> t_mmap_read_unlock(); pc = CHECK
     :: pc == CHECK -> pc = (ret == EBUSY -> AGAIN : CHECK_ERR)
     :: pc == CHECK_ERR -> pc = (ret != 0 -> EXIT : CHECK_LOCKED)
     :: pc == CHECK_LOCKED -> pc = (!locked -> AGAIN : TAKE)
     :: pc == TAKE ->
        mutex_lock(TT);
        if
        :: !granted -> blk[TT] = B_MUTEX
        :: else -> skip
        fi;
        pc = READ_RETRY
     :: pc == READ_RETRY -> pc = (subseq != seq -> COLLISION : CONSUME)
     :: pc == COLLISION -> mutex_unlock(TT); pc = AGAIN
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
     /* ---- hmm_range_fault_unlockable(), v1 (v1.ts) ---- */
     :: pc == HMM -> last = 0; pc = HMM_TOP
     :: pc == HMM_TOP -> pc = (subseq != seq -> HMM_EBUSY : WALK)
     :: pc == HMM_EBUSY -> ret = EBUSY; pc = HMM_RET
     :: pc == WALK_RET -> pc = (ret == EBUSY -> HMM_TOP : WALK_RET_UNL)
     :: pc == WALK_RET_UNL -> pc = (ret == HMM_FAULT_UNLOCKED -> HMM_UNLOCKED : HMM_RET)
     :: pc == HMM_UNLOCKED -> ret = 0; pc = HMM_RET
     :: pc == HMM_RET ->
        rw_holds(MMAP, TT);
#ifdef CHECK_LB
        assert(h == locked);
#endif
        pc = HMM_RETURN
     /* ---- walk_page_range() into walk_hugetlb_range() (hmm-walk.ts) ---- */
     :: pc == WALK ->
        addr = last;
        if
        :: last >= N -> pc = WALK_DONE
        :: else ->
           if
           :: vstate == LIVE ->
              walk_vma = 0;
              walk_vma_ok = 1;
              t_use(walk_vma_ok);
              walk_next = NULLREF;
              seg_end = N;
              pc = HUGETLB_LOCK
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
     :: pc == HUGETLB_LOCK -> t_hugetlb_lock_read(); pc = HUGETLB_ENTRY
     :: pc == HUGETLB_ENTRY ->
        if
        :: addr >= seg_end -> pc = HUGETLB_UNLOCK
        :: else ->
           t_use(walk_vma_ok);
           if
           :: pte[addr] -> pfns[addr] = 3; pfn_seqs[addr] = seq + 1; addr++; pc = HUGETLB_ENTRY
           :: else ->
              last = addr; fault_addr = addr; fault_end = seg_end; fault_write = 1;
              pc = HUGETLB_FAULT
           fi
        fi
     :: pc == HUGETLB_UNLOCK -> t_hugetlb_unlock_read(); pc = WALK_NEXT
     :: pc == HUGETLB_UNLOCK_RET -> t_hugetlb_unlock_read(); pc = WALK_RET
     /* ---- the hugetlb callback: drop, droppable fault, re-take (v1.ts drop-retake) ---- */
     :: pc == HUGETLB_FAULT -> t_hugetlb_unlock_read(); pc = HUGETLB_FAULT_ONE
     :: pc == HUGETLB_FAULT_ONE ->
        t_handle_mm_fault(walk_vma_ok);
        if
        :: outcome == 0 -> pc = HUGETLB_FAULT_NEXT
        :: outcome == 1 -> pc = HUGETLB_DROPPED
        :: else -> skip                   /* runs again at T's next turn */
        fi
     :: pc == HUGETLB_FAULT_NEXT ->
        fault_addr++;
        pc = (fault_addr < fault_end -> HUGETLB_FAULT_ONE : HUGETLB_EBUSY)
     :: pc == HUGETLB_EBUSY -> ret = EBUSY; pc = HUGETLB_RELOCK
     :: pc == HUGETLB_EFAULT -> ret = EFAULT; pc = HUGETLB_RELOCK
     :: pc == HUGETLB_DROPPED -> locked = 0; ret = HMM_FAULT_UNLOCKED; pc = HUGETLB_RELOCK
     :: pc == HUGETLB_RELOCK -> t_hugetlb_lock_read(); pc = HUGETLB_UNLOCK_RET
     fi
  :: else -> break
  od;
  skip
}

active proctype T() {
  byte pc = AGAIN;
  bit locked = 1;
  byte seq = 0;
  byte last = 0;
  byte addr = UNSET;
  byte walk_vma = UNSET;  bit walk_vma_ok;
  byte walk_next = UNSET;
  byte seg_end = UNSET;
  byte fault_addr = UNSET;
  byte fault_end = UNSET;
  byte fault_write = UNSET;
  short ret = 0;
  byte vmret = UNSET;
  byte retry_src = UNSET;
  byte hu_queued = UNSET; /* handle_userfault.queued: 1 while a killed fault is queued, unset again after */
  byte hf_queued = UNSET; /* hugetlb_fault.queued: 1 while queued on the hugetlb VMA lock, unset again after */
  byte pfns[N];
  byte pfn_seqs[N];
  bit vma_ok;             /* unused here: the *locked caller keeps no VMA pointer */
  bit fault_vma_ok;       /* unused here: v1 faults through walk_vma */
  do
  :: d_step { blk[TT] == B_RUN && pc != T_DONE -> t_step() }
  od
}
