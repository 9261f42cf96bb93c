// The heartbeat a search thread writes for the command's watchdog (engine/parallel.ts):
// [0] steps started so far, [1] the label of the step running, as an index into the
// table of the pair's programs' labels, which every thread builds alike.
import { setStepProbe } from "./exec.js";

type Steps = Readonly<Record<string, { readonly steps: object }>>;

/** The pair's labels as (program, label) in a fixed order, and each one's index. */
export function labelTable(programs: Steps): {
  readonly table: [string, string][];
  readonly index: ReadonlyMap<string, ReadonlyMap<string, number>>;
} {
  const table: [string, string][] = [];
  const index = new Map<string, Map<string, number>>();
  for (const [id, p] of Object.entries(programs)) {
    const m = new Map<string, number>();
    for (const label of Object.keys(p.steps)) {
      m.set(label, table.length);
      table.push([id, label]);
    }
    index.set(id, m);
  }
  return { table, index };
}

/** Count every step of this thread in `beat` and note its label. */
export function beatSteps(beat: Int32Array, programs: Steps): void {
  const { index } = labelTable(programs);
  setStepProbe((program, label) => {
    Atomics.add(beat, 0, 1);
    Atomics.store(beat, 1, index.get(program)?.get(label) ?? 0);
  });
}
