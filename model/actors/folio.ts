// F: a thread holding a folio lock for a while (reclaim, migration, swap I/O), the
// classic source of VM_FAULT_RETRY: a first fault attempt on the page drops the fault
// lock and waits (__folio_lock_or_retry). Used for no-retry-livelock (L4).
import { type Actor, actor } from "../actor.js";
import { op } from "../step.js";

const lock = op({
  name: "folio_lock(folio)",
  outcomes: ["ok"],
  enabled: (w) => w.ptes.some((p, i) => p === "swap" && w.folioLock[i] === null),
  run: (k) => {
    const pages = k.w.ptes.flatMap((p, i) =>
      p === "swap" && k.w.folioLock[i] === null ? [`page ${i}`] : [],
    );
    const page = Number(k.choose(pages).slice(5));
    k.set("page", page);
    k.w.folioLock[page] = k.tid;
    return "ok";
  },
});

const unlock = op({
  name: "folio_unlock(folio)",
  outcomes: ["ok"],
  run: (k) => {
    const page = k.num("page");
    k.w.folioLock[page] = null;
    const waiting = k.w.threads
      .filter(
        (t) =>
          t.status.kind === "blocked" && t.status.on.kind === "folio" && t.status.on.page === page,
      )
      .map((t) => t.id);
    k.wake(waiting, "folio_unlock");
    return "ok";
  },
});

export function folioActor(): Actor {
  return actor({
    id: "folio",
    lane: "F",
    disruptive: false,
    title: "folio lock holder (reclaim, migration, swap I/O)",
    start: "idle",
    steps: { idle: { op: lock, next: "hold" }, hold: { op: unlock, next: "idle" } },
  });
}
