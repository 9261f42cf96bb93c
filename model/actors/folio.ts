// F: a thread holding a folio lock for a while (reclaim, migration, swap I/O), the
// classic source of VM_FAULT_RETRY: a first fault attempt on the page drops the fault
// lock and waits for the unlock (__folio_lock_or_retry). It takes the lock only when it
// is free, as reclaim and migration do with folio_trylock(), and its unlock wakes the
// waiters and hands the lock to the first exclusive one (model/kernel/folio.ts).
// Used for no-retry-livelock (L4). __folio_lock_or_retry(), folio_unlock() and
// folio_wait_bit_common() read in mm/filemap.c at torvalds/linux b6273b55d885, a
// v6.10+ tree.
//
// `contended`: the holder of page 0's folio only, without bound (the scenario gives it
// no budget): it locks and unlocks for as long as page 0 is swapped out, and can take
// the lock again before a woken non-exclusive waiter runs.
import { type Actor, actor } from "../actor.js";
import { folioTrylock, folioUnlock } from "../kernel/folio.js";
import { op } from "../step.js";
import type { World } from "../world.js";
import { swapPte } from "../world.js";

/** The pages whose folio F may lock now: swapped out (in the swap cache), unlocked. */
function lockable(w: World, contended: boolean): number[] {
  const out: number[] = [];
  w.ptes.forEach((p, i) => {
    if (swapPte(p) && w.folioLock[i] === null && (!contended || i === 0)) out.push(i);
  });
  return out;
}

export interface FolioActorOptions {
  /** page 0's folio only, locked and unlocked again and again (`folio-contended`) */
  readonly contended?: boolean;
}

export function folioActor(opts: FolioActorOptions = {}): Actor {
  const contended = opts.contended === true;
  const lock = op({
    name: "folio_lock(folio)",
    outcomes: ["ok"],
    mightSleep: true,
    enabled: (w) => lockable(w, contended).length > 0,
    run: (k) => {
      const page = Number(
        k.choose(lockable(k.w as World, contended).map((i) => `page ${i}`)).slice(5),
      );
      k.set("page", page);
      folioTrylock(k, page);
      return "ok";
    },
  });
  const unlock = op({
    name: "folio_unlock(folio)",
    outcomes: ["ok"],
    run: (k) => {
      folioUnlock(k, k.num("page"), "folio_unlock");
      return "ok";
    },
  });
  return actor({
    id: contended ? "folio-contended" : "folio",
    lane: "F",
    disruptive: false,
    title: contended
      ? "folio lock holder of page 0, locking it again and again (reclaim, migration, swap I/O)"
      : "folio lock holder (reclaim, migration, swap I/O)",
    start: "idle",
    steps: { idle: { op: lock, next: "hold" }, hold: { op: unlock, next: "idle" } },
  });
}
