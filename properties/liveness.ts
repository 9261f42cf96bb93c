// Liveness: L3 fatal signals end retry loops (a lasso, engine/lasso.ts, and a
// bound on driver steps in the fair completion for loops that never repeat a state),
// L4 no loop of RETRYs without progress (a lasso too), and S9/L8 no cycle of waiters.
import { hasActor } from "../model/scenarios.js";
import { isUffdMonitor, MONITOR_WAKE } from "../model/uffd-monitors.js";
import { deadlockCycle } from "../model/waitfor.js";
import type { BlockedOn, World } from "../model/world.js";
import { lockLabel, presentPte, swapPte } from "../model/world.js";
import type { Property } from "./property.js";
import { who } from "./property.js";

/** Driver steps a loop may take, once a fatal signal is pending and nothing else disturbs it. */
export const SIGNAL_STEP_BOUND = 40;

export const fatalSignalEndsLoop: Property = {
  id: "fatal-signal-ends-loop",
  ref: "L3",
  statement:
    "a fatal signal ends the retry loop: once it is pending, the call returns within a bounded number of steps",
  kind: "liveness",
  // no signal reaches a design that runs from a kernel worker (model/actors/signal.ts)
  applies: (s, d) =>
    (hasActor(s, "signal") || hasActor(s, "signal-process")) && d.runsFrom !== "worker",
  // a loop in which the driver keeps stepping with the signal pending, whatever else runs
  lasso: {
    // some driver with the signal pending has not returned (SIGKILL takes every driver)
    inLoop: (w) =>
      w.threads.some((t) => t.role === "driver" && t.fatal && t.status.kind !== "done"),
    weaklyFair: [],
    describe: (prefix, loop) =>
      `lasso: after ${prefix} steps T, with a fatal signal pending, enters a loop of ${loop} steps that comes back to the same state (steps ${prefix + 1}-${prefix + loop} repeat forever) and never returns (the loop does not check fatal_signal_pending(), or re-takes the lock without a killable variant).`,
  },
  monitor: () => {
    // per driver thread (its id): the steps it took in the completion with the signal
    // pending since a page of its range last became present. A call that still brings its
    // pages in is on its way out (a file fault that completes, VM_FAULT_COMPLETED, takes
    // some 20 steps a page); one that takes SIGNAL_STEP_BOUND steps without is not.
    let steps: readonly number[] = [];
    return {
      // one driver: a number, as before there could be several
      save: () => (steps.length <= 1 ? (steps[0] ?? 0) : steps),
      load: (s) => {
        steps = Array.isArray(s) ? (s as number[]) : [s as number];
      },
      step: ({ before, after, rec, phase }) => {
        if (phase !== "completion") return null;
        // progress, whoever made it (the driver's fault, or the monitor's copy)
        for (const d of after.threads)
          if ((steps[d.id] ?? 0) > 0 && newPagePresent(before, after, d.id)) {
            const reset = steps.slice();
            reset[d.id] = 0;
            steps = reset;
          }
        const t = after.threads[rec.tid];
        if (t?.role !== "driver" || !t.fatal || t.status.kind === "done") return null;
        const next = steps.slice();
        for (let i = next.length; i < rec.tid; i++) next[i] = 0;
        const mine = (next[rec.tid] ?? 0) + 1;
        next[rec.tid] = mine;
        steps = next;
        return mine > SIGNAL_STEP_BOUND
          ? `${t.name} took ${SIGNAL_STEP_BOUND} steps in a row with a fatal signal pending, nothing else running against it and no page of its range brought in, without returning (the loop does not check fatal_signal_pending(), or re-takes the lock without a killable variant).`
          : null;
      },
      // every driver thread: SIGKILL takes the whole thread group
      end: ({ world }) => {
        const t = world.threads.find(
          (x) => x.role === "driver" && x.fatal && x.status.kind !== "done",
        );
        if (!t) return null;
        return t.status.kind === "blocked"
          ? `${t.name} never returns after the fatal signal: it sleeps ${sleepText(t.status.on)} where the signal cannot wake it.`
          : `${t.name} was still looping when the step budget ran out, with a fatal signal pending.`;
      },
    };
  },
};

/** Did a page of thread `tid`'s range ([rstart, rend), T's by default) become present in this step? */
function newPagePresent(before: World, after: World, tid = 0): boolean {
  const t = after.threads[tid];
  const lo = typeof t?.locals.rstart === "number" ? t.locals.rstart : 0;
  const hi = typeof t?.locals.rend === "number" ? t.locals.rend : after.ptes.length;
  for (let i = lo; i < hi; i++) {
    const b = before.ptes[i];
    const a = after.ptes[i];
    if ((b === "none" || swapPte(b)) && presentPte(a)) return true;
  }
  return false;
}

/**
 * Did a userfaultfd monitor answer a fault with UFFDIO_WAKE in this step, a wake without
 * a page (model/actors/monitor.ts, the step at MONITOR_WAKE)?
 */
function monitorWoke(before: World, after: World): boolean {
  return before.threads.some(
    (t, i) =>
      isUffdMonitor(t.program) && t.pc === MONITOR_WAKE && after.threads[i]?.pc !== MONITOR_WAKE,
  );
}

export const noRetryLivelock: Property = {
  id: "no-retry-livelock",
  ref: "L4",
  statement:
    "no livelock under repeated RETRY: T is never sent round a loop, fair to the folio holder, in which no page of its range becomes present and it does not return",
  kind: "liveness",
  applies: (s) => hasActor(s, "folio") || hasActor(s, "folio-contended"),
  // A loop comes back to the same state, so T has not returned in it, and a page that
  // became present in it was taken away again within it: that step is progress all the
  // same, so a loop through it does not count. A loop in which T only walks pages it
  // already has again is no progress. With a fatal signal pending the loop is
  // fatal-signal-ends-loop's (L3). A retry without FAULT_FLAG_TRIED that then gets the
  // folio is a note in the lanes (model/kernel/fault.ts), not a violation. A loop in
  // which a uffd monitor answers with UFFDIO_WAKE and no page is the monitor's, not the
  // folio's: handle_userfault() returns VM_FAULT_RETRY after any wake, and a monitor
  // that never resolves the fault sends T round without end, whatever the kernel does
  // (uffd-fault-completes leaves such runs out too); its wake counts as progress here.
  lasso: {
    inLoop: (w) =>
      w.threads.some((t) => t.role === "driver" && !t.fatal && t.status.kind !== "done"),
    progress: (before, after) => newPagePresent(before, after) || monitorWoke(before, after),
    // the unbounded holder of anon-swap-contended must take its turn too (a bounded one
    // may stay idle: its budget is "at most")
    weaklyFair: ["folio-contended"],
    describe: (prefix, loop) =>
      `lasso: after ${prefix} steps T enters a loop of ${loop} steps that comes back to the same state (steps ${prefix + 1}-${prefix + loop} repeat forever) in which no page of its range becomes present and it never returns. A first attempt (no FAULT_FLAG_TRIED) only waits for the folio to be unlocked and returns VM_FAULT_RETRY; a holder that locks it again before T faults again sends T round once more.`,
  },
  monitor: () => ({}),
};

export const noDeadlock: Property = {
  id: "no-deadlock",
  ref: "S9, L8",
  statement:
    "no deadlock: no cycle of rwsem holders and waiters, uffd sleepers and the monitor, notifier and folio waits",
  kind: "safety",
  applies: () => true,
  monitor: () => ({
    step: ({ before, after }) => {
      const newlyBlocked = after.threads.some(
        (t, i) => t.status.kind === "blocked" && before.threads[i]?.status.kind !== "blocked",
      );
      if (!newlyBlocked) return null;
      const cycle = deadlockCycle(after);
      if (!cycle) return null;
      return `deadlock: ${cycle.map((e) => `${who(after, e.from)} waits for ${who(after, e.to)} (${e.why})`).join(", ")}.`;
    },
  }),
};

/** Where a thread sleeps, for a message: the lock by its name where it has one. */
function sleepText(on: BlockedOn): string {
  switch (on.kind) {
    case "uffd":
      return "in handle_userfault";
    case "lock":
      return `on ${on.name}`;
    case "rwsem":
      return `on ${lockLabel(on.lock)}`;
    case "folio":
      return `on the folio lock of page ${on.page}`;
    case "vma-readers":
      return `until vma#${on.vma}'s readers leave`;
    case "read_begin":
      return "in mmu_interval_read_begin()";
    default:
      return `on ${on.kind}`;
  }
}
