// R: close() of the userfaultfd, userfaultfd_release(): set
// ctx->released before taking the mmap write lock, clear the ctx from every VMA under
// it, then wake every pending and waiting fault. A woken fault retries and proceeds as
// an ordinary fault. userfaultfd_release() read in fs/userfaultfd.c at gregkh/linux
// 92b472945dbf (a v6.11-era tree: WRITE_ONCE(ctx->released), mmap_write_lock, per uffd
// VMA vma_modify_flags_uffd() + vma_start_write(), unlock, then the two wake-ups).
// The file is gone from the monitor's fd table once it is closed, so the monitor
// (model/actors/monitor.ts) reads and copies no more after the release began.

import { type Actor, actor } from "../actor.js";
import { mmapWriteLock, mmapWriteUnlock } from "../kernel/mmap-lock.js";
import { wakeUserfault } from "../kernel/userfaultfd.js";
import { op } from "../step.js";
import { isUffdMonitor, outsideUffd } from "../uffd-monitors.js";
import type { World } from "../world.js";

/**
 * The last reference to the uffd file goes, and userfaultfd_release() runs, only while
 * no monitor thread is inside read() or an ioctl on it: the syscall's fdget() holds a
 * reference for its whole length (a reference of its own when the file table is shared,
 * the caller's own fd otherwise, which it cannot close meanwhile). A monitor thread at
 * its idle label is in user space or in poll(), which holds none while it sleeps.
 */
const monitorsOutsideUffd = (w: World): boolean =>
  w.threads.every(
    (t) => !isUffdMonitor(t.program) || outsideUffd(t.program, t.pc) || t.status.kind === "done",
  );

const begin = op({
  name: "userfaultfd_release(): ctx->released = true",
  outcomes: ["ok"],
  enabled: (w) => !w.uffd.released && monitorsOutsideUffd(w),
  run: (k) => {
    k.w.uffd.released = true;
    return "ok";
  },
});

/**
 * userfaultfd_release_all() -> userfaultfd_clear_vma() -> userfaultfd_set_ctx(vma, NULL,
 * 0) (mm/userfaultfd.c since 6.12, read in the 2024 mails that moved it there):
 * vma_start_write(vma), which waits for the VMA's readers (a UFFDIO_COPY under the
 * per-VMA lock), then clears the ctx and VM_UFFD_*.
 */
const clear = op({
  name: "for each vma: vma_start_write(vma); clear vm_userfaultfd_ctx and VM_UFFD_*",
  outcomes: ["ok"],
  run: (k) => {
    for (const v of k.w.vmas) if (v.state === "live") v.writeLocked = true;
    const busy = k.w.vmas.find((v) => v.state === "live" && v.readers.length > 0);
    if (busy) {
      k.block({ kind: "vma-readers", vma: busy.id }, undefined, { again: true });
      return "ok";
    }
    // flags are shared between worlds (engine/draft.ts LazyWorld): replace, never mutate
    for (const v of k.w.vmas) if (v.state === "live") v.flags = { ...v.flags, uffdMissing: false };
    return "ok";
  },
});

const wakeAll = op({
  name: "mmap_write_unlock(mm); wake_up_all(fault_pending_wqh, fault_wqh)",
  outcomes: ["ok"],
  run: (k) => {
    const r = mmapWriteUnlock().run(k);
    wakeUserfault(k, "userfaultfd_release");
    return r;
  },
});

export function releaseActor(): Actor {
  return actor({
    id: "release",
    lane: "R",
    disruptive: true,
    title: "close(uffd): userfaultfd_release()",
    start: "idle",
    steps: {
      idle: { op: begin, next: "wlock" },
      wlock: { op: mmapWriteLock(), next: "clear" },
      clear: { op: clear, next: "wake" },
      wake: { op: wakeAll, next: "idle" },
    },
  });
}
