// J: the clock. Time is abstract (model/kernel/time.ts): each deadline a thread armed is
// pending, due or passed, and one tick of this actor moves one of them on by a jiffy
// (the schedule's pick says which). It runs without bound, but like every actor idle at
// its entry it may stay idle for ever: it is weakly fair only where a property names it
// (`fairTo: ["clock"]`). It is disruptive: a deadline that comes can end the call with
// -EBUSY, so runs in which time passed are not judged as undisturbed (uffd-fault-completes),
// and in the fair completion after a random schedule time stands still. jiffies and
// time_after_eq() as in include/linux/jiffies.h (read at gregkh/linux 10d4df898c9c: it has
// secs_to_jiffies(), so v6.13 or later; the release is not recorded with it).
import { type Actor, actor } from "../actor.js";
import { tick, tickable } from "../kernel/time.js";
import { op } from "../step.js";
import type { World } from "../world.js";

const jiffies = op({
  name: "jiffies++",
  outcomes: ["ok"],
  enabled: (w) => tickable(w).length > 0,
  run: (k) => {
    tick(k, k.choose(tickable(k.w as World)));
    return "ok";
  },
});

/** The clock's program id: a property fair to it (`fairTo: [CLOCK]`) is fair to every deadline. */
export const CLOCK = "clock";

export function clockActor(): Actor {
  return actor({
    id: CLOCK,
    lane: "J",
    disruptive: true,
    title: "the clock: jiffies move a pending deadline to due, a due one to passed",
    start: "tick",
    steps: { tick: { op: jiffies, next: "tick" } },
  });
}
