// lockdrop as a package: "exports" and the build agree, the build is ESM with .d.ts that
// CommonJS can require(), and the command loads the right code: the sources in a checkout
// (never a possibly stale dist/), design files in CommonJS packages too. The packed
// package itself is checked end to end by .ci/pack-e2e.sh.
import { spawnSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultExport, loadDesignFile } from "../api/design-file.js";
import { lockdrop } from "./run-cli.js";

interface Entry {
  readonly "lockdrop-source": string;
  readonly types: string;
  readonly import: string;
  readonly default: string;
}
const PKG = JSON.parse(readFileSync("package.json", "utf8")) as {
  exports: Record<string, Entry | string>;
  files: string[];
  bin: Record<string, string>;
};
/** The repository's files ending in `ext`, outside node_modules, dist/ and dot folders. */
function sourceFiles(ext: string): string[] {
  return readdirSync(".", { withFileTypes: true })
    .filter((d) => d.isDirectory() && !/^(node_modules|dist|\..*)$/.test(d.name))
    .flatMap((d) => readdirSync(d.name, { recursive: true }).map((f) => `${d.name}/${f}`))
    .filter((f) => f.endsWith(ext));
}

const entries = Object.entries(PKG.exports).filter(
  (e): e is [string, Entry] => typeof e[1] !== "string",
);

describe("package.json", () => {
  it("maps each entry to its source, and to the same path in dist/ for types and code", () => {
    expect(entries.map(([k]) => k)).toEqual(["./model", "./vitest"]);
    for (const [key, e] of entries) {
      expect(Object.keys(e), key).toEqual(["lockdrop-source", "types", "import", "default"]);
      expect(existsSync(e["lockdrop-source"]), e["lockdrop-source"]).toBe(true);
      const compiled = e["lockdrop-source"].replace(/^\.\//, "./dist/").replace(/\.ts$/, "");
      expect(e.types).toBe(`${compiled}.d.ts`);
      expect(e.import).toBe(`${compiled}.js`);
      expect(e.default).toBe(e.import);
    }
  });

  it("ships the build, the command and the init templates", () => {
    expect(PKG.files).toEqual(expect.arrayContaining(["dist", "templates", PKG.bin.lockdrop]));
  });
});

describe("the build (tsconfig.build.json)", () => {
  // into a temporary folder that resolves the dependencies from this checkout
  const out = mkdtempSync(join(tmpdir(), "lockdrop-build-"));
  beforeAll(() => {
    writeFileSync(join(out, "package.json"), '{ "type": "module" }\n');
    symlinkSync(resolve("node_modules"), join(out, "node_modules"), "dir");
    const tsc = spawnSync(
      process.execPath,
      [
        "node_modules/typescript/bin/tsc",
        "-p",
        "tsconfig.build.json",
        "--outDir",
        join(out, "dist"),
      ],
      { encoding: "utf8" },
    );
    expect(tsc.status, tsc.stdout + tsc.stderr).toBe(0);
  });
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it("emits each entry as ESM JavaScript with declarations, and the worker bootstrap", () => {
    for (const [, e] of entries) {
      expect(existsSync(join(out, e.types)), e.types).toBe(true);
      // ESM, with the sources' relative .js specifiers as they are
      expect(readFileSync(join(out, e.import), "utf8")).toMatch(
        /^(import|export) .* from "\.\.\/[\w/.-]+\.js";$/m,
      );
    }
    // worker bootstraps, wherever they live in the folders the build takes (cli/'s own
    // .mjs files are not built; bench/'s are the benchmarks' own, never shipped)
    const built = (
      JSON.parse(readFileSync("tsconfig.build.json", "utf8").replace(/^\s*\/\/.*$/gm, "")) as {
        include: string[];
      }
    ).include;
    const bootstraps = sourceFiles(".mjs").filter(
      (f) => built.some((d) => f.startsWith(`${d}/`)) && !f.startsWith("cli/"),
    );
    expect(bootstraps.length).toBeGreaterThan(0);
    for (const f of bootstraps) expect(existsSync(join(out, "dist", f)), f).toBe(true);
    expect(existsSync(join(out, "dist/cli/main.js"))).toBe(true);
  });

  it("loads with require() from CommonJS: no top-level await behind the entries", () => {
    const [model, vitest] = entries.map(([, e]) => join(out, e.default));
    const r = spawnSync(
      process.execPath,
      [
        "-e",
        `const m = require(${JSON.stringify(model)}); const v = require(${JSON.stringify(vitest)});
         console.log(typeof m.design, typeof m.DesignError, typeof v.checkDesign);`,
      ],
      { encoding: "utf8" },
    );
    expect(r.stderr).toBe("");
    expect(r.stdout.trim()).toBe("function function function");
  });
});

const ONE_ROW = ["--scenario", "anon-uffd", "--property", "lock-balance", "--runs", "5"];

describe("the command, run from a checkout", () => {
  it("gives design files the sources' lockdrop/model, not dist/", () => {
    const r = lockdrop("check", "test/fixtures/source/which-model.ts", ...ONE_ROW);
    expect(r.code, r.err).toBe(0);
    // the command loads the file, and so does the worker thread that searches it
    const lines = r.err.trim().split("\n");
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect(l).toBe(`lockdrop/model: file://${resolve("api/model.ts")}`);
  });
});

describe("a .ts design file in a CommonJS package", () => {
  const FILE = "test/fixtures/commonjs/returns.ts";

  it("loads in check", () => {
    const r = lockdrop("check", FILE, ...ONE_ROW);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/anon-uffd\s+lock-balance\s+holds/);
  });

  it("loads in process too, where plain Node's import() gives module.exports as the default (the vitest API)", async () => {
    // vitest unwraps __esModule itself, so the fixture loads here either way; the
    // unwrapping plain Node needs is held to what Node gives (the packed package's
    // vitest API on a CommonJS .ts file: .ci/pack-e2e.sh)
    const loaded = await loadDesignFile("test/fixtures/commonjs/compiled.cjs");
    expect(loaded.design.id).toBe("fixture-commonjs-compiled");
    const node = spawnSync(
      process.execPath,
      [
        "-e",
        "import('./test/fixtures/commonjs/compiled.cjs').then((m) => console.log(JSON.stringify(Object.keys(m.default))))",
      ],
      { encoding: "utf8" },
    );
    expect(JSON.parse(node.stdout)).toEqual(["default"]);
    const design = { id: "d" };
    const cjs = Object.defineProperty({ default: design }, "__esModule", { value: true });
    expect(defaultExport({ default: cjs })).toBe(design);
    expect(defaultExport({ default: design })).toBe(design);
    // esbuild's (tsx's) CommonJS output: `default` a getter, __esModule a value
    const esbuilt = Object.defineProperty(
      Object.defineProperty({}, "__esModule", { value: true }),
      "default",
      { get: () => design, enumerable: true },
    );
    expect(defaultExport({ default: esbuilt })).toBe(design);
  });

  it("loads in matrix's worker threads", () => {
    const r = lockdrop("matrix", "--design", FILE, ...ONE_ROW);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/== fixture-commonjs/);
  });
});

describe("a project that links this checkout (`npm install <checkout>`)", () => {
  // node_modules/lockdrop is a link to the checkout, and the design file, a .ts file of a
  // CommonJS package, imports lockdrop/model at run time: tsx makes that a require(),
  // which the export conditions of `import` never reach
  const project = mkdtempSync(join(tmpdir(), "lockdrop-linked-"));
  const file = join(project, "linked.ts");
  beforeAll(() => {
    writeFileSync(join(project, "package.json"), '{ "type": "commonjs" }\n');
    mkdirSync(join(project, "node_modules"));
    symlinkSync(resolve("."), join(project, "node_modules", "lockdrop"), "dir");
    writeFileSync(
      file,
      `import { design, exit } from "lockdrop/model";
console.error(\`lockdrop/model: \${require.resolve("lockdrop/model")}\`);
export default design({
  id: "linked",
  family: "hmm",
  title: "a CommonJS design file of a project that links the checkout",
  start: "exit",
  steps: { exit: { op: exit() } },
});
`,
    );
  });
  afterAll(() => rmSync(project, { recursive: true, force: true }));

  it("gets the checkout's sources from require(), as check and its worker threads run them", () => {
    const r = lockdrop("check", file, ...ONE_ROW);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/anon-uffd\s+lock-balance\s+holds/);
    const lines = r.err.trim().split("\n");
    expect(lines.length).toBeGreaterThan(1);
    for (const l of lines) expect(l).toBe(`lockdrop/model: ${resolve("api/model.ts")}`);
  });

  it("counts its monitor variant as the uffd monitor in the command's copy (examples/xe-vm-lock.ts)", () => {
    // the file's copy of lockdrop/model declares the variant; the waits-for graph the
    // command's copy builds must see it, or the deadlock reads as "holds"
    const xe = join(project, "xe-vm-lock.ts");
    copyFileSync(resolve("examples/xe-vm-lock.ts"), xe);
    const r = lockdrop("check", xe, "--scenario", "xe-uffd-monitor-binds", "--exhaustive");
    expect(r.code, r.err).toBe(1);
    expect(r.out).toMatch(/xe-uffd-monitor-binds +no-deadlock +VIOLATED in 15 steps \(shortest\)/);
  });
});
