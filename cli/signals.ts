// SIGINT and SIGTERM while a search runs on worker threads (check, matrix, compare):
// this thread is free, so it answers at once, the same way for both signals and with or
// without a terminal: a message with the coverage reached and the violations found so
// far, then exit 130 (SIGINT) or 143 (SIGTERM). A second SIGINT exits at once. check's
// handler first asks the worker's searches to stop at their next poll (cli/progress.ts).

import { counted } from "../reports/count.js";
import { exit } from "./exit-guard.js";

export type StopSignal = "SIGINT" | "SIGTERM";

/** How a stop message names each signal, and the exit code each gives. */
export const SIGNAL_NAME: Record<StopSignal, string> = {
  SIGINT: "Ctrl-C (SIGINT)",
  SIGTERM: "SIGTERM",
};
export const SIGNAL_CODE: Record<StopSignal, number> = { SIGINT: 130, SIGTERM: 143 };

/**
 * Handle SIGINT and SIGTERM with `h` until the returned function is called. Only while
 * a search runs on worker threads: this thread is idle then, so the handler runs at
 * once. Outside those phases the signals keep their default action, so that a command
 * stuck in its own thread can still be ended.
 */
export function setStopHandler(h: (sig: StopSignal) => void): () => void {
  const int = () => h("SIGINT");
  const term = () => h("SIGTERM");
  process.on("SIGINT", int);
  process.on("SIGTERM", term);
  return () => {
    process.off("SIGINT", int);
    process.off("SIGTERM", term);
  };
}

/**
 * Until the returned function is called, a signal prints `report(name)` (one paragraph,
 * after "lockdrop: interrupted by <name>") and exits with the signal's code.
 */
export function onStopSignals(report: (name: string) => string): () => void {
  let stopping = false;
  return setStopHandler((sig) => {
    if (stopping) exit(SIGNAL_CODE[sig]);
    stopping = true;
    const clear = process.stderr.isTTY === true ? "\r\u001b[2K" : "";
    process.stderr.write(
      `${clear}lockdrop: interrupted by ${SIGNAL_NAME[sig]} ${report(SIGNAL_NAME[sig])}\n`,
    );
    exit(SIGNAL_CODE[sig]);
  });
}

/** A row as a stop message reports it. */
interface FinishedRow {
  readonly design: string;
  readonly scenario: string;
  readonly property: string;
  readonly verdict: string;
  readonly steps: number | null;
  readonly message?: string;
}

/**
 * The design/scenario pairs of `jobs` as they finish on the workers (`took`, from
 * rowsInParallel's onPairDone), for a stop message (matrix, compare): how many of them
 * finished, which did not, and the violations in those that did.
 */
export function pairsSoFar(
  jobs: readonly { readonly design: string; readonly scenario: string }[],
) {
  const done = new Set<number>();
  const rows: FinishedRow[] = [];
  return {
    took(i: number, pairRows: readonly FinishedRow[]): void {
      done.add(i);
      rows.push(...pairRows);
    },
    /** "after n of N design/scenario pairs" */
    count: () => `after ${done.size} of ${jobs.length} design/scenario pairs`,
    /** the pairs not finished, then the violations found so far */
    found(): string {
      const left = jobs.filter((_, i) => !done.has(i)).map((j) => `${j.design} on ${j.scenario}`);
      return `${left.length === 0 ? "" : `Not finished: ${left.join(", ")}. `}${violationsSoFar(rows)}`;
    },
  };
}

/** The violated rows among those finished, one line each, for a stop message. */
export function violationsSoFar(rows: readonly FinishedRow[]): string {
  const v = rows.filter((r) => r.verdict === "violated");
  if (v.length === 0) return "No violation was found in the finished rows.";
  return `Violations found so far: ${v
    .map(
      (r) =>
        `${r.design} on ${r.scenario}: ${r.property} violated in ${counted(r.steps, "step")} (${r.message ?? ""})`,
    )
    .join("; ")}.`;
}
