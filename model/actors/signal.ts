// S: a fatal signal (SIGKILL) sent to the driver thread. It sets
// fatal_signal_pending() and wakes the thread from a killable sleep: a uffd wait in
// TASK_KILLABLE/INTERRUPTIBLE returns RETRY, a killable rwsem wait returns -EINTR, and
// a killable folio wait (folio_wait_locked_killable, __folio_lock_killable) returns
// -EINTR (signal_pending_state() in folio_wait_bit_common, mm/filemap.c).

import { type Actor, actor } from "../actor.js";
import { folioLeaveQueues } from "../kernel/folio.js";
import * as rwsem from "../rwsem.js";
import { op } from "../step.js";

const send = op({
  name: "kill(T, SIGKILL)",
  outcomes: [],
  run: (k) => {
    const t = k.w.threads.find((x) => x.role === "driver");
    k.finish();
    if (!t) return undefined as never;
    t.fatal = true;
    k.emit({ k: "signal", tid: k.tid, target: t.id });
    const s = t.status;
    if (s.kind !== "blocked") return undefined as never;
    if (s.on.kind === "uffd" && s.on.killable) {
      k.w.uffd.waiting = k.w.uffd.waiting.filter((x) => x.tid !== t.id);
      k.wake([t.id], "fatal signal");
    } else if (s.on.kind === "folio" && s.on.killable) {
      folioLeaveQueues(k.w, t.id);
      k.wake([t.id], "fatal signal");
    } else if (s.on.kind === "rwsem" && s.on.killable && s.resumeOnSignal !== null) {
      const l = s.on.lock;
      const sem =
        l.kind === "mmap"
          ? k.w.mmapLock
          : l.kind === "named"
            ? undefined
            : k.w.vmas[l.vma]?.hugetlbLock;
      if (sem) k.wake(rwsem.cancelWait(sem, t.id), "rwsem waiter left");
      t.pc = s.resumeOnSignal;
      t.status = { kind: "runnable" };
      k.emit({ k: "wake", tid: t.id, by: "fatal signal" });
    }
    return undefined as never;
  },
});

export function signalActor(): Actor {
  return actor({
    id: "signal",
    lane: "S",
    disruptive: true,
    title: "fatal signal to the driver thread",
    start: "send",
    steps: { send: { op: send } },
  });
}
