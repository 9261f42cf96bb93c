// Counterexample files and replay tokens carry a checksum: an edited, damaged,
// truncated or inconsistent input is refused as such (exit 2, one paragraph), never
// replayed as "fixed" (exit 0) and never blamed on hidden nondeterminism (exit 3). Inputs
// over the size limit are refused before they are read whole.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cexChecksum, cexText, parseCex } from "../reports/cex.js";
import { type CliResult, runNode } from "./run-cli.js";

const lockdrop = (...args: string[]) => runNode("cli/bin.mjs", args);
const UAF = "corpus/v1-hugetlb-drop/hugetlb-uffd.no-freed-vma-use.json";

function refused(r: CliResult, why: RegExp): void {
  expect(r.code, r.err).toBe(2);
  expect(r.err).toMatch(why);
  expect(r.err).toMatch(/Fix: /);
  expect(r.err.trim().split("\n")).toHaveLength(1);
  expect(r.err).not.toMatch(/\n\s+at /);
}

describe("integrity of counterexamples", () => {
  it("never replays a token with one character changed", async () => {
    const text = readFileSync(
      "corpus/golden/v1-hugetlb-drop__hugetlb-uffd.no-freed-vma-use.txt",
      "utf8",
    );
    const token = /lockdrop replay (ld1\.\S+)/.exec(text)?.[1] as string;
    expect(token).toBeDefined();
    expect((await lockdrop("replay", token)).code).toBe(1);
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    // every 7th position after the prefix, each changed to the next character
    const positions = Array.from({ length: token.length - 4 }, (_, i) => i + 4).filter(
      (i) => i % 7 === 0,
    );
    const results = await Promise.all(
      positions.map((i) => {
        const c = token[i] as string;
        const next = alphabet[(alphabet.indexOf(c) + 1) % alphabet.length] as string;
        return lockdrop("replay", token.slice(0, i) + next + token.slice(i + 1));
      }),
    );
    expect(results.length).toBeGreaterThan(15);
    for (const r of results) {
      expect(r.code, r.out + r.err).not.toBe(0);
      expect(r.code, r.err).not.toBe(3);
      refused(r, /replay token (is corrupted|does not decode)/);
    }
  });

  it("refuses an edited, truncated, unsigned or inconsistent file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lockdrop-integrity-"));
    const text = readFileSync(UAF, "utf8");
    const cex = JSON.parse(text);
    const write = (name: string, body: string) => {
      const f = join(dir, name);
      writeFileSync(f, body);
      return f;
    };
    const edited = write(
      "edited.json",
      text.replace('"scenario": "hugetlb-uffd"', '"scenario": "hugetlb-uffd-1"'),
    );
    const digit = write("digit.json", text.replace(/"pick": 0/, '"pick": 1'));
    const truncated = write("truncated.json", text.slice(0, Math.floor(text.length / 2)));
    const { checksum: _c, ...unsignedCex } = cex;
    const unsigned = write("unsigned.json", JSON.stringify(unsignedCex));
    // consistent checksum, inconsistent content: a forged count is still caught
    const inconsistent = write(
      "inconsistent.json",
      cexText({ ...cex, violation: { ...cex.violation, at: cex.steps.length + 3 } }),
    );
    const [a, b, c, d, e] = await Promise.all(
      [edited, digit, truncated, unsigned, inconsistent].map((f) => lockdrop("replay", f)),
    );
    refused(a as CliResult, /is corrupted or was edited: its checksum does not match/);
    refused(b as CliResult, /is corrupted or was edited/);
    refused(c as CliResult, /is not JSON .*truncated/);
    refused(d as CliResult, /has no checksum/);
    refused(
      e as CliResult,
      /is inconsistent: violation\.at is \d+ but only \d+ steps are recorded/,
    );
  });

  it("keeps the checksum stable across re-indentation, and the file as written verifies", () => {
    const text = readFileSync(UAF, "utf8");
    const parsed = parseCex(text, "x");
    expect(parsed.ok).toBe(true);
    const reindented = JSON.stringify(JSON.parse(text));
    expect(parseCex(reindented, "x").ok).toBe(true);
    if (parsed.ok) expect(parsed.value.checksum).toBe(cexChecksum(parsed.value));
  });

  it("refuses inputs over the size limit before reading them whole", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lockdrop-size-"));
    const big = join(dir, "big.json");
    writeFileSync(big, Buffer.alloc(17 * 1024 * 1024, 32));
    const [zero, large, token] = await Promise.all([
      lockdrop("replay", "/dev/zero"),
      lockdrop("replay", big),
      lockdrop("replay", `ld1.${"A".repeat(70_000)}`),
    ]);
    refused(zero as CliResult, /larger than 16 MiB/);
    refused(large as CliResult, /larger than 16 MiB/);
    refused(token as CliResult, /over the limit of 65536/);
  });

  it("refuses a directory and a file of the wrong shape, each with its fix", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lockdrop-shape-"));
    const shape = join(dir, "shape.json");
    writeFileSync(shape, '{"schema":"lockdrop.cex/1"}');
    const [folder, wrong] = await Promise.all([lockdrop("replay", dir), lockdrop("replay", shape)]);
    refused(folder as CliResult, /cannot read ".*": it is a directory\. Fix: /);
    refused(wrong as CliResult, /is not a valid lockdrop\.cex\/1 file: at design: .*Fix: /);
  });
});
