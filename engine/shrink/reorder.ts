// Reorder to reduce context switches: move a step next to the previous (or the next)
// step of the same thread when that keeps the violation and does not lengthen the
// trace, so the lanes read as a few long runs of each thread instead of confetti.
// It works on the whole trace up to the violation, the fair completion spelled out,
// since a switch there is read the same way.
import type { Choice } from "../run.js";
import type { Oracle, Pass, Verdict } from "./oracle.js";
import { better } from "./oracle.js";

function moved(s: readonly Choice[], from: number, to: number): Choice[] {
  const out = [...s];
  const [c] = out.splice(from, 1);
  if (c) out.splice(to, 0, c);
  return out;
}

const spelledOut = (v: Verdict): Choice[] =>
  v.run.executed.slice(0, v.length).map((c) => ({ t: c.t, p: c.p }));

export const reorder: Pass = (o: Oracle, start: Verdict): Verdict => {
  let cur = start;
  for (let round = 0; round < 4; round++) {
    let changed = false;
    for (let i = 1; i < cur.length; i++) {
      const s = spelledOut(cur);
      const c = s[i];
      if (!c || s[i - 1]?.t === c.t) continue;
      const tries: Choice[][] = [];
      // move it right after the previous step of the same thread
      let j = i - 1;
      while (j >= 0 && s[j]?.t !== c.t) j--;
      if (j >= 0) tries.push(moved(s, i, j + 1));
      // or right before the next step of the same thread
      let k = i + 1;
      while (k < s.length && s[k]?.t !== c.t) k++;
      if (k < s.length) tries.push(moved(s, i, k - 1));
      for (const cand of tries) {
        const v = o.test(cand);
        if (v && better(v, cur)) {
          cur = v;
          changed = true;
          break;
        }
      }
    }
    if (!changed) break;
  }
  return cur;
};
