// npm run check:mermaid (issue 6): does the Markdown report of a counterexample really
// render in a browser, and does the picture tell the story? The script builds the
// report the way `lockdrop replay <cex> --format markdown` does (same code, in-process),
// takes its mermaid block, renders it with node_modules/mermaid in headless Chromium,
// and checks the dumped DOM: an <svg>, no Mermaid error, every participant, and (for
// the default v1-hugetlb-drop counterexample) the notes of the story in order down the
// page and over the right lifelines. It also writes a PNG screenshot to bench/out/mermaid/
// (git-ignored) and prints its path. Exit 0 when every check passes, 1 otherwise; exit 0
// with a message when Chromium is not installed. Not part of `npm test`: CI has no
// Chromium. See bench/mermaid-check.md.
//
//   npx tsx bench/mermaid-check.ts [cex.json]
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { loadCex, replayFor } from "../cli/commands/replay.js";
import { renderReplayMarkdown } from "../reports/replay-render.js";

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const repoDir = path.dirname(benchDir);
const outDir = path.join(benchDir, "out", "mermaid");
const DEFAULT_CEX = "corpus/v1-hugetlb-drop/hugetlb-uffd.no-freed-vma-use.json";
const MERMAID_JS = path.join(repoDir, "node_modules", "mermaid", "dist", "mermaid.min.js");
const WIDTH = 1400;
const MIN_HEIGHT = 3000;
const TIMEOUT_MS = 120_000;

/** The Chromium binary: $CHROMIUM, else the first of these on PATH. */
function findChromium(): string | null {
  const fromEnv = process.env.CHROMIUM;
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : null;
  for (const name of ["chromium", "chromium-browser"]) {
    for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
      const p = path.join(dir, name);
      if (dir && existsSync(p) && statSync(p).isFile()) return p;
    }
  }
  return null;
}

/** Run headless Chromium on a page with a fresh profile; the flags keep it off the network. */
function chromium(bin: string, extra: readonly string[], url: string) {
  const profile = mkdtempSync(path.join(os.tmpdir(), "lockdrop-chromium-"));
  try {
    return spawnSync(
      bin,
      [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--hide-scrollbars",
        `--user-data-dir=${profile}`,
        "--virtual-time-budget=10000",
        ...extra,
        url,
      ],
      { encoding: "utf8", maxBuffer: 1 << 28, timeout: TIMEOUT_MS, killSignal: "SIGKILL" },
    );
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

/** The first ```mermaid block of a Markdown text. */
function mermaidBlock(md: string): string | null {
  const m = /^```mermaid\n([\s\S]*?)\n```$/m.exec(md);
  return m?.[1] ?? null;
}

/** `participant T as T (v1-hugetlb-drop)` -> "T (v1-hugetlb-drop)" */
function participantsOf(src: string): string[] {
  return [...src.matchAll(/^\s*participant\s+\S+\s+as\s+(.+)$/gm)].map((m) => (m[1] ?? "").trim());
}

// What the page reports after rendering: the actors' columns and every note and message
// text with its position, so the checks can say which lifeline a note sits over and
// which comes first down the page.
interface Item {
  readonly kind: "note" | "message";
  readonly text: string;
  readonly x: number;
  readonly y: number;
  readonly over: string;
}
interface Summary {
  readonly state: "rendered" | "error";
  readonly error?: string;
  readonly svgHeight: number;
  readonly actors: readonly { readonly name: string; readonly x: number }[];
  readonly items: readonly Item[];
}

function page(src: string): string {
  const json = (v: unknown) => JSON.stringify(v).replace(/</g, "\\u003c");
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>lockdrop mermaid check</title>
<style>body{margin:8px;background:#fff;font-family:sans-serif}</style>
<script src="${pathToFileURL(MERMAID_JS).href}"></script>
</head><body>
<div id="out"></div>
<script>
(async () => {
  const report = (s) => {
    const el = document.createElement("script");
    el.type = "application/json";
    el.id = "summary";
    el.textContent = JSON.stringify(s);
    document.body.appendChild(el);
  };
  try {
    mermaid.initialize({ startOnLoad: false, securityLevel: "strict" });
    const { svg } = await mermaid.render("lockdrop-diagram", ${json(src)});
    const out = document.getElementById("out");
    out.innerHTML = svg;
    const root = out.querySelector("svg");
    const mid = (el) => { const r = el.getBoundingClientRect(); return { x: r.left + r.width / 2, y: r.top + r.height / 2 }; };
    // top actor boxes: the first text.actor of each name
    const actors = [];
    for (const t of root.querySelectorAll("text.actor")) {
      const name = t.textContent.trim();
      if (!actors.some((a) => a.name === name)) actors.push({ name, x: mid(t).x });
    }
    const nearest = (x) => actors.reduce((b, a) => (Math.abs(a.x - x) < Math.abs(b.x - x) ? a : b)).name;
    const items = [];
    for (const t of root.querySelectorAll("text.noteText, text.messageText")) {
      const p = mid(t);
      items.push({ kind: t.classList.contains("noteText") ? "note" : "message", text: t.textContent.trim(), x: p.x, y: p.y, over: nearest(p.x) });
    }
    items.sort((a, b) => a.y - b.y);
    report({ state: "rendered", svgHeight: root.getBoundingClientRect().height, actors, items });
  } catch (e) {
    const pre = document.createElement("pre");
    pre.id = "error";
    pre.textContent = String(e && e.message ? e.message : e);
    document.body.appendChild(pre);
    report({ state: "error", error: pre.textContent, svgHeight: 0, actors: [], items: [] });
  }
})();
</script>
</body></html>
`;
}

/** One step of the story: a text in a note or message over a given lifeline. */
interface StoryStep {
  readonly what: string;
  readonly over: string;
  readonly text: RegExp;
}

// Issue 6: T takes the hugetlb lock, the fault drops the mmap lock, W unmaps (detaches
// the VMA), T sleeps on the hugetlb lock through its stale pointer, and W's
// __hugetlb_zap_end frees that lock and wakes T onto it. Only for the default
// counterexample.
const HUGETLB_STORY: readonly StoryStep[] = [
  {
    what: "T takes the hugetlb lock",
    over: "T (v1-hugetlb-drop)",
    text: /^takes hugetlb_vma_lock\(vma#\d+\) \(read\)$/,
  },
  { what: "the fault drops mmap_lock", over: "T (v1-hugetlb-drop)", text: /^drops mmap_lock$/ },
  { what: "W unmaps: detaches the VMA", over: "W (munmap)", text: /^detaches vma#\d+$/ },
  {
    what: "T waits on the hugetlb lock",
    over: "T (v1-hugetlb-drop)",
    text: /^waits for hugetlb_vma_lock\(vma#\d+\) \(read\)$/,
  },
  {
    what: "W frees the hugetlb lock",
    over: "W (munmap)",
    text: /^frees vma#\d+'s hugetlb_vma_lock$/,
  },
];

async function main(): Promise<number> {
  const arg = process.argv[2] ?? DEFAULT_CEX;
  const cexPath = path.resolve(repoDir, arg);
  const bin = findChromium();
  if (!bin) {
    console.log(
      "check:mermaid: Chromium is not installed (no `chromium` on PATH, $CHROMIUM unset); skipped. On Debian: apt-get install -y chromium",
    );
    return 0;
  }
  if (!existsSync(MERMAID_JS)) {
    console.log(`check:mermaid: ${path.relative(repoDir, MERMAID_JS)} is missing; run npm ci.`);
    return 1;
  }

  const md = renderReplayMarkdown(replayFor(await loadCex(cexPath)));
  const src = mermaidBlock(md);
  if (!src) {
    console.log(`check:mermaid: the Markdown report of ${arg} has no mermaid block.`);
    return 1;
  }
  const base = path.basename(cexPath, ".json");
  const stem = `${path.basename(path.dirname(cexPath))}__${base}`;
  mkdirSync(outDir, { recursive: true });
  const htmlPath = path.join(outDir, `${stem}.html`);
  const domPath = path.join(outDir, `${stem}.dom.html`);
  const pngPath = path.join(outDir, `${stem}.png`);
  writeFileSync(htmlPath, page(src));
  const url = pathToFileURL(htmlPath).href;

  const failures: string[] = [];
  const check = (ok: boolean, what: string) => {
    console.log(`  ${ok ? "ok  " : "FAIL"}  ${what}`);
    if (!ok) failures.push(what);
  };

  console.log(`check:mermaid: ${arg} with ${bin}`);
  const dump = chromium(bin, ["--dump-dom"], url);
  const dom = dump.stdout ?? "";
  writeFileSync(domPath, dom);
  if (dump.error || !dom.includes("</html>")) {
    console.log(
      `  FAIL  chromium --dump-dom: ${dump.error?.message ?? `exit ${dump.status}`}\n${(dump.stderr ?? "").slice(-2000)}`,
    );
    return 1;
  }

  // the diagram's <svg>, put in #out by the page (on a parse error Mermaid draws its
  // error picture elsewhere, also as an <svg>)
  const outStart = dom.indexOf('<div id="out"><svg');
  const svgStart = outStart >= 0 ? outStart + '<div id="out">'.length : -1;
  const svgEnd = dom.lastIndexOf("</svg>");
  check(svgStart >= 0 && svgEnd > svgStart, "the page has the diagram's <svg>");
  check(!/Syntax error|Parse error/i.test(dom), 'no Mermaid error text ("Syntax error")');
  const sm = /<script type="application\/json" id="summary">([\s\S]*?)<\/script>/.exec(dom);
  let summary: Summary | null = null;
  try {
    summary = sm?.[1] ? (JSON.parse(sm[1]) as Summary) : null;
  } catch {
    summary = null;
  }
  check(
    summary?.state === "rendered",
    `mermaid.render() succeeded${summary?.error ? `: ${summary.error}` : ""}`,
  );
  const svg = svgStart >= 0 ? dom.slice(svgStart, svgEnd + 6) : "";
  const actors = summary?.actors.map((a) => a.name) ?? [];
  for (const p of participantsOf(src))
    check(actors.includes(p) && svg.includes(p), `participant "${p}" is drawn`);

  if (cexPath === path.resolve(repoDir, DEFAULT_CEX)) {
    for (const p of ["T (v1-hugetlb-drop)", "W (munmap)"])
      check(actors.includes(p), `participant "${p}" (issue 6) is drawn`);
    // In this shortest counterexample the uffd monitor never takes a step, so the report
    // has no "M (monitor)" lifeline; the fatal signal comes from S.
    const items = summary?.items ?? [];
    let from = 0;
    let lastY = -1;
    for (const s of HUGETLB_STORY) {
      const i = items.findIndex((it, k) => k >= from && it.over === s.over && s.text.test(it.text));
      const it = i >= 0 ? items[i] : undefined;
      check(
        it !== undefined && it.y > lastY,
        `${s.what}: "${it?.text ?? s.text.source}" over ${s.over}${it ? ` at y=${Math.round(it.y)}` : " (not found in order)"}`,
      );
      if (it) {
        from = i + 1;
        lastY = it.y;
      }
    }
    // the same order in the SVG markup itself
    const texts = [
      "(read)",
      "drops mmap_lock",
      "detaches vma#",
      "waits for hugetlb_vma_lock",
      "frees vma#",
    ];
    let at = 0;
    const order = texts.every((t) => {
      const k = svg.indexOf(t, at);
      at = k + t.length;
      return k >= 0;
    });
    check(order, `the SVG text has ${texts.map((t) => `"${t}"`).join(" < ")} in this order`);
  }

  const height = Math.max(MIN_HEIGHT, Math.ceil((summary?.svgHeight ?? 0) + 40));
  rmSync(pngPath, { force: true });
  const shot = chromium(bin, [`--screenshot=${pngPath}`, `--window-size=${WIDTH},${height}`], url);
  const shotOk = !shot.error && existsSync(pngPath) && statSync(pngPath).size > 10_000;
  check(shotOk, `screenshot ${WIDTH}x${height} written`);

  console.log(`  page:       ${path.relative(repoDir, htmlPath)}`);
  console.log(`  dumped DOM: ${path.relative(repoDir, domPath)}`);
  if (shotOk) console.log(`  screenshot: ${pngPath}`);
  console.log(
    failures.length === 0
      ? "check:mermaid: all checks pass"
      : `check:mermaid: ${failures.length} check(s) failed`,
  );
  return failures.length === 0 ? 0 : 1;
}

process.exitCode = await main();
