// munmap(2)'s VMA is looked up under the mmap write lock (do_vmi_munmap() -> vma_find(),
// mm/vma.c at v6.12-v7.0): the caller only picked an address before. With a second
// actor that removes VMAs (mremap here), the range may be empty by then.
import { describe, expect, it } from "vitest";
import { setupFor } from "../engine/run.js";
import { use } from "../model/actor.js";
import { mremapActor } from "../model/actors/mremap.js";
import { munmapActor } from "../model/actors/munmap.js";
import type { Scenario } from "../model/scenarios.js";
import { calls, mini, runAlone, scenario, tidOf } from "./helpers.js";

const twoRemovers: Scenario = {
  ...scenario("anon-mremap"),
  id: "anon-munmap-mremap",
  actors: [use(munmapActor(), 1), use(mremapActor(), 1)],
};

describe("munmap's VMA", () => {
  it("is found under the write lock: after mremap moved it, munmap finds nothing and returns", () => {
    const setup = setupFor(mini({}, "exit"), twoRemovers);
    const w0 = setup.world0;
    const [m, r] = [tidOf(w0, "W"), w0.threads.findIndex((t) => t.program === "mremap")];
    // munmap picks vma#0's range, then mremap moves the VMA away before munmap's lock
    let w = runAlone(setup.programs, w0, m, calls("munmap(addr, len)"), 1).world;
    w = runAlone(setup.programs, w, r, calls("mmap_write_unlock"), 40).world;
    expect(w.vmas[0]?.state).not.toBe("live");
    const rest = runAlone(setup.programs, w, m, calls("mmap_write_unlock"), 10);
    const find = rest.recs.find(calls("vma = vma_find"));
    expect(find?.outcome).toBe("none");
    expect(rest.recs.some(calls("remove_vma"))).toBe(false);
    expect(rest.world.vmas.filter((v) => v.state === "live")).toHaveLength(1);
  });
});
