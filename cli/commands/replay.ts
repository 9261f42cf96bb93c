// `lockdrop replay <cex.json|token>`: re-run a counterexample and show it as thread
// lanes, Markdown with a Mermaid diagram, or JSON with every step's state diff.
// Exit 1 when the property is violated in the replay, 0 when it is not, 2 on bad
// input, 3 when the replay found hidden nondeterminism in the model.

import { closeSync, existsSync, openSync, readSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { Worker } from "node:worker_threads";
import type { Command } from "commander";
import { Option } from "commander";
import { setStepProbe } from "../../engine/exec.js";
import { DEFAULT_STEP_LIMIT_MS, stepTimedOut } from "../../engine/parallel.js";
import { setupFor } from "../../engine/run.js";
import { DESIGNS, designById } from "../../model/designs/index.js";
import { runsIn, scenarioById } from "../../model/scenarios.js";
import { withArticle } from "../../model/step.js";
import { propertyById } from "../../properties/index.js";
import type { Cex } from "../../reports/cex.js";
import { cexFromToken, isToken, parseCex, parseToken } from "../../reports/cex.js";
import { jsonText, ReplayOutputSchema } from "../../reports/formats.js";
import type { ReplayResult } from "../../reports/replay.js";
import { replayCex } from "../../reports/replay.js";
import {
  renderReplayMarkdown,
  renderReplayText,
  replayJson,
  worldAt,
} from "../../reports/replay-render.js";
import { parseCount, parseFileName, UsageError } from "../errors.js";
import {
  fileHash,
  loadedFiles,
  loadModuleOf,
  moduleOf,
  preloadDesignFiles,
  userDesign,
  userDesignById,
} from "../user-designs.js";

const LIST = "Run `lockdrop list` to see them all.";

function lookup(cex: Pick<Cex, "design" | "scenario" | "property">, where: string) {
  const design = designById(cex.design) ?? userDesignById(cex.design);
  if (!design) {
    const files = loadedFiles();
    if (files.length > 0)
      throw new UsageError(
        `${where} names design "${cex.design}", but ${files.map((f) => `${f.file} declares design "${f.design.id}"`).join(" and ")}. Fix: name the design file that declares "${cex.design}" with --design-file.`,
      );
    throw new UsageError(
      `${where} names design "${cex.design}", which this lockdrop does not have. Known designs: ${DESIGNS.map((d) => d.id).join(", ")}. ${LIST} If it comes from a design file, name the file: --design-file ./my-design.ts.`,
    );
  }
  const scenario = scenarioById(cex.scenario);
  if (!scenario)
    throw new UsageError(
      `${where} names scenario "${cex.scenario}", which does not exist. ${LIST}`,
    );
  const property = propertyById(cex.property);
  if (!property)
    throw new UsageError(
      `${where} names property "${cex.property}", which does not exist. ${LIST}`,
    );
  return { design, scenario, property };
}

/** Counterexample files above this size are refused before parsing (README "Counterexamples"). */
export const MAX_CEX_BYTES = 16 * 1024 * 1024;
/** Tokens above this length are refused before decoding. */
export const MAX_TOKEN_CHARS = 64 * 1024;

/**
 * The text of a file, read at most `max` bytes at a time: a file over the limit, or
 * a device that never ends (/dev/zero), is refused without being read whole.
 */
function readBounded(path: string, max: number): string {
  const fd = openSync(path, "r");
  try {
    const buf = Buffer.alloc(max + 1);
    let len = 0;
    for (;;) {
      const n = readSync(fd, buf, len, buf.length - len, null);
      if (n === 0) break;
      len += n;
      if (len > max)
        throw new UsageError(
          `"${path}" is larger than ${max / 1024 / 1024} MiB, the limit for a counterexample file (one is a few KiB); it was not read. Fix: give a file written by \`lockdrop check --out\`.`,
        );
    }
    return buf.subarray(0, len).toString("utf8");
  } finally {
    closeSync(fd);
  }
}

/** A counterexample from a file or a token; the error is one paragraph naming the bad field. */
export async function loadCex(arg: string): Promise<Cex> {
  return (await prepareCex(arg))();
}

/**
 * Reads a counterexample file or token and loads the design file it names; what it
 * returns gives the counterexample, which for a token means running its schedule (the
 * steps of a design file, which `replay` runs under its watchdog).
 */
async function prepareCex(arg: string): Promise<() => Cex> {
  if (isToken(arg)) {
    if (arg.length > MAX_TOKEN_CHARS)
      throw new UsageError(
        `the replay token is ${arg.length} characters long, over the limit of ${MAX_TOKEN_CHARS}; a token is a few hundred. Fix: copy the line that starts with ld1. again.`,
      );
    const t = parseToken(arg);
    if (!t.ok) throw new UsageError(t.error);
    const tok = t.value;
    if (tok.m !== undefined)
      await loadRecordedModule(
        tok.d,
        { path: tok.m, sha256: (tok.mh ?? "").padEnd(64, "0") },
        process.cwd(),
        "token",
      );
    const { design, scenario, property } = lookup(
      { design: tok.d, scenario: tok.s, property: tok.p },
      "the replay token",
    );
    if (!runsIn(scenario, design))
      throw new UsageError(
        `the replay token pairs design "${design.id}" with scenario "${scenario.id}", where it does not run.`,
      );
    return () => cexFromToken(tok, setupFor(design, scenario), property);
  }
  let text: string;
  try {
    text = readBounded(arg, MAX_CEX_BYTES);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(
      code === "ENOENT"
        ? `no such file "${arg}". Fix: give a counterexample file written by \`lockdrop check --out\`, or a replay token (ld1.…).`
        : `cannot read "${arg}": ${code === "EISDIR" ? "it is a directory" : (e as Error).message}. Fix: give a counterexample file written by \`lockdrop check --out\`, or a replay token (ld1.…).`,
    );
  }
  const r = parseCex(text, `"${arg}"`);
  if (!r.ok) throw new UsageError(r.error);
  if (r.value.module)
    await loadRecordedModule(r.value.design, r.value.module, dirname(resolve(arg)), "file");
  return () => r.value;
}

/**
 * A counterexample of a user design records its file: load it (relative to the cex
 * file's directory, or for a token to the current one) unless the design is known,
 * built in or from a design file given on the command line (--design-file).
 * A file whose text changed since is loaded all the same, with a warning.
 */
async function loadRecordedModule(
  design: string,
  module: { readonly path: string; readonly sha256: string },
  base: string,
  from: "token" | "file",
): Promise<void> {
  if (designById(design) || userDesignById(design)) return;
  if (!existsSync(resolve(base, module.path))) {
    const files = loadedFiles();
    const given =
      files.length === 0
        ? ""
        : ` The design file${files.length === 1 ? "" : "s"} named on the command line declare${files.length === 1 ? "s" : ""} ${files.map((f) => `"${f.design.id}" (${f.file})`).join(", ")}, not "${design}".`;
    throw new UsageError(
      `the counterexample's design "${design}" comes from the file ${module.path}, relative to ${from === "token" ? "the directory where the replay token was printed" : "the counterexample file's directory"}, and there is no such file at ${resolve(base, module.path)}.${given} Fix: ${from === "token" ? "run replay from the directory where the token was printed, or " : ""}name the design file that declares "${design}" with --design-file.`,
    );
  }
  const loaded = await loadModuleOf(module.path, base);
  const now = fileHash(resolve(loaded.file));
  const recorded = module.sha256;
  const same = recorded.endsWith("0".repeat(48))
    ? now.startsWith(recorded.slice(0, 16))
    : now === recorded;
  if (!same)
    console.error(
      `lockdrop: warning: ${loaded.file} changed since this counterexample was recorded (sha256 ${recorded.slice(0, 16)}…, now ${now.slice(0, 16)}…); replaying against the file as it is now.`,
    );
}

export function replayFor(cex: Cex, on?: string): ReplayResult {
  const { design, scenario, property } = lookup(cex, "the counterexample");
  let target = design;
  if (on !== undefined) {
    const d = designById(on) ?? userDesign(on);
    if (!d)
      throw new UsageError(
        `unknown design "${on}" for --on. Known designs: ${DESIGNS.map((x) => x.id).join(", ")}. ${LIST}`,
      );
    if (!runsIn(scenario, d))
      throw new UsageError(
        `design "${d.id}" (${withArticle(d.family)} caller) does not run in scenario "${scenario.id}", so the schedule cannot be replayed on it. Fix: name a design that runs there: ${DESIGNS.filter(
          (x) => runsIn(scenario, x),
        )
          .map((x) => x.id)
          .join(", ")}.`,
      );
    target = d;
  }
  return replayCex(cex, target, scenario, property);
}

/**
 * What cli/replay-probe.mjs runs on its worker thread: the command's own loading and
 * replay, with `onStep` told of each step as it starts.
 */
export async function probeReplay(
  argv: readonly string[],
  arg: string,
  on: string | undefined,
  onStep: (program: string, label: string) => void,
): Promise<void> {
  await preloadDesignFiles(argv, { probe: false }); // the command's own load probed them
  const cex = await prepareCex(arg);
  setStepProbe(onStep);
  replayFor(cex(), on);
}

/**
 * Replays on a worker thread first (cli/replay-probe.mjs): a step that does not return
 * within `limitMs` is stopped there and becomes a design error at its label (exit 2),
 * as `check` reports one, instead of a replay that never ends.
 */
function replayWithinLimit(arg: string, on: string | undefined, limitMs: number): Promise<void> {
  return new Promise((done, fail) => {
    const w = new Worker(new URL("../replay-probe.mjs", import.meta.url), {
      workerData: { replay: import.meta.url, argv: process.argv.slice(2), arg, on },
    });
    let at: { program: string; label: string } | null = null;
    let timer: NodeJS.Timeout | undefined;
    const end = (e?: Error) => {
      clearTimeout(timer);
      void w.terminate();
      if (e) fail(e);
      else done();
    };
    w.on("message", (m: { program?: string; label?: string; done?: boolean }) => {
      if (m.done) return end();
      if (m.program === undefined || m.label === undefined) return;
      at = { program: m.program, label: m.label };
      clearTimeout(timer);
      timer = setTimeout(() => {
        const { program, label } = at ?? { program: "?", label: "?" };
        end(stepTimedOut(program, label, limitMs, "during the replay"));
      }, limitMs);
    });
    w.once("error", () => end()); // the command's own replay reports what went wrong
    w.once("exit", () => end());
  });
}

export function registerReplay(program: Command): void {
  program
    .command("replay")
    .description("replay a counterexample file or token: lanes, Markdown + Mermaid, or JSON")
    .argument("<cex>", "a lockdrop.cex/1 file (from `check --out`) or a replay token (ld1.…)")
    .addOption(
      new Option("--format <f>", "output format")
        .choices(["text", "markdown", "json"])
        .default("text"),
    )
    .option("--step <n>", "print the full world after step N (0: the initial world) as JSON")
    .option(
      "--json",
      "the same as --format json (lockdrop.replay/1, as the other commands' --json)",
    )
    .option("--on <design>", "replay the same schedule against another design (id or file)")
    .option(
      "--design-file <path>",
      "the design file a counterexample of a user design came from",
      parseFileName("--design-file"),
    )
    .option(
      "--step-timeout <seconds>",
      "a step of a design file that runs longer is stopped: a design error at that step",
      parseCount("--step-timeout"),
      DEFAULT_STEP_LIMIT_MS / 1000,
    )
    .action(
      async (
        arg: string,
        o: {
          format: string;
          json?: boolean;
          step?: string;
          on?: string;
          designFile?: string;
          stepTimeout: number;
        },
        cmd: Command,
      ) => {
        if (o.json && cmd.getOptionValueSource("format") === "cli" && o.format !== "json")
          throw new UsageError(
            `--json asks for JSON and --format ${o.format} for ${o.format === "text" ? "thread lanes" : "Markdown"}, so one of them would be ignored. Fix: give one of them.`,
          );
        const format = o.json ? "json" : o.format;
        // --step prints one world as JSON: a format asked for beside it would be ignored
        if (o.step !== undefined && o.json)
          throw new UsageError(
            "--step prints the world after one step as JSON, so --json would be ignored. Fix: leave --json out with --step, or drop --step for the whole replay as JSON.",
          );
        if (o.step !== undefined && cmd.getOptionValueSource("format") === "cli")
          throw new UsageError(
            `--step prints the world after one step as JSON, so --format ${o.format} would be ignored. Fix: leave --format out with --step, or drop --step for the whole replay in that format.`,
          );
        const prepared = await prepareCex(arg);
        // only a design file's steps can loop: a built-in design's replay needs no watchdog
        if (loadedFiles().length > 0) await replayWithinLimit(arg, o.on, o.stepTimeout * 1000);
        const cex = prepared();
        const replayed = replayFor(cex, o.on);
        // a design file that is neither the counterexample's design nor --on's would be ignored
        const given = o.designFile !== undefined ? userDesign(o.designFile) : undefined;
        const onDesign = replayed.sameDesign ? undefined : replayed.setup.design;
        if (given && given.id !== cex.design && given !== onDesign)
          throw new UsageError(
            `--design-file ${o.designFile} declares design "${given.id}", and this counterexample is of design "${cex.design}"${onDesign ? `, replayed on "${onDesign.id}"` : ""}, so the file would be ignored. Fix: leave --design-file out, or replay the schedule on that design with --on ${o.designFile}.`,
          );
        const module = moduleOf(cex.design);
        const r = module ? { ...replayed, module } : replayed;
        if (o.step !== undefined) {
          const n = Number(o.step);
          if (!Number.isInteger(n) || n < 0 || n > r.run.trace.length)
            throw new UsageError(
              `--step must be a step number from 0 to ${r.run.trace.length}, got "${o.step}". Fix: give one in that range (0: the initial world).`,
            );
          console.log(JSON.stringify(worldAt(r, n), null, 2));
        } else if (format === "json") console.log(jsonText(ReplayOutputSchema, replayJson(r)));
        else if (format === "markdown") process.stdout.write(renderReplayMarkdown(r));
        else process.stdout.write(renderReplayText(r));
        if (r.nondeterminism) process.exitCode = 3;
        else if (r.violation) process.exitCode = 1;
      },
    );
}
