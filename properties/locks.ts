// S3 and S4: lock balance. No unlock of a lock that is not held (the nouveau-2019
// double unlock, an unlock after *locked = 0); at each API return the mmap lock is held
// exactly as the contract says (*locked == 1 <=> held; hmm_range_fault: still held);
// a thread that returns holds nothing.
import { errnoName } from "../model/errno.js";
import { blockedAsleep, spinlocksHeld } from "../model/kernel/locks.js";
import { locksHeld } from "../model/lock-table.js";
import { lockLabel } from "../model/world.js";
import type { Property } from "./property.js";
import { who } from "./property.js";

export const lockBalance: Property = {
  id: "lock-balance",
  ref: "S3, S4",
  statement:
    "locks balance: no unlock of a lock that is not held, *locked == 1 exactly when the mmap lock is held on return, and nothing is held when the caller returns",
  kind: "safety",
  applies: () => true,
  monitor: () => ({
    step: ({ after, rec }) => {
      for (const e of rec.events) {
        if (e.k === "refcount" && e.from <= 0)
          return `${who(after, e.tid)} called refcount_${e.op === "inc" ? "inc" : "dec_and_test"} on ${e.name} at ${e.from} (${e.op === "inc" ? "addition on 0" : "underflow"}; use-after-free: the last reference was already put).`;
        if (e.k === "unlock" && !e.held)
          return `${who(after, e.tid)} called ${e.by} on ${lockLabel(e.lock)} (${e.mode}) without holding it.`;
        if (e.k === "api-return") {
          if (e.shouldHold !== e.holdsMmap)
            return `${who(after, rec.tid)}: ${e.api} returned ${errnoName(e.ret)}${
              e.locked === null ? "" : ` with *locked = ${e.locked}`
            } but the mmap lock is ${e.holdsMmap ? "held" : "not held"}.`;
        }
        if (e.k === "return") {
          const held = locksHeld(after, e.tid);
          if (held.length > 0)
            return `${who(after, e.tid)} returned ${errnoName(e.ret)} still holding ${held.join(", ")}.`;
        }
      }
      return null;
    },
  }),
};

export const noSleepInAtomic: Property = {
  id: "no-sleep-in-atomic",
  ref: "S26",
  statement:
    "no sleeping call while a spinlock is held: a thread holding a spinlock never calls a function that may sleep, nor blocks on a sleeping lock",
  kind: "safety",
  applies: (s) => (s.locks ?? []).some((l) => l.kind === "spinlock"),
  monitor: () => ({
    step: ({ before, after, rec }) => {
      const held = spinlocksHeld(before, rec.tid);
      if (held.length === 0) return null;
      const sleep = rec.events.find((e) => e.k === "might-sleep" && e.tid === rec.tid);
      if (!sleep && !blockedAsleep(after, rec.tid)) return null;
      const what = sleep && sleep.k === "might-sleep" ? sleep.what : (rec.ops[0] ?? "a sleep");
      return `${who(after, rec.tid)} called ${what}, which may sleep, while holding ${held.join(", ")} (sleeping in atomic context).`;
    },
  }),
};
