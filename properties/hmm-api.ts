// The HMM API contract as a caller sees it: S15 a 0 return means complete (and a 0
// with *locked = 0 is not success), S17 no write fault on a read-only mapping,
// S18 the private sentinels never reach the caller.
import { errnoName, HMM_FAULT_PENDING, HMM_FAULT_UNLOCKED } from "../model/errno.js";
import { HMM_PFN_ERROR, HMM_PFN_VALID } from "../model/kernel/hmm.js";
import type { Property } from "./property.js";
import { who } from "./property.js";

const hmmOnly = (_: unknown, d: { family: string }) => d.family === "hmm";

export const zeroUnlockedNotSuccess: Property = {
  id: "zero-unlocked-not-success",
  ref: "S15",
  statement:
    "0 means complete: pfns are consumed only after a 0 return with the lock kept, and then every page has an output entry",
  kind: "safety",
  applies: hmmOnly,
  monitor: () => {
    // per driver thread: its last API return (several drivers each have their own call)
    type Last = { at: number; locked: number | null; ret: number } | null;
    let last: readonly Last[] = [];
    const put = (tid: number, v: Last) => {
      // unchanged: keep the same value (the exhaustive search tells it by identity)
      if (tid < last.length && last[tid] === v) return;
      const next = last.slice();
      next[tid] = v;
      last = next;
    };
    return {
      save: () => (last.length <= 1 ? (last[0] ?? null) : last),
      load: (s) => {
        last = Array.isArray(s) ? (s as Last[]) : [s as Last];
      },
      step: ({ after, rec, index }) => {
        for (const e of rec.events) {
          if (e.k === "api-return") put(e.tid, { at: index, locked: e.locked, ret: e.ret });
          if (e.k === "read-begin") put(e.tid, null);
          if (e.k !== "consume") continue;
          const mine = last[e.tid] ?? null;
          if (mine && mine.ret === 0 && mine.locked === 0)
            return `${who(after, e.tid)} consumed the pfns as a success after the call returned 0 with *locked = 0 at step ${mine.at + 1}: the walk was cut short when the lock dropped.`;
          const t = after.threads[e.tid];
          const start = Number(t?.locals.rstart ?? 0);
          const end = Number(t?.locals.rend ?? e.pfns.length);
          for (let i = start; i < end; i++)
            if (!((e.pfns[i] ?? 0) & (HMM_PFN_VALID | HMM_PFN_ERROR)))
              return `${who(after, e.tid)} consumed the pfns as a success but page ${i} has no output entry (neither HMM_PFN_VALID nor HMM_PFN_ERROR).`;
        }
        return null;
      },
    };
  },
};

export const noCowOnReadonly: Property = {
  id: "no-cow-on-readonly",
  ref: "S17",
  statement:
    "no COW on read-only mappings: a write fault is issued only on a VMA with VM_WRITE (and, for mshv, a writable hypervisor mapping)",
  kind: "safety",
  applies: hmmOnly,
  monitor: () => ({
    step: ({ after, rec }) => {
      for (const e of rec.events) {
        if (e.k !== "fault" || !e.flags.includes("WRITE")) continue;
        if (!e.vmaWrite)
          return `${who(after, e.tid)} issued a write fault on vma#${e.vma}, which has no VM_WRITE (COW on a read-only mapping).`;
        if (after.threads[e.tid]?.locals.hv_writable === false)
          return `${who(after, e.tid)} issued a write fault on page ${e.addr} although the hypervisor mapping is not writable.`;
      }
      return null;
    },
  }),
};

export const sentinelContainment: Property = {
  id: "sentinel-containment",
  ref: "S18",
  statement:
    "sentinel containment: HMM_FAULT_PENDING and HMM_FAULT_UNLOCKED never reach the caller",
  kind: "safety",
  applies: hmmOnly,
  monitor: () => ({
    step: ({ after, rec }) => {
      for (const e of rec.events)
        if (e.k === "api-return" && (e.ret === HMM_FAULT_PENDING || e.ret === HMM_FAULT_UNLOCKED))
          return `${who(after, e.tid)}: ${e.api} returned its private sentinel ${e.ret === HMM_FAULT_PENDING ? "HMM_FAULT_PENDING" : "HMM_FAULT_UNLOCKED"} (${errnoName(e.ret)}) to the caller.`;
      return null;
    },
  }),
};
