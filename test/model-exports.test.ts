// Everything the built-ins are made of is usable by a user: every kernel primitive
// (model/kernel/), every actor factory (model/actors/) and every built-in actor,
// design, scenario and property can be reached from `lockdrop/model`, the entry a
// design file imports. A primitive added without an export fails here.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import * as api from "lockdrop/model";
import { describe, expect, it } from "vitest";
import { DESIGNS, isBuiltInDesign } from "../model/designs/index.js";
import { BUILT_IN } from "../model/registry.js";
import { actorRegistry, SCENARIOS, scenarioRegistry } from "../model/scenarios.js";
import { PROPERTIES, propertyRegistry } from "../properties/index.js";

const root = join(import.meta.dirname, "..", "model");
const exported = api as unknown as Record<string, unknown>;

/** The runtime exports of every module in model/<dir>/, as [module, name, value]. */
async function exportsOf(dir: string): Promise<[string, string, unknown][]> {
  const out: [string, string, unknown][] = [];
  for (const f of readdirSync(join(root, dir))
    .filter((x) => x.endsWith(".ts"))
    .sort()) {
    const mod = (await import(`../model/${dir}/${f.replace(/\.ts$/, ".js")}`)) as Record<
      string,
      unknown
    >;
    for (const [name, value] of Object.entries(mod)) out.push([`${dir}/${f}`, name, value]);
  }
  return out;
}

describe("lockdrop/model reaches every built-in piece", () => {
  it("exports every kernel primitive and object helper of model/kernel/, as itself", async () => {
    const all = await exportsOf("kernel");
    expect(all.length).toBeGreaterThan(100);
    const missing = all
      .filter(([, name, value]) => exported[name] !== value)
      .map(([file, name]) => `${file}: ${name}`);
    expect(missing).toEqual([]);
  });

  it("exports every actor factory of model/actors/, as itself", async () => {
    const all = await exportsOf("actors");
    expect(all.length).toBeGreaterThanOrEqual(9);
    const missing = all
      .filter(([, name, value]) => exported[name] !== value)
      .map(([file, name]) => `${file}: ${name}`);
    expect(missing).toEqual([]);
  });

  it("reaches every built-in actor instance, the ones the built-in scenarios use", () => {
    const builtIn = actorRegistry.all().filter((a) => actorRegistry.source(a.id) === BUILT_IN);
    expect(builtIn.map((a) => a.id)).toContain("clock");
    for (const a of builtIn) expect(api.BUILT_IN_ACTORS).toContain(a);
    // a scenario's actor is a registered instance (a user's use("clock", ...) is the very
    // actor the built-ins run), or one made by an exported factory with a registered id
    // (uffd-copy's munmap that maps a shmem VMA in its place, registered with userfaultfd
    // or, on uffd-copy-unregistered, not, uffd-copy-hugetlb's that maps a hugetlb VMA and
    // uffd-copy-hugetlb-dst's an anonymous one: munmapActor(remap))
    for (const s of SCENARIOS.filter((x) => scenarioRegistry.source(x.id) === BUILT_IN))
      for (const u of s.actors) {
        const reg = actorRegistry.get(u.actor.id);
        expect(reg, `${s.id}: ${u.actor.id}`).toBeDefined();
        if (reg !== u.actor)
          expect([
            "uffd-copy",
            "uffd-copy-unregistered",
            "uffd-copy-hugetlb",
            "uffd-copy-hugetlb-dst",
          ]).toContain(s.id);
      }
  });

  it("reaches every built-in design, scenario and property", () => {
    expect(api.DESIGNS).toBe(DESIGNS);
    for (const d of DESIGNS) expect(isBuiltInDesign(d.id)).toBe(true);
    expect(api.SCENARIOS).toBe(SCENARIOS);
    expect(api.PROPERTIES).toBe(PROPERTIES);
    for (const p of PROPERTIES) expect(propertyRegistry.get(p.id)).toBe(p);
    for (const s of SCENARIOS) expect(api.scenarioById(s.id)).toBe(s);
  });
});
