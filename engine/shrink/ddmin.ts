// Delta debugging on the schedule: delete chunks of choices, halving the chunk size
// down to single steps, keeping every deletion after which the same property is still
// violated by a trace no longer than before.
import type { Oracle, Pass, Verdict } from "./oracle.js";
import { better } from "./oracle.js";

export const ddmin: Pass = (o: Oracle, start: Verdict): Verdict => {
  let cur = start;
  let size = Math.max(1, Math.floor(cur.schedule.length / 2));
  for (;;) {
    let changed = false;
    for (let i = 0; i + size <= cur.schedule.length; ) {
      const cand = [...cur.schedule.slice(0, i), ...cur.schedule.slice(i + size)];
      const v = o.test(cand);
      if (v && better(v, cur)) {
        cur = v;
        changed = true;
        continue; // the same position now holds the next chunk
      }
      i++;
    }
    if (size === 1 && !changed) return cur;
    if (!changed) size = Math.max(1, Math.floor(size / 2));
  }
};
