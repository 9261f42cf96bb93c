// S: a fatal signal (SIGKILL). It sets fatal_signal_pending() and wakes the target from a
// killable sleep: a uffd wait in TASK_KILLABLE/INTERRUPTIBLE returns RETRY, a killable
// rwsem wait returns -EINTR, and a killable folio wait (folio_wait_locked_killable,
// __folio_lock_killable) returns -EINTR (signal_pending_state() in
// folio_wait_bit_common, mm/filemap.c).
//
// Two variants. `signalActor()` kills the driver's process, in which the uffd monitor is
// not (a monitor in another process, as a uffd can be handed over). With several driver
// threads it kills them all: they are threads of one process, and SIGKILL to any thread
// of a group (tgkill included) is fatal to the whole group: complete_signal() in
// kernel/signal.c (read at v6.12) sets SIGNAL_GROUP_EXIT and SIGKILL pending on every
// thread and wakes each (signal_wake_up(t, 1)). `signalActor("process")`
// sends it to the whole process (kill(pid, SIGKILL)): complete_signal() in
// kernel/signal.c sets SIGKILL on every thread of the group and wakes each, so the uffd
// monitor, a thread of the same process, dies too. It dies when it returns to user
// space: an ioctl it is in the middle of completes first, and then it never reads
// another message. The uffd file stays open while any thread still holds the files
// (the driver thread, in the kernel), so userfaultfd_release() does not run, and a
// fault that sleeps uninterruptibly in handle_userfault() then waits for ever. The
// other actors (munmap, invalidation) stand for other processes or for work already
// under way, and finish it.

import { type Actor, actor } from "../actor.js";
import { folioLeaveQueues } from "../kernel/folio.js";
import { leaveLockQueue } from "../kernel/locks.js";
import { rwsemOf } from "../lock-table.js";
import * as rwsem from "../rwsem.js";
import type { Ctx } from "../step.js";
import { op } from "../step.js";
import { isUffdMonitor } from "../uffd-monitors.js";
import type { Draft, Thread } from "../world.js";

/** The ids of the signal actors: they send SIGKILL, which no kernel worker takes. */
export const SIGNAL_ACTORS: readonly string[] = ["signal", "signal-process"];

function killDriver(k: Ctx, t: Draft<Thread>): void {
  // a driver that runs from a kernel worker (nouveau's, xe's and mlx5's fault work) is
  // no thread of the process, and a kworker takes no signal: kthreadd() calls
  // ignore_signals() (kernel/kthread.c, v7.0), which sets every handler to SIG_IGN for
  // the threads it creates, and kernel/workqueue.c never allow_signal()s one, so
  // fatal_signal_pending() stays false there
  if (t.fromWorker) return;
  t.fatal = true;
  k.emit({ k: "signal", tid: k.tid, target: t.id });
  endKillableSleep(k, t);
}

/** signal_wake_up(t, 1): a fatal signal ends the killable sleep `t` may be in. */
function endKillableSleep(k: Ctx, t: Draft<Thread>): void {
  const s = t.status;
  if (s.kind !== "blocked") return;
  if (s.on.kind === "uffd" && s.on.killable) {
    k.w.uffd.waiting = k.w.uffd.waiting.filter((x) => x.tid !== t.id);
    k.wake([t.id], "fatal signal");
  } else if (s.on.kind === "folio" && s.on.killable) {
    folioLeaveQueues(k.w, t.id);
    k.wake([t.id], "fatal signal");
  } else if (s.on.kind === "rwsem" && s.on.killable && s.resumeOnSignal !== null) {
    const sem = rwsemOf(k.w, s.on.lock);
    if (sem) k.wake(rwsem.cancelWait(sem, t.id), "rwsem waiter left");
    resumeOnSignal(k, t, s.resumeOnSignal);
  } else if (s.on.kind === "lock" && s.on.killable && s.resumeOnSignal !== null) {
    // down_write_killable(), mutex_lock_killable() and the like on a declared lock
    leaveLockQueue(k, s.on.name, t.id);
    resumeOnSignal(k, t, s.resumeOnSignal);
  }
}

/** The killable sleep returns -EINTR: the thread goes on at the step's "eintr" label. */
function resumeOnSignal(k: Ctx, t: Draft<Thread>, pc: string): void {
  t.pc = pc;
  t.status = { kind: "runnable" };
  k.emit({ k: "wake", tid: t.id, by: "fatal signal" });
}

const toThread = op({
  name: "kill(T, SIGKILL)",
  outcomes: [],
  run: (k) => {
    const drivers = k.w.threads.filter((x) => x.role === "driver" && !x.fromWorker);
    k.finish();
    if (drivers.length > 1)
      k.emit({
        k: "note",
        tid: k.tid,
        text: `SIGKILL takes the whole thread group: ${drivers.map((t) => t.name).join(", ")}`,
      });
    for (const t of drivers) killDriver(k, t);
    workersNotKilled(k);
    return undefined as never;
  },
});

/**
 * Say so where a driver runs from a kernel worker: the process dies (the OOM killer's
 * victim, whose mm the reaper may then reap), the worker does not.
 */
function workersNotKilled(k: Ctx): void {
  const workers = k.w.threads.filter((x) => x.role === "driver" && x.fromWorker);
  if (workers.length > 0)
    k.emit({
      k: "note",
      tid: k.tid,
      text: `${workers.map((t) => t.name).join(", ")} ${workers.length === 1 ? "runs" : "run"} from a kernel worker, which takes no signal: the process dies, the worker goes on`,
    });
}

const toProcess = op({
  name: "kill(pid, SIGKILL): every thread of the process",
  outcomes: [],
  run: (k) => {
    k.finish();
    for (const t of k.w.threads) {
      if (t.role === "driver") killDriver(k, t);
      else if (isUffdMonitor(t.program) && t.status.kind !== "done") {
        // the monitor dies on its way back to user space (monitorActor checks); a
        // variant asleep in a killable wait before its UFFDIO_COPY is woken from it
        t.fatal = true;
        k.emit({ k: "signal", tid: k.tid, target: t.id });
        endKillableSleep(k, t);
      }
    }
    workersNotKilled(k);
    return undefined as never;
  },
});

export function signalActor(target: "thread" | "process" = "thread"): Actor {
  return target === "thread"
    ? actor({
        id: "signal",
        lane: "S",
        disruptive: true,
        title: "fatal signal to the driver's process: every driver thread, not the uffd monitor",
        start: "send",
        steps: { send: { op: toThread } },
      })
    : actor({
        id: "signal-process",
        lane: "S",
        disruptive: true,
        title: "fatal signal to the whole process: the driver threads and the uffd monitor",
        start: "send",
        steps: { send: { op: toProcess } },
      });
}
