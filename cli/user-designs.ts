// Design files named on the command line (`lockdrop check ./my-design.ts`). They are
// imported and validated before the command runs, so that resolving ids stays
// synchronous: `select.designs()` finds a loaded file under the path the user typed.

import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { relative, resolve, sep } from "node:path";
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
import { UsageError } from "./errors.js";

const loaded = new Map<string, LoadedDesign>();

/** Load every argument that names a design file; bad files become UsageErrors (exit 2). */
export async function preloadDesignFiles(argv: readonly string[]): Promise<void> {
  for (const arg of argv) {
    if (!looksLikeDesignFile(arg) || loaded.has(arg)) continue;
    try {
      loaded.set(arg, await loadDesignFile(arg));
    } catch (e) {
      if (e instanceof DesignFileError) throw new UsageError(e.message);
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
    if (e instanceof DesignFileError) throw new UsageError(e.message);
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
