// Replays a counterexample on a worker thread first, so that a step of a design file
// that never returns (an endless loop) is stopped by replay's --step-timeout instead
// of hanging the command (cli/commands/replay.ts). A replay is deterministic: once it
// returns here, the command's own replay returns too. Bootstraps like
// cli/load-probe.mjs: tsx for ESM and CommonJS design files, and in a checkout the
// command's sources. It posts each step's label as it starts, then { done: true }.
import { existsSync } from "node:fs";
import { parentPort, workerData } from "node:worker_threads";
import { register as registerTsxCjs } from "tsx/cjs/api";
import { register as registerTsx } from "tsx/esm/api";

registerTsx();
registerTsxCjs();
globalThis[Symbol.for("lockdrop.tsx")] = true;
if (existsSync(new URL("./main.ts", import.meta.url)))
  (await import("../engine/source-condition.mjs")).useSources();
process.exit = (code) => {
  throw new Error(
    `process.exit(${code ?? ""}) was called; a design file must not exit the process`,
  );
};
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
