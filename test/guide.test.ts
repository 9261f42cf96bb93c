// docs/writing-a-design.md cannot rot: every code block in it is a file under
// examples/ (marked `<!-- example: examples/NAME -->`), byte for byte; every command
// block runs and exits as its comment says; every output block appears, line by line
// and in order ("..." skips), in what its command prints.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { type CliResult, runNode } from "./run-cli.js";

const GUIDE = readFileSync("docs/writing-a-design.md", "utf8");

interface Block {
  readonly file: string;
  readonly lang: string;
  readonly body: string;
}

const marked = [
  ...GUIDE.matchAll(/<!-- example: (examples\/[\w.-]+) -->\n```(\w+)\n([\s\S]*?)```\n/g),
].map((m): Block => ({ file: m[1] as string, lang: m[2] as string, body: m[3] as string }));

/** Run one `npx <tool> args...` line the way a user would, without npx. */
function run(line: string): Promise<CliResult> {
  const [npx, tool, ...args] = line.trim().split(/\s+/);
  expect(npx).toBe("npx");
  const entry =
    tool === "lockdrop" ? "cli/bin.mjs" : tool === "vitest" ? "node_modules/vitest/vitest.mjs" : "";
  expect(entry, `unknown tool in "${line}"`).not.toBe("");
  return runNode(entry, args, { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" });
}

/** Each line of `excerpt` occurs in `output`, in order; "..." lines skip any number. */
function inOrder(excerpt: string, output: string): string | null {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: strips colour escapes
  const plain = output.replace(/\u001b\[[0-9;]*m/g, "");
  const lines = plain.split("\n").map((l) => l.trimEnd());
  let at = 0;
  for (const want of excerpt.split("\n").map((l) => l.trimEnd())) {
    if (want === "..." || want === "") continue;
    const i = lines.indexOf(want, at);
    if (i < 0) return want;
    at = i + 1;
  }
  return null;
}

describe("docs/writing-a-design.md", () => {
  it("has no code block that is not an example file", () => {
    const fences = GUIDE.match(/^```/gm) ?? [];
    expect(marked.length).toBeGreaterThanOrEqual(10);
    expect(fences.length).toBe(marked.length * 2);
  });

  it("shows each example file exactly as it is", () => {
    for (const b of marked) expect(b.body, b.file).toBe(readFileSync(b.file, "utf8"));
  });

  it("prints what the guide shows, with the exit codes it states", async () => {
    const commands = marked.filter((b) => b.lang === "sh");
    const results = await Promise.all(
      commands.map((b) => {
        const lines = b.body.split("\n").filter((l) => l.startsWith("npx "));
        expect(lines, b.file).toHaveLength(1);
        return run(lines[0] as string);
      }),
    );
    commands.forEach((b, i) => {
      const r = results[i] as CliResult;
      const code = /^# exit (\d+)/m.exec(b.body)?.[1];
      expect(code, `${b.file} states no exit code`).toBeDefined();
      expect(r.code, `${b.file}: ${r.err}`).toBe(Number(code));
      const shown = marked.find((x) => x.file === b.file.replace(/\.sh$/, ".txt"));
      if (shown)
        expect(
          inOrder(shown.body, r.out),
          `${shown.file}: line not printed in\n${r.out}`,
        ).toBeNull();
    });
  });
});
