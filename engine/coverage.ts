// Coverage of a design's step table (`lockdrop coverage`, like Spin's list of unreached
// states): which edges of the driver threads running the design some search takes. An
// edge is a step's label and one outcome of its op. A search collects edges only when
// it is handed an EdgeCollector (engine/exec.ts `step` tells it what each step took);
// otherwise it pays one comparison per op. A scenario is searched exhaustively first,
// within the depth and state bounds; where that does not exhaust it, random search
// with the default seed runs as well, and the edges of both count.
import type { Event } from "../model/events.js";
import { breaksFaultContract } from "../model/kernel/fault.js";
import type { Scenario } from "../model/scenarios.js";
import type { Design } from "../model/step.js";
import { stepAt, target } from "../model/step.js";
import type { Status, World } from "../model/world.js";
import type { EdgeSink } from "./exec.js";
import type { ExhaustiveOptions } from "./exhaustive.js";
import { exploreExhaustive } from "./exhaustive.js";
import { checkPair } from "./random.js";
import { setupFor } from "./run.js";
import type { StopReason, Strength } from "./verdicts.js";

/** The bounds `lockdrop coverage` searches with unless told otherwise. */
export const COVERAGE_DEFAULTS = {
  /** the exhaustive pass's depth (`lockdrop coverage --depth`) */
  depth: 60,
  /**
   * the exhaustive pass's state bound, above the small scenarios (anon-uffd-1 and
   * hugetlb-uffd-1 have 3,000-25,000 states per built-in design): a scenario it does not
   * exhaust is searched at random too
   */
  maxStates: 30_000,
  /** random search: `--runs` and `--seed`'s defaults (cli/errors.ts) */
  runs: 1000,
  seed: 1,
} as const;

/** An edge as a key: label and outcome, which a label cannot contain. */
export function edgeKey(label: string, outcome: string): string {
  return `${label}\u0000${outcome}`;
}

/** One edge of a step table: the step at `label`, its op's `outcome`, and where it goes. */
export interface Edge {
  readonly label: string;
  readonly outcome: string;
  /** the label it jumps to (null for a table that does not validate) */
  readonly to: string | null;
}

/** Every edge of a design's step table, in table order and each op's outcome order. */
export function edgesOf(d: Design): Edge[] {
  return Object.keys(d.steps).flatMap((label) =>
    (stepAt(d, label)?.op.outcomes ?? []).map((outcome) => ({
      label,
      outcome,
      to: target(d, label, outcome),
    })),
  );
}

interface Sleep {
  readonly normal: string;
  readonly signal: string | null;
  readonly breach: boolean;
}

/**
 * The edges the threads running `program` take. An op that put its thread to sleep
 * takes its edge when the thread is woken: its outcome's on a normal wake-up, the
 * signal outcome's when a fatal signal ends a killable sleep; a thread that is never
 * woken took neither. The sleep is remembered by its status object, which worlds share
 * until the wake-up replaces it, so one collector serves a breadth-first search too.
 */
export class EdgeCollector implements EdgeSink {
  /** edges taken by an op that kept every kernel contract */
  readonly taken = new Set<string>();
  /** edges taken by an op whose fault broke handle_mm_fault()'s contract */
  readonly breached = new Set<string>();
  private readonly sleeping = new WeakMap<Status, Sleep>();
  constructor(readonly program: string) {}

  took(label: string, outcome: string, events: readonly Event[], from: number) {
    this.add(edgeKey(label, outcome), breach(events, from));
  }

  slept(
    status: Status,
    label: string,
    outcome: string,
    signalOutcome: string | undefined,
    events: readonly Event[],
    from: number,
  ) {
    this.sleeping.set(status, {
      normal: edgeKey(label, outcome),
      signal: signalOutcome === undefined ? null : edgeKey(label, signalOutcome),
      breach: breach(events, from),
    });
  }

  woke(before: World, after: World) {
    for (let i = 0; i < before.threads.length; i++) {
      const was = before.threads[i]?.status;
      const now = after.threads[i];
      if (was === undefined || now === undefined || was === now.status) continue;
      if (was.kind !== "blocked" || now.status.kind !== "runnable") continue;
      const s = this.sleeping.get(was);
      if (s === undefined) continue;
      if (now.pc === was.resume) this.add(s.normal, s.breach);
      else if (s.signal !== null && now.pc === was.resumeOnSignal) this.add(s.signal, s.breach);
    }
  }

  private add(key: string, broke: boolean) {
    (broke ? this.breached : this.taken).add(key);
  }
}

function breach(events: readonly Event[], from: number): boolean {
  for (let i = from; i < events.length; i++)
    if (breaksFaultContract(events[i] as Event)) return true;
  return false;
}

export interface CoverageOptions {
  /** the exhaustive pass: longest schedule explored */
  readonly depth: number;
  /**
   * the exhaustive pass stops after this many states; a scenario it did not exhaust is
   * searched at random too (with `exhaustiveOnly`, unbounded when absent)
   */
  readonly maxStates?: number;
  /** the exhaustive pass stops when the heap grows past this many MiB */
  readonly maxMemoryMiB?: number;
  /** random search where the exhaustive pass did not exhaust the scenario */
  readonly runs: number;
  readonly seed: number;
  /**
   * no random search: what an exhaustive pass stopped early (`maxStates`,
   * `maxMemoryMiB`) or left beyond its depth bound did not reach is unknown
   */
  readonly exhaustiveOnly?: boolean;
  /** the exhaustive pass's progress; returning true stops it (Ctrl-C) */
  readonly onProgress?: ExhaustiveOptions["onProgress"];
}

/** One search of a scenario: what it rests on, and why it stopped early if it did. */
export interface CoverageSearch {
  readonly strength: Strength;
  readonly stopped?: StopReason;
}

export interface ScenarioCoverage {
  readonly scenario: string;
  /** the exhaustive pass, then the random search where the pass did not exhaust the scenario */
  readonly searches: readonly CoverageSearch[];
  /** a search was cut short: an edge it did not reach may still be reachable here */
  readonly cutShort: boolean;
  /** the edges taken (edgeKey), by ops that kept every contract */
  readonly reached: readonly string[];
  /** the edges taken only by an op whose fault broke handle_mm_fault()'s contract */
  readonly breached: readonly string[];
}

/** The edges of `design` that searches of `scenario` take. */
export function scenarioCoverage(
  design: Design,
  scenario: Scenario,
  opts: CoverageOptions,
): ScenarioCoverage {
  const edges = new EdgeCollector(design.id);
  const r = exploreExhaustive(setupFor(design, scenario), [], {
    depth: opts.depth,
    ...(opts.maxStates !== undefined ? { maxStates: opts.maxStates } : {}),
    ...(opts.maxMemoryMiB !== undefined ? { maxMemoryMiB: opts.maxMemoryMiB } : {}),
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    edges,
  });
  const searches: CoverageSearch[] = [
    {
      strength: {
        kind: r.complete ? "exhaustive-complete" : "exhaustive-depth",
        depth: r.depth,
        states: r.states,
        frontier: r.frontier,
      },
      ...(r.stoppedBy ? { stopped: r.stoppedBy } : {}),
    },
  ];
  // a search stopped from outside goes no further; one stopped at its bounds, or with
  // states left at the depth bound, is followed by random search (unless told not to)
  const interrupted = r.stoppedBy === "interrupted";
  if (!r.complete && !interrupted && opts.exhaustiveOnly !== true) {
    checkPair(design, scenario, [], { runs: opts.runs, seed: opts.seed, edges });
    searches.push({ strength: { kind: "random", runs: opts.runs } });
  }
  const last = searches.at(-1) as CoverageSearch;
  return {
    scenario: scenario.id,
    searches,
    // the last search stopped early, or it is an exhaustive pass that left states at its
    // depth bound (--exhaustive: no random search follows): what lies past the bound is
    // not known unreached
    cutShort: last.stopped !== undefined || last.strength.kind === "exhaustive-depth",
    reached: [...edges.taken],
    breached: [...edges.breached].filter((k) => !edges.taken.has(k)),
  };
}

/**
 * An edge's coverage: reached (by a search that kept every contract), reached only
 * where a fault broke handle_mm_fault()'s contract (a misbehaving handler), unreached
 * by every search, or unknown (not reached, and a search was cut short).
 */
export type EdgeStatus = "reached" | "misbehaving-handler" | "unreached" | "unknown";

export interface EdgeCoverage extends Edge {
  readonly status: EdgeStatus;
  /** the scenarios whose searches took it */
  readonly reachedIn: string[];
  /** the scenarios where only an op whose fault broke the contract took it */
  readonly breachedIn: string[];
  /** the design lists it as unreachable, for this reason */
  readonly unreachable?: string;
  /** listed as unreachable, but reached: the list is out of date */
  readonly stale: boolean;
}

export interface DesignCoverage {
  readonly design: string;
  readonly scenarios: readonly ScenarioCoverage[];
  readonly edges: readonly EdgeCoverage[];
}

/** The design's edges, each with the scenarios that reached it and its listed reason. */
export function designCoverage(
  design: Design,
  scenarios: readonly ScenarioCoverage[],
): DesignCoverage {
  const listed = new Map((design.unreachable ?? []).map((u) => [edgeKey(u.label, u.outcome), u]));
  const cutShort = scenarios.some((s) => s.cutShort);
  const edges = edgesOf(design).map((e): EdgeCoverage => {
    const key = edgeKey(e.label, e.outcome);
    const reachedIn = scenarios.filter((s) => s.reached.includes(key)).map((s) => s.scenario);
    const breachedIn = scenarios.filter((s) => s.breached.includes(key)).map((s) => s.scenario);
    const status: EdgeStatus =
      reachedIn.length > 0
        ? "reached"
        : breachedIn.length > 0
          ? "misbehaving-handler"
          : cutShort
            ? "unknown"
            : "unreached";
    const reason = listed.get(key)?.reason;
    return {
      ...e,
      status,
      reachedIn,
      breachedIn,
      ...(reason !== undefined ? { unreachable: reason } : {}),
      stale: reason !== undefined && status === "reached",
    };
  });
  return { design: design.id, scenarios, edges };
}

/** The design's coverage over `scenarios`, searched one after the other in this thread. */
export function coverageOf(
  design: Design,
  scenarios: readonly Scenario[],
  opts: CoverageOptions,
): DesignCoverage {
  return designCoverage(
    design,
    scenarios.map((s) => scenarioCoverage(design, s, opts)),
  );
}

/** Edges no search reached that the design does not list as unreachable. */
export function unlisted(c: DesignCoverage): EdgeCoverage[] {
  return c.edges.filter((e) => e.unreachable === undefined && e.status === "unreached");
}

/**
 * The exit code of `lockdrop coverage`, a report: 0 when every edge is reached or listed
 * as unreachable; 4 when an unlisted edge is unknown (a search was cut short); 1 with
 * `strict` when an unlisted edge is unreached or a listed one was reached (stale).
 */
export function coverageExit(c: DesignCoverage, strict: boolean): 0 | 1 | 4 {
  if (strict && (unlisted(c).length > 0 || c.edges.some((e) => e.stale))) return 1;
  if (c.edges.some((e) => e.unreachable === undefined && e.status === "unknown")) return 4;
  return 0;
}
