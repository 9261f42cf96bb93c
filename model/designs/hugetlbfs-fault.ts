// hugetlbfs-fault: a write fault on a shared hugetlbfs mapping whose PMD page table page
// can be shared with another process (family "hugetlbfs": it runs only in the
// scenarios of model/kernel/hugetlbfs.ts, whose declared locks and objects it uses).
// hugetlb_fault() (mm/hugetlb.c, v6.1+; the copy read is a v6.13+ tree) takes
// hugetlb_vma_lock_read(vma) before huge_pte_alloc() and holds it to the end of the
// fault, because "the vma lock ... prevents huge_pmd_unshare" (the PMD page the
// returned ptep points into stays allocated); huge_pte_alloc -> huge_pmd_share() walks
// the file's i_mmap under i_mmap_lock_read for a sibling VMA's PMD page at the same
// offset, counts itself as a sharer (ptdesc_pmd_pts_inc) and populates its PUD with it;
// hugetlb_no_page() then writes the entry through ptep (set_huge_pte_at).
// The fault mutex and the page cache (i_size, the folio) are not modelled.
//
// hugetlbfs-fault-no-vma-lock (mutant): the same fault without the vma lock, as the
// race "hugetlb: add vma based lock for pmd sharing" (Mike Kravetz, Sep 2022) describes:
// ptep is protected only by i_mmap_rwsem, which huge_pmd_share releases, so a
// truncation may unshare the driver's PUD and the last sharer free the PMD page before
// set_huge_pte_at writes into it.
import { EFAULT } from "../errno.js";
import { hugePteAlloc } from "../kernel/hugetlb.js";
import { I_MMAP_RWSEM, iMmapLockRead, iMmapUnlockRead } from "../kernel/i-mmap.js";
import { acquireLock, refcountGet, releaseLock } from "../kernel/locks.js";
import { mmapReadLock, mmapReadUnlock } from "../kernel/mmap-lock.js";
import { lookupObj, objState, setObjState, useObj } from "../kernel/objects.js";
import { setPte } from "../kernel/pte.js";
import { vmaAt } from "../kernel/vma.js";
import { exit, set } from "../locals.js";
import type { Design, Steps } from "../step.js";
import { op } from "../step.js";
import { isObjRef, type ObjRef, type Val, type World } from "../world.js";

function faultSteps(vmaLock: boolean): Steps {
  const steps: Record<string, Steps[string]> = {
    start: { op: mmapReadLock(), next: "vma" },
    vma: {
      op: op({
        name: "vma = find_vma(mm, addr); vma_lock = vma->vm_private_data",
        outcomes: ["found", "none"],
        run: (k) => {
          if (lookupObj("vma_A", "vma", null).run(k) === "none") return "none";
          // the field is read whatever became of the struct it points to
          const ref: ObjRef = { obj: "vma_lock", via: null, epoch: 0, at: k.w.clock };
          k.set("vma_lock", ref as Val);
          return "found";
        },
      }),
      on: { found: vmaLock ? "lock" : "share", none: "gone" },
    },
    lock: {
      op: op({
        name: "hugetlb_fault(): hugetlb_vma_lock_read(vma)",
        outcomes: ["ok"],
        mightSleep: true,
        run: (k) => {
          useObj(k, "vma_lock", "down_read(&vma_lock->rw_sema)");
          acquireLock(k, "vma_lock", "read");
          return "ok";
        },
      }),
      next: "share",
    },
    share: {
      op: iMmapLockRead("huge_pte_alloc(): huge_pmd_share(): "),
      next: "find",
    },
    find: {
      op: op({
        name: "vma_interval_tree_foreach(svma): page_table_shareable(svma, ...) (svma->vm_private_data set): spte = hugetlb_walk(svma, saddr)",
        outcomes: ["shared", "none"],
        run: (k) => {
          // B's VMA is shareable only while it has its vma lock (page_table_shareable)
          if (objState(k, "B.vma_lock") !== "live") return "none";
          return lookupObj("pmd", "ptep", vmaLock ? "vma_lock" : I_MMAP_RWSEM).run(k) === "found"
            ? "shared"
            : "none";
        },
      }),
      on: { shared: "join", none: "alloc" },
    },
    join: {
      op: op({
        name: "ptdesc_pmd_pts_inc(spte); pud_populate(mm, pud, spte)",
        outcomes: ["ok"],
        run: (k) => {
          useObj(k, "ptep", "ptdesc_pmd_pts_inc(virt_to_ptdesc(spte))");
          refcountGet(k, "pmd.sharers");
          setObjState(k, "A.pmd_share", "live", "pud_populate: shares B's PMD page");
          return "ok";
        },
      }),
      next: "iunlock",
    },
    alloc: {
      op: op({
        name: "pmd_alloc(mm, pud, addr): a PMD page of its own",
        outcomes: ["ok"],
        run: (k) => {
          k.unset("ptep");
          return "ok";
        },
      }),
      next: "iunlock",
    },
    iunlock: {
      op: iMmapUnlockRead(),
      next: "install",
    },
    install: {
      op: op({
        name: "hugetlb_no_page(): set_huge_pte_at(mm, addr, ptep, pte)",
        outcomes: ["ok"],
        run: (k) => {
          if (isObjRef(k.get("ptep") as Val | undefined))
            useObj(k, "ptep", "set_huge_pte_at(mm, addr, ptep, pte)");
          // the PMD page is a declared object here; the VMA's own fact follows it
          const v = vmaAt(k.w as World, 0);
          if (v) hugePteAlloc(k, v.id);
          setPte(k, 0, "rw");
          return "ok";
        },
      }),
      next: vmaLock ? "unlock" : "mmunlock",
    },
    unlock: {
      op: op({
        name: "hugetlb_vma_unlock_read(vma)",
        outcomes: ["ok"],
        run: (k) => {
          useObj(k, "vma_lock", "up_read(&vma_lock->rw_sema)");
          releaseLock(k, "vma_lock", "read", "hugetlb_vma_unlock_read");
          return "ok";
        },
      }),
      next: "mmunlock",
    },
    mmunlock: { op: mmapReadUnlock(), next: "done" },
    gone: { op: mmapReadUnlock(), next: "segv" },
    segv: { op: set({ ret: EFAULT }, "no VMA: SIGSEGV"), next: "exit" },
    done: { op: set({ ret: 0 }), next: "exit" },
    exit: { op: exit() },
  };
  if (!vmaLock) {
    delete steps.lock;
    delete steps.unlock;
  }
  return steps;
}

export const hugetlbfsFault: Design = {
  id: "hugetlbfs-fault",
  title: "write fault on a shared hugetlbfs mapping that may share a PMD page (hugetlb_fault)",
  summary:
    "hugetlb_fault() takes hugetlb_vma_lock_read(vma) before huge_pte_alloc() and keeps it to the end of the fault, so that no huge_pmd_unshare() (which needs the vma lock for write) runs while it holds a ptep into a shared PMD page; huge_pmd_share() finds a sibling VMA's PMD page under i_mmap_lock_read.",
  source: "mm/hugetlb.c hugetlb_fault / huge_pmd_share (v6.1+)",
  family: "hugetlbfs",
  start: "start",
  steps: faultSteps(true),
};

export const hugetlbfsFaultNoVmaLock: Design = {
  id: "hugetlbfs-fault-no-vma-lock",
  title: "hugetlbfs-fault without hugetlb_vma_lock_read (mutant)",
  summary:
    "The same fault without the hugetlb vma lock: the ptep huge_pmd_share() returns is protected only by i_mmap_rwsem, which it releases, so a truncation may unshare the PUD and the other process free the PMD page before the fault writes its entry.",
  source:
    "mutant of hugetlbfs-fault (the race of 'hugetlb: add vma based lock for pmd sharing', Sep 2022)",
  family: "hugetlbfs",
  start: "start",
  steps: faultSteps(false),
};
