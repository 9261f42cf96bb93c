// The layers of the source tree (README "Layout"): arrows point down only.
//   cli/, api/                 entry points
//   reports/                   reads runs, never drives the search
//   engine/                    executor, draft, encodings, searches, shrinking, workers
//   properties/                monitors only
//   model/                     semantics only
// This test reads every import (static, dynamic, re-export) of every module and fails
// on an arrow that points up.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "..");
const LAYERS = ["model", "properties", "engine", "reports", "api", "cli"] as const;
type Layer = (typeof LAYERS)[number];
/** What each layer may import besides itself. */
const MAY_IMPORT: Record<Layer, readonly Layer[]> = {
  model: [],
  properties: ["model"],
  engine: ["model", "properties"],
  reports: ["model", "properties", "engine"],
  api: ["model", "properties", "engine", "reports"],
  cli: ["model", "properties", "engine", "reports", "api"],
};

function sources(dir: string, out: string[] = []): string[] {
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) sources(p, out);
    else if (/\.(ts|mts|mjs)$/.test(f)) out.push(p);
  }
  return out;
}

/** Relative specifiers a module imports, re-exports or loads dynamically. */
function importsOf(source: string): string[] {
  const out: string[] = [];
  const re =
    /(?:^|[\s;])(?:import|export)\s[^"'`]*?from\s*["'`](\.[^"'`]+)["'`]|import\(\s*["'`](\.[^"'`]+)["'`]|import\.meta\.resolve\(\s*["'`](\.[^"'`]+)["'`]|new URL\(\s*["'`](\.[^"'`]+)["'`]/g;
  for (const m of source.matchAll(re)) out.push((m[1] ?? m[2] ?? m[3] ?? m[4]) as string);
  return out;
}

function layerOf(file: string): Layer | null {
  const top = relative(ROOT, file).split("/")[0];
  return (LAYERS as readonly string[]).includes(top ?? "") ? (top as Layer) : null;
}

describe("layering", () => {
  it("finds the imports it checks (the reader itself can fail)", () => {
    expect(
      importsOf(
        'import { a } from "../cli/x.js";\nexport * from "./y.js";\nconst m = await import("../api/z.js");',
      ),
    ).toEqual(["../cli/x.js", "./y.js", "../api/z.js"]);
  });

  it("no module imports a layer above its own", () => {
    const bad: string[] = [];
    let checked = 0;
    for (const layer of LAYERS)
      for (const file of sources(join(ROOT, layer)))
        for (const spec of importsOf(readFileSync(file, "utf8"))) {
          const to = layerOf(resolve(dirname(file), spec));
          checked++;
          if (to !== null && to !== layer && !MAY_IMPORT[layer].includes(to))
            bad.push(`${relative(ROOT, file)} imports ${spec} (${layer} -> ${to})`);
        }
    expect(checked).toBeGreaterThan(200);
    expect(bad).toEqual([]);
  });
});
