// A counterexample of a user's design file replays when the file is named again.
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { lockdrop } from "./run-cli.js";

describe("replay of a design file's counterexample", () => {
  it("needs --design-file, and then reproduces the violation", () => {
    const dir = mkdtempSync(join(tmpdir(), "lockdrop-"));
    const out = join(dir, "cex.json");
    const c = lockdrop(
      "check",
      "./examples/mydrv-first.ts",
      "--scenario",
      "anon-uffd",
      "--property",
      "lock-balance",
      "--runs",
      "300",
      "--out",
      out,
    );
    expect(c.code).toBe(1);
    const [file] = readdirSync(dir);
    const cex = join(dir, file as string);
    const missing = lockdrop("replay", cex);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/--design-file/);
    const r = lockdrop("replay", cex, "--design-file", "./examples/mydrv-first.ts");
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/VIOLATION lock-balance/);
  });
});
