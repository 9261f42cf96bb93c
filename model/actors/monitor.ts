// M: the userfaultfd monitor thread. It reads a fault message and answers it with
// UFFDIO_COPY (mfill_atomic: takes the mmap read lock, looks the VMA up, installs the
// page, wakes the range only on success: a copy into an unmapped range fails with
// -ENOENT and wakes nobody, errata 2) or with UFFDIO_WAKE (wakes without a page).
// Modern kernels try the per-VMA lock first (uffd_lock_vma); it fails on a detached VMA
// and falls back to mmap_read_lock, which is the path that matters here.

import { type Actor, actor } from "../actor.js";
import { ENOENT } from "../errno.js";
import { mmapReadLock, mmapReadUnlock } from "../kernel/mmap-lock.js";
import { wakeUserfault } from "../kernel/userfaultfd.js";
import { vmaAt } from "../kernel/vma.js";
import { op } from "../step.js";
import type { World } from "../world.js";

const read = op({
  name: "read(uffd, &msg)",
  outcomes: ["copy", "wake"],
  enabled: (w) => w.uffd.waiting.some((x) => !x.read),
  run: (k) => {
    const waiting = k.w.uffd.waiting;
    const i = waiting.findIndex((x) => !x.read);
    const first = waiting[i];
    // waiter records are shared between worlds (engine/draft.ts LazyWorld): replace them
    if (first) waiting[i] = { ...first, read: true };
    k.set("addr", first ? first.addr : 0);
    return k.choose(["copy", "wake"] as const);
  },
});

const copy = op({
  name: "UFFDIO_COPY: mfill_atomic(dst = msg.address)",
  outcomes: ["ok"],
  run: (k) => {
    const addr = k.num("addr");
    const vma = vmaAt(k.w as World, addr);
    if (!vma) {
      k.set("ret", ENOENT);
      k.emit({ k: "note", tid: k.tid, text: "UFFDIO_COPY: -ENOENT (range unmapped), no wake" });
      return "ok";
    }
    if (k.w.ptes[addr] === "none") {
      const pte = vma.flags.write ? "rw" : "ro";
      k.w.ptes[addr] = pte;
      k.emit({ k: "pte", tid: k.tid, page: addr, pte });
      k.set("ret", 0);
      wakeUserfault(k, "UFFDIO_COPY", addr);
    }
    return "ok";
  },
});

const wake = op({
  name: "UFFDIO_WAKE(range)",
  outcomes: ["ok"],
  run: (k) => {
    // a wake without a page answers nothing: runs with one do not judge progress (L2)
    k.w.ghost.disrupted = true;
    wakeUserfault(k, "UFFDIO_WAKE");
    return "ok";
  },
});

export function monitorActor(): Actor {
  return actor({
    id: "monitor",
    lane: "M",
    disruptive: false,
    title: "userfaultfd monitor (UFFDIO_COPY, UFFDIO_WAKE)",
    start: "idle",
    steps: {
      idle: { op: read, on: { copy: "copy_lock", wake: "wake" } },
      copy_lock: { op: mmapReadLock(), next: "copy" },
      copy: { op: copy, next: "copy_unlock" },
      copy_unlock: { op: mmapReadUnlock(), next: "idle" },
      wake: { op: wake, next: "idle" },
    },
  });
}
