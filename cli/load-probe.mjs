// Loads one design file on a worker thread, so that a file whose top level never
// returns (an endless loop, a wait on nothing) is stopped by the command's timeout
// instead of hanging it (cli/user-designs.ts). Bootstraps like the search workers
// (engine/parallel-worker.mjs): tsx for ESM and CommonJS design files, and in a
// checkout the "lockdrop-source" condition.
import { existsSync } from "node:fs";
import { parentPort, workerData } from "node:worker_threads";
import { register as registerTsxCjs } from "tsx/cjs/api";
import { register as registerTsx } from "tsx/esm/api";

registerTsx();
registerTsxCjs();
if (existsSync(new URL("./main.ts", import.meta.url)))
  (await import("../engine/source-condition.mjs")).useSources();
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
