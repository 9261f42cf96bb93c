// engine/native-shapes.ts: worlds that crossed threads by structured clone, rebuilt with
// the shapes this thread's code makes. The rebuilt world must be the same value, keep
// what the message shared shared, and have the hidden classes (V8 maps) that object
// literals of its keys have, which is what the parallel search rebuilds them for.
import { setFlagsFromString } from "node:v8";
import { describe, expect, it } from "vitest";
import { enabledThreads, step } from "../engine/exec.js";
import { nativeShapes } from "../engine/native-shapes.js";
import { setupFor } from "../engine/run.js";
import { designById } from "../model/designs/index.js";
import { scenarioById } from "../model/scenarios.js";
import type { World } from "../model/world.js";

/** The worlds of one schedule of v2 on anon-uffd (each thread in turn). */
function walk(steps: number): World[] {
  const design = designById("v2");
  const scenario = scenarioById("anon-uffd");
  if (!design || !scenario) throw new Error("v2/anon-uffd not found");
  const setup = setupFor(design, scenario);
  const out = [setup.world0];
  let w = setup.world0;
  for (let i = 0; i < steps; i++) {
    const ready = enabledThreads(w, setup.programs);
    if (ready.length === 0) break;
    [w] = step(w, ready[i % ready.length] as number, 0, setup.programs);
    out.push(w);
  }
  return out;
}

// %HaveSameMap(a, b): whether V8 gave two objects one hidden class (natives syntax,
// allowed from here on for code compiled after it)
setFlagsFromString("--allow-natives-syntax");
const sameMap = new Function("a", "b", "return %HaveSameMap(a, b);") as (
  a: object,
  b: object,
) => boolean;

describe("nativeShapes", () => {
  const worlds = walk(40);

  it("rebuilds a cloned world as the same value", () => {
    expect(worlds.length).toBeGreaterThan(20);
    for (const w of worlds) {
      const back = nativeShapes(structuredClone(w));
      expect(back).toEqual(w);
      expect(back).not.toBe(w);
    }
  });

  it("keeps a key of any name an own property, __proto__ included", () => {
    // a design may name a thread's local anything
    const locals = JSON.parse('{"__proto__": 3, "constructor": "c", "0": 1}') as object;
    const back = nativeShapes(structuredClone({ locals })).locals;
    expect(Object.keys(back).sort()).toEqual(["0", "__proto__", "constructor"]);
    expect(back).toEqual(locals);
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
  });

  it("keeps what the message shared shared", () => {
    // consecutive worlds share the threads the step between them did not touch
    let pair: [World, World, number] | undefined;
    for (let i = 0; i + 1 < worlds.length && pair === undefined; i++) {
      const [a, b] = [worlds[i] as World, worlds[i + 1] as World];
      const t = a.threads.findIndex((x, j) => x === b.threads[j]);
      if (t >= 0) pair = [a, b, t];
    }
    if (pair === undefined) throw new Error("no two consecutive worlds share a thread");
    const [a, b, t] = pair;
    const seen = new Map<object, unknown>();
    const [ca, cb] = structuredClone([a, b]);
    const na = nativeShapes(ca, seen);
    const nb = nativeShapes(cb, seen);
    expect(na.threads[t]).toBe(nb.threads[t]);
    expect(na.threads[t]).toEqual(a.threads[t]);
    // without the shared table, each is rebuilt on its own
    expect(nativeShapes(ca).threads[t]).not.toBe(nativeShapes(cb).threads[t]);
  });

  it("gives a cloned object the hidden class of an object literal of its keys", () => {
    const literal = { id: 1, name: "driver", locals: { addr: 4096, seq: 2 }, pcs: [1, 2] };
    const rebuilt = nativeShapes(structuredClone(literal));
    expect(sameMap(rebuilt, literal)).toBe(true);
    expect(sameMap(rebuilt.locals, literal.locals)).toBe(true);
    // strings: internalized, as the model's literals are (a cloned one is not)
    const kind = nativeShapes(structuredClone({ kind: "blocked" })).kind;
    expect(sameMap(kind as unknown as object, "blocked" as unknown as object)).toBe(true);
    // and the threads of a world, which the step copies by an object literal
    const w = worlds[20] as World;
    const t = nativeShapes(structuredClone(w)).threads[0] as object;
    expect(sameMap(t, w.threads[0] as object)).toBe(true);
  });
});
