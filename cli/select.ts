// Resolving the ids a user typed into designs, scenarios and properties.

import { existsSync, statSync } from "node:fs";
import { needsEveryStep } from "../engine/exhaustive.js";
import { DESIGNS, designById } from "../model/designs/index.js";
import type { Scenario } from "../model/scenarios.js";
import {
  runsIn,
  SCENARIOS,
  scenarioById,
  scenarioRegistry,
  undeclaredLockOrObject,
} from "../model/scenarios.js";
import type { Design } from "../model/step.js";
import { withArticle } from "../model/step.js";
import { propertyById, propertyRegistry } from "../properties/index.js";
import type { Property } from "../properties/property.js";
import { known, UsageError } from "./errors.js";
import { userDesign } from "./user-designs.js";

const LIST =
  "Run `lockdrop list` to see them all, or give the path of a design file (./my-design.ts).";
/** What to say after an unknown scenario or property id: where one of your own comes from. */
const LIST_OWN = (kind: "scenario" | "property") =>
  `Run \`lockdrop list\` to see them all; a ${kind} of your own is declared in a design file (\`design({ ..., ${kind === "scenario" ? "scenarios" : "properties"}: [...] })\`) and known once that file is the design checked.`;

export function designs(ids: readonly string[] | undefined): Design[] {
  if (!ids || ids.length === 0) return [...DESIGNS];
  return ids.map((id) => {
    const d = designById(id) ?? userDesign(id);
    if (!d && (id.includes("/") || existsSync(id)))
      throw new UsageError(
        `"${id}" is ${existsSync(id) ? (statSync(id).isDirectory() ? "a directory" : "a file") : "a path that does not exist"}, and a design is a built-in id or a design file: a TypeScript or JavaScript module (.ts, .mts, .cts, .js, .mjs or .cjs) whose default export is design({ ... }). Fix: give the path of such a module, or a built-in id (\`lockdrop list\`).`,
      );
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
  // a scenario named twice is checked once
  return [...new Set(ids)].map((id) => {
    const s = scenarioById(id);
    if (!s)
      throw known(
        "scenario",
        id,
        scenarioRegistry.all().map((x) => x.id),
        LIST_OWN("scenario"),
      );
    return s;
  });
}

/**
 * Refuse a pair whose scenario lacks a lock or object the design or an actor names
 * (exit 2, before anything runs): it would stop the search with a design error at that
 * step.
 */
export function checkDeclaredNames(pairs: readonly { d: Design; s: Scenario }[]): void {
  for (const { d, s } of pairs) {
    const problem = undeclaredLockOrObject(s, d);
    if (problem) throw new UsageError(problem);
  }
}

/**
 * The scenarios `design` runs in, of those named on the command line (`ids`) or else of
 * `fallback` (a design file's own list, or every scenario). A scenario named on the
 * command line that the design does not run in is a usage error naming the ones it does.
 */
export function scenariosOf(
  design: Design,
  ids: readonly string[] | undefined,
  fallback: readonly string[] | undefined,
): Scenario[] {
  const chosen = scenarios(ids ?? fallback).filter((s) => {
    if (runsIn(s, design)) return true;
    if (ids)
      throw new UsageError(
        `design "${design.id}" (${withArticle(design.family)} caller) does not run in scenario "${s.id}", which is for ${s.families.join(", ")} designs. Pick one of: ${SCENARIOS.filter(
          (x) => runsIn(x, design),
        )
          .map((x) => x.id)
          .join(", ")}.`,
      );
    return false;
  });
  checkDeclaredNames(chosen.map((s) => ({ d: design, s })));
  return chosen;
}

export function properties(ids: readonly string[] | undefined): Property[] {
  if (!ids || ids.length === 0) return [...propertyRegistry.all()];
  // a property named twice is checked once
  return [...new Set(ids)].map((id) => {
    const p = propertyById(id);
    // a reference entry (S35, L4) where an id belongs: name the properties it is the entry of
    const byRef = p
      ? []
      : propertyRegistry
          .all()
          .filter((x) =>
            x.ref.split(/[,;]\s*/).some((r) => r.trim().toLowerCase() === id.toLowerCase()),
          );
    if (byRef.length > 0)
      throw new UsageError(
        `"${id}" is the reference entry of ${byRef.length === 1 ? "property" : "properties"} ${byRef.map((x) => x.id).join(", ")} (the README's property table), and --property takes a property's id. Fix: --property ${byRef.map((x) => x.id).join(" ")}.`,
      );
    if (!p)
      throw known(
        "property",
        id,
        propertyRegistry.all().map((x) => x.id),
        LIST_OWN("property"),
      );
    return p;
  });
}

/** Why a selection in which no property applies is refused. */
const ALL_NA =
  "so every row would be n/a and prove nothing (a property is n/a where the scenario cannot exercise it: the README's property table says where each applies)";

/**
 * Refuse a selection in which no property applies to any scenario (exit 2, before
 * anything runs): every row would be n/a, and an exit code of 0 would say that something
 * held when nothing was checked.
 */
export function somethingToCheck(
  design: Design,
  chosen: readonly Scenario[],
  props: readonly Property[],
): void {
  if (chosen.length === 0 || chosen.some((s) => props.some((p) => p.applies(s, design)))) return;
  const ids = props.map((p) => `"${p.id}"`).join(", ");
  const where = scenarioRegistry
    .all()
    .filter((s) => runsIn(s, design) && props.some((p) => p.applies(s, design)))
    .map((s) => s.id);
  throw new UsageError(
    `nothing to check: ${props.length === 1 ? `property ${ids} does` : `properties ${ids} do`} not apply to design "${design.id}" in ${chosen.length === 1 ? `scenario "${chosen[0]?.id}"` : `any of the ${chosen.length} scenarios chosen`}, ${ALL_NA}. Fix: ${where.length > 0 ? `pick a scenario it applies to (${where.join(", ")}), or leave out --scenario` : `no scenario exercises it for ${withArticle(design.family)} caller; pick another property, or declare a scenario that does in your design file`}.`,
  );
}

/**
 * Refuse a matrix with nothing to judge (exit 2, before anything runs): no design runs
 * in any scenario chosen, or no property chosen applies to any pair, so every row would
 * be missing or n/a and an exit code of 0 would say that something held.
 */
export function somethingInMatrix(
  designs: readonly Design[],
  pairs: readonly { d: Design; s: Scenario; props: readonly Property[] }[],
  narrowed: boolean,
): void {
  const names = designs.map((d) => `"${d.id}"`).join(", ");
  if (pairs.length === 0)
    throw new UsageError(
      `nothing to run: ${designs.length === 1 ? `design ${names} does not run` : `none of the designs ${names} runs`} in the scenarios chosen (a scenario runs the designs of its families: \`lockdrop list\` shows both). Fix: pick a scenario of ${designs.length === 1 ? "its" : "their"} family${narrowed ? ", or leave out --scenario" : ""}.`,
    );
  if (pairs.some(({ d, s, props }) => props.some((p) => p.applies(s, d)))) return;
  const props = [...new Set(pairs.flatMap((x) => x.props.map((p) => `"${p.id}"`)))].join(", ");
  throw new UsageError(
    `nothing to check: ${props.includes(",") ? `properties ${props} do` : `property ${props} does`} not apply to ${designs.length === 1 ? `design ${names}` : `designs ${names}`} in the scenarios chosen, ${ALL_NA}. Fix: pick another property or scenario${narrowed ? ", or leave out --property or --scenario" : ""}.`,
  );
}

/**
 * Refuse `--persistent-sets` or `--sleep-sets` when every search the command would run
 * has a liveness property that applies (exit 2): a lasso needs every step, so the
 * reduction is off in each of them (engine/exhaustive.ts needsEveryStep, as the search
 * decides it) and would be ignored, as with a bound it cannot take.
 */
export function reductionUsed(
  pairs: readonly { d: Design; s: Scenario; props: readonly Property[] }[],
  o: {
    readonly exhaustive?: boolean;
    readonly persistentSets?: boolean;
    readonly sleepSets?: boolean;
  },
  narrowed: boolean,
): void {
  if (o.exhaustive !== true || pairs.length === 0) return;
  const applying = (x: (typeof pairs)[number]) => x.props.filter((p) => p.applies(x.s, x.d));
  if (!pairs.every((x) => needsEveryStep(applying(x)))) return;
  const ids = (f: (p: Property) => boolean) => [
    ...new Set(
      pairs.flatMap((x) =>
        applying(x)
          .filter(f)
          .map((p) => p.id),
      ),
    ),
  ];
  const liveness = ids((p) => p.lasso !== undefined);
  const safety = ids((p) => p.lasso === undefined);
  for (const [on, flag] of [
    [o.persistentSets, "--persistent-sets"],
    [o.sleepSets, "--sleep-sets"],
  ] as const)
    if (on === true)
      throw new UsageError(
        `${flag} is off in a search with a liveness property (a lasso needs every step), and ${liveness.length === 1 ? `the liveness property ${liveness[0]} applies` : `liveness properties (${liveness.join(", ")}) apply`} in every search this run makes${narrowed ? "" : " (every property is checked when --property is not given)"}, so it would be ignored. Fix: ${safety.length > 0 ? `name the safety properties with --property (here: ${safety.join(" ")})` : "check safety properties with it"}, or leave ${flag} out.`,
      );
}
