// `lockdrop list --json`: the designs, scenarios and properties, as lockdrop.list/1
// (reports/formats.ts).
import type { Actor } from "../model/actor.js";
import { mutantActors, type Scenario } from "../model/scenarios.js";
import type { Design } from "../model/step.js";
import type { Property } from "../properties/property.js";
import { jsonText, type ListJson, ListSchema } from "./formats.js";

export function listJson(
  designs: readonly Design[],
  scenarios: readonly Scenario[],
  properties: readonly Property[],
  actors: readonly Actor[],
): ListJson {
  return {
    schema: "lockdrop.list/1",
    designs: designs.map((d) => ({ id: d.id, family: d.family, title: d.title })),
    scenarios: scenarios.map((s) => ({
      id: s.id,
      title: s.title,
      families: [...s.families],
      mutants: mutantActors(s).map((a) => ({ actor: a.id, bug: a.mutant ?? "" })),
    })),
    actors: actors.map((a) => ({
      id: a.id,
      lane: a.lane,
      title: a.title,
      disruptive: a.disruptive,
      ...(a.mutant === undefined ? {} : { mutant: a.mutant }),
      scenarios: scenarios
        .filter((s) => s.actors.some((u) => u.actor.id === a.id))
        .map((s) => s.id),
    })),
    properties: properties.map((p) => ({
      id: p.id,
      ref: p.ref,
      statement: p.statement,
      kind: p.kind,
    })),
  };
}

/** lockdrop.list/1 as `list --json` prints it, checked against its schema. */
export function listJsonText(
  designs: readonly Design[],
  scenarios: readonly Scenario[],
  properties: readonly Property[],
  actors: readonly Actor[],
): string {
  return jsonText(ListSchema, listJson(designs, scenarios, properties, actors));
}

/**
 * Rows as columns padded to their widest cell, up to 40 characters (a longer cell pushes
 * its row's next cell along; every built-in id fits); the last column is not padded.
 */
function columns(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const r of rows)
    for (const [i, c] of r.entries()) widths[i] = Math.min(40, Math.max(widths[i] ?? 0, c.length));
  return rows.map(
    (r) => `  ${r.map((c, i) => (i < r.length - 1 ? c.padEnd(widths[i] ?? 0) : c)).join("  ")}`,
  );
}

/**
 * `lockdrop list`: each design with its family, each scenario with the families whose
 * designs run there, each actor with its lane (the id a scenario names it by), each
 * property with its invariant number.
 */
export function listText(
  designs: readonly Design[],
  scenarios: readonly Scenario[],
  properties: readonly Property[],
  actors: readonly Actor[],
): string {
  return [
    "designs:",
    ...columns(designs.map((d) => [d.id, d.family, d.title])),
    "scenarios:",
    ...columns(scenarios.map((s) => [s.id, s.families.join(","), s.title])),
    'actors (a scenario of one\'s own names them by id: { actor: "swap-out", budget: 2 }):',
    // a mutant carries a bug on purpose: it is not kernel behaviour to build on
    ...columns(
      actors.map((a) => [a.id, a.lane, a.mutant === undefined ? a.title : `(mutant) ${a.title}`]),
    ),
    "properties:",
    // the invariant number only; the source a ref cites is in --json
    ...columns(properties.map((p) => [p.id, p.ref.split(";")[0] ?? p.ref, p.statement])),
  ].join("\n");
}
