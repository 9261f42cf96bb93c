/*
 * driver.pml: pieces of the driver thread T shared by the twins: the mmap-lock epoch
 * of T's VMA pointers (model/ghost.ts), their dereference with the S1/S2 checks, and
 * handle_mm_fault() on the one uffd-registered VMA (model/kernel/fault.ts,
 * userfaultfd.ts, hugetlb.ts). These are inlines over T's own locals, so T must declare
 * vma_ok, walk_vma_ok, fault_vma_ok, fault_addr, vmret, retry_src, hu_queued (and
 * hf_queued with HUGETLB).
 */

/* T released the mmap lock: every VMA pointer T holds dies with the epoch */
inline t_end_epoch() {
  vma_ok = 0;
  walk_vma_ok = 0;
  fault_vma_ok = 0
}

/* mmap_read_unlock(mm) by T (also release_fault_lock() in handle_userfault) */
inline t_mmap_read_unlock() {
  rw_release(MMAP, TT, 0);
  unlock_held();
  if
  :: held -> t_end_epoch()
  :: else -> skip
  fi
}

/* useVma(): a dereference of one of T's VMA pointers, whose epoch bit is ok */
inline t_use(ok) {
  rw_holds(MMAP, TT);
#ifdef CHECK_S1
  assert(ok && h);              /* no-vma-use-after-unlock (S1) */
#endif
#ifdef CHECK_S2
  assert(vstate != FREED);      /* no-freed-vma-use (S2) */
#endif
  skip
}

/* hugetlb_fault(): its own hugetlb_vma_lock_read(vma) before the fault
 * (model/kernel/hugetlb.ts hugetlbFaultLock). Behind a writer that holds or waits for
 * the lock, T queues as a reader and the same step runs again once granted
 * (outcome 2); granted at once, the read hold is taken and released within the step,
 * which leaves the lock as it was. In the twins' scenarios it never waits: T holds the
 * mmap read lock from find_vma() to the fault, so munmap's __hugetlb_zap_begin() (after
 * the VMA is detached under the write lock) cannot hold or want the lock then, and the
 * invalidation only trylocks it. */
inline t_hugetlb_fault_lock() {
  if
  :: hfreed -> skip             /* no lock left to take (lockdrop: no hugetlbLock) */
  :: !hfreed && hf_queued == 1 ->          /* granted while it slept: drop the hold, fault on */
     hf_queued = UNSET;
     rw_release(HUGE, TT, 0)
  :: !hfreed && hf_queued != 1 ->
     rw_acquire(HUGE, TT, 0);
     if
     :: granted -> rw_release(HUGE, TT, 0)
     :: else -> hf_queued = 1; blk[TT] = B_RWSEM; outcome = 2
     fi
  fi
}

/* handle_mm_fault(vma, fault_addr, REMOTE|WRITE|ALLOW_RETRY|KILLABLE) on vma#0, which
 * has VM_WRITE and is registered for uffd missing faults: a present writable page is
 * "0"; an empty one (after vmf_anon_prepare() in a private VMA: do_anonymous_page()
 * attaches vma->anon_vma) goes to handle_userfault(), which queues the fault, releases the
 * mmap lock and sleeps, and returns VM_FAULT_RETRY. With a fatal signal already
 * pending, schedule() in TASK_KILLABLE returns at once: the fault stays queued (the
 * monitor may read and resolve it), T stays runnable at the same step (outcome 2), and
 * its next turn takes it off the queue if nobody woke it and returns VM_FAULT_RETRY.
 * outcome: 0 ok, 1 retry, 2 the step runs again (pc unchanged). */
inline t_handle_mm_fault(ok) {
  outcome = 0;
  if
  :: hu_queued == 1 ->          /* the rest of handle_userfault(): no VMA use */
     hu_queued = UNSET;
     if
     :: uw -> uw = 0; uw_addr = 0; uw_read = 0
     :: else -> skip
     fi;
     vmret = 1;
     outcome = 1
  :: else ->
     t_use(ok);
#ifdef HUGETLB
     t_hugetlb_fault_lock();
#endif
     if
     :: outcome == 2 -> skip
     :: outcome != 2 && pte[fault_addr] -> vmret = 0; retry_src = 0; outcome = 0
     :: outcome != 2 && !pte[fault_addr] ->
        if :: !VMA_SHARED -> vanon = 1 :: else -> skip fi;
        t_mmap_read_unlock();
        uw = 1; uw_addr = fault_addr; uw_read = 0;
        vmret = 1;
        retry_src = 1;
        if
        :: t_fatal -> hu_queued = 1; outcome = 2
        :: else -> blk[TT] = B_UFFD; outcome = 1
        fi
     fi
  fi
}

/* lock-balance at T's return: nothing held */
inline t_exit_check() {
#ifdef CHECK_LB
  rw_holds(MMAP, TT);
  assert(!h && ul_owner != TT + 1);
#ifdef HUGETLB
  rw_holds(HUGE, TT);
  assert(!h);
#endif
#endif
  skip
}
