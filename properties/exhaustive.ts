// Exhaustive search: breadth-first over the same step function and the same property
// monitors as random mode, with a visited set of canonical states (the world plus the
// state of every stateful monitor). BFS order makes every counterexample it returns a
// shortest one (in scheduled steps). Liveness is checked as lassos: a reachable cycle
// in which the driver keeps stepping with a fatal signal pending (L3), or, undisturbed
// and with the uffd monitor weakly fair, never returns (L2).
import { enabledThreads, step } from "../model/exec.js";
import { compactKey, encode, encodeKey, extendKey, keyUnits } from "../model/fingerprint.js";
import type { World } from "../model/world.js";
import type { Monitor, Property, RunEnd } from "./property.js";
import type { Choice, Run, Setup } from "./run.js";
import { mayComplete, runSchedule } from "./run.js";
import { StateSet } from "./stateset.js";

export interface ExhaustiveOptions {
  /** longest schedule explored (steps from the initial state) */
  readonly depth: number;
  /** stop after this many distinct states, with a coverage report */
  readonly maxStates?: number;
  /** stop when the heap grows beyond this many MiB */
  readonly maxMemoryMiB?: number;
  /** keep 64-bit hashes of states instead of their encodings (Spin's hash-compact) */
  readonly hashCompact?: boolean;
  /** CHESS preemption bound: at most this many switches away from a thread that could go on */
  readonly preemptions?: number;
  /** sleep sets: do not re-explore a step that commutes with one already taken */
  readonly sleepSets?: boolean;
  /** called every few thousand transitions; returning true stops the search (Ctrl-C) */
  readonly onProgress?: (p: { states: number; transitions: number; depth: number }) => boolean;
}

export interface ExhaustiveCounterexample {
  readonly property: string;
  /** the schedule, one choice per step; for a lasso, prefix then one turn of the loop */
  readonly schedule: readonly Choice[];
  /** for a lasso: the index in `schedule` where the repeating part starts */
  readonly loopStart: number | null;
  readonly message: string;
  readonly run: Run;
}

export interface ExhaustiveResult {
  readonly states: number;
  readonly transitions: number;
  /** deepest level expanded */
  readonly depth: number;
  /** the whole state space was explored within the depth bound */
  readonly complete: boolean;
  /** why the search stopped early, if it did */
  readonly stoppedBy: "max-states" | "max-memory" | "interrupted" | null;
  /** states at the depth bound that still had successors */
  readonly frontier: number;
  readonly ms: number;
  /** with hash compaction: the probability that some state was missed (birthday bound) */
  readonly omissionProbability: number | null;
  readonly counterexamples: ReadonlyMap<string, ExhaustiveCounterexample>;
}

interface Node {
  readonly world: World;
  readonly mon: readonly unknown[];
  readonly index: number;
  /** the thread that ran last, for the preemption bound */
  readonly last: number;
  readonly preemptions: number;
  /** threads whose next step need not be explored from here (sleep set) */
  readonly sleep: readonly number[];
}

/** Parent pointers: how each state was first reached. */
class Tree {
  parent: Int32Array = new Int32Array(1 << 16);
  tid: Int16Array = new Int16Array(1 << 16);
  pick: Int16Array = new Int16Array(1 << 16);
  size = 0;
  add(parent: number, tid: number, pick: number): number {
    if (this.size === this.parent.length) {
      const grow = <T extends Int32Array | Int16Array>(a: T, make: (n: number) => T): T => {
        const b = make(a.length * 2);
        b.set(a);
        return b;
      };
      this.parent = grow(this.parent, (n) => new Int32Array(n));
      this.tid = grow(this.tid, (n) => new Int16Array(n));
      this.pick = grow(this.pick, (n) => new Int16Array(n));
    }
    const i = this.size++;
    this.parent[i] = parent;
    this.tid[i] = tid;
    this.pick[i] = pick;
    return i;
  }
  path(i: number): Choice[] {
    const out: Choice[] = [];
    for (let n = i; n > 0; n = this.parent[n] as number)
      out.push({ t: this.tid[n] as number, p: this.pick[n] as number });
    return out.reverse();
  }
}

/** The JavaScript heap plus the typed arrays (visited set, tree), in MiB. */
function heapMiB(): number {
  const m = process.memoryUsage();
  return (m.heapUsed + m.arrayBuffers) / 2 ** 20;
}

const NO_MONITORS: readonly unknown[] = [];
const NO_SLEEP: readonly number[] = [];

function monitorsFor(props: readonly Property[]): Monitor[] {
  return props.map((p) => p.monitor());
}

function load(monitors: Monitor[], states: readonly unknown[]): void {
  for (let i = 0; i < monitors.length; i++) monitors[i]?.load?.(states[i]);
}

function save(monitors: Monitor[]): unknown[] {
  return monitors.map((m) => (m.save ? m.save() : null));
}

/** No munmap, invalidation or signal has acted and the call still runs: where L2 lassos live. */
function undisturbed(w: World): boolean {
  return !w.ghost.disrupted && w.threads[0]?.status.kind !== "done";
}

/** A fatal signal is pending and the driver has not returned: where L3 lassos live. */
function signalPending(w: World): boolean {
  const t = w.threads[0];
  return t?.fatal === true && t.status.kind !== "done";
}

export function exploreExhaustive(
  setup: Setup,
  props: readonly Property[],
  opts: ExhaustiveOptions,
): ExhaustiveResult {
  const t0 = performance.now();
  const monitors = monitorsFor(props);
  const found = new Map<string, ExhaustiveCounterexample>();
  const pending = new Map<string, { node: number; message: string }>();
  const tree = new Tree();
  // canonical state -> its tree node; with sleep sets, the sleep set it was explored with
  const visited = new StateSet(opts.hashCompact === true);
  const sleeps = new Map<number, readonly number[]>();
  // with a preemption bound the budget left is part of the state: a state first reached
  // with more preemptions must not hide the same state reached with fewer
  // The key is left in keyUnits()[0, length) until the next encodeKey.
  const stateful = monitors.some((m) => m.save !== undefined);
  const keyOf = (w: World, mon: readonly unknown[], used = 0): number => {
    let n = encodeKey(w);
    if (stateful) n = extendKey(encode(mon));
    if (opts.preemptions !== undefined) n = extendKey(String(used));
    return n;
  };
  // L3 lassos: edges between states with a fatal signal pending
  const lasso = props.some((p) => p.id === "fatal-signal-ends-loop");
  const edges: [number, number, number, number][] = [];
  // L2 lassos: edges between undisturbed states with the call still running, and the
  // states where the monitor cannot run (for its weak fairness)
  const progress = props.some((p) => p.id === "uffd-fault-completes");
  const progressEdges: [number, number, number, number][] = [];
  const monitorIdle = new Set<number>();
  const monitorTid = setup.world0.threads.find((t) => t.program === "monitor")?.id;

  const root = tree.add(-1, 0, 0);
  const mon0 = stateful ? save(monitors) : NO_MONITORS;
  visited.add(keyUnits(), keyOf(setup.world0, mon0), root);
  let frontier: Node[] = [
    { world: setup.world0, mon: mon0, index: root, last: -1, preemptions: 0, sleep: [] },
  ];
  let transitions = 0;
  let lastCheck = 0;
  let depth = 0;
  let stoppedBy: ExhaustiveResult["stoppedBy"] = null;
  let atBound = 0;

  const endCheck = (node: Node, w: World) => {
    const driver = w.threads[0];
    const end: RunEnd = driver?.status.kind === "done" ? "done" : "deadlock";
    load(monitors, node.mon);
    props.forEach((p, i) => {
      if (found.has(p.id) || pending.has(p.id)) return;
      const msg = monitors[i]?.end?.({
        world: w,
        trace: [],
        end,
        scenario: setup.scenario,
        design: setup.design,
      });
      if (msg) pending.set(p.id, { node: node.index, message: msg });
    });
  };

  search: while (frontier.length > 0) {
    if (depth >= opts.depth) {
      // states at the bound are not expanded, but a quiescent one is still judged
      for (const n of frontier) {
        const enabled = enabledThreads(n.world, setup.programs);
        if (!enabled.some((t) => mayComplete(n.world, t, setup.programs))) endCheck(n, n.world);
        if (enabled.length > 0) atBound++;
      }
      break;
    }
    const next: Node[] = [];
    for (const node of frontier) {
      const enabled = enabledThreads(node.world, setup.programs);
      // quiescent: nothing but a new munmap, invalidation or signal could run now; the
      // end-of-run properties are judged here, as after random mode's fair completion
      if (!enabled.some((t) => mayComplete(node.world, t, setup.programs)))
        endCheck(node, node.world);
      if (enabled.length === 0) continue;
      if (
        progress &&
        monitorTid !== undefined &&
        undisturbed(node.world) &&
        !enabled.includes(monitorTid)
      )
        monitorIdle.add(node.index);
      const done: number[] = [];
      // successors by thread (pick 0), reused by the commutation checks of sleep sets
      const succ = new Map<number, World>();
      for (const tid of enabled) {
        if (opts.sleepSets && node.sleep.includes(tid)) continue;
        const preempt = node.last >= 0 && tid !== node.last && enabled.includes(node.last) ? 1 : 0;
        if (opts.preemptions !== undefined && node.preemptions + preempt > opts.preemptions)
          continue;
        let choices = 1;
        for (let pick = 0; pick < choices; pick++) {
          const [w, rec] = step(node.world, tid, pick, setup.programs);
          if (pick === 0 && opts.sleepSets) succ.set(tid, w);
          choices = Math.max(1, rec.choices);
          transitions++;
          if (stateful) load(monitors, node.mon);
          let violations: [string, string][] | null = null;
          const view = {
            before: node.world,
            after: w,
            rec,
            index: depth,
            phase: "schedule",
          } as const;
          for (let i = 0; i < monitors.length; i++) {
            const msg = monitors[i]?.step?.(view);
            if (!msg) continue;
            const id = (props[i] as Property).id;
            if (found.has(id) || pending.has(id)) continue;
            if (violations === null) violations = [];
            violations.push([id, msg]);
          }
          const mon = stateful ? save(monitors) : NO_MONITORS;
          // sleep set of the child: earlier siblings that commute with this step
          const sleep = opts.sleepSets ? commuting(node, tid, w, done, succ, setup) : NO_SLEEP;
          const keyLength = keyOf(w, mon, node.preemptions + preempt);
          const seen = visited.get(keyUnits(), keyLength);
          // a tree node for every new state, and for the last step of a violation's path
          const index =
            seen !== undefined && violations === null ? seen : tree.add(node.index, tid, pick);
          if (violations)
            for (const [id, message] of violations) pending.set(id, { node: index, message });
          if (lasso && signalPending(w)) edges.push([node.index, seen ?? index, tid, pick]);
          if (progress && undisturbed(node.world) && undisturbed(w))
            progressEdges.push([node.index, seen ?? index, tid, pick]);
          const preemptions = node.preemptions + preempt;
          if (seen !== undefined) {
            if (!opts.sleepSets) continue;
            const seenSleep = sleeps.get(seen) ?? NO_SLEEP;
            if (sleep.every((x) => seenSleep.includes(x))) continue;
            // reached again with a smaller sleep set: explore it again with the intersection
            const inter = seenSleep.filter((x) => sleep.includes(x));
            sleeps.set(seen, inter);
            next.push({ world: w, mon, index: seen, last: tid, preemptions, sleep: inter });
            continue;
          }
          visited.add(keyUnits(), keyLength, index);
          if (opts.sleepSets) sleeps.set(index, sleep);
          next.push({ world: w, mon, index, last: tid, preemptions, sleep });
          if (opts.maxStates !== undefined && visited.size >= opts.maxStates) {
            stoppedBy = "max-states";
            frontier = next;
            break search;
          }
        }
        done.push(tid);
      }
      if (transitions - lastCheck >= 4096) {
        lastCheck = transitions;
        if (opts.maxMemoryMiB !== undefined && heapMiB() > opts.maxMemoryMiB) {
          stoppedBy = "max-memory";
          frontier = next;
          break search;
        }
        if (opts.onProgress?.({ states: visited.size, transitions, depth })) {
          stoppedBy = "interrupted";
          frontier = next;
          break search;
        }
      }
    }
    frontier = next;
    depth++;
  }

  for (const [property, v] of pending) {
    const schedule = tree.path(v.node);
    const prop = props.find((p) => p.id === property);
    const run = runSchedule(setup, schedule, prop ? [prop] : [], {
      keepWorlds: true,
      noCompletion: true,
    });
    found.set(property, { property, schedule, loopStart: null, message: v.message, run });
  }
  if (lasso && !found.has("fatal-signal-ends-loop")) {
    const l = findLasso(edges, tree, setup, {
      property: "fatal-signal-ends-loop",
      fair: () => true,
      describe: (prefix, loop, total) =>
        `lasso: after ${prefix} steps the driver, with a fatal signal pending, enters a loop of ${loop} steps that comes back to the same state (steps ${prefix + 1}-${total} repeat forever) and never returns.`,
    });
    if (l) found.set("fatal-signal-ends-loop", l);
  }
  if (progress && !found.has("uffd-fault-completes")) {
    const monitor = setup.world0.threads.find((t) => t.program === "monitor")?.id;
    const l = findLasso(progressEdges, tree, setup, {
      property: "uffd-fault-completes",
      // weak fairness for the monitor: it runs in the loop, or cannot run somewhere in it
      fair: (nodes, threads) =>
        monitor === undefined || threads.includes(monitor) || nodes.some((n) => monitorIdle.has(n)),
      describe: (prefix, loop, total) =>
        `lasso: after ${prefix} steps, with no munmap, invalidation or signal and the monitor answering, the call enters a loop of ${loop} steps that comes back to the same state (steps ${prefix + 1}-${total} repeat forever) and never returns.`,
    });
    if (l) found.set("uffd-fault-completes", l);
  }
  const states = visited.size;
  return {
    states,
    transitions,
    depth,
    complete: stoppedBy === null && atBound === 0,
    stoppedBy,
    frontier: atBound + (stoppedBy ? frontier.length : 0),
    ms: performance.now() - t0,
    omissionProbability: opts.hashCompact ? (states * states) / 2 ** 65 : null,
    counterexamples: found,
  };
}

/** Earlier siblings (and inherited sleepers) whose step commutes with `tid`'s at this node. */
function commuting(
  node: Node,
  tid: number,
  a: World,
  earlier: readonly number[],
  succ: Map<number, World>,
  setup: Setup,
): number[] {
  const out: number[] = [];
  for (const u of [...node.sleep, ...earlier]) {
    if (u === tid || out.includes(u)) continue;
    const b = succ.get(u) ?? step(node.world, u, 0, setup.programs)[0];
    if (!enabledThreads(a, setup.programs).includes(u)) continue;
    if (!enabledThreads(b, setup.programs).includes(tid)) continue;
    const [ab] = step(a, u, 0, setup.programs);
    const [ba] = step(b, tid, 0, setup.programs);
    if (compactKey(ab) === compactKey(ba)) out.push(u);
  }
  return out;
}

interface LassoSpec {
  readonly property: string;
  /** may this loop be reported? (fairness: nodes and threads along the loop) */
  readonly fair: (nodes: readonly number[], threads: readonly number[]) => boolean;
  readonly describe: (prefix: number, loop: number, total: number) => string;
}

/**
 * A reachable cycle among the recorded edges that contains a step of the driver and
 * passes the spec's fairness test: the driver loops forever instead of returning.
 * The candidate reached soonest (shortest prefix) is reported.
 */
function findLasso(
  edges: readonly [number, number, number, number][],
  tree: Tree,
  setup: Setup,
  spec: LassoSpec,
): ExhaustiveCounterexample | null {
  const out = new Map<number, [number, number, number][]>();
  for (const [a, b, t, p] of edges) {
    const list = out.get(a);
    if (list) list.push([b, t, p]);
    else out.set(a, [[b, t, p]]);
  }
  const comp = components(out);
  const candidates = edges
    .filter(([a, b, t]) => t === 0 && comp.get(a) !== undefined && comp.get(a) === comp.get(b))
    .sort((x, y) => x[0] - y[0])
    .slice(0, 64);
  for (const [a, b, t, p] of candidates) {
    const back = pathBetween(out, b, a);
    if (!back) continue;
    const nodes = [a, b, ...back.nodes];
    if (!spec.fair(nodes, [t, ...back.choices.map((c) => c.t)])) continue;
    const prefix = tree.path(a);
    const loop: Choice[] = [{ t, p }, ...back.choices];
    const schedule = [...prefix, ...loop];
    const run = runSchedule(setup, schedule, [], { keepWorlds: true, noCompletion: true });
    return {
      property: spec.property,
      schedule,
      loopStart: prefix.length,
      message: spec.describe(prefix.length, loop.length, schedule.length),
      run,
    };
  }
  return null;
}

/** Strongly connected components (Tarjan, iterative): node -> component id. */
function components(out: Map<number, [number, number, number][]>): Map<number, number> {
  const index = new Map<number, number>();
  const low = new Map<number, number>();
  const onStack = new Set<number>();
  const stack: number[] = [];
  const comp = new Map<number, number>();
  let counter = 0;
  let ncomp = 0;
  for (const start of out.keys()) {
    if (index.has(start)) continue;
    const work: [number, number][] = [[start, 0]];
    index.set(start, counter);
    low.set(start, counter++);
    stack.push(start);
    onStack.add(start);
    while (work.length > 0) {
      const top = work[work.length - 1] as [number, number];
      const [v, i] = top;
      const succ = out.get(v) ?? [];
      if (i < succ.length) {
        top[1] = i + 1;
        const w = (succ[i] as [number, number, number])[0];
        if (!index.has(w)) {
          index.set(w, counter);
          low.set(w, counter++);
          stack.push(w);
          onStack.add(w);
          work.push([w, 0]);
        } else if (onStack.has(w))
          low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent[0], Math.min(low.get(parent[0]) as number, low.get(v) as number));
      if (low.get(v) === index.get(v)) {
        for (;;) {
          const x = stack.pop() as number;
          onStack.delete(x);
          comp.set(x, ncomp);
          if (x === v) break;
        }
        ncomp++;
      }
    }
  }
  return comp;
}

function pathBetween(
  out: Map<number, [number, number, number][]>,
  from: number,
  to: number,
): { choices: Choice[]; nodes: number[] } | null {
  if (from === to) return { choices: [], nodes: [] };
  const prev = new Map<number, [number, number, number]>();
  const queue = [from];
  prev.set(from, [-1, 0, 0]);
  while (queue.length > 0) {
    const x = queue.shift() as number;
    for (const [y, t, p] of out.get(x) ?? []) {
      if (prev.has(y)) continue;
      prev.set(y, [x, t, p]);
      if (y === to) {
        const choices: Choice[] = [];
        const nodes: number[] = [];
        for (let n = y; n !== from; ) {
          const [px, pt, pp] = prev.get(n) as [number, number, number];
          choices.push({ t: pt, p: pp });
          nodes.push(n);
          n = px;
        }
        return { choices: choices.reverse(), nodes: nodes.reverse() };
      }
      queue.push(y);
    }
  }
  return null;
}
