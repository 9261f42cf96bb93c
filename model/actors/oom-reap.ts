// O: the OOM reaper (mm/oom_kill.c __oom_reap_task_mm, as it reads in the 2021-2026
// mails that quote it: "mm/mmu_notifiers: ensure range_end() is paired with
// range_start()", Mar 2021, and "mm/oom_kill: factor out zapping of VMA into
// zap_vma_for_reaping()", Feb 2026). Once the OOM killer has sent the victim SIGKILL,
// the reaper takes mmap_read_trylock (and tries again later when that fails), and for
// each anonymous or private VMA that is not hugetlb or VM_PFNMAP it calls
// mmu_notifier_invalidate_range_start_nonblock(): when a notifier cannot proceed
// without sleeping the start fails with -EAGAIN, the reaper skips the VMA ("ret =
// false; continue") and, as mm/mmu_notifier.c requires, does not call the end;
// otherwise it unmaps the range and calls mmu_notifier_invalidate_range_end().
//
// `endAfterEagain` is the mistake that rule prevents: the first fix proposed in Mar 2021
// ("mm/oom_kill: ensure MMU notifier range_end() is paired with range_start()") called
// the end after a failed start too, and was dropped in review ("end is not supposed to
// be called if the start failed").

import { type Actor, actor } from "../actor.js";
import { mmapReadTrylock, mmapReadUnlock } from "../kernel/mmap-lock.js";
import {
  type HlistSubscriber,
  invalidateEnd,
  invalidateEndHlist,
  invalidateStartNonblock,
  invalidateStartNonblockHlist,
} from "../kernel/notifier.js";
import { zapPtes } from "../kernel/vma.js";
import { op } from "../step.js";
import type { Tid, World } from "../world.js";
import { SIGNAL_ACTORS } from "./signal.js";

/**
 * The OOM killer has sent the victim (the driver's process) SIGKILL: the reaper may run,
 * and tries again after a pass that failed (oom_reap_task()'s retries), until a pass
 * succeeds and it sets MMF_OOM_SKIP. Sent: a driver has it pending, or the signal actor
 * is done (a driver that runs from a kernel worker is not killed, but the process whose
 * mm it works on is, and the reaper reaps that mm all the same).
 */
const victimKilled = (w: World, _tid: Tid) =>
  w.mm.oomSkip !== true &&
  w.threads.some(
    (t) =>
      (t.role === "driver" && t.fatal) ||
      (SIGNAL_ACTORS.includes(t.program) && t.status.kind === "done"),
  );

const trylock = op({
  name: "oom_reap_task_mm(): mmap_read_trylock(mm)",
  outcomes: ["ok", "busy"],
  run: (k) => (mmapReadTrylock(k) ? "ok" : "busy"),
});

/**
 * __oom_reap_task_mm: MMF_UNSTABLE first (faults on private pages get VM_FAULT_SIGBUS from
 * then on, model/kernel/fault.ts), then the first VMA it reaps: live, not hugetlb,
 * anonymous or private.
 */
const pickVma = op({
  name: "set_bit(MMF_UNSTABLE, &mm->flags); for_each_vma(vmi, vma): skip VM_HUGETLB|VM_PFNMAP, keep anonymous or private",
  outcomes: ["vma", "none"],
  run: (k) => {
    k.w.mm.unstable = true;
    const v = k.w.vmas.find((x) => x.state === "live" && !x.flags.hugetlb && !x.flags.shared);
    if (!v) return "none";
    k.set("target", v.id);
    return "vma";
  },
});

const start = op({
  name: "mmu_notifier_invalidate_range_start_nonblock(&range)",
  outcomes: ["ok", "eagain"],
  run: (k) => (invalidateStartNonblock(k) ? "ok" : "eagain"),
});

const unmap = op({
  name: "unmap_page_range(&tlb, vma, range.start, range.end, NULL)",
  outcomes: ["ok"],
  run: (k) => {
    zapPtes(k, k.num("target"));
    return "ok";
  },
});

const oomSkip = op({
  name: "oom_reap_task(): set_bit(MMF_OOM_SKIP, &mm->flags)",
  outcomes: ["ok"],
  run: (k) => {
    k.w.mm.oomSkip = true;
    return "ok";
  },
});

const end = op({
  name: "mmu_notifier_invalidate_range_end(&range)",
  outcomes: ["ok"],
  run: (k) => {
    invalidateEnd(k);
    return "ok";
  },
});

/**
 * The reaper on an mm with hlist subscribers beside the interval subscription
 * (`subscribers`, in list order): its start and end go through every subscriber
 * (invalidateStartNonblockHlist / invalidateEndHlist). `backOut: false` is the notifier
 * core before c2655835fd8c, which returned -EAGAIN without ending the subscribers whose
 * start had succeeded.
 */
export interface OomReapOptions {
  readonly endAfterEagain?: boolean;
  readonly subscribers?: readonly HlistSubscriber[];
  readonly backOut?: boolean;
}

export function oomReapActor(o: OomReapOptions = {}): Actor {
  const subs = o.subscribers;
  const backOut = o.backOut ?? true;
  const hlistStart = subs
    ? op({
        name: start.name,
        outcomes: ["ok", "eagain"],
        run: (k) => (invalidateStartNonblockHlist(k, subs, { backOut }) ? "ok" : "eagain"),
      })
    : start;
  const hlistEnd = subs
    ? op({
        name: end.name,
        outcomes: ["ok"],
        run: (k) => {
          invalidateEndHlist(k, subs);
          return "ok";
        },
      })
    : end;
  const id = `oom-reap${subs ? "-hlist" : ""}${subs && !backOut ? "-no-backout" : ""}${o.endAfterEagain ? "-end-after-eagain" : ""}`;
  return actor({
    id,
    lane: "O",
    disruptive: true,
    ...(o.endAfterEagain
      ? {
          mutant:
            "it calls mmu_notifier_invalidate_range_end() after a non-blocking start that failed with -EAGAIN, which __oom_reap_task_mm() does not",
        }
      : subs && !backOut
        ? {
            mutant:
              "its notifier core is the one before c2655835fd8c, which does not back out the subscribers whose start succeeded when a later one fails",
          }
        : {}),
    title: o.endAfterEagain
      ? "the OOM reaper, mutated to call invalidate_range_end after a failed non-blocking start"
      : subs && !backOut
        ? "the OOM reaper on an mm with hlist notifier subscribers, with the notifier core before c2655835fd8c (no back-out of the subscribers whose start succeeded)"
        : subs
          ? "the OOM reaper (__oom_reap_task_mm) on an mm with hlist notifier subscribers beside the interval subscription"
          : "the OOM reaper (__oom_reap_task_mm): non-blocking invalidations of the victim's mm",
    start: "idle",
    guard: victimKilled,
    steps: {
      idle: { op: trylock, on: { ok: "vma", busy: "idle" } },
      vma: { op: pickVma, on: { vma: "start", none: "reaped" } },
      start: {
        op: hlistStart,
        on: { ok: "unmap", eagain: o.endAfterEagain ? "end_failed" : "unlock" },
      },
      unmap: { op: unmap, next: "end" },
      end: { op: hlistEnd, next: "reaped" },
      // (the mutant's end after a failed start: the pass still failed)
      end_failed: { op: hlistEnd, next: "unlock" },
      // a failed pass: mmap_read_unlock, and oom_reap_task() tries again
      unlock: { op: mmapReadUnlock(), next: "idle" },
      // a pass that succeeded: mmap_read_unlock, then set_bit(MMF_OOM_SKIP)
      reaped: { op: mmapReadUnlock(), next: "skip" },
      skip: { op: oomSkip, next: "idle" },
    },
  });
}
