// Bootstraps a matrix worker thread (engine/parallel-worker.ts) with the module hooks.
import "./hooks.mjs";

await import("./parallel-worker.js");
