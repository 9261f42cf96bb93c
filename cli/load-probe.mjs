// Loads one design file on a worker thread, so that a file whose top level never
// returns (an endless loop, a wait on nothing) is stopped by the command's timeout
// instead of hanging it (cli/user-designs.ts). Bootstraps as the search workers do
// (engine/hooks.mjs): tsx for ESM and CommonJS design files, and in a checkout the
// command's sources.
import "../engine/hooks.mjs";
import { parentPort, workerData } from "node:worker_threads";

process.exit = (code) => {
  throw new Error(
    `process.exit(${code ?? ""}) was called; a design file must not exit the process`,
  );
};
try {
  const { loadDesignFile } = await import(workerData.loader);
  await loadDesignFile(workerData.file);
  parentPort?.postMessage({ ok: true });
} catch (e) {
  parentPort?.postMessage({ ok: false, error: e instanceof Error ? e.message : String(e) });
}
