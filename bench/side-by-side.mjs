// Bootstraps the second search of bench/full-scale-run.ts's "1+1" mode in a worker
// thread, with the module hooks a worker needs to load TypeScript (engine/hooks.mjs).
import "../engine/hooks.mjs";

await import("./full-scale-run.ts");
