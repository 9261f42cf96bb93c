// Liveness: L3 fatal signals end retry loops (a lasso, engine/lasso.ts, and a
// bound on driver steps in the fair completion for loops that never repeat a state),
// L4 a retry after RETRY carries FAULT_FLAG_TRIED, and S9/L8 no cycle of waiters.
import { hasActor } from "../model/scenarios.js";
import { deadlockCycle } from "../model/waitfor.js";
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
  applies: (s) => hasActor(s, "signal") || hasActor(s, "signal-process"),
  // a loop in which the driver keeps stepping with the signal pending, whatever else runs
  lasso: {
    // some driver with the signal pending has not returned (the signal goes to T, the first)
    inLoop: (w) =>
      w.threads.some((t) => t.role === "driver" && t.fatal && t.status.kind !== "done"),
    weaklyFair: [],
    describe: (prefix, loop) =>
      `lasso: after ${prefix} steps T, with a fatal signal pending, enters a loop of ${loop} steps that comes back to the same state (steps ${prefix + 1}-${prefix + loop} repeat forever) and never returns (the loop does not check fatal_signal_pending(), or re-takes the lock without a killable variant).`,
  },
  monitor: () => {
    let steps = 0;
    return {
      save: () => steps,
      load: (s) => {
        steps = s as number;
      },
      step: ({ after, rec, phase }) => {
        const t = after.threads[rec.tid];
        if (t?.role !== "driver" || !t.fatal || phase !== "completion" || t.status.kind === "done")
          return null;
        steps++;
        return steps > SIGNAL_STEP_BOUND
          ? `${t.name} took ${SIGNAL_STEP_BOUND} more steps with a fatal signal pending and nothing else running against it, without returning (the loop does not check fatal_signal_pending(), or re-takes the lock without a killable variant).`
          : null;
      },
      end: ({ world }) => {
        const t = world.threads.find((x) => x.role === "driver");
        if (!t?.fatal || t.status.kind === "done") return null;
        return t.status.kind === "blocked"
          ? `${t.name} never returns after the fatal signal: it sleeps ${
              t.status.on.kind === "uffd" ? "in handle_userfault" : `on ${t.status.on.kind}`
            } where the signal cannot wake it.`
          : `${t.name} was still looping when the step budget ran out, with a fatal signal pending.`;
      },
    };
  },
};

export const noRetryLivelock: Property = {
  id: "no-retry-livelock",
  ref: "L4",
  statement:
    "no livelock under repeated RETRY: a fault retried after a VM_FAULT_RETRY carries FAULT_FLAG_TRIED",
  kind: "liveness",
  applies: (s) => hasActor(s, "folio"),
  monitor: () => {
    // per thread and page: the step of a folio RETRY not yet followed by a TRIED attempt
    let pending = new Map<string, { at: number }>();
    // the saved form, made again only after a change (the exhaustive engine saves the
    // state after every step and encodes it again whenever it is a new object)
    let saved: [string, { at: number }][] | null = [];
    return {
      save: () => {
        saved ??= [...pending];
        return saved;
      },
      load: (s) => {
        saved = s as [string, { at: number }][];
        pending = new Map(saved);
      },
      step: ({ after, rec, index }) => {
        for (const e of rec.events) {
          if (e.k !== "fault") continue;
          const key = `${e.tid}:${e.addr}`;
          const at = pending.get(key)?.at;
          if (at !== undefined && !e.flags.includes("TRIED"))
            return `${who(after, e.tid)} faulted page ${e.addr} again with ${e.flags.join("|")} after the VM_FAULT_RETRY at step ${at + 1}: without FAULT_FLAG_TRIED every attempt is a first attempt, and a folio lock held again drops the lock again, forever.`;
          if (e.result === "VM_FAULT_RETRY" && e.retrySource === "folio") {
            pending.set(key, { at: index });
            saved = null;
          } else if (pending.delete(key)) saved = null;
        }
        return null;
      },
    };
  },
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
