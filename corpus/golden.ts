// The corpus entries whose replay outputs are committed as golden files, and how the
// outputs are made: exactly what `lockdrop replay FILE` and `--format markdown` print.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { designById } from "../model/designs/index.js";
import { scenarioById } from "../model/scenarios.js";
import { propertyById } from "../properties/index.js";
import type { Cex } from "../reports/cex.js";
import { parseCex } from "../reports/cex.js";
import type { ReplayResult } from "../reports/replay.js";
import { replayCex } from "../reports/replay.js";
import { renderReplayMarkdown, renderReplayText } from "../reports/replay-render.js";

/** corpus-relative paths (design/scenario.property.json) */
export const GOLDEN: readonly string[] = [
  "v1-hugetlb-drop/hugetlb-uffd.no-freed-vma-use.json",
  "v1-hugetlb-hold/hugetlb-uffd.no-deadlock.json",
  "mfill-copy-norevalidate/uffd-copy.uffd-copy-revalidates.json",
  "v2/anon-swap-contended.no-retry-livelock.json",
];

export function loadCorpusFile(root: string, rel: string): Cex {
  const r = parseCex(readFileSync(join(root, rel), "utf8"), rel);
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

export function replayOn(cex: Cex, designId = cex.design): ReplayResult {
  const design = designById(designId);
  const scenario = scenarioById(cex.scenario);
  const property = propertyById(cex.property);
  if (!design || !scenario || !property) throw new Error(`unknown ids in ${cex.design}`);
  return replayCex(cex, design, scenario, property);
}

/** [golden file name, text] for one corpus entry. */
export function goldenOutputs(root: string, rel: string): [string, string][] {
  const r = replayOn(loadCorpusFile(root, rel));
  const base = rel.replace(/\//g, "__").replace(/\.json$/, "");
  return [
    [`${base}.txt`, renderReplayText(r)],
    [`${base}.md`, renderReplayMarkdown(r)],
  ];
}
