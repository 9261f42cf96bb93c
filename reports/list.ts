// `lockdrop list --json`: the designs, scenarios and properties, as lockdrop.list/1
// (reports/formats.ts).
import type { Scenario } from "../model/scenarios.js";
import type { Design } from "../model/step.js";
import type { Property } from "../properties/property.js";
import { jsonText, type ListJson, ListSchema } from "./formats.js";

export function listJson(
  designs: readonly Design[],
  scenarios: readonly Scenario[],
  properties: readonly Property[],
): ListJson {
  return {
    schema: "lockdrop.list/1",
    designs: designs.map((d) => ({ id: d.id, family: d.family, title: d.title })),
    scenarios: scenarios.map((s) => ({ id: s.id, title: s.title, families: [...s.families] })),
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
): string {
  return jsonText(ListSchema, listJson(designs, scenarios, properties));
}
