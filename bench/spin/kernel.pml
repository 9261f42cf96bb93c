/*
 * kernel.pml: the shared kernel objects of lockdrop's model, for the Promela twins
 * (v2.pml, v1-hugetlb-drop.pml). Each environment actor is a proctype whose every
 * alternative is one d_step: one lockdrop step (one entry of the actor's step table in
 * model/actors/*.ts), so that one Spin transition is one lockdrop step.
 *
 * What the twin keeps, and why: the state here carries exactly what lockdrop's
 * canonical state key (model/fingerprint.ts stateKey) carries for the scenarios the
 * twins model, so that with every Spin reduction switched off (-DNOREDUCE, spin -o1
 * -o2) both tools count the same states. In particular:
 *  - rwsem wait queues are ordered lists (lockdrop's world keeps them in the order
 *    threads entered them), and reader lists and the notifier's invalidators are
 *    kept in thread order, as lockdrop keeps them (the kernel counts them);
 *  - a thread's status (runnable, or blocked and on what) is kept, as blk[tid];
 *  - locals that lockdrop keeps but nothing reads any more (T's vmret, pfn_seqs) are
 *    kept too, and an actor's locals are reset when it is back at its start, as
 *    lockdrop clears them there; Spin's default data-flow optimizations may hide them (that is one
 *    of Spin's reductions, and the bench reports it as such).
 *
 * Encoding: a thread id t is stored as t + 1, so that 0 means "nobody" / "empty slot".
 * Empty slots are always reset to 0, so that two equal lists are equal vectors.
 */

#ifndef N
#define N 1                 /* pages in the VMA */
#endif

#define NT 5                /* thread slots: T W M I S */
#define TT 0                /* driver: the design */
#define TW 1                /* munmap */
#define TM 2                /* uffd monitor */
#define TI 3                /* invalidation (rmap unmap of a page) */
#define TS 4                /* fatal signal */

/* blk[t]: what a thread sleeps on (lockdrop Thread.status; 0 = runnable) */
#define B_RUN    0
#define B_RWSEM  1
#define B_MUTEX  2
#define B_UFFD   3
#define B_RBEGIN 4
#define B_VMARD  5          /* vma_mark_detached() waits for the VMA's readers */

/* vma#0 state (lockdrop VmaState) */
#define LIVE     0
#define DETACHED 1
#define FREED    2

/* the rwsems: lock 0 is mm->mmap_lock, lock 1 vma#0's hugetlb_vma_lock */
#define MMAP 0
#define HUGE 1
#define NL   2

#define UNSET 254           /* a local lockdrop has not set yet (no key in Thread.locals) */
#define NULLREF 253         /* a VMA pointer local set to NULL */
#define NULLV 252           /* any other local set to NULL (set, unlike UNSET) */

/* errno values, as model/errno.ts */
#define EPERM   (-1)
#define ENOENT  (-2)
#define EAGAIN  (-11)
#define EFAULT  (-14)
#define EBUSY   (-16)
#define ENOLCK  (-37)
#define HMM_FAULT_PENDING  EAGAIN
#define HMM_FAULT_UNLOCKED ENOLCK
#define RET_UNSET 99

/* ---- shared state ---- */

/* rw_semaphore with writer fairness (model/rwsem.ts): readers (in thread order), the
 * writer, and the waiters in order of arrival; a waiter entry is tid+1, plus 8 for a
 * writer. (The readers are in thread order: rd_add.) */
byte rd[NL * NT];
byte nrd[NL];
byte wr[NL];
byte wq[NL * NT];
byte nwq[NL];

/* the driver's user_lock (model/mutex.ts): owner and FIFO waiters */
byte ul_owner;
byte ul_q[NT];
byte ul_n;

/* vma#0 */
byte vstate = LIVE;
bit vwlocked;               /* vma_start_write until the mmap write lock is released */
bit vrd;                    /* vma#0's per-VMA lock is read-held (only M takes it here) */
bit hfreed;                 /* vma#0's hugetlb_vma_lock was freed (__hugetlb_zap_end) */
bit vanon;                  /* vma#0's anon_vma is set (never for the MAP_SHARED hugetlb VMA) */
#ifdef HUGETLB
#define VMA_SHARED 1        /* the hugetlb VMA is MAP_SHARED */
#else
#define VMA_SHARED 0        /* the anonymous VMA is private */
#endif

/* page table: 0 none, 1 present writable (no other value is reachable here) */
bit pte[N];

/* mmu interval notifier (model/kernel/notifier.ts) */
byte mmseq = 2;
byte nactive;
byte subseq = 1;
byte invq[2];               /* invalidators, in thread order (a count in the kernel) */
byte ninv;

/* userfaultfd: only T ever waits, so the queue holds at most one entry */
bit uw;                     /* T is queued on ctx->fault_pending_wqh */
byte uw_addr;
bit uw_read;                /* the monitor has read() its message */

byte blk[NT];
bit t_fatal;                /* fatal_signal_pending(T) */

/* ghost state that lockdrop keeps in its state key */
bit disrupted;              /* a disruptive actor (W, I, S) or UFFDIO_WAKE has acted */
bit consumed_set;           /* the driver programmed the device ... */
bit consumed[N];            /* ... with these pfns (HMM_PFN_VALID|WRITE or 0) */

/* scratch for the d_steps: hidden, so not part of the state vector */
hidden byte ki;
hidden byte kj;
hidden byte km;
hidden byte granted;
hidden byte held;
hidden byte h;
hidden byte outcome;
hidden byte first;

/* ---- rw_semaphore ---- */

/* drop the head of lock L's wait queue (Promela inlines cannot take arrays) */
inline wq_pop(L) {
  ki = 0;
  do
  :: ki + 1 < nwq[L] -> wq[L * NT + ki] = wq[L * NT + ki + 1]; ki++
  :: else -> break
  od;
  nwq[L]--;
  wq[L * NT + nwq[L]] = 0
}

/* a reader joins L's holders, kept in thread order as lockdrop keeps them (model/rwsem.ts
 * addHolder: the kernel counts readers, it does not order them) */
inline rd_add(L, v) {
  km = nrd[L];
  do
  :: km > 0 && rd[L * NT + km - 1] > v -> rd[L * NT + km] = rd[L * NT + km - 1]; km--
  :: else -> break
  od;
  rd[L * NT + km] = v;
  nrd[L]++
}

/* grant(): rwsem_mark_wake() (kernel/locking/rwsem.c, 5.8 and 6.18; model/rwsem.ts), unless
 * a writer holds L: a writer at the head alone, once nobody holds L; a reader at the head
 * lets every queued reader in, in queue order, and the writers stay queued in order. */
inline rw_grant(L) {
  if
  :: nwq[L] > 0 && wr[L] == 0 && wq[L * NT] >= 8 ->
     if
     :: nrd[L] == 0 ->
        wr[L] = wq[L * NT] - 8;
        blk[wr[L] - 1] = B_RUN;
        wq_pop(L)
     :: else -> skip
     fi
  :: nwq[L] > 0 && wr[L] == 0 && wq[L * NT] < 8 ->
     /* readers move to rd; writers close up at the front of wq (kj <= ki) */
     ki = 0;
     kj = 0;
     do
     :: ki < nwq[L] ->
        if
        :: wq[L * NT + ki] >= 8 -> wq[L * NT + kj] = wq[L * NT + ki]; kj++
        :: else ->
           rd_add(L, wq[L * NT + ki]);
           blk[wq[L * NT + ki] - 1] = B_RUN
        fi;
        ki++
     :: else -> break
     od;
     ki = kj;
     do
     :: ki < nwq[L] -> wq[L * NT + ki] = 0; ki++
     :: else -> break
     od;
     nwq[L] = kj
  :: else -> skip
  fi
}

/* down_read / down_write: granted now, or queued (the caller then blocks) */
inline rw_acquire(L, tid, W) {
  if
  :: nwq[L] == 0 && wr[L] == 0 && (!W || nrd[L] == 0) ->
     granted = 1;
     if
     :: W -> wr[L] = tid + 1
     :: else -> rd_add(L, tid + 1)
     fi
  :: else ->
     granted = 0;
     wq[L * NT + nwq[L]] = tid + 1 + (W -> 8 : 0);
     nwq[L]++
  fi
}

/* up_read / up_write: held says whether tid held it; a release grants the queue */
inline rw_release(L, tid, W) {
  held = 0;
  if
  :: W && wr[L] == tid + 1 -> wr[L] = 0; held = 1
  :: !W ->
     kj = 0;
     do
     :: kj < nrd[L] && rd[L * NT + kj] != tid + 1 -> kj++
     :: kj < nrd[L] && rd[L * NT + kj] == tid + 1 ->
        do
        :: kj + 1 < nrd[L] -> rd[L * NT + kj] = rd[L * NT + kj + 1]; kj++
        :: else -> break
        od;
        nrd[L]--;
        rd[L * NT + nrd[L]] = 0;
        held = 1;
        break
     :: else -> break
     od
  :: else -> skip
  fi;
  if
  :: held -> rw_grant(L)
  :: else -> skip
  fi
}

/* downgrade_write: the writer becomes a reader; rwsem_downgrade_wake lets every queued
 * reader in if a reader is at the head (rw_grant, with L now read-held) */
inline rw_downgrade(L, tid) {
  if
  :: wr[L] == tid + 1 ->
     wr[L] = 0;
     rd_add(L, tid + 1);
     rw_grant(L)
  :: else -> skip
  fi
}

/* h = tid holds L (read or write) */
inline rw_holds(L, tid) {
  h = (wr[L] == tid + 1);
  kj = 0;
  do
  :: kj < nrd[L] -> h = h || (rd[L * NT + kj] == tid + 1); kj++
  :: else -> break
  od;
  skip
}

/* ---- user_lock ---- */

inline ul_pop() {
  ki = 0;
  do
  :: ki + 1 < ul_n -> ul_q[ki] = ul_q[ki + 1]; ki++
  :: else -> break
  od;
  ul_n--;
  ul_q[ul_n] = 0
}

inline mutex_lock(tid) {
  if
  :: ul_owner == 0 && ul_n == 0 -> ul_owner = tid + 1; granted = 1
  :: else -> ul_q[ul_n] = tid + 1; ul_n++; granted = 0
  fi
}

inline mutex_unlock(tid) {
  if
  :: ul_owner == tid + 1 ->
     if
     :: ul_n > 0 -> ul_owner = ul_q[0]; blk[ul_q[0] - 1] = B_RUN; ul_pop()
     :: else -> ul_owner = 0
     fi
  :: else -> skip
  fi
}

/* ---- mmu notifier ---- */

/* mn_itree_inv_start_range(): the seq goes odd */
inline invalidate_start(tid) {
  nactive++;
  if
  :: ninv == 1 && invq[0] > tid + 1 -> invq[1] = invq[0]; invq[0] = tid + 1
  :: else -> invq[ninv] = tid + 1
  fi;
  ninv++;
  if
  :: mmseq % 2 == 0 -> mmseq++
  :: else -> skip
  fi
}

/* mn_itree_inv_end(): the last end makes the seq even and wakes read_begin sleepers */
inline invalidate_end(tid) {
  nactive--;
  if
  :: invq[0] == tid + 1 -> invq[0] = invq[1]
  :: else -> skip
  fi;
  ninv--;
  invq[ninv] = 0;
  if
  :: nactive == 0 && mmseq % 2 == 1 ->
     mmseq++;
     ki = 0;
     do
     :: ki < NT -> if :: blk[ki] == B_RBEGIN -> blk[ki] = B_RUN :: else -> skip fi; ki++
     :: else -> break
     od
  :: else -> skip
  fi
}

/* ---- userfaultfd ---- */

/* wake_userfault(ctx, range): wake T if it waits on the range (on any page if all) */
inline wake_userfault(all, a) {
  if
  :: uw && (all || uw_addr == a) ->
     uw = 0; uw_addr = 0; uw_read = 0;
     blk[TT] = B_RUN        /* a no-op if T is queued but runnable (fatal signal pending) */
  :: else -> skip
  fi
}

/* lock-balance (S3, S4): no unlock of a lock the thread does not hold */
/* __hugetlb_vma_unlock_write_free() (model/kernel/hugetlb.ts hugetlbUnlockWriteFree), after
 * its up_write: the lock is gone, so its rwsem is cleared (lockdrop keeps no lock there) */
inline hugetlb_free() {
  ki = 0;
  do
  :: ki < NT -> rd[HUGE * NT + ki] = 0; wq[HUGE * NT + ki] = 0; ki++
  :: else -> break
  od;
  nrd[HUGE] = 0; wr[HUGE] = 0; nwq[HUGE] = 0;
  hfreed = 1
}

inline unlock_held() {
#ifdef CHECK_LB
  assert(held);
#endif
  skip
}

/* ---- W: munmap(2) of vma#0 (model/actors/munmap.ts, in vms_complete_munmap_vmas order) ---- */

#define W_IDLE      0
#define W_WLOCK     1
#define W_DETACH    2
#define W_DOWNGRADE 3
#define W_INV_START 4
#define W_INV_LOCK  5
#define W_INV_CB    6
#define W_ZAP_BEGIN 7
#define W_ZAP_END   8
#define W_REMOVE    9
#define W_RUNLOCK   10

active proctype W() {
  byte pc = W_IDLE;
  byte budget = 1;
  byte target = UNSET;
  do
  :: d_step { /* munmap(addr, len): enabled with budget and a live VMA */
       blk[TW] == B_RUN && pc == W_IDLE && budget > 0 && vstate == LIVE ->
       disrupted = 1; target = 0; budget--; pc = W_WLOCK }
  :: d_step { /* mmap_write_lock(mm) */
       blk[TW] == B_RUN && pc == W_WLOCK ->
       disrupted = 1;
       rw_acquire(MMAP, TW, 1);
       if :: !granted -> blk[TW] = B_RWSEM :: else -> skip fi;
       pc = W_DETACH }
  :: d_step { /* vma_start_write(vma); vma_mark_detached(vma); remove from tree:
                 vma_mark_detached() waits for the readers that lock_vma_under_rcu()
                 let in (M's UFFDIO_COPY), and the step runs again once they leave */
       blk[TW] == B_RUN && pc == W_DETACH ->
       disrupted = 1;
       vwlocked = 1;
       if
       :: vrd -> blk[TW] = B_VMARD
       :: else -> vstate = DETACHED; pc = W_DOWNGRADE
       fi }
  :: d_step { /* mmap_write_downgrade(mm): ends the VMA write locks */
       blk[TW] == B_RUN && pc == W_DOWNGRADE ->
       disrupted = 1; vwlocked = 0; rw_downgrade(MMAP, TW); pc = W_INV_START }
  :: d_step { /* mmu_notifier_invalidate_range_start() */
       blk[TW] == B_RUN && pc == W_INV_START ->
       disrupted = 1; invalidate_start(TW); pc = W_INV_LOCK }
  :: d_step { /* mutex_lock(user_lock) in the driver's invalidate() */
       blk[TW] == B_RUN && pc == W_INV_LOCK ->
       disrupted = 1;
       mutex_lock(TW);
       if :: !granted -> blk[TW] = B_MUTEX :: else -> skip fi;
       pc = W_INV_CB }
  :: d_step { /* invalidate(): mmu_interval_set_seq(); mutex_unlock(user_lock) */
       blk[TW] == B_RUN && pc == W_INV_CB ->
       disrupted = 1; subseq = mmseq; mutex_unlock(TW); pc = W_ZAP_BEGIN }
  :: d_step { /* __hugetlb_zap_begin: hugetlb_vma_lock_write(vma) */
       blk[TW] == B_RUN && pc == W_ZAP_BEGIN ->
       disrupted = 1;
#ifdef HUGETLB
       rw_acquire(HUGE, TW, 1);
       if :: !granted -> blk[TW] = B_RWSEM :: else -> skip fi;
#endif
       pc = W_ZAP_END }
  :: d_step { /* zap ptes; hugetlb_zap_end(vma); invalidate_range_end() */
       blk[TW] == B_RUN && pc == W_ZAP_END ->
       disrupted = 1;
       ki = 0;
       do
       :: ki < N -> pte[ki] = 0; ki++
       :: else -> break
       od;
#ifdef HUGETLB
       /* __hugetlb_zap_end frees the lock: up_write, then the last put. A thread the
        * up_write granted the lock to runs on freed memory (no-freed-vma-use). */
       rw_release(HUGE, TW, 1);
       unlock_held();
#ifdef CHECK_S2
       assert(nrd[HUGE] == 0 && wr[HUGE] == 0);
#endif
       hugetlb_free();
#endif
       invalidate_end(TW);
       pc = W_REMOVE }
  :: d_step { /* remove_vma(vma): vm_ops->close(vma); vm_area_free(vma) */
       blk[TW] == B_RUN && pc == W_REMOVE ->
       disrupted = 1; vstate = FREED; pc = W_RUNLOCK }
  :: d_step { /* mmap_read_unlock(mm) */
       blk[TW] == B_RUN && pc == W_RUNLOCK ->
       disrupted = 1; rw_release(MMAP, TW, 0); unlock_held(); target = UNSET; pc = W_IDLE }
  od
}

/* ---- M: the userfaultfd monitor (model/actors/monitor.ts) ----
 * UFFDIO_COPY as mm/userfaultfd.c since the per-VMA-lock conversion: uffd_mfill_lock()
 * -> uffd_lock_vma() tries lock_vma_under_rcu() (a live VMA that is not write-locked;
 * a private VMA only if it has an anon_vma, which the write fault in the message stands
 * for), else mmap_read_lock + find_vma_and_prepare_anon + vma_start_read_locked +
 * mmap_read_unlock; mfill_atomic() under the VMA read lock; uffd_mfill_unlock(), and
 * wake_userfault() only if a page was installed. */

#define M_IDLE        0
#define M_COPY        1
#define M_COPY_LOCK   2
#define M_COPY_LOOKUP 3
#define M_COPY_UNLOCK 4
#define M_COPY_ENOENT 5
#define M_COPY_FILL   6
#define M_COPY_DONE   7
#define M_WAKE        8

/* back at its start, an actor has ended one operation and keeps no locals (engine/exec.ts) */
#define M_END_OP() addr = UNSET; dst_vma = UNSET; copied = UNSET; ret = RET_UNSET

active proctype M() {
  byte pc = M_IDLE;
  byte addr = UNSET;
  byte dst_vma = UNSET;     /* 0: vma#0 under its VMA read lock; NULLREF: NULL */
  byte copied = UNSET;
  short ret = RET_UNSET;
  do
  :: d_step { /* read(uffd, &msg) -> UFFDIO_COPY */
       blk[TM] == B_RUN && pc == M_IDLE && uw && !uw_read ->
       uw_read = 1; addr = uw_addr; pc = M_COPY }
  :: d_step { /* read(uffd, &msg) -> UFFDIO_WAKE */
       blk[TM] == B_RUN && pc == M_IDLE && uw && !uw_read ->
       uw_read = 1; addr = uw_addr; pc = M_WAKE }
  :: d_step { /* uffd_lock_vma(): dst_vma = lock_vma_under_rcu(mm, dst_start) */
       blk[TM] == B_RUN && pc == M_COPY ->
       if
       :: vstate == LIVE && !vwlocked && (VMA_SHARED || vanon) ->
          vrd = 1; dst_vma = 0; pc = M_COPY_FILL
       :: else -> pc = M_COPY_LOCK
       fi }
  :: d_step { /* mmap_read_lock(mm) */
       blk[TM] == B_RUN && pc == M_COPY_LOCK ->
       rw_acquire(MMAP, TM, 0);
       if :: !granted -> blk[TM] = B_RWSEM :: else -> skip fi;
       pc = M_COPY_LOOKUP }
  :: d_step { /* dst_vma = find_vma_and_prepare_anon(mm, dst_start);
                 vma_start_read_locked(dst_vma): -ENOENT on an unmapped range */
       blk[TM] == B_RUN && pc == M_COPY_LOOKUP ->
       if
       :: vstate == LIVE ->
          if :: !VMA_SHARED -> vanon = 1 :: else -> skip fi;
          vrd = 1; dst_vma = 0; pc = M_COPY_UNLOCK
       :: else -> ret = ENOENT; pc = M_COPY_ENOENT
       fi }
  :: d_step { /* mmap_read_unlock(mm), the VMA read-locked */
       blk[TM] == B_RUN && pc == M_COPY_UNLOCK ->
       rw_release(MMAP, TM, 0); unlock_held(); pc = M_COPY_FILL }
  :: d_step { /* mmap_read_unlock(mm) after -ENOENT (no wake: mfill_atomic_copy returns before wake_userfault) */
       blk[TM] == B_RUN && pc == M_COPY_ENOENT ->
       rw_release(MMAP, TM, 0); unlock_held(); M_END_OP(); pc = M_IDLE }
  :: d_step { /* mfill_atomic(dst_vma, dst_start): install the page if none */
       blk[TM] == B_RUN && pc == M_COPY_FILL ->
       copied = 0;
       if
       :: !pte[addr] -> pte[addr] = 1; ret = 0; copied = 1
       :: else -> skip
       fi;
       pc = M_COPY_DONE }
  :: d_step { /* uffd_mfill_unlock(dst_vma): vma_end_read() wakes a vma_mark_detached()
                 waiting for readers; wake_userfault(ctx, range) if copied */
       blk[TM] == B_RUN && pc == M_COPY_DONE ->
       if
       :: dst_vma == 0 ->
          vrd = 0;
          if :: blk[TW] == B_VMARD -> blk[TW] = B_RUN :: else -> skip fi
       :: else -> skip
       fi;
       dst_vma = NULLREF;
       if :: copied == 1 -> wake_userfault(0, addr) :: else -> skip fi;
       M_END_OP(); pc = M_IDLE }
  :: d_step { /* UFFDIO_WAKE(range) */
       blk[TM] == B_RUN && pc == M_WAKE ->
       disrupted = 1; wake_userfault(1, 0); M_END_OP(); pc = M_IDLE }
  od
}

#ifdef WITH_INVALIDATE
/* ---- I: rmap unmap of one page (model/actors/invalidate.ts) ---- */

#define I_IDLE    0
#define I_CB_LOCK 1
#define I_CB      2
#define I_ZAP_END 3

active proctype I() {
  byte pc = I_IDLE;
  byte budget = 1;
  byte page = UNSET;
  do
  /* one alternative per page the schedule may pick (N <= 8): reclaim and migration
     start from a folio, so only a page whose PTE maps one (try_to_unmap_one(),
     mm/rmap.c at v7.0, finds only PTEs that map its folio) */
  :: d_step { /* try_to_unmap(page 0): mmu_notifier_invalidate_range_start() */
       blk[TI] == B_RUN && pc == I_IDLE && budget > 0 && N > 0 && pte[0] ->
       disrupted = 1; page = 0; budget--; invalidate_start(TI); pc = I_CB_LOCK }
  :: d_step { /* try_to_unmap(page 1): mmu_notifier_invalidate_range_start() */
       blk[TI] == B_RUN && pc == I_IDLE && budget > 0 && N > 1 && pte[1] ->
       disrupted = 1; page = 1; budget--; invalidate_start(TI); pc = I_CB_LOCK }
  :: d_step { /* try_to_unmap(page 2): mmu_notifier_invalidate_range_start() */
       blk[TI] == B_RUN && pc == I_IDLE && budget > 0 && N > 2 && pte[2] ->
       disrupted = 1; page = 2; budget--; invalidate_start(TI); pc = I_CB_LOCK }
  :: d_step { /* try_to_unmap(page 3): mmu_notifier_invalidate_range_start() */
       blk[TI] == B_RUN && pc == I_IDLE && budget > 0 && N > 3 && pte[3] ->
       disrupted = 1; page = 3; budget--; invalidate_start(TI); pc = I_CB_LOCK }
  :: d_step { /* try_to_unmap(page 4): mmu_notifier_invalidate_range_start() */
       blk[TI] == B_RUN && pc == I_IDLE && budget > 0 && N > 4 && pte[4] ->
       disrupted = 1; page = 4; budget--; invalidate_start(TI); pc = I_CB_LOCK }
  :: d_step { /* try_to_unmap(page 5): mmu_notifier_invalidate_range_start() */
       blk[TI] == B_RUN && pc == I_IDLE && budget > 0 && N > 5 && pte[5] ->
       disrupted = 1; page = 5; budget--; invalidate_start(TI); pc = I_CB_LOCK }
  :: d_step { /* try_to_unmap(page 6): mmu_notifier_invalidate_range_start() */
       blk[TI] == B_RUN && pc == I_IDLE && budget > 0 && N > 6 && pte[6] ->
       disrupted = 1; page = 6; budget--; invalidate_start(TI); pc = I_CB_LOCK }
  :: d_step { /* try_to_unmap(page 7): mmu_notifier_invalidate_range_start() */
       blk[TI] == B_RUN && pc == I_IDLE && budget > 0 && N > 7 && pte[7] ->
       disrupted = 1; page = 7; budget--; invalidate_start(TI); pc = I_CB_LOCK }
  :: d_step { /* mutex_lock(user_lock) */
       blk[TI] == B_RUN && pc == I_CB_LOCK ->
       disrupted = 1;
       mutex_lock(TI);
       if :: !granted -> blk[TI] = B_MUTEX :: else -> skip fi;
       pc = I_CB }
  :: d_step { /* invalidate(): mmu_interval_set_seq(); mutex_unlock(user_lock) */
       blk[TI] == B_RUN && pc == I_CB ->
       disrupted = 1; subseq = mmseq; mutex_unlock(TI); pc = I_ZAP_END }
  :: d_step { /* zap pte (only if hugetlb_vma_trylock_write succeeds); range_end() */
       blk[TI] == B_RUN && pc == I_ZAP_END ->
       disrupted = 1;
#ifdef HUGETLB
       /* the lock of a VMA that is not freed; a freed VMA's page is not in any VMA */
       h = (vstate != FREED) && (nwq[HUGE] > 0 || wr[HUGE] != 0 || nrd[HUGE] > 0);
       if :: !h -> pte[page] = 0 :: else -> skip fi;
#else
       pte[page] = 0;
#endif
       invalidate_end(TI);
       page = UNSET; pc = I_IDLE }
  od
}
#endif

#ifdef WITH_SIGNAL
/* ---- S: a fatal signal to T (model/actors/signal.ts). T's only killable sleep in
 * these designs is the uffd wait (its mmap_read_lock is not the killable variant). ---- */

active proctype S() {
  bit done;
  do
  :: d_step { /* kill(T, SIGKILL) */
       blk[TS] == B_RUN && !done ->
       disrupted = 1; done = 1; t_fatal = 1;
       if
       :: blk[TT] == B_UFFD -> uw = 0; uw_addr = 0; uw_read = 0; blk[TT] = B_RUN
       :: else -> skip
       fi }
  od
}
#endif
