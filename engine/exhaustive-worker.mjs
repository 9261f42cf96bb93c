// Bootstraps a thread of a parallel exhaustive search (engine/exhaustive-worker.ts) with
// the module hooks.
import "./hooks.mjs";

await import("./exhaustive-worker.js");
