// SIGINT and SIGTERM while a search runs on worker threads (matrix, and check whenever no
// terminal draws progress): this thread is free, so it answers at once, the same way
// for both signals and with or without a terminal: a message with the coverage reached
// and the violations found so far, then exit 130 (SIGINT) or 143 (SIGTERM). A second
// SIGINT exits at once. (A search on this thread, which check runs when a terminal
// shows its progress, reads Ctrl-C from the keyboard instead: cli/progress.ts.)
import { exit } from "./exit-guard.js";

export type StopSignal = "SIGINT" | "SIGTERM";

const NAME: Record<StopSignal, string> = { SIGINT: "Ctrl-C (SIGINT)", SIGTERM: "SIGTERM" };
const CODE: Record<StopSignal, number> = { SIGINT: 130, SIGTERM: 143 };

/** The handler of the phase the command is in; null: the command's default below. */
let current: ((sig: StopSignal) => void) | null = null;

/**
 * From the start of the command: a signal before any search runs (while design files
 * load, say) ends it with a message and the signal's code, never silently; a phase
 * that searches installs its own handler with `onStopSignals` or `setStopHandler`.
 */
export function installStopSignals(): void {
  const dispatch = (sig: StopSignal) => {
    if (current) return current(sig);
    process.stderr.write(
      `lockdrop: interrupted by ${NAME[sig]} before any search had finished; nothing was judged.\n`,
    );
    exit(CODE[sig]);
  };
  process.on("SIGINT", () => dispatch("SIGINT"));
  process.on("SIGTERM", () => dispatch("SIGTERM"));
}

/** Handle signals with `h` until the returned function is called. */
export function setStopHandler(h: (sig: StopSignal) => void): () => void {
  const before = current;
  current = h;
  return () => {
    current = before;
  };
}

/**
 * Until the returned function is called, a signal prints `report(name)` (one paragraph,
 * after "lockdrop: interrupted by <name>") and exits with the signal's code.
 */
export function onStopSignals(report: (name: string) => string): () => void {
  let stopping = false;
  return setStopHandler((sig) => {
    if (stopping) exit(CODE[sig]);
    stopping = true;
    const clear = process.stderr.isTTY === true ? "\r\u001b[2K" : "";
    process.stderr.write(`${clear}lockdrop: interrupted by ${NAME[sig]} ${report(NAME[sig])}\n`);
    exit(CODE[sig]);
  });
}

/** The violated rows among those finished, one line each, for a stop message. */
export function violationsSoFar(
  rows: readonly {
    readonly design: string;
    readonly scenario: string;
    readonly property: string;
    readonly verdict: string;
    readonly steps: number | null;
    readonly message?: string;
  }[],
): string {
  const v = rows.filter((r) => r.verdict === "violated");
  if (v.length === 0) return "No violation was found in the finished rows.";
  return `Violations found so far: ${v
    .map(
      (r) =>
        `${r.design} on ${r.scenario}: ${r.property} violated in ${r.steps} steps (${r.message ?? ""})`,
    )
    .join("; ")}.`;
}
