// Resolving the ids a user typed into designs, scenarios and properties.
import { DESIGNS, designById } from "../model/designs/index.js";
import type { Scenario } from "../model/scenarios.js";
import { scenarioById, scenarioRegistry } from "../model/scenarios.js";
import type { Design } from "../model/step.js";
import { propertyById, propertyRegistry } from "../properties/index.js";
import type { Property } from "../properties/property.js";
import { known } from "./errors.js";
import { userDesign } from "./user-designs.js";

const LIST =
  "Run `lockdrop list` to see them all, or give the path of a design file (./my-design.ts).";

export function designs(ids: readonly string[] | undefined): Design[] {
  if (!ids || ids.length === 0) return [...DESIGNS];
  return ids.map((id) => {
    const d = designById(id) ?? userDesign(id);
    if (!d)
      throw known(
        "design",
        id,
        DESIGNS.map((x) => x.id),
        LIST,
      );
    return d;
  });
}

export function scenarios(ids: readonly string[] | undefined): Scenario[] {
  if (!ids || ids.length === 0) return [...scenarioRegistry.all()];
  return ids.map((id) => {
    const s = scenarioById(id);
    if (!s)
      throw known(
        "scenario",
        id,
        scenarioRegistry.all().map((x) => x.id),
        LIST,
      );
    return s;
  });
}

export function properties(ids: readonly string[] | undefined): Property[] {
  if (!ids || ids.length === 0) return [...propertyRegistry.all()];
  return ids.map((id) => {
    const p = propertyById(id);
    if (!p)
      throw known(
        "property",
        id,
        propertyRegistry.all().map((x) => x.id),
        LIST,
      );
    return p;
  });
}
