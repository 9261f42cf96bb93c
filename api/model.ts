// `lockdrop/model`: what a user design file imports. The same step language, kernel
// primitives and fragments the built-in designs are made of, plus `design()`, the
// helper a design file's default export goes through. See docs/writing-a-design.md.
import type { Scenario } from "../model/scenarios.js";
import type { Design, Family, Op, Step, Steps, Unreachable } from "../model/step.js";
import type { Property } from "../properties/property.js";

export type { Actor, ActorInput, ActorUse } from "../model/actor.js";
export { actor, use } from "../model/actor.js";
export * from "../model/actors/clock.js";
export * from "../model/actors/folio.js";
export * from "../model/actors/fork.js";
export * from "../model/actors/hugetlbfs.js";
export * from "../model/actors/invalidate.js";
export * from "../model/actors/khugepaged.js";
export * from "../model/actors/madvise.js";
export * from "../model/actors/migrate-vma.js";
export * from "../model/actors/monitor.js";
export * from "../model/actors/mprotect.js";
export * from "../model/actors/mprotect-ro.js";
export * from "../model/actors/mremap.js";
export * from "../model/actors/munmap.js";
export * from "../model/actors/munmap-split.js";
export * from "../model/actors/notifier-subscribers.js";
export * from "../model/actors/oom-reap.js";
export * from "../model/actors/other-mm.js";
export * from "../model/actors/release.js";
export * from "../model/actors/signal.js";
export * from "../model/actors/thp-split.js";
export * from "../model/designs/callers.js";
export { hmmWalk, hmmWalkHoleNoFault } from "../model/designs/hmm-walk.js";
export {
  DESIGNS,
  designById,
} from "../model/designs/index.js";
export { hmmRangeFault, hmmVmaFaultInCallbacks } from "../model/designs/mainline.js";
export { mutant } from "../model/designs/mutate.js";
// the reasons the built-in fragments' edges are unreachable, for a design made of them
// (its `unreachable` list; `lockdrop coverage`)
export {
  DO_FAULT_SAME_LOCK,
  doFaultNeverReaches,
  unreachable,
  VM_WRITE_CHECKED_UNDER_SAME_HOLD,
  WALK_STARTS_BELOW_END,
  walkNeverReaches,
} from "../model/designs/unreachable.js";
export {
  droppableFaultInCallbacks,
  hmmRangeFaultUnlockableV1,
  UNLOCKABLE,
  v1Steps,
} from "../model/designs/v1.js";
export {
  hmmDoFault,
  hmmRangeFaultUnlockableV2,
  recordFaultInCallbacks,
} from "../model/designs/v2.js";
export {
  defaultBudgetNeverZero,
  hmmDoFaultV8,
  hmmRangeFaultLockedV8,
  hmmRangeFaultLockedV8NeverReaches,
  hmmRangeFaultUnlockedTimeout,
  UNLOCKED_TIMEOUT,
} from "../model/designs/v8-timeout.js";
export * from "../model/errno.js";
export type { Event, FieldLocks, VmaField } from "../model/events.js";
export { useVma } from "../model/ghost.js";
export * from "../model/kernel/anon-vma.js";
export * from "../model/kernel/cow.js";
export * from "../model/kernel/fault.js";
export * from "../model/kernel/fault-flags.js";
export * from "../model/kernel/fault-lock.js";
export * from "../model/kernel/folio.js";
export * from "../model/kernel/gup.js";
export * from "../model/kernel/hmm.js";
export * from "../model/kernel/hugetlb.js";
export * from "../model/kernel/hugetlbfs.js";
export * from "../model/kernel/i-mmap.js";
export * from "../model/kernel/locks.js";
export * from "../model/kernel/mfill.js";
export * from "../model/kernel/migrate.js";
export * from "../model/kernel/mmap-lock.js";
export * from "../model/kernel/notifier.js";
export * from "../model/kernel/objects.js";
export * from "../model/kernel/pagewalk.js";
export * from "../model/kernel/pgtable.js";
export * from "../model/kernel/pte.js";
export * from "../model/kernel/sched.js";
export * from "../model/kernel/signal.js";
export * from "../model/kernel/thp.js";
export * from "../model/kernel/time.js";
export * from "../model/kernel/userfaultfd.js";
export * from "../model/kernel/vma.js";
export * from "../model/kernel/vma-field.js";
export * from "../model/kernel/vma-layout.js";
export * from "../model/kernel/vma-lock.js";
export { exit, retIs, set, test } from "../model/locals.js";
export * from "../model/lock-table.js";
export * from "../model/object-table.js";
export type {
  LockDecl,
  ObjectDecl,
  Scenario,
  ScenarioInput,
  VmaSpec,
} from "../model/scenarios.js";
export {
  BUILT_IN_ACTORS,
  hasActor,
  SCENARIOS,
  scenario,
  scenarioById,
} from "../model/scenarios.js";
export type {
  Ctx,
  Design,
  Family,
  Op,
  Override,
  Program,
  Step,
  StepRecord,
  Steps,
  Unreachable,
} from "../model/step.js";
export {
  compose,
  DesignError,
  op,
  override,
  validateProgram,
  validateUnreachable,
} from "../model/step.js";
export type {
  ChildMm,
  ChildVma,
  Deadline,
  DeadlineState,
  LockKind,
  LockState,
  Obj,
  ObjRef,
  ObjState,
  Pte,
  Thread,
  Tid,
  Val,
  VmaRef,
  World,
} from "../model/world.js";
export { copiedOnWrite, devicePrivatePte, presentPte, swapPte } from "../model/world.js";
export { PROPERTIES, propertyById } from "../properties/index.js";
export type {
  EndView,
  LivenessInput,
  Property,
  SafetyInput,
  StepView,
} from "../properties/property.js";
export { liveness, safety, who } from "../properties/property.js";

/**
 * What a design file exports by default: a design, and optionally the scenarios and
 * properties `lockdrop check` and `lockdrop compare` use for it when the command line
 * names none (default: every scenario its family runs in, every property).
 */
export interface DesignSpec extends Design {
  /** scenario ids, or scenarios declared with `scenario()` (registered when the file loads) */
  readonly scenarios?: readonly (string | Scenario)[];
  /** property ids, or properties declared with `safety()` / `liveness()` */
  readonly properties?: readonly (string | Property)[];
}

/** The input of `design()`: a design; `title`, `summary` and `source` may be left out. */
export interface DesignInput {
  readonly id: string;
  readonly family: Family;
  readonly start: string;
  readonly steps: Steps;
  readonly title?: string;
  readonly summary?: string;
  readonly source?: string;
  readonly scenarios?: readonly (string | Scenario)[];
  readonly properties?: readonly (string | Property)[];
  /** edges (a label and an outcome of its op) no scenario reaches, each with why (`lockdrop coverage`) */
  readonly unreachable?: readonly Unreachable[];
  /** what the driver's invalidate callback does when the range may not block (Design) */
  readonly invalidateNonblock?: Design["invalidateNonblock"];
  /** the driver's invalidate callback marks its range unmapped on MMU_NOTIFY_UNMAP (Design) */
  readonly marksUnmapped?: boolean;
  /** where the driver calls from: a task, a kernel worker no signal reaches, or either (Design) */
  readonly runsFrom?: Design["runsFrom"];
}

/**
 * A step whose outcome names TypeScript checks against the primitive's own:
 * `step(handleMmFault("vma", "addr", flags), { on: { ok: "next", retry: "again" }, next: "fail" })`.
 * The same as writing `{ op, on, next }`, which `lockdrop check` validates at run time.
 */
export function step<O extends string>(
  op: Op<O>,
  to: { readonly next?: string; readonly on?: Readonly<Partial<Record<O, string>>> },
): Step {
  const on = to.on as Readonly<Record<string, string>> | undefined;
  return {
    op,
    ...(to.next !== undefined ? { next: to.next } : {}),
    ...(on !== undefined ? { on } : {}),
  };
}

/**
 * Declare a design: `export default design({ id, family, start, steps })`. Nothing is
 * checked here; `lockdrop check` validates the export and names the file, the step and
 * the fix for each problem.
 */
export function design(spec: DesignInput): DesignSpec {
  const out: DesignSpec = {
    ...spec,
    title: spec.title ?? spec.id,
    summary: spec.summary ?? "",
    source: spec.source ?? "user design file",
  };
  // which copy of lockdrop/model made it (not enumerable: a copy of the spec drops it)
  Object.defineProperty(out, Symbol.for("lockdrop.model.copy"), { value: import.meta.url });
  return out;
}

// Every copy of `lockdrop/model` this process has loaded, by module URL. A design file
// that resolves `lockdrop/model` to another install than the command's declares its
// scenarios, actors and properties into that copy's registries, which the command never
// reads; api/design-file.ts refuses such a file, naming both copies (by the mark
// `design()` leaves on the export, else by a copy that its import brought in).
const COPIES = Symbol.for("lockdrop.model.copies");
const globals = globalThis as Record<symbol, Set<string> | undefined>;
globals[COPIES] ??= new Set<string>();
globals[COPIES].add(import.meta.url);
