// The shard file, lockdrop.shard/1 (`check` or `matrix` with --shard i/n --shard-out
// FILE), and `lockdrop merge` of the n files of one search (README "Shards"). A file
// names what was searched (each design with the hash of its step table, the scenarios,
// properties and exploration options, the prefix length k, i/n) and carries a checksum
// over the rest, so that merge refuses an edited or damaged file and shards of different
// searches. The merged verdict of a row: violated if some shard violated it (the
// shortest counterexample is the shortest of theirs), holds if every shard holds, else
// unknown; a missing shard leaves unknown what the others did not violate.
import { createHash } from "node:crypto";
import type { RowResult, Strength, Verdict } from "../engine/verdicts.js";
import { isBuiltInDesign } from "../model/designs/index.js";
import type { Design } from "../model/step.js";
import { designHash } from "./cex.js";
import { exhaustiveFlags, verdictHead, violationTag } from "./check.js";
import { color as pc } from "./color.js";
import type { MergedRow, MergeJson, ShardFile, ShardOptions, ShardRow } from "./formats.js";
import { MERGE_SCHEMA, MergeSchema, SHARD_SCHEMA, ShardSchema } from "./formats.js";

export type { MergedRow, MergeJson, ShardFile, ShardOptions, ShardRow };
export { MERGE_SCHEMA, MergeSchema, SHARD_SCHEMA, ShardSchema };

import { counted } from "./count.js";
import { omissionText, STOPPED, strength as strengthText, withinPreemptions } from "./matrix.js";

function canon(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canon);
  if (v !== null && typeof v === "object")
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, canon((v as Record<string, unknown>)[k])]),
    );
  return v;
}

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

/** sha256 of the canonical JSON (keys sorted) of every field but the checksum. */
export function shardChecksum(f: Omit<ShardFile, "checksum"> & { checksum?: string }): string {
  const { checksum: _c, ...rest } = f;
  return sha256(JSON.stringify(canon(rest)));
}

/** Whether the row's search ran to its bound: holds and violated rows, not unknown ones. */
function completeOf(r: RowResult): boolean {
  return r.verdict !== "unknown" && r.stopped === undefined && r.stoppedBy === undefined;
}

export function shardFileOf(o: {
  readonly command: "check" | "matrix";
  readonly designs: readonly Design[];
  readonly scenarios: readonly string[];
  readonly properties: readonly string[];
  readonly options: ShardOptions;
  readonly shardDepth: number | null;
  readonly shard: { readonly index: number; readonly count: number };
  readonly rows: readonly RowResult[];
}): ShardFile {
  const body: Omit<ShardFile, "checksum"> = {
    schema: SHARD_SCHEMA,
    command: o.command,
    designs: o.designs.map((d) => ({ id: d.id, hash: designHash(d) })),
    scenarios: [...o.scenarios],
    properties: [...o.properties],
    options: o.options,
    shardDepth: o.shardDepth,
    shard: { index: o.shard.index, count: o.shard.count },
    rows: o.rows.map((r) => ({
      design: r.design,
      scenario: r.scenario,
      property: r.property,
      verdict: r.verdict,
      strength: r.strength,
      ...(r.stopped ? { stopped: r.stopped } : {}),
      complete: completeOf(r),
      steps: r.steps,
      ...(r.message !== undefined ? { message: r.message } : {}),
      // (matrix rows come from its workers with their counterexamples only when asked)
      ...(r.counterexample?.schedule
        ? { schedule: r.counterexample.schedule.map((c) => ({ t: c.t, p: c.p })) }
        : {}),
      ...(r.counterexample?.loopStart != null ? { loopStart: r.counterexample.loopStart } : {}),
      // none shorter in the shard's part of the search (in the whole, unsharded)
      ...(r.counterexample?.provenShortest || r.counterexample?.shortestOfPart
        ? { provenShortest: true }
        : {}),
    })),
  };
  const file = { ...body, checksum: shardChecksum(body) };
  ShardSchema.parse(file);
  return file;
}

/** Stable text of a shard file: two-space JSON with a final newline. */
export function shardText(f: ShardFile): string {
  return `${JSON.stringify(f, null, 2)}\n`;
}

/** A file that is not one shard of the search the others are: what is wrong with it. */
export class ShardError extends Error {}

/** Parse and check one file's text: schema and checksum. */
export function readShard(name: string, text: string): ShardFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ShardError(
      `${name} is not JSON (${(e as Error).message}). Fix: give the file that \`--shard-out\` wrote, as it was written.`,
    );
  }
  const r = ShardSchema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new ShardError(
      `${name} is not a ${SHARD_SCHEMA} file: ${issue ? `${issue.path.join(".") || "(top)"}: ${issue.message}` : "it does not match the schema"}. Fix: give the files that \`lockdrop check\` or \`lockdrop matrix\` wrote with --shard and --shard-out.`,
    );
  }
  if (shardChecksum(r.data) !== r.data.checksum)
    throw new ShardError(
      `${name} has been changed since it was written: its checksum does not match its content. Fix: run that shard again (the same command with --shard ${r.data.shard.index}/${r.data.shard.count}, and --force to replace the file); an edited shard file is never merged.`,
    );
  return r.data;
}

/** The fields every shard of one search shares. */
function identity(f: ShardFile) {
  return {
    command: f.command,
    designs: f.designs,
    scenarios: f.scenarios,
    properties: f.properties,
    options: f.options,
    shardDepth: f.shardDepth,
    "shard count": f.shard.count,
  };
}

/** Merge the shards of one search (`files`: name and content); refuses a mismatch. */
export function mergeShards(files: readonly { name: string; file: ShardFile }[]): MergeJson {
  const [first, ...rest] = files;
  if (!first)
    throw new ShardError(
      "no shard file was given. Fix: `lockdrop merge shard-1.json shard-2.json ...`.",
    );
  const want = identity(first.file);
  for (const f of rest) {
    const got = identity(f.file);
    for (const key of Object.keys(want) as (keyof typeof want)[]) {
      if (JSON.stringify(canon(want[key])) === JSON.stringify(canon(got[key]))) continue;
      throw new ShardError(
        `${f.name} is not a shard of the same search as ${first.name}: its ${key} ${key.endsWith("s") ? "differ" : "differs"} (${JSON.stringify(got[key]).slice(0, 120)} against ${JSON.stringify(want[key]).slice(0, 120)}). Fix: merge only the files of one run of the same command with the same options, design files and --shard-depth, one per --shard i/n.`,
      );
    }
  }
  const n = first.file.shard.count;
  const seen = new Map<number, string>();
  for (const f of files) {
    const other = seen.get(f.file.shard.index);
    if (other !== undefined)
      throw new ShardError(
        `${f.name} and ${other} are both shard ${f.file.shard.index}/${n}. Fix: give each shard's file once.`,
      );
    seen.set(f.file.shard.index, f.name);
  }
  const missing: number[] = [];
  for (let i = 1; i <= n; i++) if (!seen.has(i)) missing.push(i);
  const sorted = [...files].sort((a, b) => a.file.shard.index - b.file.shard.index);
  const rows = first.file.rows.map((row, j): MergedRow => {
    const parts = sorted.map((f) => {
      const r = f.file.rows[j];
      if (
        !r ||
        r.design !== row.design ||
        r.scenario !== row.scenario ||
        r.property !== row.property
      )
        throw new ShardError(
          `${f.name}'s rows are not those of ${first.name} (row ${j + 1}). Fix: give the files as \`--shard-out\` wrote them.`,
        );
      return r;
    });
    return mergeRow(
      parts,
      sorted.map((f) => f.file.shard.index),
      missing.length > 0,
    );
  });
  const json: MergeJson = {
    schema: MERGE_SCHEMA,
    command: first.file.command,
    options: first.file.options,
    shardDepth: first.file.shardDepth,
    count: n,
    missing,
    rows,
  };
  MergeSchema.parse(json);
  return json;
}

function mergeRow(
  parts: readonly ShardRow[],
  indices: readonly number[],
  missing: boolean,
): MergedRow {
  const base = parts[0] as ShardRow;
  const shards = parts.map((r, i) => ({
    index: indices[i] as number,
    verdict: r.verdict,
    steps: r.steps,
  }));
  const head = { design: base.design, scenario: base.scenario, property: base.property };
  const violated = parts.filter((r) => r.verdict === "violated" && r.steps !== null);
  if (violated.length > 0) {
    const best = violated.reduce((a, b) => ((b.steps as number) < (a.steps as number) ? b : a));
    return {
      ...head,
      verdict: "violated",
      strength: mergedStrength(parts),
      steps: best.steps,
      ...(best.message !== undefined ? { message: best.message } : {}),
      ...(best.schedule ? { schedule: best.schedule } : {}),
      ...(best.loopStart !== undefined ? { loopStart: best.loopStart } : {}),
      // the shortest of every shard's shortest is the search's (README "Shards"), when
      // every shard is there and ran to its bound
      ...(best.provenShortest && !missing && parts.every((r) => r.complete)
        ? { provenShortest: true }
        : {}),
      shards,
    };
  }
  let verdict: Verdict;
  if (parts.every((r) => r.verdict === "n/a")) verdict = "n/a";
  else if (!missing && parts.every((r) => r.verdict === "holds" && r.complete)) verdict = "holds";
  else verdict = "unknown";
  const stopped = parts.find((r) => r.stopped)?.stopped;
  return {
    ...head,
    verdict,
    strength: mergedStrength(parts),
    ...(stopped ? { stopped } : {}),
    steps: null,
    shards,
  };
}

/** The shards' strengths together: runs and states add up, the weakest kind wins. */
function mergedStrength(parts: readonly ShardRow[]): Strength {
  const s = parts.map((r) => r.strength);
  const random = s.filter((x) => x.kind === "random");
  if (random.length === s.length && random.length > 0) {
    const pct = random[0]?.pct;
    return {
      kind: "random",
      runs: random.reduce((a, x) => a + x.runs, 0),
      ...(pct !== undefined ? { pct } : {}),
    };
  }
  const ex = s.flatMap((x) =>
    x.kind === "exhaustive-depth" || x.kind === "exhaustive-complete" ? [x] : [],
  );
  if (ex.length === s.length && ex.length > 0) {
    const omission = ex.some((x) => x.omissionProbability !== undefined)
      ? Math.min(
          1,
          ex.reduce((a, x) => a + (x.omissionProbability ?? 0), 0),
        )
      : undefined;
    return {
      kind: ex.every((x) => x.kind === "exhaustive-complete")
        ? "exhaustive-complete"
        : "exhaustive-depth",
      depth: Math.max(...ex.map((x) => x.depth)),
      states: ex.reduce((a, x) => a + x.states, 0),
      frontier: ex.reduce((a, x) => a + x.frontier, 0),
      ...(omission !== undefined ? { omissionProbability: omission } : {}),
      // every shard of one search has the same options
      ...(ex[0]?.preemptions !== undefined ? { preemptions: ex[0].preemptions } : {}),
    };
  }
  return { kind: "none" };
}

/**
 * What a merged row rests on. Random runs add up (each shard ran its own run indices);
 * an exhaustive search's states do not quite: shards keep visited sets of their own,
 * so a state reached from the prefixes of two shards is counted in both.
 */
function mergedStrengthText(r: MergedRow, m: MergeJson): string {
  const s = r.strength;
  if (s.kind !== "exhaustive-complete" && s.kind !== "exhaustive-depth")
    return strengthText({ strength: s, ...(r.stopped ? { stopped: r.stopped } : {}) });
  const given = m.count - m.missing.length;
  const shards = `${given} of ${m.count} shard${m.count === 1 ? "" : "s"}`;
  const reach = r.stopped
    ? `a shard stopped by ${STOPPED[r.stopped]}: not proven`
    : s.kind === "exhaustive-complete"
      ? `each complete${withinPreemptions(s)}`
      : `${s.frontier.toLocaleString("en-US")} states at the bound`;
  const hashes = omissionText(s);
  const omission = hashes ? `; ${hashes}` : "";
  return `exhaustive over ${shards}, depth ${s.depth}, ${reach}, ${s.states.toLocaleString("en-US")} states summed over them${omission}`;
}

/** The command that finds a merged row's counterexample again, on one machine. */
function replayLine(r: MergedRow, m: MergeJson): string {
  const o = m.options;
  const builtIn = isBuiltInDesign(r.design);
  const design = builtIn ? r.design : `<the design file of "${r.design}">`;
  // the search the shards ran, with its bounds and reductions, on one machine
  const how =
    o.mode === "exhaustive"
      ? ` --exhaustive${exhaustiveFlags(o)}`
      : ` --seed ${o.seed} --runs ${o.runs}${o.pct !== undefined ? ` --pct ${o.pct}` : ""}`;
  return `  replay: npx lockdrop check ${design} --scenario ${r.scenario} --property ${r.property}${how}`;
}

/**
 * The merged rows as `check` prints its verdicts: one line per row, then each
 * violation: its message, its thread lanes when `lanes` can replay it (a built-in
 * design whose step table is the one the shards searched), its schedule, and the
 * command that finds it again.
 */
export function renderMerge(
  m: MergeJson,
  lanes: (r: MergedRow) => string | null = () => null,
): string {
  const several = new Set(m.rows.map((r) => r.design)).size > 1;
  const out: string[] = [
    `lockdrop merge: ${m.count - m.missing.length} of ${m.count} shards of ${m.command} (${m.options.mode === "exhaustive" ? `exhaustive, ${m.options.depth !== undefined ? `depth ${m.options.depth}` : "no depth bound"}, prefixes of ${m.shardDepth} steps` : `seed ${m.options.seed}, ${m.options.runs} random schedules per scenario`})`,
    ...(m.missing.length > 0
      ? [
          pc.yellow(
            `missing shard${m.missing.length === 1 ? "" : "s"} ${m.missing.join(", ")}: rows no given shard violated are unknown`,
          ),
        ]
      : []),
    "",
  ];
  const lead = (r: MergedRow) => (several ? `${r.design.padEnd(24)} ` : "");
  const headOf = verdictHead(m.rows);
  for (const r of m.rows) {
    const head = `${lead(r)}${headOf(r)}`;
    const st = mergedStrengthText(r, m);
    if (r.verdict === "n/a") out.push(`${head} n/a`);
    else if (r.verdict === "holds") out.push(`${head} ${pc.green("holds")} (${st})`);
    else if (r.verdict === "unknown") out.push(`${head} ${pc.yellow("unknown")} (${st})`);
    else out.push(`${head} ${pc.red(`VIOLATED in ${counted(r.steps, "step")}`)}${violationTag(r)}`);
  }
  if (m.options.mode === "exhaustive")
    out.push(
      "",
      "States are summed over the shards: each keeps a visited set of its own, so a state reached from the prefixes of two shards is counted in each.",
    );
  for (const r of m.rows) {
    if (r.verdict !== "violated") continue;
    const drawn = lanes(r);
    out.push(
      "",
      pc.bold(`${r.property} violated on ${several ? `${r.design}/` : ""}${r.scenario}`),
      ...(r.message ? [`  ${r.message}`] : []),
      ...(drawn !== null ? ["", drawn, ""] : []),
      ...(r.schedule
        ? [`  schedule (thread.pick): ${r.schedule.map((c) => `${c.t}.${c.p}`).join(" ")}`]
        : []),
      replayLine(r, m),
    );
  }
  return out.join("\n");
}
