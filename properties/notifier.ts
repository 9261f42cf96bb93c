// S13 and S14 (+ the safety half of L1): pfns are consumed only under
// user_lock with a seq that no invalidation has changed since its read_begin, and after
// an -EBUSY or a lock drop nothing goes on before a fresh read_begin.
import { EBUSY, errnoName } from "../model/errno.js";
import { HMM_PFN_VALID } from "../model/kernel/hmm.js";
import type { Property } from "./property.js";
import { who } from "./property.js";

export const pfnsUnderValidSeq: Property = {
  id: "pfns-under-valid-seq",
  ref: "S13",
  statement:
    "pfns are consumed only under user_lock, collected under the notifier seq in use, with no invalidation since its read_begin",
  kind: "safety",
  applies: () => true,
  monitor: () => ({
    step: ({ after, rec }) => {
      for (const e of rec.events) {
        if (e.k !== "consume") continue;
        const name = who(after, e.tid);
        if (!e.holdsUserLock) return `${name} programmed the device without holding user_lock.`;
        if (e.subSeq !== e.seq)
          return `${name} programmed the device from pfns collected under seq ${e.seq}, but an invalidation set the subscription's seq to ${e.subSeq} since (mmu_interval_read_retry would have said retry).`;
        const stale = e.pfnSeqs.findIndex(
          (s, i) => (e.pfns[i] ?? 0) & HMM_PFN_VALID && s !== e.seq,
        );
        if (stale >= 0)
          return `${name} programmed page ${stale} from a pfn collected under seq ${e.pfnSeqs[stale]}, not the current seq ${e.seq}.`;
        const gone = e.pfns.findIndex((p, i) => p & HMM_PFN_VALID && after.ptes[i] === "none");
        if (gone >= 0)
          return `${name} programmed page ${gone} as valid but its page-table entry is gone.`;
      }
      return null;
    },
  }),
};

export const walkRestartsOnEbusy: Property = {
  id: "walk-restarts-on-ebusy",
  ref: "S14, L1",
  statement:
    "walk restarts on -EBUSY: after -EBUSY or *locked = 0, the next attempt starts from a fresh read_begin and partial pfns are never consumed",
  kind: "safety",
  applies: () => true,
  monitor: () => {
    // per driver thread: several drivers each restart their own walk
    type Stale = { at: number; why: string } | null;
    let stale: readonly Stale[] = [];
    const put = (tid: number, v: Stale) => {
      // unchanged: keep the same value (the exhaustive search tells it by identity)
      if (tid < stale.length && stale[tid] === v) return;
      const next = stale.slice();
      next[tid] = v;
      stale = next;
    };
    return {
      save: () => (stale.length <= 1 ? (stale[0] ?? null) : stale),
      load: (s) => {
        stale = Array.isArray(s) ? (s as Stale[]) : [s as Stale];
      },
      step: ({ after, rec, index }) => {
        for (const e of rec.events) {
          const mine = stale[e.tid] ?? null;
          if (e.k === "read-begin") put(e.tid, null);
          else if (e.k === "api-return" && (e.ret === EBUSY || e.locked === 0))
            put(e.tid, {
              // step numbers in messages count from 1, as the lanes do
              at: index + 1,
              why: `${e.api} returned ${errnoName(e.ret)}${e.locked === 0 ? " with *locked = 0" : ""}`,
            });
          else if (mine && (e.k === "api-call" || e.k === "consume"))
            return `${who(after, e.tid)} ${
              e.k === "consume" ? "consumed pfns" : `called ${e.api} again`
            } with seq ${e.seq} after ${mine.why} at step ${mine.at}, without a fresh mmu_interval_read_begin.`;
        }
        return null;
      },
    };
  },
};

/**
 * S27: mmu_notifier_invalidate_range_start() and _end() come in pairs. mm/mmu_notifier.c
 * (mn_itree_invalidate, since the interval notifiers of v5.5): "On -EAGAIN the
 * non-blocking caller is not allowed to call invalidate_range_end()": the core has
 * already balanced the failed start (mn_itree_inv_end), so an end after it would
 * decrement active_invalidate_ranges below the invalidations in flight and let the seq
 * go even while another invalidation still runs.
 */
export const notifierStartEndPaired: Property = {
  id: "notifier-start-end-paired",
  ref: "S27",
  statement:
    "mmu_notifier_invalidate_range_end() is called only after a successful invalidate_range_start(): never after a non-blocking start that failed with -EAGAIN; and every hlist subscriber whose start succeeded gets its end, also when another subscriber's start fails",
  kind: "safety",
  applies: () => true,
  monitor: () => {
    // per thread and hlist subscriber: its starts in flight ("tid:sub" -> count)
    let open: Readonly<Record<string, number>> = {};
    // the saved form of `open`, made when it changes: the same value until then, so that
    // the exhaustive search sees an unchanged state by identity
    let saved: readonly [string, number][] | null = null;
    const bump = (key: string, by: number) => {
      const n = (open[key] ?? 0) + by;
      const next = { ...open };
      if (n === 0) delete next[key];
      else next[key] = n;
      open = next;
      saved = Object.keys(open).length === 0 ? null : Object.entries(open).sort();
    };
    return {
      save: () => saved,
      load: (s) => {
        saved = s as readonly [string, number][] | null;
        open = saved === null ? {} : Object.fromEntries(saved);
      },
      step: ({ after, rec }) => {
        for (const e of rec.events) {
          if (e.k === "invalidate" && e.unpaired === true)
            return `${who(after, e.tid)} called mmu_notifier_invalidate_range_end() without a successful invalidate_range_start() in flight: after a non-blocking start fails with -EAGAIN the notifier core has already ended it (mn_itree_inv_end), and the caller must skip the range.`;
          if (e.k === "subscriber" && e.phase === "start") bump(`${e.tid}:${e.sub}`, 1);
          if (e.k === "subscriber" && e.phase === "end") {
            if ((open[`${e.tid}:${e.sub}`] ?? 0) === 0)
              return `${who(after, e.tid)} called ${e.sub}'s invalidate_range_end() without its invalidate_range_start() in flight.`;
            bump(`${e.tid}:${e.sub}`, -1);
          }
          if (e.k === "invalidate" && e.phase === "failed") {
            const left = Object.keys(open)
              .filter((key) => key.startsWith(`${e.tid}:`))
              .map((key) => key.slice(key.indexOf(":") + 1));
            if (left.length > 0)
              return `${who(after, e.tid)}'s non-blocking invalidate_range_start() failed with -EAGAIN while ${left.join(", ")}'s start had succeeded: the caller may not call the end after -EAGAIN, so ${left.join(", ")} never gets its invalidate_range_end() (mn_hlist_invalidate_range_start must back it out, as it does since c2655835fd8c).`;
          }
        }
        return null;
      },
    };
  },
};
