// Design files named on the command line (`lockdrop check ./my-design.ts`). They are
// imported and validated before the command runs, so that resolving ids stays
// synchronous: `select.designs()` finds a loaded file under the path the user typed.

import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { relative, resolve, sep } from "node:path";
import { Worker } from "node:worker_threads";
import {
  type DesignError,
  DesignFileError,
  describeDesignError,
  type LoadedDesign,
  loadDesignFile,
  looksLikeDesignFile,
} from "../api/design-file.js";
import type { Design } from "../model/step.js";
import type { ModuleRef } from "../reports/cex.js";
import { DESIGN_LOADER } from "./design-loader.js";
import { UsageError } from "./errors.js";

const loaded = new Map<string, LoadedDesign>();

/**
 * How long a design file may take to load (its top level), in ms: 30 s, or
 * LOCKDROP_LOAD_TIMEOUT seconds (a whole number from 1 to 3,600; anything else is bad
 * input, never a silent 30 s).
 */
function loadLimitMs(): number {
  const raw = process.env.LOCKDROP_LOAD_TIMEOUT;
  if (raw === undefined || raw.trim() === "") return 30_000;
  const s = Number(raw.trim());
  if (!Number.isInteger(s) || s < 1 || s > 3600)
    throw new UsageError(
      `LOCKDROP_LOAD_TIMEOUT must be a whole number of seconds between 1 and 3,600, got "${raw}". Fix: set it to, say, 60, or unset it for the default of 30 s.`,
    );
  return s * 1000;
}

/**
 * Load the file on a worker thread first: a top level that never returns is stopped
 * there, after LOAD_LIMIT_MS, as bad input (exit 2), and this thread imports only a
 * file that loaded. Problems the file's own checks find are reported by the import here.
 */
async function probeLoad(file: string): Promise<void> {
  if (!existsSync(file)) return; // the import below says so, in its own words
  const LOAD_LIMIT_MS = loadLimitMs();
  await new Promise<void>((done, fail) => {
    const w = new Worker(new URL("./load-probe.mjs", import.meta.url), {
      workerData: { file, loader: DESIGN_LOADER },
      resourceLimits: { maxOldGenerationSizeMb: 2048 },
    });
    const timer = setTimeout(() => {
      void w.terminate();
      fail(
        new UsageError(
          `${file}: the file did not finish loading within ${LOAD_LIMIT_MS / 1000} s (an endless loop, or a wait, at its top level?), so it was stopped. Fix: make the module return from its top level; run \`npx tsx ${file}\` to see where it hangs.`,
        ),
      );
    }, LOAD_LIMIT_MS);
    w.once("message", () => {
      clearTimeout(timer);
      void w.terminate();
      done();
    });
    w.once("error", (e) => {
      clearTimeout(timer);
      fail(new UsageError(`${file}: loading it stopped: ${e.message}.`));
    });
  });
}

/**
 * Load every argument that names a design file; bad files become UsageErrors (exit 2).
 * `probe: false` skips the load probe, for a thread of a command whose own thread has
 * already loaded the same files under it (replay's worker).
 */
export async function preloadDesignFiles(
  argv: readonly string[],
  { probe = true }: { readonly probe?: boolean } = {},
): Promise<void> {
  // `--on=./d.ts` and `--design-file=./d.ts` name a file as the spaced forms do
  const values = argv.map((a) => (/^--[^=]+=/.test(a) ? a.slice(a.indexOf("=") + 1) : a));
  for (const arg of values) {
    if (!looksLikeDesignFile(arg) || loaded.has(arg)) continue;
    if (probe) await probeLoad(arg);
    try {
      loaded.set(arg, await loadDesignFile(arg));
    } catch (e) {
      if (e instanceof DesignFileError) throw new UsageError(e.message, { cause: e.cause });
      throw e;
    }
  }
}

/** Every design file loaded so far, with its design. */
export function loadedFiles(): LoadedDesign[] {
  return [...loaded.values()];
}

/** The design loaded from the file the user named as `arg`, if any. */
export function userDesign(arg: string): Design | undefined {
  return loaded.get(arg)?.design;
}

/** The scenarios and properties a design file asks for when the command line names none. */
export function fileDefaults(d: Design): {
  scenarios: readonly string[] | undefined;
  properties: readonly string[] | undefined;
} {
  const f = [...loaded.values()].find((x) => x.design === d);
  return { scenarios: f?.scenarios, properties: f?.properties };
}

/**
 * What a comparison of `designs` runs when the command line names no scenarios or
 * properties: the union of the lists their design files give (undefined where none
 * gives one: then every scenario, or every property).
 */
export function filesDefaults(designs: readonly Design[]): {
  scenarios: readonly string[] | undefined;
  properties: readonly string[] | undefined;
} {
  const union = (lists: (readonly string[] | undefined)[]) => {
    const given = lists.filter((l) => l !== undefined);
    return given.length === 0 ? undefined : [...new Set(given.flat())];
  };
  const own = designs.map(fileDefaults);
  return {
    scenarios: union(own.map((o) => o.scenarios)),
    properties: union(own.map((o) => o.properties)),
  };
}

/**
 * The file a loaded design came from, as a module reference: its path relative to
 * `from` (a directory: the current one for tokens, a cex file's for files) and the
 * sha256 of its text. Undefined for a built-in design.
 */
export function moduleOf(id: string, from = process.cwd()): ModuleRef | undefined {
  const f = [...loaded.values()].find((x) => x.design.id === id);
  if (!f) return undefined;
  const abs = resolve(f.file);
  const rel = relative(resolve(from), abs).split(sep).join("/");
  return { path: rel.startsWith(".") ? rel : `./${rel}`, sha256: fileHash(abs) };
}

export function fileHash(abs: string): string {
  return createHash("sha256").update(readFileSync(abs)).digest("hex");
}

/** Load a design file named by a counterexample (path relative to `base`); its id. */
export async function loadModuleOf(path: string, base: string): Promise<LoadedDesign> {
  const file = relative(process.cwd(), resolve(base, path)) || path;
  const had = loaded.get(file);
  if (had) return had;
  try {
    const d = await loadDesignFile(file);
    loaded.set(file, d);
    return d;
  } catch (e) {
    if (e instanceof DesignFileError) throw new UsageError(e.message, { cause: e.cause });
    throw e;
  }
}

/** A design loaded from a file on the command line, found by its id. */
export function userDesignById(id: string): Design | undefined {
  return [...loaded.values()].find((x) => x.design.id === id)?.design;
}

export function fileOfDesign(id: string): string | undefined {
  return [...loaded.values()].find((x) => x.design.id === id)?.file;
}

/** One paragraph for a step that threw during exploration. */
export function designErrorMessage(e: DesignError): string {
  return describeDesignError(e, fileOfDesign);
}
