// Bootstraps a matrix worker thread the way cli/bin.mjs starts the command (module hooks
// are not inherited by worker threads): registers tsx (ESM and CommonJS) for design
// files, and in a checkout of the repository the "lockdrop-source" condition; then loads
// the worker, compiled (dist/) or TypeScript (tsx finds parallel-worker.ts for .js).
import { existsSync } from "node:fs";
import { register } from "node:module";
import { register as registerTsxCjs } from "tsx/cjs/api";
import { register as registerTsx } from "tsx/esm/api";

registerTsx();
registerTsxCjs();
if (existsSync(new URL("./parallel-worker.ts", import.meta.url)))
  register("../cli/source-condition.mjs", import.meta.url);
await import("./parallel-worker.js");
