// Which programs are userfaultfd monitors: the threads that read a uffd and answer its
// faults. A thread asleep in handle_userfault() waits for them (model/waitfor.ts), a
// SIGKILL to the process kills them (model/actors/signal.ts), userfaultfd_release()
// runs only while none is inside a uffd syscall (model/actors/release.ts), and
// worker-uffd-wait-ends judges only scenarios without one (model/scenarios.ts
// hasUffdMonitor). The
// built-in monitor is one; each monitorActor() variant adds its own id, with the labels
// of the steps it runs between its uffd syscalls (model/actors/monitor.ts). Kept on
// globalThis, as the registries are (model/registry.ts): a design file in a CommonJS
// package gets its own copy of this module, and its variant must count in the
// command's copy too.

const KEY = Symbol.for("lockdrop.uffdMonitors");
const IDS_KEY = Symbol.for("lockdrop.uffdMonitorIds");
const shared = globalThis as unknown as Record<symbol, unknown>;
shared[KEY] ??= new Map([["monitor", ["idle"]]]);
/** monitor program id -> the labels at which it is outside every uffd syscall */
const MONITORS = shared[KEY] as Map<string, readonly string[]>;
shared[IDS_KEY] ??= [...MONITORS.keys()];
const IDS = shared[IDS_KEY] as string[];

/** The label of every monitor's UFFDIO_WAKE step, an answer without a page. */
export const MONITOR_WAKE = "wake";

/**
 * The ids of every userfaultfd monitor, the built-in one and each variant declared so
 * far: one array, kept up to date, that a liveness property can name as the actors its
 * loops must be fair to (uffd-fault-completes does).
 */
export const UFFD_MONITOR_IDS: readonly string[] = IDS;

/** Is `program` (a thread's actor id) a userfaultfd monitor? */
export function isUffdMonitor(program: string): boolean {
  return MONITORS.has(program);
}

/** Is monitor `program`, at label `pc`, outside every uffd syscall (in user space)? */
export function outsideUffd(program: string, pc: string): boolean {
  return MONITORS.get(program)?.includes(pc) ?? true;
}

/**
 * Count the actor `id` as a userfaultfd monitor (monitorActor() does, for a variant),
 * outside every uffd syscall at the labels `outside`.
 */
export function declareUffdMonitor(id: string, outside: readonly string[]): void {
  MONITORS.set(id, outside);
  if (!IDS.includes(id)) IDS.push(id);
}
