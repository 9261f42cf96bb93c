// The v8 series' timeouts (model/kernel/time.ts) and the contract of its lock drop:
//   - caller-deadline-bounds-call: once the deadline a caller set has come, the call runs
//     no retry loop that no deadline bounds (hmm_range_fault_unlocked_timeout() takes a
//     timeout of 0 as "retry for ever": the nouveau fixup v2 of Jul 14 2026);
//   - timeout-bounds-notifier-retries: the helper's own budget bounds the retries the
//     notifier causes, and a pass that dropped the lock resets it (v8 patch 2, Jul 10);
//   - cond-resched-terminates and cond-resched-terminates-rt: mshv's `cond_resched();
//     goto again` loop ends, with weak fairness for the invalidator, and without it (the
//     realtime or uniprocessor case Andrew Morton raised on patch 4, Jul 10);
//   - worker-call-ends: a call from a kernel worker, which no signal reaches, ends under
//     an endless stream of invalidations because time passes (the fixup series v2,
//     Jul 14 2026, keeps nouveau's outer deadline for that reason);
//   - retry-only-with-allow-retry: handle_mm_fault() returns RETRY or COMPLETED only when
//     ALLOW_RETRY was passed, and a caller that passed none is not the one to find out
//     the hard way (v8's hmm_do_fault() writes through a NULL `locked` on the legacy path).
import { CLOCK } from "../model/actors/clock.js";
import { EBUSY, errnoName } from "../model/errno.js";
import type { Event } from "../model/events.js";
import { misbehavingFile } from "../model/kernel/fault-flags.js";
import { timedCall } from "../model/kernel/hmm.js";
import { COND_RESCHED } from "../model/kernel/sched.js";
import { armsDeadline } from "../model/kernel/time.js";
import { hasActor, hasUffdMonitor, type Scenario } from "../model/scenarios.js";
import type { Design, Op } from "../model/step.js";
import type { Tid, World } from "../model/world.js";
import type { Property } from "./property.js";
import { liveness, safety, who } from "./property.js";

function ops(d: Design): Op[] {
  return Object.values(d.steps).map((s) => s.op);
}

/** The timed API calls a design makes, and the local or constant each passes. */
function timedCalls(d: Design) {
  return ops(d).flatMap((o) => {
    const c = timedCall(o);
    return c ? [c] : [];
  });
}

/** Does the design arm a deadline of its own, outside the APIs it calls with a timeout? */
function armsCallerDeadline(d: Design): boolean {
  const apis = new Set(timedCalls(d).map((c) => c.api));
  return ops(d).some((o) => {
    const a = armsDeadline(o);
    return a !== undefined && (a.fn === null || !apis.has(a.fn));
  });
}

/** Does it call a timed API with a budget that is not the constant 0? */
function callsWithBudget(d: Design): boolean {
  return timedCalls(d).some((c) => c.arg !== 0);
}

/** A release of the mmap lock inside a fault (handle_userfault, __folio_lock_or_retry, ...). */
function faultDrop(e: Event, tid: Tid): boolean {
  return (
    e.k === "unlock" &&
    e.tid === tid &&
    e.held &&
    e.lock.kind === "mmap" &&
    e.by !== "mmap_read_unlock" &&
    e.by !== "mmap_write_unlock"
  );
}

/** One driver's view, per driver thread, as plain data (the exhaustive search saves it). */
function perThread<T>(init: () => T) {
  let state: readonly T[] = [];
  return {
    get: (tid: Tid): T => state[tid] ?? init(),
    put: (tid: Tid, v: T) => {
      const next = state.slice();
      next[tid] = v;
      state = next;
    },
    save: () => state,
    load: (s: unknown) => {
      state = s as readonly T[];
    },
  };
}

// ---------------------------------------------------------------------------------

interface DeadlineView {
  /** deadlines this thread armed as a caller, outside a timed API */
  readonly own: readonly string[];
  /** the timed API it is in, and the timeout it passed (0: retry for ever) */
  readonly call: { readonly api: string; readonly timeout: number } | null;
}

export const callerDeadlineBoundsCall: Property = {
  id: "caller-deadline-bounds-call",
  ref: 'T1; "[PATCH v2 2/4] fixup! drm/nouveau: ..." (Jul 14 2026)',
  statement:
    "the caller's deadline bounds the call: once a deadline the caller armed has come (time_after_eq(jiffies, deadline)), the call starts no pass of hmm_range_fault_unlocked_timeout() that no deadline bounds (a timeout of 0 retries for ever)",
  kind: "safety",
  applies: (s, d) => d.family === "hmm" && hasActor(s, CLOCK) && armsCallerDeadline(d),
  monitor: () => {
    const view = perThread<DeadlineView>(() => ({ own: [], call: null }));
    return {
      save: view.save,
      load: view.load,
      step: ({ after, rec }) => {
        for (const e of rec.events) {
          if (e.k === "deadline" && e.tid === e.owner) {
            const v = view.get(e.tid);
            if (e.fn !== v.call?.api && !v.own.includes(e.key))
              view.put(e.tid, { ...v, own: [...v.own, e.key] });
          } else if (e.k === "api-call" && e.timeout !== undefined)
            view.put(e.tid, { ...view.get(e.tid), call: { api: e.api, timeout: e.timeout } });
          else if (e.k === "api-return" && view.get(e.tid).call?.api === e.api)
            view.put(e.tid, { ...view.get(e.tid), call: null });
          else if (e.k === "read-begin") {
            const v = view.get(e.tid);
            if (v.call === null || v.call.timeout !== 0) continue;
            const come = v.own.find((key) => after.deadlines[key]?.state !== "pending");
            if (come === undefined) continue;
            const d = after.deadlines[come];
            return `${who(after, e.tid)} starts a pass of ${v.call.api}() with timeout 0, "retry for ever", although its own deadline ${d?.name ?? come} has come (${d?.state}: time_after_eq(jiffies, ${d?.name ?? come}) is true): no deadline bounds the call any more, and an endless stream of invalidations keeps it retrying. The remaining budget computed from that deadline was 0; nouveau's fixup v2 (Jul 14 2026) tests time_after_eq() first so that it never is.`;
          }
        }
        return null;
      },
    };
  },
};

// ---------------------------------------------------------------------------------

interface BudgetView {
  /** the timed call in progress (its API and timeout), or none */
  readonly api: string | null;
  readonly timeout: number;
  /** the key of the API's deadline, once armed */
  readonly key: string | null;
  /** a pass has begun in this call */
  readonly passed: boolean;
  /** the lock was dropped by a fault since the last pass began */
  readonly dropInPass: boolean;
  /** a drop since the deadline was last armed */
  readonly dropSinceArm: boolean;
  /** passes begun since the API's deadline passed, without a re-arm */
  readonly passesAfterExpiry: number | null;
}

const idle: BudgetView = {
  api: null,
  timeout: 0,
  key: null,
  passed: false,
  dropInPass: false,
  dropSinceArm: false,
  passesAfterExpiry: null,
};

export const timeoutBoundsNotifierRetries: Property = {
  id: "timeout-bounds-notifier-retries",
  ref: 'T2; "[PATCH v8 2/8] mm/hmm: add hmm_range_fault_unlocked_timeout() ..." (Jul 10 2026)',
  statement:
    "the timeout bounds only the retries the notifier causes, and a pass that dropped the lock resets it: the helper arms its deadline on its first pass and again only after a pass whose fault dropped the mmap lock, begins no second pass once that deadline has passed, and never gives up with -EBUSY on a deadline armed before the last drop",
  kind: "safety",
  applies: (s, d) => d.family === "hmm" && hasActor(s, CLOCK) && callsWithBudget(d),
  monitor: () => {
    const view = perThread<BudgetView>(() => idle);
    return {
      save: view.save,
      load: view.load,
      step: ({ after, rec }) => {
        for (const e of rec.events) {
          if (e.k === "api-call" && e.timeout !== undefined) {
            view.put(e.tid, { ...idle, api: e.api, timeout: e.timeout });
            continue;
          }
          const tid = e.k === "deadline" ? e.owner : e.tid;
          const v = view.get(tid);
          if (v.api === null || v.timeout === 0) continue;
          const name = who(after, tid);
          if (e.k === "deadline" && e.tid === e.owner && e.fn === v.api) {
            if (v.passed && !v.dropInPass)
              return `${name}: ${v.api}() re-armed its deadline after a pass that kept the mmap lock (an -EBUSY from the notifier): under a stream of invalidations the budget never runs out. Only the first pass and a pass whose fault dropped the lock may restart it (v8 patch 2: "Ordinary -EBUSY retries keep the existing deadline").`;
            view.put(tid, {
              ...v,
              key: e.key,
              dropSinceArm: false,
              passesAfterExpiry: e.state === "passed" ? 0 : null,
            });
          } else if (e.k === "deadline" && e.key === v.key && e.state === "passed")
            view.put(tid, { ...v, passesAfterExpiry: 0 });
          else if (faultDrop(e, tid)) view.put(tid, { ...v, dropInPass: true, dropSinceArm: true });
          else if (e.k === "read-begin") {
            const n = v.passesAfterExpiry === null ? null : v.passesAfterExpiry + 1;
            if (n !== null && n > 1)
              return `${name}: ${v.api}() began a second pass after its deadline had passed, with no lock drop since it was armed: the timeout does not bound the notifier's retries.`;
            view.put(tid, { ...v, passed: true, dropInPass: false, passesAfterExpiry: n });
          } else if (e.k === "api-return" && e.api === v.api) {
            if (e.ret === EBUSY && v.dropSinceArm)
              return `${name}: ${v.api}() returned ${errnoName(e.ret)} on a deadline armed before the last pass dropped the mmap lock: a pass that dropped the lock made progress and must restart the budget.`;
            view.put(tid, idle);
          }
        }
        return null;
      },
    };
  },
};

// ---------------------------------------------------------------------------------

const condReschedLoop = (s: Scenario, d: Design) =>
  d.family === "hmm" && hasActor(s, "invalidate") && ops(d).some((o) => o.name === COND_RESCHED);

const notReturned = (w: World) =>
  w.threads.some((t) => t.role === "driver" && t.status.kind !== "done");

/**
 * A driver's fault dropped the mmap lock in this step (its last release changed, and not
 * by its own mmap_read_unlock). A loop through such a step is the fault path's own
 * (uffd-fault-completes, no-retry-livelock; v8 itself counts a drop as "a lock-dropping
 * fault handler made progress"), not the notifier loop around cond_resched().
 */
function faultDropped(before: World, after: World): boolean {
  return after.threads.some((t) => {
    if (t.role !== "driver") return false;
    const d = after.ghost.lastDrop[t.id];
    return (
      d != null &&
      d !== before.ghost.lastDrop[t.id] &&
      d.what !== "mmap_read_unlock" &&
      d.what !== "mmap_write_unlock"
    );
  });
}

export const condReschedTerminates: Property = liveness({
  id: "cond-resched-terminates",
  ref: 'T3; "Re: [PATCH v8 4/8] mshv: ..." (Andrew Morton, Jul 10 2026)',
  statement:
    "the cond_resched() loop terminates, with weak fairness for the invalidator: no loop of notifier retries (no fault in it drops the lock) in which T never returns while every thread in the middle of an operation, the invalidator included, runs or waits somewhere in it",
  applies: condReschedLoop,
  inLoop: notReturned,
  progress: faultDropped,
  describe: (prefix, loop) =>
    `lasso: after ${prefix} steps T enters a loop of ${loop} steps that comes back to the same state (steps ${prefix + 1}-${prefix + loop} repeat forever) and never returns, although the invalidator gets its turns (weak fairness).`,
});

export const condReschedTerminatesRt: Property = liveness({
  id: "cond-resched-terminates-rt",
  ref: 'T3; "Re: [PATCH v8 4/8] mshv: ..." (Andrew Morton, Jul 10 2026)',
  statement:
    "the cond_resched() loop terminates for a realtime caller on one CPU (or pinned with the invalidator): no loop of notifier retries (no fault in it drops the lock) in which T never returns, even one in which an invalidator in the middle of its operation never runs again, since cond_resched() does not yield to it",
  applies: condReschedLoop,
  inLoop: notReturned,
  progress: faultDropped,
  // the invalidators: reclaim's rmap unmap, and madvise(MADV_DONTNEED) where the
  // invalidation storms run it
  notFairTo: ["invalidate", "madvise"],
  describe: (prefix, loop) =>
    `lasso: after ${prefix} steps T enters a loop of ${loop} steps that comes back to the same state (steps ${prefix + 1}-${prefix + loop} repeat forever) and never returns; realtime or uniprocessor: the invalidator need not run in it, as cond_resched() does not yield to a lower-priority task.`,
});

// ---------------------------------------------------------------------------------

/**
 * A call from a kernel worker, on a scenario with invalidations and time. No signal
 * reaches a worker, so the helper's fatal-signal check never ends its loop there: only a
 * deadline that time makes pass does, or invalidations that stop coming. Code called
 * from a task as well (`runsFrom: "either"`) is judged so where no signal is sent.
 */
const workerUnderInvalidations = (s: Scenario, d: Design) =>
  fromWorker(s, d) && hasActor(s, "invalidate") && hasActor(s, CLOCK);

/**
 * An HMM call from a kernel worker, which no signal reaches: a worker's own, or code
 * called from a task as well (`runsFrom: "either"`) where the scenario sends no signal.
 */
function fromWorker(s: Scenario, d: Design): boolean {
  return (
    d.family === "hmm" &&
    (d.runsFrom === "worker" ||
      (d.runsFrom === "either" && !hasActor(s, "signal") && !hasActor(s, "signal-process")))
  );
}

export const workerCallEnds: Property = liveness({
  id: "worker-call-ends",
  ref: 'T5; "[PATCH v2 0/4] mm/hmm: Clarify notifier retry state and scope HMM timeouts" (Jul 14 2026), on nouveau\'s outer deadline',
  statement:
    "a call from a kernel worker, which no signal reaches, ends even under an endless stream of invalidations, because time passes: no loop of notifier retries (no fault in it drops the lock) in which T never returns while the clock and the invalidator get their turns",
  applies: workerUnderInvalidations,
  inLoop: notReturned,
  progress: faultDropped,
  // fair to the clock is fair to every deadline (engine/lasso.ts): a deadline armed
  // before the loop and still to come is moved on in it, so a loop can only come back
  // to the same state once it has passed, as jiffies would make it pass in the kernel
  fairTo: [CLOCK],
  describe: (prefix, loop) =>
    `lasso: after ${prefix} steps T enters a loop of ${loop} steps that comes back to the same state (steps ${prefix + 1}-${prefix + loop} repeat forever) and never returns, although time passes (the clock gets its turns) and no signal can reach a worker: as long as the invalidations keep coming, T keeps retrying.`,
});

// ---------------------------------------------------------------------------------

/**
 * A call from a kernel worker, on a userfaultfd range whose monitor never answers.
 * handle_userfault() (fs/userfaultfd.c, v7.0) sleeps in schedule() with no timeout until
 * the monitor wakes the fault (UFFDIO_COPY, UFFDIO_WAKE) or the uffd is released; a
 * worker gets no signal, and a deadline is tested only between passes of the helper, so
 * nothing the kernel does ends that sleep.
 */
const workerOnSilentMonitor = (s: Scenario, d: Design) =>
  fromWorker(s, d) && s.vmas.some((v) => v.uffdMissing) && !hasUffdMonitor(s);

export const workerUffdWaitEnds: Property = safety({
  id: "worker-uffd-wait-ends",
  ref: 'T6; "[PATCH v2 0/4] mm/hmm: Clarify notifier retry state and scope HMM timeouts" (Jul 14 2026): a GPU fault worker, which userspace fatal signals cannot reach; handle_userfault() in fs/userfaultfd.c (v7.0)',
  statement:
    "a call from a kernel worker does not sleep for ever in handle_userfault(): no run ends with T asleep there while the monitor never answers (no signal reaches a worker, and no deadline wakes the sleep: the helper tests one only between its passes)",
  applies: workerOnSilentMonitor,
  check: () => null,
  atEnd: ({ world }) => {
    const t = world.threads.find(
      (x) => x.role === "driver" && x.status.kind === "blocked" && x.status.on.kind === "uffd",
    );
    return t
      ? `${t.name} sleeps in handle_userfault() for ever: the monitor never answers, no signal reaches a kernel worker, and ${Object.values(world.deadlines).some((dl) => dl.owner === t.id) ? "the deadline it armed does not wake it (the helper tests one only between its passes; time passing changes nothing here)" : "no deadline bounds the call"}.`
      : null;
  },
});

// ---------------------------------------------------------------------------------

export const retryOnlyWithAllowRetry: Property = {
  id: "retry-only-with-allow-retry",
  ref: "T4; sashiko-bot on v6 (Jul 6 2026), v8 patch 2 (Jul 10 2026)",
  statement:
    "RETRY or COMPLETED only when ALLOW_RETRY was passed: where a fault handler breaks that contract of handle_mm_fault(), a caller that passed no FAULT_FLAG_ALLOW_RETRY does not act on the RETRY as a lock drop (v8's hmm_do_fault() writes *hmm_vma_walk->locked = false unconditionally, and locked is NULL on the legacy hmm_range_fault() path)",
  kind: "safety",
  applies: (s, d) => d.family === "hmm" && s.vmas.some((v) => misbehavingFile(v.file)),
  monitor: () => {
    // per driver: the step of the last RETRY/COMPLETED without ALLOW_RETRY (`at`: a
    // time stamp, which the exhaustive search's state leaves out)
    const view = perThread<{ readonly at: number } | null>(() => null);
    return {
      save: view.save,
      load: view.load,
      step: ({ after, rec, index }) => {
        for (const e of rec.events) {
          if (
            e.k === "fault" &&
            (e.result === "VM_FAULT_RETRY" || e.result === "VM_FAULT_COMPLETED") &&
            !e.flags.includes("ALLOW_RETRY")
          )
            view.put(e.tid, { at: index + 1 });
          if (e.k === "null-deref") {
            const at = view.get(e.tid)?.at ?? null;
            return `${who(after, e.tid)} wrote through a NULL pointer (${e.what})${
              at === null
                ? ""
                : ` after handle_mm_fault() returned VM_FAULT_RETRY to a fault without FAULT_FLAG_ALLOW_RETRY at step ${at} (a handler breaking the contract)`
            }: the kernel oopses. v8's hmm_do_fault() sets *hmm_vma_walk->locked = false on every RETRY or COMPLETED, and hmm_range_fault() passes locked = NULL.`;
          }
        }
        return null;
      },
    };
  },
};
