// Test harness: run a small step table as thread T in a scenario's world.

import { readdirSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { step } from "../engine/exec.js";
import type { ExhaustiveResult } from "../engine/exhaustive.js";
import { exploreExhaustive } from "../engine/exhaustive.js";
import type { Setup } from "../engine/run.js";
import { setupFor } from "../engine/run.js";
import { exhaustiveRows } from "../engine/verdicts.js";
import { DESIGNS, designById } from "../model/designs/index.js";
import { handleMmFault } from "../model/kernel/fault.js";
import { downWrite } from "../model/kernel/locks.js";
import { mmapReadLock } from "../model/kernel/mmap-lock.js";
import { vmaLookup } from "../model/kernel/vma.js";
import { exit } from "../model/locals.js";
import type { Scenario, VmaSpec } from "../model/scenarios.js";
import {
  initialWorld,
  mutantActors,
  programsFor,
  runsIn,
  SCENARIOS,
  scenarioById,
} from "../model/scenarios.js";
import type { Design, Programs, StepRecord, Steps } from "../model/step.js";
import type { World } from "../model/world.js";
import { PROPERTIES, propertyById } from "../properties/index.js";
import type { Property } from "../properties/property.js";

/** One private anonymous page, writable, no userfaultfd: spread it and change a field. */
export const ANON_PAGE: VmaSpec = {
  name: "anon",
  pages: 1,
  write: true,
  shared: false,
  hugetlb: false,
  uffdMissing: false,
};

export function scenario(id: string): Scenario {
  const s = scenarioById(id);
  if (!s) throw new Error(`no scenario ${id}`);
  return s;
}

export function design(id: string): Design {
  const d = designById(id);
  if (!d) throw new Error(`no design ${id}`);
  return d;
}

export function prop(id: string): Property {
  const p = propertyById(id);
  if (!p) throw new Error(`no property ${id}`);
  return p;
}

/** A design made of `steps`, starting at `start`, with an "exit" step added. */
export function mini(steps: Steps, start = Object.keys(steps)[0] ?? "exit"): Design {
  return {
    id: "mini",
    family: "hmm",
    title: "test program",
    summary: "",
    source: "test",
    start,
    steps: { ...steps, exit: { op: exit() } },
  };
}

/**
 * T takes the declared rwsem `lock` for write and keeps it across a write fault on page 0
 * (ALLOW_RETRY), as xe's fault worker keeps vm->lock: a uffd monitor that wants the lock
 * before it answers waits for T, which waits for it.
 */
export function holdsAcrossFault(lock: string): Design {
  return mini({
    take: { op: downWrite(lock), next: "lock" },
    lock: { op: mmapReadLock(), next: "lookup" },
    lookup: { op: vmaLookup("start", "vma"), next: "fault" },
    fault: {
      op: handleMmFault("vma", "start", ["WRITE", "ALLOW_RETRY"]),
      on: { ok: "exit", retry: "exit", completed: "exit", error: "exit" },
    },
  });
}

/** The row of property `id` for `d` on `s`, from a complete exhaustive search. */
export function completeRow(d: Design, s: Scenario, id: string) {
  const [row] = exhaustiveRows(d, s, [prop(id)], {
    depth: Number.POSITIVE_INFINITY,
    hashCompact: false,
    sleepSets: false,
  });
  return row;
}

export interface Bench {
  world: World;
  programs: Programs;
  /** run thread `tid` for one scheduled step */
  run(tid?: number, pick?: number): World;
}

export function bench(s: Scenario, d: Design): Bench {
  const b: Bench = {
    world: initialWorld(s, d),
    programs: programsFor(s, d),
    run(tid = 0, pick = 0) {
      const [next] = step(b.world, tid, pick, b.programs);
      b.world = next;
      return next;
    },
  };
  return b;
}

/**
 * Step thread `tid` alone from `w` (pick 0) until `until` holds for a step's record, or
 * for `max` steps: the world reached and every step's record.
 */
export function runAlone(
  programs: Programs,
  w: World,
  tid: number,
  until: (rec: StepRecord) => boolean,
  max = 40,
): { world: World; recs: StepRecord[] } {
  const recs: StepRecord[] = [];
  let world = w;
  for (let i = 0; i < max; i++) {
    const [next, rec] = step(world, tid, 0, programs);
    recs.push(rec);
    world = next;
    if (until(rec)) break;
  }
  return { world, recs };
}

/** The step called a kernel function whose printed op starts with `fn` (`handle_mm_fault`, ...). */
export const calls =
  (fn: string) =>
  (rec: StepRecord): boolean =>
    rec.ops.some((o) => o.startsWith(fn));

/** The step reached the thread's exit label (for runAlone's `until`). */
export const exited = (rec: StepRecord): boolean => rec.labels.includes("exit");

export function tidOf(w: World, name: string): number {
  const t = w.threads.find((x) => x.name === name);
  if (!t) throw new Error(`no thread ${name}`);
  return t.id;
}

/**
 * Scenarios whose bug is in an actor, not in the design under test (an actor declared
 * with `mutant`): every design violates them.
 */
export function runsMutantActor(s: Scenario): boolean {
  return mutantActors(s).length > 0;
}

/**
 * What two exhaustive searches of one setup must agree on, whatever they share or
 * however many threads they run on: counts, depth, completeness, and each property's
 * shortest counterexample (schedule, loop and message).
 */
export function searchFacts(r: ExhaustiveResult) {
  return {
    states: r.states,
    transitions: r.transitions,
    depth: r.depth,
    complete: r.complete,
    frontier: r.frontier,
    counterexamples: [...r.counterexamples.values()]
      .map((c) => ({
        property: c.property,
        schedule: c.schedule,
        loopStart: c.loopStart,
        message: c.message,
      }))
      .sort((a, b) => a.property.localeCompare(b.property)),
  };
}

/**
 * Random walks over every design and the scenarios it runs in, reproducible from
 * `seed`: for each pair, `runs` lists of `length` picks below `maxPick` + 1, with the
 * pair's setup (each test steps the walk its own way).
 */
export function* pairWalks(
  seed: number,
  runs: number,
  length: number,
  maxPick: number,
): Generator<{
  readonly design: Design;
  readonly scenario: Scenario;
  readonly setup: Setup;
  readonly walk: readonly number[];
}> {
  for (const design of DESIGNS)
    for (const s of SCENARIOS.filter((x) => runsIn(x, design))) {
      const setup = setupFor(design, s);
      const walks = fc.sample(
        fc.array(fc.nat({ max: maxPick }), { minLength: length, maxLength: length }),
        { seed, numRuns: runs },
      );
      for (const walk of walks) yield { design, scenario: s, setup, walk };
    }
}

/** every violated property with the length of its shortest counterexample */
export function found(r: ExhaustiveResult): string[] {
  return [...r.counterexamples].map(([id, c]) => `${id}: ${c.schedule.length}`).sort();
}

/**
 * Every design and scenario it runs in whose plain exhaustive search with the safety
 * properties ends within `maxStates` states: the pair, those properties, its setup and
 * that search (for a reduction to be held to it).
 */
export function* smallSafetyPairs(maxStates: number): Generator<{
  readonly design: Design;
  readonly scenario: Scenario;
  readonly props: readonly Property[];
  readonly setup: Setup;
  readonly plain: ExhaustiveResult;
}> {
  for (const s of SCENARIOS)
    for (const design of DESIGNS) {
      if (!runsIn(s, design)) continue;
      const props = PROPERTIES.filter((p) => p.applies(s, design) && !p.lasso);
      const setup = setupFor(design, s);
      const plain = exploreExhaustive(setup, props, {
        depth: Number.POSITIVE_INFINITY,
        maxStates,
      });
      if (plain.complete) yield { design, scenario: s, props, setup, plain };
    }
}

/**
 * The regression corpus's design and scenario pairs whose search with persistent sets
 * takes about a minute (over 100,000 states); every other pair takes seconds.
 * test/persistent-sets-large.test.ts checks their entries in a file of their own.
 */
export const LARGE = ["v1-hugetlb-drop two-vmas", "v1-hugetlb-hold two-vmas"];

/** A design and scenario pair of the regression corpus, with its entries' safety properties. */
export interface CorpusPair {
  readonly design: Design;
  readonly scenario: Scenario;
  readonly props: readonly Property[];
}

/** The regression corpus's safety entries (corpus/<design>/<scenario>.<property>.json), by "design scenario". */
export function corpusSafetyPairs(): Map<string, CorpusPair> {
  const root = join(import.meta.dirname, "..", "corpus");
  const pairs = new Map<string, CorpusPair>();
  for (const dir of readdirSync(root, { withFileTypes: true })) {
    if (!dir.isDirectory() || dir.name === "golden") continue;
    for (const f of readdirSync(join(root, dir.name))) {
      const [sid, pid] = f.replace(/\.json$/, "").split(".");
      const p = propertyById(pid ?? "");
      if (!p || p.lasso) continue;
      const k = `${dir.name} ${sid}`;
      const known = pairs.get(k);
      if (known !== undefined) {
        pairs.set(k, { ...known, props: [...known.props, p] });
        continue;
      }
      const design = designById(dir.name);
      const s = scenarioById(sid ?? "");
      if (!design || !s) throw new Error(`corpus/${dir.name}: unknown design or scenario ${sid}`);
      pairs.set(k, { design, scenario: s, props: [p] });
    }
  }
  return pairs;
}
