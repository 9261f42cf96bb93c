// `lockdrop init [dir]`: scaffolds lockdrop into a team's own repository: a design, its
// vitest suite, the driver's lock, actor, scenarios and property the design is checked
// with, a vitest config and a CI workflow, copied from templates/init/, and the
// test script and devDependencies merged into package.json. It never overwrites a file:
// when any target exists it writes nothing and exits 2.
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { UsageError } from "../errors.js";

export interface TemplateFile {
  /** path under templates/init/, and where it goes in the target directory */
  readonly path: string;
  readonly about: string;
  /** other files that make this one a conflict (vitest reads one config only) */
  readonly conflictsWith?: readonly string[];
}

const CONFIGS = ["vitest", "vite"].flatMap((n) =>
  ["ts", "mts", "cts", "js", "mjs", "cjs"].map((ext) => `${n}.config.${ext}`),
);

/** What `init` writes. Adding a file to the scaffold: put it under templates/init/ and add a line. */
export const TEMPLATE: readonly TemplateFile[] = [
  { path: "lockdrop/mydrv.mts", about: "a design: a loop around hmm_range_fault_unlockable()" },
  { path: "lockdrop/mydrv.test.mts", about: "its verdicts, as a vitest suite (checkDesign)" },
  { path: "lockdrop/locks.mts", about: "the driver's own lock, declared by name and kind" },
  { path: "lockdrop/actor.mts", about: "its invalidate callback, as an actor" },
  { path: "lockdrop/scenario.mts", about: "scenarios: two driver threads, the lock, the actor" },
  { path: "lockdrop/property.mts", about: "a safety property of the team's own" },
  { path: "vitest.config.mts", about: "vitest config", conflictsWith: CONFIGS },
  { path: ".github/workflows/lockdrop.yml", about: "CI: npm ci && npm test on each push/PR" },
];

/** The test script npm init writes, which init replaces as if there were none. */
const NPM_INIT_TEST = 'echo "Error: no test specified" && exit 1';
const TEST_SCRIPT = "vitest run";

interface PackageJson {
  name?: string;
  version?: string;
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  [field: string]: unknown;
}

/** The lockdrop that is running: its folder (with templates/) and package.json. */
export function ownPackage(from = fileURLToPath(import.meta.url)): {
  root: string;
  pkg: PackageJson;
} {
  for (let dir = dirname(from); ; dir = dirname(dir)) {
    const file = join(dir, "package.json");
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, "utf8")) as PackageJson;
      if (pkg.name === "lockdrop") return { root: dir, pkg };
    }
    if (dirname(dir) === dir) throw new Error(`no lockdrop package.json above ${from}`);
  }
}

/**
 * The lockdrop dependency to write when the host lists none: the spec the running
 * lockdrop was installed with when a package.json next to its node_modules says (npx
 * from a tarball or git URL; a relative file: path is rewritten for the host), else its
 * version.
 */
export function lockdropSpec(root: string, version: string, hostDir: string): string {
  if (basename(dirname(root)) === "node_modules") {
    const installer = dirname(dirname(root));
    try {
      const pkg = JSON.parse(readFileSync(join(installer, "package.json"), "utf8")) as PackageJson;
      const spec = pkg.dependencies?.lockdrop ?? pkg.devDependencies?.lockdrop;
      if (spec?.startsWith("file:")) {
        const target = resolve(installer, spec.slice("file:".length));
        return `file:${relative(hostDir, target) || "."}`;
      }
      if (spec !== undefined) return spec;
    } catch {
      // no readable package.json there: fall back to the version
    }
  }
  return `^${version}`;
}

export interface PackagePlan {
  /** the new package.json text, or null when nothing changes */
  readonly text: string | null;
  /** one line per change, and per thing left as it was that the user should know */
  readonly notes: readonly string[];
}

/**
 * package.json with what the scaffold needs, adding only what is absent: the test script
 * (npm init's placeholder counts as absent), lockdrop and vitest in devDependencies
 * unless dependencies or devDependencies list them. Nothing else changes; the file keeps
 * its indentation. `existing` is the file's text, or undefined when there is none.
 */
export function planPackageJson(
  existing: string | undefined,
  want: {
    readonly name: string;
    readonly lockdrop: string;
    readonly vitest: string;
    /** said after the lockdrop line when init adds it */
    readonly lockdropNote?: string;
  },
): PackagePlan {
  let pkg: PackageJson;
  if (existing === undefined) pkg = { name: want.name, version: "0.0.0", private: true };
  else {
    let parsed: unknown;
    try {
      parsed = JSON.parse(existing);
    } catch (e) {
      throw new UsageError(
        `package.json is not valid JSON (${(e as Error).message}), so init cannot add its test script and devDependencies to it. Nothing was written. Fix: repair package.json (\`npm pkg get\` shows whether npm can read it) and run \`lockdrop init\` again.`,
      );
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
      throw new UsageError(
        "package.json does not hold a JSON object, so init cannot add its test script and devDependencies to it. Nothing was written. Fix: make it an object ({ }) or remove it, and run `lockdrop init` again.",
      );
    pkg = parsed as PackageJson;
  }
  const notes: string[] = [];
  let changed = existing === undefined;
  const test = pkg.scripts?.test;
  if (test === undefined || test === NPM_INIT_TEST) {
    pkg.scripts = { ...pkg.scripts, test: TEST_SCRIPT };
    notes.push(`scripts.test: "${TEST_SCRIPT}"`);
    changed = true;
  } else if (!/\bvitest\b/.test(test))
    notes.push(
      `scripts.test is kept ("${test}"), so \`npm test\` does not run the lockdrop suite: add \`vitest run\` to it, or run \`npx vitest run\``,
    );
  for (const [name, spec, note] of [
    ["lockdrop", want.lockdrop, want.lockdropNote],
    ["vitest", want.vitest, undefined],
  ] as const) {
    const listed = pkg.dependencies?.[name] ?? pkg.devDependencies?.[name];
    if (listed !== undefined) continue;
    pkg.devDependencies = { ...pkg.devDependencies, [name]: spec };
    notes.push(`devDependencies.${name}: "${spec}"${note ? ` ${note}` : ""}`);
    changed = true;
  }
  if (!changed) return { text: null, notes };
  const indent = existing === undefined ? "  " : (/^[ \t]+(?=")/m.exec(existing)?.[0] ?? "  ");
  const eol = existing?.includes("\r\n") ? "\r\n" : "\n";
  return { text: `${JSON.stringify(pkg, null, indent).replaceAll("\n", eol)}${eol}`, notes };
}

/**
 * Create `path` and its missing parents one level at a time (not mkdirSync's
 * recursive mode, which can spin on a path under /proc): a folder that cannot be made
 * is bad input, named, exit 2.
 */
function makeDirs(path: string, shown: string): void {
  if (existsSync(path)) {
    if (!statSync(path).isDirectory())
      throw new UsageError(
        `${path} is a file, not a folder, so ${shown} cannot be scaffolded. Nothing was written there. Fix: choose another folder.`,
      );
    return;
  }
  makeDirs(dirname(path), shown);
  try {
    mkdirSync(path);
  } catch (e) {
    throw new UsageError(
      `cannot create the folder ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}), so ${shown} cannot be scaffolded. Fix: choose a folder you can write to.`,
    );
  }
}

/** A name npm accepts for a new package.json, from the folder's name. */
function packageName(dir: string): string {
  const name = basename(resolve(dir))
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, "-")
    .replace(/^[._-]+/, "");
  return name || "lockdrop-checks";
}

export interface InitResult {
  /** the target directory as given */
  readonly dir: string;
  /** the files written, relative to the target directory */
  readonly written: readonly string[];
  readonly packageJson: "created" | "updated" | "unchanged";
  readonly notes: readonly string[];
}

/** Scaffold into `dir`: checks every target first, and writes nothing on a conflict. */
export function init(dir: string, cwd = process.cwd()): InitResult {
  const target = resolve(cwd, dir);
  // paths as the user typed the directory
  const show = (p: string) => join(dir, p);
  if (existsSync(target) && !statSync(target).isDirectory())
    throw new UsageError(
      `${dir} is a file, not a directory. Nothing was written. Fix: name the repository's folder, e.g. \`lockdrop init .\`, or a new folder to create.`,
    );
  const taken = [...new Set(TEMPLATE.flatMap((t) => [t.path, ...(t.conflictsWith ?? [])]))].filter(
    (p) => existsSync(join(target, p)),
  );
  if (taken.length > 0) {
    const names = taken.map(show);
    const them = names.length > 1 ? "them" : "it";
    throw new UsageError(
      `${names.join(", ")} already exist${names.length > 1 ? "" : "s"}, and init never overwrites a file (nor adds a second vitest config next to one). Nothing was written. Fix: move ${them} aside and run \`lockdrop init\` again (then merge back what you need), or scaffold into a new folder with \`lockdrop init <dir>\`.`,
    );
  }
  const { root, pkg: own } = ownPackage();
  const pkgFile = join(target, "package.json");
  const existing = existsSync(pkgFile) ? readFileSync(pkgFile, "utf8") : undefined;
  const version = own.version ?? "0.0.0";
  const lockdrop = lockdropSpec(root, version, target);
  const plan = planPackageJson(existing, {
    name: packageName(target),
    lockdrop,
    vitest: own.devDependencies?.vitest ?? "*",
    ...(lockdrop === `^${version}`
      ? {
          lockdropNote:
            "(the version running; if npm install cannot find it, put there the tarball path or git URL you install lockdrop from)",
        }
      : {}),
  });
  const sources = TEMPLATE.map((t) => readFileSync(join(root, "templates", "init", t.path)));
  for (const t of TEMPLATE) makeDirs(dirname(join(target, t.path)), dir);
  TEMPLATE.forEach((t, i) => {
    writeFileSync(join(target, t.path), sources[i] as Buffer, { flag: "wx" });
  });
  if (plan.text !== null) writeFileSync(pkgFile, plan.text);
  return {
    dir: join(dir),
    written: TEMPLATE.map((t) => t.path),
    packageJson: plan.text === null ? "unchanged" : existing === undefined ? "created" : "updated",
    notes: plan.notes,
  };
}

export function registerInit(program: Command): void {
  program
    .command("init")
    .description(
      "scaffold a design, its lock, actor, scenarios and property, its vitest suite and a CI workflow",
    )
    .argument("[dir]", "the repository's folder (created if missing)", ".")
    .action((dir: string) => {
      const r = init(dir);
      const width = Math.max(...r.written.map((w) => w.length));
      console.log(`lockdrop init wrote into ${r.dir}:`);
      TEMPLATE.forEach((t, i) => {
        console.log(`  ${(r.written[i] as string).padEnd(width)}  ${t.about}`);
      });
      console.log(`  package.json ${r.packageJson}${r.notes.length > 0 ? ":" : ""}`);
      for (const n of r.notes) console.log(`    ${n}`);
      const cd = r.dir === "." ? "" : `cd ${r.dir} && `;
      console.log(
        `Next: ${cd}npm install && npm test, then \`npx lockdrop check ${TEMPLATE[0]?.path}\`. Commit package-lock.json too: the workflow runs npm ci.`,
      );
    });
}
