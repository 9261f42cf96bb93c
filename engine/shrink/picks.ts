// Drop outcome choices back to the default: every pick that resolved a choice (which
// answer the monitor gives, whether a folio holder forces a RETRY) is tried at 0.
import type { Oracle, Pass, Verdict } from "./oracle.js";

export const picksToZero: Pass = (o: Oracle, start: Verdict): Verdict => {
  let cur = start;
  for (let i = 0; i < cur.schedule.length; i++) {
    const c = cur.schedule[i];
    if (!c || c.p === 0) continue;
    for (let p = 0; p < c.p; p++) {
      const cand = cur.schedule.map((x, j) => (j === i ? { t: x.t, p } : x));
      const v = o.test(cand);
      // a lower pick is closer to the default: keep it when the trace is no longer
      if (v && v.length <= cur.length && v.schedule.length <= cur.schedule.length) {
        cur = v;
        break;
      }
    }
  }
  return cur;
};
