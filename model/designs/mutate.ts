// Mutants: a design with some steps replaced, for the caller mistakes a driver author
// can make and for mutation tests of the checker itself. The design id changes; the
// checker knows nothing else about it.
import type { Design, Step } from "../step.js";

export function mutant(
  base: Design,
  id: string,
  summary: string,
  steps: Readonly<Record<string, Step>>,
): Design {
  for (const label of Object.keys(steps))
    if (!base.steps[label]) throw new Error(`mutant ${id}: ${base.id} has no step "${label}"`);
  return {
    ...base,
    id,
    title: `${base.title} (mutant: ${id})`,
    summary,
    source: `mutant of ${base.id}`,
    steps: { ...base.steps, ...steps },
  };
}
