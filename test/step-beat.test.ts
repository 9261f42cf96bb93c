// The watchdog's heartbeat (engine/step-beat.ts): each search thread counts its steps on
// a cache line of its own, and the watchdog names the step of the thread that is in one,
// not the label a thread left behind before it went to wait for the others.
import { afterEach, describe, expect, it } from "vitest";
import { setStepProbe, step } from "../engine/exec.js";
import { setupFor } from "../engine/run.js";
import {
  beatEachStep,
  beatIdle,
  beatLabel,
  beatReset,
  beatSteps,
  labelTable,
  newBeat,
} from "../engine/step-beat.js";
import { designById } from "../model/designs/index.js";
import { scenario } from "./helpers.js";

afterEach(() => setStepProbe(null));

describe("step beat", () => {
  it("sums every thread's steps and names the step of a thread not waiting", () => {
    const design = designById("v2");
    if (!design) throw new Error("v2");
    const setup = setupFor(design, scenario("anon-uffd-1"));
    const { table } = labelTable(setup.programs);
    const beat = newBeat();
    expect([beatSteps(beat), beatLabel(beat)]).toEqual([0, -1]);
    // thread 0 of a search takes a step (the probe hears each op it runs), then waits
    // at a barrier
    beatEachStep(beat, setup.programs, 0);
    step(setup.world0, 0, 0, setup.programs);
    const after0 = beatSteps(beat);
    expect(after0).toBeGreaterThan(0);
    const program = setup.world0.threads[0]?.program;
    expect(table[beatLabel(beat)]?.[0]).toBe(program);
    beatIdle();
    expect(beatLabel(beat)).toBe(-1);
    // thread 3 steps (and, say, never returns): its label is the one named, and its
    // steps add to thread 0's
    beatEachStep(beat, setup.programs, 3);
    step(setup.world0, 0, 0, setup.programs);
    expect(beatSteps(beat)).toBe(2 * after0);
    expect(table[beatLabel(beat)]?.[0]).toBe(program);
    // a new parallel search forgets the labels its threads left
    beatReset(beat, 4);
    expect(beatLabel(beat)).toBe(-1);
  });
});
