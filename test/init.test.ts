// `lockdrop init`: the scaffold it writes, its refusal to overwrite anything (exit 2,
// nothing written), and how it merges package.json.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { init, lockdropSpec, planPackageJson, TEMPLATE } from "../cli/commands/init.js";
import { lockdrop } from "./run-cli.js";

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), "lockdrop-init-"));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Every file under `dir`, as paths relative to it, sorted. */
function files(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }))
      if (e.isDirectory()) walk(join(d, e.name));
      else out.push(relative(dir, join(d, e.name)));
  };
  if (existsSync(dir)) walk(dir);
  return out.sort();
}

/** A directory's files and their contents, to show nothing changed. */
function snapshot(dir: string): Record<string, string> {
  return Object.fromEntries(files(dir).map((f) => [f, readFileSync(join(dir, f), "utf8")]));
}

const OWN = JSON.parse(readFileSync("package.json", "utf8")) as {
  version: string;
  devDependencies: Record<string, string>;
};
const want = { name: "host", lockdrop: "^9.9.9", vitest: "^4.0.0" };

describe("lockdrop init", () => {
  it("lists every file under templates/init/ in its manifest, and only those", () => {
    expect(TEMPLATE.map((t) => t.path).sort()).toEqual(files("templates/init"));
  });

  it("scaffolds into a new folder: the template files as they are, and a package.json", () => {
    const dir = join(tmp(), "new-repo");
    const r = init(dir);
    expect(r.packageJson).toBe("created");
    expect(files(dir)).toEqual([...TEMPLATE.map((t) => t.path), "package.json"].sort());
    for (const t of TEMPLATE)
      expect(readFileSync(join(dir, t.path), "utf8"), t.path).toBe(
        readFileSync(join("templates/init", t.path), "utf8"),
      );
    const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
    expect(pkg).toEqual({
      name: "new-repo",
      version: "0.0.0",
      private: true,
      scripts: { test: "vitest run" },
      // from a checkout, the running lockdrop's version; vitest as lockdrop's own tests use it
      devDependencies: { lockdrop: `^${OWN.version}`, vitest: OWN.devDependencies.vitest },
    });
  });

  it("runs as a command: exit 0 and a list of what it wrote; then exit 2 and nothing written", () => {
    const dir = tmp();
    const ok = lockdrop("init", dir);
    expect(ok.code, ok.err).toBe(0);
    expect(ok.out).toMatch(/lockdrop\/mydrv\.mts\s+a design/);
    expect(ok.out).toMatch(/package\.json created/);
    const before = snapshot(dir);
    const again = lockdrop("init", dir);
    expect(again.code).toBe(2);
    expect(again.err.trim().split("\n")).toHaveLength(1);
    expect(again.err).not.toMatch(/\n\s+at /);
    expect(again.err).toContain(`${join(dir, "lockdrop/mydrv.mts")}, `);
    expect(again.err).toMatch(/never overwrites a file.*Nothing was written\. Fix: /);
    expect(snapshot(dir)).toEqual(before);
  });

  it("writes nothing at all when one target exists, and names it", () => {
    const dir = tmp();
    mkdirSync(join(dir, ".github/workflows"), { recursive: true });
    writeFileSync(join(dir, ".github/workflows/lockdrop.yml"), "mine\n");
    writeFileSync(join(dir, "package.json"), '{ "name": "mine" }\n');
    const before = snapshot(dir);
    const r = lockdrop("init", dir);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/lockdrop: \S+\/\.github\/workflows\/lockdrop\.yml already exists,/);
    expect(snapshot(dir)).toEqual(before);
  });

  it("will not add a second vitest config next to the host's own", () => {
    const dir = tmp();
    writeFileSync(join(dir, "vite.config.ts"), "export default {};\n");
    expect(() => init(dir)).toThrow(/vite\.config\.ts already exists, .*Nothing was written/);
    expect(files(dir)).toEqual(["vite.config.ts"]);
  });

  it("writes nothing when package.json cannot be read", () => {
    const dir = tmp();
    writeFileSync(join(dir, "package.json"), "{ name: mine }");
    const r = lockdrop("init", dir);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/package\.json is not valid JSON .* Nothing was written\. Fix: /);
    expect(files(dir)).toEqual(["package.json"]);
  });
});

describe("lockdrop init: package.json", () => {
  const parse = (text: string | null) => JSON.parse(text ?? "null");

  it("adds the test script and devDependencies and keeps every other field, in order", () => {
    const host = {
      name: "drv",
      version: "1.2.3",
      type: "commonjs",
      scripts: { build: "make" },
      devDependencies: { typescript: "^5" },
      license: "GPL-2.0",
    };
    const plan = planPackageJson(JSON.stringify(host, null, 2), want);
    const pkg = parse(plan.text);
    expect(pkg).toEqual({
      ...host,
      scripts: { build: "make", test: "vitest run" },
      devDependencies: { typescript: "^5", lockdrop: "^9.9.9", vitest: "^4.0.0" },
    });
    expect(Object.keys(pkg)).toEqual(Object.keys(host));
    expect(plan.notes).toEqual([
      'scripts.test: "vitest run"',
      'devDependencies.lockdrop: "^9.9.9"',
      'devDependencies.vitest: "^4.0.0"',
    ]);
  });

  it("keeps the host's own lockdrop and vitest specs, in dependencies or devDependencies", () => {
    const host = {
      dependencies: { lockdrop: "file:vendor/lockdrop-0.1.0.tgz" },
      devDependencies: { vitest: "3.2.0" },
    };
    const pkg = parse(planPackageJson(JSON.stringify(host), want).text);
    expect(pkg.dependencies).toEqual(host.dependencies);
    expect(pkg.devDependencies).toEqual(host.devDependencies);
    expect(pkg.scripts).toEqual({ test: "vitest run" });
  });

  it("replaces npm init's placeholder test script, and keeps a real one", () => {
    const placeholder = { scripts: { test: 'echo "Error: no test specified" && exit 1' } };
    expect(parse(planPackageJson(JSON.stringify(placeholder), want).text).scripts.test).toBe(
      "vitest run",
    );
    const own = { scripts: { test: "make check" } };
    const plan = planPackageJson(JSON.stringify(own), want);
    expect(parse(plan.text).scripts.test).toBe("make check");
    expect(plan.notes[0]).toMatch(/scripts\.test is kept \("make check"\).*npx vitest run/);
  });

  it("changes nothing when everything is there, and keeps the file's indentation and line ends", () => {
    const done = {
      scripts: { test: "vitest run --reporter dot" },
      devDependencies: { lockdrop: "github:org/lockdrop", vitest: "^4" },
    };
    expect(planPackageJson(JSON.stringify(done), want)).toEqual({ text: null, notes: [] });
    const tabs = planPackageJson('{\r\n\t"name": "drv"\r\n}\r\n', want).text ?? "";
    expect(tabs).toMatch(/^\{\r\n\t"name": "drv",\r\n\t"scripts": \{\r\n\t\t"test"/);
    expect(tabs.endsWith("}\r\n")).toBe(true);
    expect(tabs).not.toMatch(/[^\r]\n/);
  });

  it("refuses a package.json that is not an object", () => {
    expect(() => planPackageJson("[]", want)).toThrow(/does not hold a JSON object/);
  });

  it("takes lockdrop's spec from the project that installed the running copy", () => {
    const installer = tmp();
    const root = join(installer, "node_modules", "lockdrop");
    mkdirSync(root, { recursive: true });
    const host = join(tmp(), "host");
    expect(lockdropSpec(root, "0.1.0", host)).toBe("^0.1.0");
    writeFileSync(
      join(installer, "package.json"),
      JSON.stringify({ dependencies: { lockdrop: "file:../dl/lockdrop-0.1.0.tgz" } }),
    );
    expect(lockdropSpec(root, "0.1.0", host)).toBe(
      `file:${relative(host, join(installer, "../dl/lockdrop-0.1.0.tgz"))}`,
    );
    writeFileSync(
      join(installer, "package.json"),
      JSON.stringify({ dependencies: { lockdrop: "github:org/lockdrop#v0.1.0" } }),
    );
    expect(lockdropSpec(root, "0.1.0", host)).toBe("github:org/lockdrop#v0.1.0");
  });
});
