// The step language. A program (a design, or an environment actor) is a table of
// labelled steps; each step performs one atomic kernel action (an Op) and names the
// label to go to for each outcome. Ops are shared by all programs (model/kernel/), so
// a design file reads like the patch it models.
import type { Event } from "./events.js";
import { branded } from "./registry.js";
import type {
  BlockedOn,
  Draft,
  LockKind,
  Thread,
  Tid,
  Val,
  VmaRef,
  World,
  WorldDraft,
} from "./world.js";
import { isVmaRef } from "./world.js";

/** What an op sees while it runs: the world draft, its thread, and the schedule's pick. */
export interface Ctx {
  readonly w: WorldDraft;
  readonly tid: Tid;
  readonly t: Draft<Thread>;
  emit(e: Event): void;
  get(name: string): Val | undefined;
  num(name: string): number;
  ref(name: string): VmaRef | null;
  set(name: string, v: Val): void;
  /** Forget a local (a kernel function's own stack variable once it returns). */
  unset(name: string): void;
  /** A choice the kernel itself could make either way; the schedule's pick decides. */
  choose<T extends string>(options: readonly T[]): T;
  /**
   * Put the thread to sleep. The outcome the op returns names where it resumes on a
   * normal wake-up; `signalOutcome` names where a fatal signal sends it (killable sleeps).
   * With `again`, a normal wake-up runs this same step once more (a sleep in the middle
   * of an atomic kernel function, which then re-checks its state).
   */
  block(on: BlockedOn, signalOutcome?: string, opts?: { readonly again?: boolean }): void;
  /**
   * Stay at this step without sleeping: the thread remains runnable and its next turn
   * runs this same step again (schedule() that returns at once, with the kernel function
   * going on from there; other threads may run in between). The outcome returned now is
   * printed but not followed.
   */
  again(): void;
  /** Wake blocked threads: each resumes at its `resume` label. */
  wake(tids: readonly Tid[], by: string): void;
  /** End the thread (it returned from its top-level function). */
  finish(): void;
}

export interface Op<O extends string = string> {
  /** The kernel call as it reads in the lanes, e.g. `mmap_read_lock(mm)`. */
  readonly name: string;
  /** Every outcome `run` can return; a step maps each to a label. Empty: terminal. */
  readonly outcomes: readonly O[];
  /** Touches only the thread's own locals: runs at once after the previous step. */
  readonly local?: boolean;
  /**
   * The kernel function may sleep (it calls might_sleep(): a sleeping lock, a fault, an
   * allocation with GFP_KERNEL). The step records a `might-sleep` event, which
   * `no-sleep-in-atomic` judges against the spinlocks the thread holds.
   */
  readonly mightSleep?: boolean;
  /**
   * The declared locks the op names (the primitives of model/kernel/locks.ts say so):
   * every scenario the program runs in must declare each, with one of these kinds (the
   * first is the primitive's own: mutex for mutex_lock). It is checked before anything
   * runs (model/scenarios.ts undeclaredLockOrObject).
   */
  readonly locks?: readonly { readonly name: string; readonly kinds: readonly LockKind[] }[];
  /**
   * The declared objects the op names (model/kernel/objects.ts: lookup, publish,
   * unpublish, free): every scenario the program runs in must declare each, checked
   * before anything runs, as the locks are.
   */
  readonly objects?: readonly string[];
  /** For an actor's entry step: may it start now (budget, something to do)? */
  enabled?(w: World, tid: Tid): boolean;
  run(k: Ctx): O;
}

export interface Step {
  readonly op: Op;
  /** Label for every outcome not listed in `on`. */
  readonly next?: string;
  readonly on?: Readonly<Record<string, string>>;
}

export type Steps = Readonly<Record<string, Step>>;

export interface Program {
  readonly id: string;
  readonly title: string;
  readonly start: string;
  readonly steps: Steps;
}

/**
 * What kind of caller a design is, which decides the scenarios it runs in: an HMM
 * caller (hmm_range_fault*), a GUP caller, an arch page-fault path, UFFDIO_COPY, a
 * page-table walker over a PMD-mapped THP ("thp": it runs only in the scenarios that
 * declare the THP's pmd objects and pmd_lock, model/kernel/thp.ts), a page-table
 * walker that maps PTE tables itself ("pgwalk": pte_offset_map_lock; only in the
 * page-table scenarios that list it, model/kernel/pgtable.ts), or the anonymous user
 * fault whose per-VMA-lock path looks at the VMA objects themselves ("anon-fault":
 * lock_vma_under_rcu's checks, vma->anon_vma; model/designs/anon-fault.ts), which runs
 * only in the scenarios that list it, or a fault on a shared hugetlbfs mapping built
 * from declared locks and objects ("hugetlbfs": its scenarios race it with truncation
 * and PMD unsharing through i_mmap), or an HMM caller whose walker knows migration
 * entries ("hmm-migrate": it runs only in the migration scenarios, so the hmm
 * scenarios keep their designs).
 */
export const FAMILIES = [
  "hmm",
  "gup",
  "fault",
  "mfill",
  "thp",
  "pgwalk",
  "anon-fault",
  "hugetlbfs",
  "hmm-migrate",
] as const;
export type Family = (typeof FAMILIES)[number];

/**
 * "an hmm caller", "a gup caller", "an anon/private/uffd VMA": the article as the word is
 * read aloud (a vowel, or hmm and mfill spelt out: aitch, em).
 */
export function withArticle(word: string): string {
  return `${/^([aeiou]|hmm|mfill)/i.test(word) ? "an" : "a"} ${word}`;
}

/**
 * An edge of a design's step table (the outcome of the step at a label) that no
 * scenario reaches, and why: a kernel contract forbids it, or the model cannot produce
 * it today. `lockdrop coverage` lists it as unreachable with the reason, and its test
 * fails when a listed edge is reached (the list is stale) or an unlisted one is not.
 */
export interface Unreachable {
  readonly label: string;
  readonly outcome: string;
  /** one sentence: the rule, with the kernel function that states it, or the model's limit */
  readonly reason: string;
}

/** A patch design: the driver thread's program, with where it comes from. */
export interface Design extends Program {
  readonly family: Family;
  /** One paragraph: what the patch does, in the reviewer's words. */
  readonly summary: string;
  /** Where it comes from: seed email, kernel function, or "mutant of X". */
  readonly source: string;
  /** edges no scenario reaches, each with its reason (`lockdrop coverage`) */
  readonly unreachable?: readonly Unreachable[];
  /**
   * How the driver's invalidate() callback answers a range that may not block
   * (mmu_notifier_range_blockable() false: the OOM reaper's): "trylock", the default,
   * takes its lock with mutex_trylock() and returns false when that fails (lib/test_hmm.c
   * dmirror_interval_invalidate(), nouveau_svm_range_invalidate()); "refuse" returns
   * false at once (drm_gpusvm_notifier_invalidate(), amdxdna_hmm_invalidate(), v7.0).
   */
  readonly invalidateNonblock?: "trylock" | "refuse";
  /**
   * The driver's invalidate() callback marks its range unmapped when the event is
   * MMU_NOTIFY_UNMAP (munmap's and mremap's invalidations), which the design reads
   * with notifierUnmapped(): xe_svm_invalidate() -> drm_gpusvm_range_set_unmapped(),
   * read by drm_gpusvm_get_pages() as flags.unmapped (v7.0). Default false.
   */
  readonly marksUnmapped?: boolean;
  /**
   * Where the call runs: "task" (the default), a user task's system call or fault, which
   * a fatal signal reaches; "worker", a kernel worker that no signal reaches (nouveau's
   * GPU fault worker), where only time or the end of the invalidations can end a retry
   * loop (worker-call-ends); "either", code called from both (xe's fault worker and its
   * VM-bind prefetch, mlx5's page-fault work and its advise-MR prefetch): a signal
   * reaches it, as from a task, and worker-call-ends judges it where no signal is sent.
   */
  readonly runsFrom?: "task" | "worker" | "either";
}

export function op<O extends string>(spec: Op<O>): Op<O> {
  return spec;
}

/** A primitive called with an argument it cannot take (by its name, across copies). */
export class ArgumentError extends Error {
  override readonly name = "ArgumentError";
}

/** A value a design file passed where it should not, as an error message shows it. */
export function shownValue(v: unknown): string {
  if (v === "") return "an empty string";
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "symbol") return v.toString();
  if (typeof v !== "object" || v === null) return String(v);
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v); // circular, or a BigInt inside
  }
}

/**
 * A primitive's argument that must be a non-empty string (`what` says what it names): a
 * design file is not type-checked, so a primitive given something else refuses at once,
 * naming the argument, rather than printing it as a name or failing later at a step.
 */
export function stringArg(primitive: string, v: unknown, what: string): string {
  if (typeof v === "string" && v !== "") return v;
  throw new ArgumentError(`${primitive}: ${what}, and got ${shownValue(v)}`);
}

/** A primitive's argument that names a thread local ("seq", "vma"): stringArg(). */
export function localName(primitive: string, param: string, v: unknown): string {
  return stringArg(primitive, v, `${param} names a local of the thread, a string such as "seq"`);
}

/**
 * The step at `label`, own properties only: a label such as "constructor" or
 * "hasOwnProperty" is a label like any other, never a member of Object.prototype.
 */
export function stepAt(program: Pick<Program, "steps">, label: string): Step | undefined {
  return Object.hasOwn(program.steps, label) ? program.steps[label] : undefined;
}

/** Resolve an outcome of the step at `label` to the next label. */
export function target(program: Program, label: string, outcome: string): string | null {
  const step = stepAt(program, label);
  if (!step) return null;
  const on = step.on;
  if (on !== undefined && Object.hasOwn(on, outcome)) return on[outcome] as string;
  return step.next ?? null;
}

/** Structural checks: labels exist, outcomes are the op's own, every outcome goes somewhere. */
export function validateProgram(p: Program): string[] {
  const errors: string[] = [];
  if (!stepAt(p, p.start)) errors.push(`start label "${p.start}" is not a step`);
  for (const [label, step] of Object.entries(p.steps)) {
    for (const [outcome, to] of Object.entries(step.on ?? {})) {
      if (!step.op.outcomes.includes(outcome))
        errors.push(
          `step "${label}": ${step.op.name} has no outcome "${outcome}" (it has: ${step.op.outcomes.join(", ") || "none"})`,
        );
      if (!stepAt(p, to))
        errors.push(`step "${label}": outcome "${outcome}" jumps to unknown label "${to}"`);
    }
    if (step.next !== undefined && !stepAt(p, step.next))
      errors.push(`step "${label}": next jumps to unknown label "${step.next}"`);
    for (const outcome of step.op.outcomes)
      if (step.on?.[outcome] === undefined && step.next === undefined)
        errors.push(`step "${label}": outcome "${outcome}" of ${step.op.name} goes nowhere`);
  }
  return errors;
}

/**
 * What is wrong with a design's `unreachable` list: an entry naming a label that is not
 * a step, or an outcome its op does not have, or without a reason, or listed twice.
 */
export function validateUnreachable(d: Pick<Design, "steps" | "unreachable">): string[] {
  const errors: string[] = [];
  const seen = new Set<string>();
  for (const u of d.unreachable ?? []) {
    const step = stepAt(d, u.label);
    const at = `unreachable: { label: "${u.label}", outcome: "${u.outcome}" }`;
    if (!step) errors.push(`${at} names no step: there is no label "${u.label}"`);
    else if (!step.op.outcomes.includes(u.outcome))
      errors.push(
        `${at}: ${step.op.name} has no outcome "${u.outcome}" (it has: ${step.op.outcomes.join(", ") || "none"})`,
      );
    if (u.reason.trim() === "") errors.push(`${at} gives no reason`);
    const key = `${u.label}\u0000${u.outcome}`;
    if (seen.has(key)) errors.push(`${at} is listed twice`);
    seen.add(key);
  }
  return errors;
}

export function readRef(v: Val | undefined): VmaRef | null {
  return isVmaRef(v) ? v : null;
}

/** The programs a world's threads run, by id. */
export type Programs = Readonly<Record<string, Program>>;

/** One executed step, as recorded in a trace. */
export interface StepRecord {
  readonly tid: Tid;
  /** labels executed, in order (the scheduled one first, then local ones) */
  readonly labels: readonly string[];
  /** op names, in the same order */
  readonly ops: readonly string[];
  /** outcome of the scheduled op */
  readonly outcome: string;
  /** what the schedule's pick chose, where the op asked */
  readonly choice: string | null;
  /** how many options the op offered (0: it made no choice); picks are taken modulo this */
  readonly choices: number;
  readonly events: readonly Event[];
}

const DESIGN_ERROR = branded("DesignError");
const PROPERTY_ERROR = branded("PropertyCheckError");
const COMPOSE_ERROR = branded("ComposeError");

/**
 * A design's step failed (threw, jumped nowhere, ran too long): a design error at that
 * step, exit 2. `instanceof` holds for one made by any copy of lockdrop (model/registry.ts).
 */
export class DesignError extends Error {
  readonly [DESIGN_ERROR.brand] = true;
  static override [Symbol.hasInstance](x: unknown): boolean {
    return DESIGN_ERROR.hasInstance(x);
  }
  constructor(
    readonly program: string,
    readonly label: string,
    message: string,
    /** what the step threw, for --debug's stack trace (an Error whose stack names the line) */
    cause?: unknown,
  ) {
    super(`${program}, step "${label}": ${message}`, cause === undefined ? undefined : { cause });
  }
}

/** A property's own check threw: a bug in the property, reported at the step it judged. */
export class PropertyCheckError extends DesignError {
  readonly [PROPERTY_ERROR.brand] = true;
  static override [Symbol.hasInstance](x: unknown): boolean {
    return PROPERTY_ERROR.hasInstance(x);
  }
  constructor(
    readonly property: string,
    program: string,
    label: string,
    readonly detail: string,
    cause?: unknown,
  ) {
    super(program, label, `property "${property}": ${detail}`, cause);
  }
}

const OVERRIDE: unique symbol = Symbol("lockdrop.override");

/** A fragment whose labels replace the same labels of the fragments before it in `compose()`. */
export interface Override {
  readonly [OVERRIDE]: Steps;
}

/** Mark a fragment as replacing labels that earlier fragments define (see `compose`). */
export function override(steps: Steps): Override {
  return { [OVERRIDE]: steps };
}

export class ComposeError extends Error {
  readonly [COMPOSE_ERROR.brand] = true;
  static override [Symbol.hasInstance](x: unknown): boolean {
    return COMPOSE_ERROR.hasInstance(x);
  }
}

/**
 * One step table from fragments, in order. A label defined twice is refused (two
 * fragments that both define `again` are a mistake a spread would hide), unless the
 * later fragment is marked `override(...)`, which replaces the earlier step in place.
 */
export function compose(...fragments: readonly (Steps | Override)[]): Steps {
  const out: Record<string, Step> = {};
  fragments.forEach((f, i) => {
    const replaces = OVERRIDE in f;
    const steps = replaces ? (f as Override)[OVERRIDE] : (f as Steps);
    for (const [label, step] of Object.entries(steps)) {
      if (Object.hasOwn(out, label) && !replaces)
        throw new ComposeError(
          `compose(): fragment ${i + 1} defines step "${label}", which an earlier fragment already defines. Fix: rename one of them, or wrap fragment ${i + 1} in override(...) if it is meant to replace the earlier step.`,
        );
      out[label] = step;
    }
  });
  return out;
}
