// A counterexample of a user's design file records the file (relative to the
// counterexample file, with its hash); replay loads it again, from any directory. The
// replay token records it relative to where the token was printed.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cexText } from "../reports/cex.js";
import { lockdrop, runNode } from "./run-cli.js";

/** A counterexample file of examples/mydrv-first.ts (lock-balance on anon-uffd), in a fresh directory. */
function firstCex(): { dir: string; cex: string } {
  const dir = mkdtempSync(join(tmpdir(), "lockdrop-"));
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
    join(dir, "cex.json"),
  );
  expect(c.code).toBe(1);
  const [file] = readdirSync(dir);
  return { dir, cex: join(dir, file as string) };
}

describe("replay of a design file's counterexample", () => {
  it("loads the recorded design file, and warns when it changed since", () => {
    const { cex } = firstCex();
    const recorded = JSON.parse(readFileSync(cex, "utf8"));
    expect(recorded.module.path).toMatch(/examples\/mydrv-first\.ts$/);
    expect(recorded.module.sha256).toMatch(/^[0-9a-f]{64}$/);
    const r = lockdrop("replay", cex);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/VIOLATION lock-balance/);
    expect(r.err).not.toMatch(/changed since/);
    // a file recorded from another version of the design file: replayed, with a warning
    // (re-signed: an edit that does not carry a new checksum is refused as corrupted)
    writeFileSync(
      cex,
      cexText({ ...recorded, module: { ...recorded.module, sha256: "0".repeat(64) } }),
    );
    const w = lockdrop("replay", cex);
    expect(w.code, w.err).toBe(1);
    expect(w.err).toMatch(/mydrv-first\.ts changed since this counterexample was recorded/);
  });

  it("names the design file it needs when the recorded one is missing, and refuses one it would ignore", () => {
    const { dir, cex } = firstCex();
    // the recorded path, relative to the file, no longer leads to the design file
    const recorded = JSON.parse(readFileSync(cex, "utf8"));
    const moved = join(dir, "moved.json");
    writeFileSync(
      moved,
      cexText({ ...recorded, module: { ...recorded.module, path: "./gone/mydrv-first.ts" } }),
    );
    const wrong = lockdrop("replay", moved, "--design-file", "./examples/mydrv.ts");
    // the --design-file=path spelling names the file as well
    const glued = lockdrop("replay", moved, "--design-file=./examples/mydrv.ts");
    expect(glued.code).toBe(2);
    expect(glued.err).toBe(wrong.err);
    expect(wrong.code).toBe(2);
    expect(wrong.err).toMatch(
      /relative to the counterexample file's directory, .*The design file named on the command line declares "mydrv" \(\.\/examples\/mydrv\.ts\), not "mydrv-first"\. Fix: name the design file that declares "mydrv-first" with --design-file\./,
    );
    expect(wrong.err).not.toMatch(/where the token was printed/);
    const right = lockdrop("replay", moved, "--design-file", "./examples/mydrv-first.ts");
    expect(right.code, right.err).toBe(1);
    expect(right.out).toMatch(/VIOLATION lock-balance/);
    // a built-in design's counterexample: a design file beside it would be ignored
    const builtIn = join(dir, "builtin");
    const b = lockdrop(
      "check",
      "v1-hugetlb-drop",
      "--scenario",
      "hugetlb-uffd-1",
      "--property",
      "no-freed-vma-use",
      "--runs",
      "200",
      "--out",
      `${builtIn}.json`,
    );
    expect(b.code).toBe(1);
    const ignored = lockdrop("replay", `${builtIn}.json`, "--design-file", "./examples/mydrv.ts");
    expect(ignored.code).toBe(2);
    expect(ignored.err).toMatch(
      /--design-file \.\/examples\/mydrv\.ts declares design "mydrv", and this counterexample is of design "v1-hugetlb-drop", so the file would be ignored/,
    );
  });

  it("replays the token printed under a design file's counterexample", () => {
    const c = lockdrop("check", "./examples/svm-first.ts", "--property", "no-deadlock");
    expect(c.code).toBe(1);
    const token = /replay token: npx lockdrop replay (ld1\.\S+)/.exec(c.out)?.[1];
    expect(token).toBeDefined();
    const r = lockdrop("replay", token as string);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(
      /VIOLATION no-deadlock: deadlock: T1 waits for W \(mmap_lock held for write\), W waits for T1 \(prange->lock held\)/,
    );
  });

  it("stops a step that no longer returns, as check does: a design error at that step, exit 2", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lockdrop-"));
    const file = "test/fixtures/designs/_spins-on-replay.ts";
    const c = lockdrop("check", file, "--runs", "5", "--out", join(dir, "cex.json"));
    expect(c.code, c.err).toBe(1);
    const token = /lockdrop replay (ld1\.\S+)/.exec(c.out)?.[1];
    expect(token).toBeDefined();
    const spinning = { ...process.env, LOCKDROP_FIXTURE_SPIN: "1" };
    for (const arg of [join(dir, "cex.json"), token as string]) {
      const r = await runNode("cli/bin.mjs", ["replay", arg, "--step-timeout", "1"], spinning);
      expect(r.code, r.err).toBe(2);
      expect(r.out).toBe("");
      expect(r.err).toMatch(
        /design error in .*_spins-on-replay\.ts \(design "fixture-spins-on-replay"\), step "prepare": the step \(or a property's check after it\) ran for more than 1 s without returning during the replay, and was stopped/,
      );
    }
    // and without the loop, the same replay runs as before
    const r = lockdrop("replay", join(dir, "cex.json"));
    expect(r.code, r.err).toBe(1);
    expect(r.out).toMatch(/VIOLATION lock-balance/);
  });
});
