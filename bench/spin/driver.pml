/*
 * driver.pml: pieces of the driver thread T shared by the twins: the mmap-lock epoch
 * of T's VMA pointers (model/ghost.ts), their dereference with the S1/S2 checks, and
 * handle_mm_fault() on the one uffd-registered VMA (model/kernel/fault.ts,
 * userfaultfd.ts). These are inlines over T's own locals, so T must declare vma_ok,
 * walk_vma_ok, fault_vma_ok, fault_addr, vmret, retry_src.
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

/* handle_mm_fault(vma, fault_addr, REMOTE|WRITE|ALLOW_RETRY|KILLABLE) on vma#0, which
 * has VM_WRITE and is registered for uffd missing faults: a present writable page is
 * "0"; an empty one goes to handle_userfault(), which releases the mmap lock and
 * sleeps (unless a fatal signal is pending) and returns VM_FAULT_RETRY.
 * outcome: 0 ok, 1 retry. */
inline t_handle_mm_fault(ok) {
  t_use(ok);
  if
  :: pte[fault_addr] -> vmret = 0; retry_src = 0; outcome = 0
  :: else ->
     t_mmap_read_unlock();
     vmret = 1;
     retry_src = 1;
     if
     :: t_fatal -> skip
     :: else -> uw = 1; uw_addr = fault_addr; uw_read = 0; uw_write = 1; blk[TT] = B_UFFD
     fi;
     outcome = 1
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
