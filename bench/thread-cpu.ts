// The CPU time this process's threads used over a span (a search), split three ways:
// this (the main) thread, the other threads still alive at its end (V8's helper
// threads, which run its optimising compiler and garbage collector, and Node's own), and
// the threads that ended (a search's worker threads, which end with it). Each searching
// thread of a parallel search is a V8 isolate that compiles the code for itself, on the
// cores the search needs (README "Exhaustive search"); this is how the bench shows it.
// Read from /proc (Linux only; elsewhere undefined), whose times are in USER_HZ ticks,
// 100 a second on Linux.
import { readdirSync, readFileSync } from "node:fs";

const TICKS_PER_SECOND = 100;

/** Seconds of CPU (user and system) of the thread `tid` of this process. */
function taskSeconds(tid: string): number {
  const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
  // the fields after the command name, which is in parentheses and may hold spaces
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime and stime: fields 14 and 15 of proc(5), 12th and 13th after the name
  return (Number(f[11]) + Number(f[12])) / TICKS_PER_SECOND;
}

export interface ThreadCpu {
  /** this thread */
  readonly main: number;
  /** the other threads still alive */
  readonly live: number;
  /** the threads that have ended */
  readonly ended: number;
}

/** What the threads had used at one moment. */
export interface CpuSnapshot {
  readonly total: number;
  readonly tasks: ReadonlyMap<string, number>;
}

export function cpuSnapshot(): CpuSnapshot | undefined {
  if (process.platform !== "linux") return undefined;
  const usage = process.cpuUsage();
  const tasks = new Map<string, number>();
  for (const tid of readdirSync("/proc/self/task")) {
    try {
      tasks.set(tid, taskSeconds(tid));
    } catch {
      // (a thread that ended while we read: its time is in the total)
    }
  }
  return { total: (usage.user + usage.system) / 1e6, tasks };
}

/** The CPU the threads used since `before` (undefined off Linux). */
export function threadCpuSince(before: CpuSnapshot | undefined): ThreadCpu | undefined {
  const now = cpuSnapshot();
  if (before === undefined || now === undefined) return undefined;
  const me = String(process.pid);
  const used = (tid: string) => (now.tasks.get(tid) ?? 0) - (before.tasks.get(tid) ?? 0);
  const main = used(me);
  let live = 0;
  for (const tid of now.tasks.keys()) if (tid !== me) live += used(tid);
  return { main, live, ended: Math.max(0, now.total - before.total - main - live) };
}
