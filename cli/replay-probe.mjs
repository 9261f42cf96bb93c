// Replays a counterexample on a worker thread first, so that a step of a design file
// that never returns (an endless loop) is stopped by replay's --step-timeout instead
// of hanging the command (cli/commands/replay.ts). A replay is deterministic: once it
// returns here, the command's own replay returns too (and a step that calls
// process.exit() only ends this thread: the command's own replay reports it).
// Bootstraps as the search workers do (engine/hooks.mjs). It posts each step's label as
// it starts, then { done: true }.
import "../engine/hooks.mjs";
import { parentPort, workerData } from "node:worker_threads";

// the command prints its own replay, and whatever the design file prints
for (const m of ["log", "info", "warn", "error", "debug"]) console[m] = () => {};
try {
  const { probeReplay } = await import(workerData.replay);
  await probeReplay(workerData.argv, workerData.arg, workerData.on, (program, label) =>
    parentPort?.postMessage({ program, label }),
  );
} catch {
  // the command's own replay meets the same error, and reports it
}
parentPort?.postMessage({ done: true });
