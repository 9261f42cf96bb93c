// Where a thread finds a (design, scenario) pair again: a built-in design by id, or a
// design file loaded through the loader module the command named (the engine itself
// knows nothing of design files). Shared by the matrix workers (engine/parallel.ts) and
// the threads of a parallel exhaustive search (engine/exhaustive-parallel.ts).
import { designById } from "../model/designs/index.js";
import type { Design } from "../model/step.js";

export interface SetupSource {
  readonly design: string;
  /** the design file the design was loaded from, when it is not a built-in one */
  readonly file?: string;
  /** the module that loads `file` again in the worker (exports `loadDesignFile`) */
  readonly loader?: string;
  /**
   * every design file the command loaded: a scenario or property one file declares may
   * be named for a design of another, so the worker loads them all
   */
  readonly files?: readonly string[];
  readonly scenario: string;
}

/** What a loader module exports: the design a file declares. */
interface Loader {
  loadDesignFile(file: string): Promise<{ readonly design: Design }>;
}

const loaders = new Map<string, Promise<Loader>>();

/** The design of `source`, every design file it names loaded first. */
export async function designOf(source: SetupSource): Promise<Design | undefined> {
  if (source.loader) {
    let loader = loaders.get(source.loader);
    if (!loader) {
      loader = import(source.loader) as Promise<Loader>;
      loaders.set(source.loader, loader);
    }
    // every file first: what one declares may be named for the design of another
    for (const f of source.files ?? []) await (await loader).loadDesignFile(f);
    if (source.file) return (await (await loader).loadDesignFile(source.file)).design;
  }
  return designById(source.design);
}
