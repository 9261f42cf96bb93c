// The wait-for graph of a world: who each blocked thread waits for (rwsem holders and
// the waiters the grant serves before it, writer fairness included; the mutex owner;
// the uffd monitor; the threads inside an invalidation window; VMA readers; the folio
// owner; the holders of the locks a scenario declares).
// A cycle of blocked threads is a deadlock (S9, L8).
import { lockState } from "./lock-table.js";
import { isUffdMonitor } from "./uffd-monitors.js";
import type { BlockedOn, LockName, LockState, Rwsem, Tid, World } from "./world.js";
import { lockLabel } from "./world.js";

export interface WaitEdge {
  readonly from: Tid;
  readonly to: Tid;
  readonly why: string;
}

/**
 * Who a thread queued on `sem` waits for, as rwsem_mark_wake() (kernel/locking/rwsem.c,
 * 5.8 and 6.18; model/rwsem.ts) grants: a writer at the head alone, or, with a reader at
 * the head, every queued reader at once while the writers stay queued in order.
 * - Both wait for a writer holding the lock.
 * - A queued writer waits for every reader holding it and every waiter queued ahead of
 *   it; and when a reader is queued ahead of it, also for the readers queued behind it,
 *   which that reader's grant wakes with it.
 * - A queued reader waits only for the writers queued ahead of the first queued reader
 *   (each is granted before the readers are); not for the readers holding the lock (a
 *   queued reader is behind a writer then, which waits for them) nor for writers
 *   queued between the first queued reader and itself.
 */
function rwsemEdges(sem: Rwsem, tid: Tid, label: string): WaitEdge[] {
  const out: WaitEdge[] = [];
  const me = sem.waiters.findIndex((w) => w.tid === tid);
  const mode = sem.waiters[me]?.mode ?? "write";
  if (sem.writer !== null && sem.writer !== tid)
    out.push({ from: tid, to: sem.writer, why: `${label} held for write` });
  const firstReader = sem.waiters.findIndex((w) => w.mode === "read");
  if (mode === "write") {
    for (const r of sem.readers)
      if (r !== tid) out.push({ from: tid, to: r, why: `${label} held for read` });
    for (const w of sem.waiters.slice(0, Math.max(0, me)))
      out.push({ from: tid, to: w.tid, why: `${label}, queued behind its ${w.mode} waiter` });
    if (firstReader >= 0 && firstReader < me)
      for (const w of sem.waiters.slice(me + 1))
        if (w.mode === "read")
          out.push({
            from: tid,
            to: w.tid,
            why: `${label}, a reader queued behind it but woken first`,
          });
    return out;
  }
  for (const w of sem.waiters.slice(0, Math.max(0, Math.min(me, firstReader))))
    out.push({ from: tid, to: w.tid, why: `${label}, queued behind its write waiter` });
  return out;
}

/**
 * Who a thread blocked on the lock `label` (in `l`, any generic kind) waits for: an
 * rwsem's holders and the waiters its grant serves first; a seqcount's writer; a
 * vma-lock's readers (vma_start_write and vma_mark_detached wait for them); a mutex's or
 * spinlock's owner and the waiters queued ahead of it (FIFO hand-off).
 */
function lockEdges(l: LockState, tid: Tid, label: string): WaitEdge[] {
  switch (l.kind) {
    case "rwsem":
      return rwsemEdges(l, tid, label);
    case "seqcount":
      return l.writer !== null
        ? [{ from: tid, to: l.writer, why: `${label}'s write section to end` }]
        : [];
    case "refcount":
    case "rcu":
      // nobody waits on a refcount or for RCU readers here (a grace period is an actor's)
      return [];
    case "vma-lock":
      return l.readers
        .filter((t) => t !== tid)
        .map((t) => ({ from: tid, to: t, why: `${label}'s VMA read lock` }));
    case "mutex":
    case "spinlock": {
      const ahead = l.waiters.slice(0, Math.max(0, l.waiters.indexOf(tid)));
      return [
        // a thread that takes a mutex or spinlock it holds waits for itself
        ...(l.owner !== null
          ? [
              {
                from: tid,
                to: l.owner,
                why: l.owner === tid ? `${label}, which it holds itself` : `${label} held`,
              },
            ]
          : []),
        ...ahead.map((t) => ({ from: tid, to: t, why: `${label}, queued behind it` })),
      ];
    }
  }
}

function edgesOfLock(w: World, tid: Tid, ref: LockName): WaitEdge[] {
  const l = lockState(w, ref);
  return l ? lockEdges(l, tid, lockLabel(ref)) : [];
}

function edgesOf(w: World, tid: Tid, on: BlockedOn): WaitEdge[] {
  switch (on.kind) {
    case "rwsem":
      return edgesOfLock(w, tid, on.lock);
    case "mutex":
      return edgesOfLock(w, tid, { kind: "user" });
    case "lock":
      return edgesOfLock(w, tid, { kind: "named", name: on.name });
    case "uffd":
      return w.threads
        .filter((t) => isUffdMonitor(t.program))
        .map((t) => ({ from: tid, to: t.id, why: "the uffd monitor to resolve its fault" }));
    case "read_begin":
      return w.notifier.invalidators.map((t) => ({
        from: tid,
        to: t,
        why: "the invalidation to end (mmu_interval_read_begin)",
      }));
    case "vma-readers":
      return (w.vmas[on.vma]?.readers ?? [])
        .filter((t) => t !== tid)
        .map((t) => ({ from: tid, to: t, why: `vma#${on.vma}'s VMA read lock` }));
    case "folio": {
      const owner = w.folioLock[on.page];
      // the exclusive waiters queued ahead are handed the lock first (model/kernel/folio.ts)
      const queue = w.folioWaiters[on.page] ?? [];
      const me = queue.findIndex((x) => x.tid === tid);
      const ahead = queue.slice(0, Math.max(me, 0)).filter((x) => x.exclusive && x.tid !== tid);
      return [
        ...(owner === null || owner === undefined || owner === tid
          ? []
          : [{ from: tid, to: owner, why: `the folio lock of page ${on.page}` }]),
        ...ahead.map((x) => ({
          from: tid,
          to: x.tid,
          why: `the folio lock of page ${on.page}, queued behind it`,
        })),
      ];
    }
  }
}

export function waitEdges(w: World): WaitEdge[] {
  return w.threads.flatMap((t) =>
    t.status.kind === "blocked" ? edgesOf(w, t.id, t.status.on) : [],
  );
}

/** A cycle of blocked threads, as the edges along it, or null. */
export function deadlockCycle(w: World): WaitEdge[] | null {
  const edges = waitEdges(w);
  const blocked = (t: Tid) => w.threads[t]?.status.kind === "blocked";
  const out = new Map<Tid, WaitEdge[]>();
  for (const e of edges) if (blocked(e.to)) out.set(e.from, [...(out.get(e.from) ?? []), e]);
  const state = new Map<Tid, 1 | 2>();
  const path: WaitEdge[] = [];
  const visit = (t: Tid): WaitEdge[] | null => {
    state.set(t, 1);
    for (const e of out.get(t) ?? []) {
      if (state.get(e.to) === 1) {
        const i = path.findIndex((p) => p.from === e.to);
        return [...path.slice(i), e];
      }
      if (!state.has(e.to)) {
        path.push(e);
        const c = visit(e.to);
        if (c) return c;
        path.pop();
      }
    }
    state.set(t, 2);
    return null;
  };
  for (const t of w.threads)
    if (blocked(t.id) && !state.has(t.id)) {
      const c = visit(t.id);
      if (c) return c;
    }
  return null;
}
