// `lockdrop merge FILE...`: the verdicts of a search run as shards (`check` or `matrix`
// with --shard i/n --shard-out FILE), joined (reports/shard.ts, README "Shards"). A file
// that is not a shard file, was changed after it was written, or belongs to another
// search (design hash, scenarios, properties, options, --shard-depth, n), and a shard
// given twice, are bad input (exit 2). A missing shard is not: the rows no given shard
// violated are unknown (exit 4), since the missing one might have violated them.
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { runSchedule, setupFor } from "../../engine/run.js";
import { judgement } from "../../engine/verdicts.js";
import { designById, isBuiltInDesign } from "../../model/designs/index.js";
import { scenarioById } from "../../model/scenarios.js";
import { propertyById } from "../../properties/index.js";
import { designHash } from "../../reports/cex.js";
import { jsonText } from "../../reports/formats.js";
import { violationLanes } from "../../reports/lanes.js";
import type { MergedRow, ShardFile } from "../../reports/shard.js";
import {
  MergeSchema,
  mergeShards,
  readShard,
  renderMerge,
  ShardError,
} from "../../reports/shard.js";
import { UsageError } from "../errors.js";

/**
 * A merged row's counterexample as thread lanes, replayed from its schedule: only for a
 * built-in design whose step table is the one the shards searched (a design file is not
 * named in a shard file, and another lockdrop may have changed a built-in).
 */
function lanesOf(r: MergedRow, searched: readonly { id: string; hash: string }[]): string | null {
  const design = isBuiltInDesign(r.design) ? designById(r.design) : undefined;
  const scenario = scenarioById(r.scenario);
  const property = propertyById(r.property);
  if (!design || !scenario || !property || !r.schedule) return null;
  if (searched.find((d) => d.id === r.design)?.hash !== designHash(design)) return null;
  const run = runSchedule(setupFor(design, scenario), r.schedule, [property], {
    keepWorlds: true,
    noCompletion: true,
  });
  return violationLanes(
    run,
    r.schedule.length,
    `VIOLATION ${r.property}${r.message ? `: ${r.message}` : ""}`,
    r.loopStart,
  );
}

export function registerMerge(program: Command): void {
  program
    .command("merge")
    .description(
      "join the shard files of one search (--shard i/n --shard-out FILE) into its verdicts",
    )
    .argument("<files...>", "the lockdrop.shard/1 files, one per shard, in any order")
    .option("--json", "print lockdrop.merge/1 JSON")
    .action((names: string[], o: { json?: boolean }) => {
      const files: { name: string; file: ShardFile }[] = [];
      try {
        for (const name of names) {
          let text: string;
          try {
            text = readFileSync(name, "utf8");
          } catch (e) {
            throw new ShardError(
              `cannot read ${name} (${(e as Error).message}). Fix: give the path of a file that --shard-out wrote.`,
            );
          }
          files.push({ name, file: readShard(name, text) });
        }
        const merged = mergeShards(files);
        const searched = files[0]?.file.designs ?? [];
        console.log(
          o.json ? jsonText(MergeSchema, merged) : renderMerge(merged, (r) => lanesOf(r, searched)),
        );
        if (merged.missing.length > 0)
          console.error(
            `lockdrop: shard${merged.missing.length === 1 ? "" : "s"} ${merged.missing.join(", ")} of ${merged.count} not given: the rows they might have violated are unknown. Fix: merge all ${merged.count} shard files.`,
          );
        process.exitCode = judgement(merged.rows);
      } catch (e) {
        if (e instanceof ShardError) throw new UsageError(e.message);
        throw e;
      }
    });
}
