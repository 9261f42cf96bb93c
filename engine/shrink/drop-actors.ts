// Drop environment actions that do not matter: for each actor (every thread but the
// driver), try removing all of its scheduled steps, then all of them from its n-th
// step on. In the fair completion no new disruptive operation starts, so a removed
// munmap, invalidation or signal does not happen at all.
import type { Oracle, Pass, Verdict } from "./oracle.js";
import { better } from "./oracle.js";

export const dropActors: Pass = (o: Oracle, start: Verdict): Verdict => {
  let cur = start;
  const threads = o.setup.world0.threads;
  for (const t of threads) {
    if (t.role === "driver") continue;
    // positions of this thread's choices, from the first: drop from position k onwards
    for (let from = 0; ; from++) {
      const positions = cur.schedule.flatMap((c, i) => (c.t === t.id ? [i] : []));
      if (from >= positions.length) break;
      const cut = new Set(positions.slice(from));
      const cand = cur.schedule.filter((_, i) => !cut.has(i));
      const v = o.test(cand);
      if (v && better(v, cur)) {
        cur = v;
        break; // removed the tail of this actor; the earlier part is needed
      }
    }
  }
  return cur;
};
