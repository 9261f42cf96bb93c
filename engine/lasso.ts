// Liveness as lassos: a run that reaches a state, then takes a loop of steps that
// comes back to that same state, can repeat the loop forever. A liveness property says
// which loops count against it (every state of the loop satisfies `inLoop`, no step of
// it is `progress`, the driver steps in it, and each weakly fair thread either steps in
// it or is disabled somewhere on it) and how to say so. The same spec serves every
// search, so that random search, exhaustive search and replay agree on what a lasso is:
//   - every run (random search, shrinking, the replay of a counterexample file) watches
//     for a repeated state while the condition holds (LassoWatch, engine/run.ts);
//   - the exhaustive engine looks for the shortest such lasso in its state graph
//     (engine/lasso-graph.ts), and its lassos replay through the same watch;
//   - checkLasso verifies a given loop from a run's worlds (the tests check the watch
//     with it).
import { CLOCK } from "../model/actors/clock.js";
import { deadlineKeys, ticks } from "../model/kernel/time.js";
import { canonicalWorld } from "../model/parts.js";
import type { Programs } from "../model/step.js";
import type { Tid, World } from "../model/world.js";
import type { LassoSpec } from "../properties/property.js";
import { isEnabled } from "./exec.js";
import { compactKey, PartHashes } from "./fingerprint.js";

/** The state a world is (model/parts.ts canonicalWorld): a loop closes on the same state. */
const loopKey = (w: World): string => compactKey(canonicalWorld(w));

// The hash of the state a world is, part by part (PartHashes), and the last world
// hashed with its hash: the watches of a run's liveness properties each ask for the
// same world after a step.
const loopHashes = new PartHashes();
let hashedWorld: World | null = null;
let hashedValue = 0;
function loopHash(w: World): number {
  if (w !== hashedWorld) {
    hashedValue = loopHashes.of(canonicalWorld(w));
    hashedWorld = w;
  }
  return hashedValue;
}

/**
 * The threads a loop must be fair to, besides thread 0 (which must step in it): every
 * other thread (README "Properties": weak fairness), except the actors the spec drops
 * from its fairness set (`unfair`, said so in every report). `idleBits` excuses an
 * actor that waits at its entry label, unless the spec names it: a budget means "at
 * most", so an idle actor may stay idle forever, but one in the middle of an operation
 * (holding a lock, queued on one, or with more of the same operation to run) must step
 * or be disabled somewhere in the loop, as the kernel's scheduler and the rwsem
 * hand-off make it.
 */
function fairThreads(spec: LassoSpec, w: World): Tid[] {
  const unfair = spec.unfair ?? [];
  return w.threads
    .filter((t) => t.id > 0 && (t.role === "driver" || !unfair.includes(t.program)))
    .map((t) => t.id);
}

/**
 * Whom a loop must be fair to: the threads of `fairThreads`, and, for a spec that names
 * the clock, every deadline. In the kernel one jiffies counter moves every deadline on
 * at once; the clock actor moves one per tick, whichever the schedule picks
 * (model/actors/clock.ts), so fairness to the clock thread alone would count a loop in
 * which it ticks one deadline for ever and never another. Fair to the clock, a loop
 * moves each deadline on in it, or the deadline has passed (or is not armed, or its
 * thread has returned) somewhere on it.
 */
export interface Fairness {
  readonly threads: readonly Tid[];
  /** deadline keys (`deadline@T`), for a spec fair to the clock; none otherwise */
  readonly deadlines: readonly string[];
}

/** Fairness bits fit in a 31-bit mask (engine/lasso-graph.ts keeps them in an Int32Array). */
const MAX_BITS = 30;

export function fairness(spec: LassoSpec, w0: World, programs: Programs): Fairness {
  const threads = fairThreads(spec, w0);
  const deadlines =
    spec.weaklyFair.includes(CLOCK) && w0.threads.some((t) => t.program === CLOCK)
      ? deadlineKeys(w0, programs)
      : [];
  const f = { threads, deadlines };
  if (bitCount(f) > MAX_BITS)
    throw new Error(
      `a liveness property here must be fair to ${threads.length} threads and ${deadlines.length} deadlines, more than the ${MAX_BITS} fairness bits a lasso search keeps: run it on a scenario with fewer actors or drivers.`,
    );
  return f;
}

/** Is there anyone beside the first driver the loop must be fair to? */
export function fairToOthers(f: Fairness): boolean {
  return f.threads.length + f.deadlines.length > 0;
}

function bitCount(f: Fairness): number {
  return 1 + f.threads.length + 2 * f.deadlines.length;
}

/**
 * Fairness facts as bits: bit 0, the first driver (thread 0) stepped; bit 1 + i, fair
 * thread i stepped, was disabled, or (an actor the spec does not name) waited idle at
 * its entry label; then two bits per deadline j, "not pending here" and "not due here".
 * A loop counts when all bits are set: a deadline that was both pending and due on it
 * was moved on in it (only the clock turns pending into due), and one that passed,
 * is not armed or whose thread returned sets both. A deadline re-armed pending in the
 * loop and armed due elsewhere in it (a budget read from another deadline's time left)
 * counts as moved on too, as the kernel's jiffies would move it.
 */
export function fullMask(f: Fairness): number {
  return (1 << bitCount(f)) - 1;
}

export function stepBits(tid: Tid, f: Fairness): number {
  let m = tid === 0 ? 1 : 0;
  const i = f.threads.indexOf(tid);
  if (i >= 0) m |= 1 << (i + 1);
  return m;
}

export function idleBits(w: World, f: Fairness, programs: Programs, spec: LassoSpec): number {
  let m = 0;
  const fair = f.threads;
  for (let i = 0; i < fair.length; i++) {
    const tid = fair[i] as Tid;
    if (!isEnabled(w, tid, programs)) {
      m |= 1 << (i + 1);
      continue;
    }
    const t = w.threads[tid];
    if (
      t !== undefined &&
      t.role !== "driver" &&
      !spec.weaklyFair.includes(t.program) &&
      t.pc === programs[t.program]?.start
    )
      m |= 1 << (i + 1);
  }
  if (f.deadlines.length === 0) return m;
  const base = fair.length + 1;
  // where time stands still (the clock's budget spent), nothing can move a deadline on:
  // fairness to it asks nothing, as to a disabled thread
  if (!timeRuns(w)) return m | (fullMask(f) & ~((1 << base) - 1));
  for (let j = 0; j < f.deadlines.length; j++) {
    const key = f.deadlines[j] as string;
    const state = ticks(w, key) ? w.deadlines[key]?.state : undefined;
    if (state !== "pending") m |= 1 << (base + 2 * j);
    if (state !== "due") m |= 1 << (base + 2 * j + 1);
  }
  for (const key in w.deadlines)
    if (!f.deadlines.includes(key))
      throw new Error(
        `deadline "${key}" was armed by no armDeadline() step of the scenario's programs, so a loop fair to the clock cannot be fair to it: arm deadlines with armDeadline() (model/kernel/time.ts).`,
      );
  return m;
}

/** Can time still pass in `w`: a clock with ticks left (unbounded, or a budget above 0)? */
function timeRuns(w: World): boolean {
  return w.threads.some(
    (t) => t.program === CLOCK && t.status.kind !== "done" && (t.budget === null || t.budget > 0),
  );
}

/**
 * The threads a lasso was fair to, for its report: those it had to be fair to, and the
 * actors the property left out of its fairness set.
 */
export function fairnessText(spec: LassoSpec, w: World, programs: Programs): string {
  const f = fairness(spec, w, programs);
  const fair = new Set(f.threads);
  const named = w.threads
    .filter(
      (t) =>
        fair.has(t.id) &&
        (t.role === "driver" ||
          spec.weaklyFair.includes(t.program) ||
          t.pc !== programs[t.program]?.start),
    )
    .map((t) => t.name);
  const text =
    named.length === 0
      ? "fair: every other thread is idle or finished"
      : `fair to ${named.join(", ")}: each steps in the loop or is disabled in it; actors idle at their entry may stay idle`;
  const time =
    f.deadlines.length > 0 && timeRuns(w)
      ? "; fair to every deadline, as jiffies move them all: each still to come is moved on in the loop"
      : "";
  const dropped = w.threads.filter((t) => t.id > 0 && !fair.has(t.id));
  return dropped.length === 0
    ? `${text}${time}`
    : `${text}${time}; not fair to ${dropped.map((t) => `${t.name} (${t.program})`).join(" or ")}, which the property leaves out of its fairness set`;
}

export interface LassoFound {
  /** steps before the loop */
  readonly loopStart: number;
  /** index of the step that closes the loop */
  readonly at: number;
  readonly message: string;
}

/**
 * Watches one run, step by step, for a lasso of `spec`: a state met again while the
 * condition held all along, with a fair loop in between.
 */
export class LassoWatch {
  /** state hash -> the step count after which it was met, and the world (to confirm) */
  private seen = new Map<number, { readonly index: number; readonly world: World }>();
  /** per step since the condition last became true: fairness bits of that step */
  private bits: number[] = [];
  private from = 0;
  private readonly fair: Fairness;
  /** the world after the last step (before the next one) */
  private last: World;

  constructor(
    private readonly spec: LassoSpec,
    world0: World,
    private readonly programs: Programs,
  ) {
    this.last = world0;
    this.fair = fairness(spec, world0, programs);
    this.reset(world0, 0);
  }

  private reset(w: World, index: number): void {
    this.seen.clear();
    this.bits = [];
    this.from = index;
    if (this.spec.inLoop(w)) this.seen.set(loopHash(w), { index, world: w });
  }

  /** After step `index` (0-based) produced `w`: the lasso it closes, if any. */
  step(index: number, tid: Tid, w: World): LassoFound | null {
    const before = this.last;
    this.last = w;
    // a progress step ends every loop through it: loops may start after it
    if (!this.spec.inLoop(w) || this.spec.progress?.(before, w) === true) {
      this.reset(w, index + 1);
      return null;
    }
    this.bits.push(stepBits(tid, this.fair) | idleBits(w, this.fair, this.programs, this.spec));
    const key = loopHash(w);
    const met = this.seen.get(key);
    this.seen.set(key, { index: index + 1, world: w });
    if (met === undefined || loopKey(met.world) !== loopKey(w)) return null;
    const first = met.index;
    // the loop: steps first .. index (0-based), back to the state after `first` steps
    let mask = 0;
    for (let i = first - this.from; i < this.bits.length; i++) mask |= this.bits[i] as number;
    if (mask !== fullMask(this.fair)) return null;
    return {
      loopStart: first,
      at: index,
      message: `${this.spec.describe(first, index + 1 - first)} (${fairnessText(this.spec, met.world, this.programs)})`,
    };
  }
}

/**
 * Does the run whose worlds are `worlds` (worlds[i] after i steps, `tids[i]` the thread
 * of step i) end in a lasso of `spec` that starts after `loopStart` steps?
 */
export function checkLasso(
  spec: LassoSpec,
  worlds: readonly World[],
  tids: readonly Tid[],
  loopStart: number,
  programs: Programs,
): string | null {
  const end = tids.length;
  const a = worlds[loopStart];
  const b = worlds[end];
  if (!a || !b || loopStart >= end) return null;
  if (loopKey(a) !== loopKey(b)) return null;
  const fair = fairness(spec, a, programs);
  let mask = 0;
  for (let i = loopStart; i < end; i++) {
    const w = worlds[i + 1] as World;
    if (!spec.inLoop(w) || spec.progress?.(worlds[i] as World, w) === true) return null;
    mask |= stepBits(tids[i] as Tid, fair) | idleBits(w, fair, programs, spec);
  }
  if (!spec.inLoop(a) || mask !== fullMask(fair)) return null;
  return `${spec.describe(loopStart, end - loopStart)} (${fairnessText(spec, a, programs)})`;
}

/** An edge of the exhaustive engine's state graph among `inLoop` states. */
export interface LassoEdge {
  readonly from: number;
  readonly to: number;
  readonly tid: number;
  readonly pick: number;
}
