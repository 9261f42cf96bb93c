// W2: a VMA writer that needs the mmap write lock (mprotect, UFFDIO_REGISTER, madvise
// that changes flags). Queued behind a reader, it blocks every later reader by writer
// fairness: the third party of the uffd deadlock (kernel/locking/rwsem.c at torvalds/linux
// 0f9368b5bf6d, 5.8: with RWSEM_FLAG_WAITERS set a later reader fails
// rwsem_read_trylock() and queues; model/rwsem.ts). mmap_write_lock_killable(), then
// mprotect_fixup() -> vma_start_write(): mm/mprotect.c at torvalds/linux 003fde4492c8,
// a v6.15+ tree. The plain mmap_write_lock() printed is UFFDIO_REGISTER's
// (userfaultfd_register()); mprotect's killable one ends only on a fatal signal to this
// thread, which no scenario sends (model/actors/signal.ts).

import { type Actor, actor } from "../actor.js";
import { mmapWriteLock, mmapWriteUnlock } from "../kernel/mmap-lock.js";
import { op } from "../step.js";

const begin = op({
  name: "mprotect(addr, len)",
  outcomes: ["ok"],
  run: () => "ok",
});

const change = op({
  name: "vma_start_write(vma); change vm_flags/vm_page_prot",
  outcomes: ["ok"],
  run: (k) => {
    for (const v of k.w.vmas) if (v.state === "live") v.writeLocked = true;
    // vma_start_write waits for the VMA's readers to leave
    const busy = k.w.vmas.find((v) => v.state === "live" && v.readers.length > 0);
    if (busy) k.block({ kind: "vma-readers", vma: busy.id }, undefined, { again: true });
    return "ok";
  },
});

export function mprotectActor(): Actor {
  return actor({
    id: "mprotect",
    lane: "W2",
    disruptive: true,
    title: "mprotect(2): a VMA writer under the mmap write lock",
    start: "idle",
    steps: {
      idle: { op: begin, next: "wlock" },
      wlock: { op: mmapWriteLock(), next: "change" },
      change: { op: change, next: "unlock" },
      unlock: { op: mmapWriteUnlock(), next: "idle" },
    },
  });
}
