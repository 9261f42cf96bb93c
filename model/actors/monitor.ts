// M: the userfaultfd monitor thread. It reads a fault message and answers it with
// UFFDIO_COPY or with UFFDIO_WAKE (wakes without a page).
//
// UFFDIO_COPY follows mm/userfaultfd.c since the per-VMA-lock conversion (uffd_lock_vma,
// "userfaultfd: use per-vma locks in userfaultfd operations", 6.9; read in the file
// as of 2025): uffd_mfill_lock() -> uffd_lock_vma() tries lock_vma_under_rcu() first,
// which succeeds on a live VMA that is not write-locked, even while another thread holds
// or waits for the mmap write lock. A private VMA without an anon_vma drops that lock
// again; then, and when lock_vma_under_rcu() fails, it takes mmap_read_lock, looks the
// VMA up (find_vma_and_prepare_anon: -ENOENT if none), read-locks it
// (vma_start_read_locked) and drops the mmap lock. The copy runs under the VMA read lock
// (validate_dst_vma: a VMA no longer registered is -ENOENT), and the range is woken only
// when a page was installed: a copy into an unmapped range wakes nobody.
//
// vma->anon_vma is the VMA's `anonVma`: a write fault's vmf_anon_prepare() sets it before
// handle_userfault(), a read fault does not, and find_vma_and_prepare_anon() here does;
// zapping the pages keeps it.
// ctx->mmap_changing (-EAGAIN) is set only by the non-cooperative events
// (UFFD_FEATURE_EVENT_*), which no scenario enables, so it is not modelled.

import { type Actor, actor } from "../actor.js";
import { ENOENT } from "../errno.js";
import { hugePteAlloc } from "../kernel/hugetlb.js";
import { findVmaAndPrepareAnon, uffdLockVmaRcu } from "../kernel/mfill.js";
import { mmapReadLock, mmapReadUnlock } from "../kernel/mmap-lock.js";
import { setPte } from "../kernel/pte.js";
import { wakeUserfault } from "../kernel/userfaultfd.js";
import { vmaEndRead } from "../kernel/vma-lock.js";
import type { Ctx, Steps } from "../step.js";
import { ArgumentError, op } from "../step.js";
import { declareUffdMonitor, MONITOR_WAKE } from "../uffd-monitors.js";

const read = op({
  name: "read(uffd, &msg)",
  outcomes: ["copy", "wake", "exit"],
  // a monitor killed with its process runs once more, to exit; once the uffd was closed
  // (userfaultfd_release() began) it has no fd to read from or copy with
  enabled: (w, tid) =>
    w.threads[tid]?.fatal === true || (!w.uffd.released && w.uffd.waiting.some((x) => !x.read)),
  run: (k) => {
    if (k.t.fatal) {
      // back in user space with SIGKILL pending: do_exit(), no more answers
      k.emit({ k: "note", tid: k.tid, text: "the monitor exits (SIGKILL)" });
      k.finish();
      return "exit";
    }
    const waiting = k.w.uffd.waiting;
    const i = waiting.findIndex((x) => !x.read);
    const first = waiting[i];
    // waiter records are shared between worlds (engine/draft.ts LazyWorld): replace them
    if (first) waiting[i] = { ...first, read: true };
    k.set("addr", first ? first.addr : 0);
    return k.choose(["copy", "wake"] as const);
  },
});

const lockVma = op({
  name: "uffd_lock_vma(): dst_vma = lock_vma_under_rcu(mm, dst_start)",
  outcomes: ["locked", "fallback"],
  run: (k) => (uffdLockVmaRcu(k, k.num("addr"), "dst_vma") ? "locked" : "fallback"),
});

const lookup = op({
  name: "dst_vma = find_vma_and_prepare_anon(mm, dst_start); vma_start_read_locked(dst_vma)",
  outcomes: ["locked", "enoent"],
  run: (k) => {
    if (findVmaAndPrepareAnon(k, k.num("addr"), "dst_vma")) return "locked";
    k.set("ret", ENOENT);
    k.emit({ k: "note", tid: k.tid, text: "UFFDIO_COPY: -ENOENT (range unmapped), no wake" });
    return "enoent";
  },
});

const dstVma = (k: Ctx) => {
  const r = k.ref("dst_vma");
  return r ? k.w.vmas[r.vma] : undefined;
};

const fill = op({
  name: "mfill_atomic(dst_vma, dst_start): install the page",
  outcomes: ["ok"],
  run: (k) => {
    const addr = k.num("addr");
    const v = dstVma(k);
    k.set("copied", false);
    if (!v?.flags.uffdMissing) {
      // validate_dst_vma(): a VMA not registered with this uffd (one mapped in the
      // range's place; the release cannot run during the copy, model/actors/release.ts)
      k.set("ret", ENOENT);
      k.emit({ k: "note", tid: k.tid, text: "UFFDIO_COPY: -ENOENT (not registered), no wake" });
    } else {
      // mfill_atomic_hugetlb(): huge_pte_alloc() before it looks at the entry
      if (v.flags.hugetlb) hugePteAlloc(k, v.id);
      if (k.w.ptes[addr] !== "none") return "ok";
      const pte = v.flags.write ? "rw" : "ro";
      setPte(k, addr, pte);
      k.set("ret", 0);
      k.set("copied", true);
    }
    return "ok";
  },
});

const unlockWake = op({
  name: "uffd_mfill_unlock(dst_vma); wake_userfault(ctx, range) if copied",
  outcomes: ["ok"],
  run: (k) => {
    const r = k.ref("dst_vma");
    if (r) vmaEndRead(k, r.vma, "uffd_mfill_unlock");
    k.set("dst_vma", null);
    if (k.get("copied") === true) wakeUserfault(k, "UFFDIO_COPY", k.num("addr"));
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

/** Where a killed monitor ends (it is done before it gets here). */
const exited = op({
  name: "do_exit()",
  outcomes: [],
  run: (k) => {
    k.finish();
    return undefined as never;
  },
});

/**
 * A monitor that does more before it answers with UFFDIO_COPY: `beforeCopy` holds the
 * steps it runs after read() chose to copy, from the label "before_copy", ending with a
 * jump to "copy" (an ioctl on a driver the faulting thread holds a lock of, say).
 */
export interface MonitorVariant {
  readonly id: string;
  readonly title: string;
  readonly beforeCopy: Steps;
}

/**
 * A variant's beforeCopy steps must not loop among themselves. A monitor that can spin
 * there for ever (a trylock retried, say) while the faulting thread sleeps in
 * handle_userfault() makes a run with no end and no loop of the faulting thread, which
 * uffd-fault-completes cannot see: its verdict would be a "holds" it has not earned.
 */
function loopFree(variant: MonitorVariant): void {
  const steps = variant.beforeCopy;
  const state = new Map<string, "open" | "done">();
  const visit = (label: string, path: readonly string[]): void => {
    if (!(label in steps) || state.get(label) === "done") return;
    if (state.get(label) === "open")
      throw new ArgumentError(
        `monitorActor(): the beforeCopy steps of "${variant.id}" loop (${[...path.slice(path.indexOf(label)), label].join(" -> ")}), so the monitor could spin there for ever while the faulting thread sleeps in handle_userfault(), a run uffd-fault-completes cannot judge. Fix: wait with a sleeping primitive (downWrite(), mutexLock(), a killable form) instead of retrying, or leave the loop by "idle" (back to read(), as a monitor that gives up on the message).`,
      );
    state.set(label, "open");
    const step = steps[label] as { readonly next?: string; readonly on?: Record<string, string> };
    for (const to of [step.next, ...Object.values(step.on ?? {})])
      if (to !== undefined) visit(to, [...path, label]);
    state.set(label, "done");
  };
  for (const label of Object.keys(steps)) visit(label, []);
}

/**
 * The userfaultfd monitor M, or a variant of it (its own id, counted as a monitor by
 * model/uffd-monitors.ts, so the waits-for graph, a SIGKILL to the process and
 * userfaultfd_release() treat it as the built-in one).
 */
export function monitorActor(variant?: MonitorVariant): Actor {
  if (variant) {
    loopFree(variant);
    // between read() and UFFDIO_COPY the variant is in user space or in another syscall
    declareUffdMonitor(variant.id, ["idle", ...Object.keys(variant.beforeCopy)]);
  }
  return actor({
    id: variant?.id ?? "monitor",
    lane: "M",
    disruptive: false,
    title:
      variant?.title ??
      "userfaultfd monitor (UFFDIO_COPY under the per-VMA lock or the mmap lock, UFFDIO_WAKE)",
    start: "idle",
    steps: {
      idle: {
        op: read,
        on: { copy: variant ? "before_copy" : "copy", wake: MONITOR_WAKE, exit: "exited" },
      },
      ...variant?.beforeCopy,
      copy: { op: lockVma, on: { locked: "copy_fill", fallback: "copy_lock" } },
      copy_lock: { op: mmapReadLock(), next: "copy_lookup" },
      copy_lookup: { op: lookup, on: { locked: "copy_unlock", enoent: "copy_enoent" } },
      copy_unlock: { op: mmapReadUnlock(), next: "copy_fill" },
      copy_enoent: { op: mmapReadUnlock(), next: "idle" },
      copy_fill: { op: fill, next: "copy_done" },
      copy_done: { op: unlockWake, next: "idle" },
      [MONITOR_WAKE]: { op: wake, next: "idle" },
      exited: { op: exited },
    },
  });
}
