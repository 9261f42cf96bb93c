// Which programs are userfaultfd monitors: the threads that read a uffd and answer its
// faults. A thread asleep in handle_userfault() waits for them (model/waitfor.ts), a
// SIGKILL to the process kills them (model/actors/signal.ts), and userfaultfd_release()
// runs only while none is inside a uffd syscall (model/actors/release.ts). The built-in
// monitor is one; each monitorActor() variant adds its own id (model/actors/monitor.ts).

const MONITORS = new Set<string>(["monitor"]);

/** Is `program` (a thread's actor id) a userfaultfd monitor? */
export function isUffdMonitor(program: string): boolean {
  return MONITORS.has(program);
}

/** Count the actor `id` as a userfaultfd monitor (monitorActor() does, for a variant). */
export function declareUffdMonitor(id: string): void {
  MONITORS.add(id);
}
