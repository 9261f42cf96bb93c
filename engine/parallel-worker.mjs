// Bootstraps a matrix worker thread: registers tsx (as cli/bin.mjs does for the main
// thread), then loads the TypeScript worker.
import { register } from "tsx/esm/api";

register();
await import("./parallel-worker.ts");
