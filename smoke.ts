import { DESIGNS } from "/work/main/model/designs/index.js";
import { SCENARIOS } from "/work/main/model/scenarios.js";
import { PROPERTIES } from "/work/main/properties/index.js";
import { checkPair } from "/work/main/properties/random.js";

const t0 = Date.now();
for (const d of DESIGNS)
  for (const s of SCENARIOS) {
    const t1 = Date.now();
    if (!s.families.includes(d.family)) continue;
    const props = PROPERTIES.filter((p) => p.applies(s, d));
    const r = checkPair(d, s, props, { runs: 500, seed: 42 });
    const out = [...r.results]
      .filter(([, c]) => c)
      .map(([p, c]) => `${p}:${c!.schedule.length}/${c!.lengthBeforeShrink}`);
    console.log(d.id, s.id, Date.now() - t1, "ms", out.join(" "));
  }
console.log("total", Date.now() - t0);
