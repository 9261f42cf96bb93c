// `lockdrop merge FILE...`: the verdicts of a search run as shards (`check` or `matrix`
// with --shard i/n --shard-out FILE), joined (reports/shard.ts, README "Shards"). A file
// that is not a shard file, was changed after it was written, or belongs to another
// search (design hash, scenarios, properties, options, --shard-depth, n), and a shard
// given twice, are bad input (exit 2). A missing shard is not: the rows no given shard
// violated are unknown (exit 4), since the missing one might have violated them.
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { judgement } from "../../engine/verdicts.js";
import { jsonText } from "../../reports/formats.js";
import type { ShardFile } from "../../reports/shard.js";
import {
  MergeSchema,
  mergeShards,
  readShard,
  renderMerge,
  ShardError,
} from "../../reports/shard.js";
import { UsageError } from "../errors.js";

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
        console.log(o.json ? jsonText(MergeSchema, merged) : renderMerge(merged));
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
