// The outputs of `lockdrop replay`: thread lanes (text), a Markdown report with a
// Mermaid sequence diagram that GitHub renders, JSON with every step's events and the
// immer patches it made, and the full world at one step. Every output is a function
// of the file alone: no colour, no time stamps, no paths, so it is byte-identical on
// any machine (the golden files under corpus/golden/ hold this to account).

import { stepWithPatches } from "../engine/exec.js";
import type { Event } from "../model/events.js";
import type { StepRecord } from "../model/step.js";
import type { World } from "../model/world.js";
import { lockLabel } from "../model/world.js";
import { tokenOf } from "./cex.js";
import { describeStep, folioHeldText, mapsText, renderLanes } from "./lanes.js";
import type { ReplayResult } from "./replay.js";
import { verdictLines } from "./replay.js";

/** Index of the step to mark: the violating one (the last step for an end-of-run violation). */
function markOf(r: ReplayResult): number | undefined {
  if (!r.violation) return undefined;
  return Math.min(r.violation.at, r.run.trace.length - 1);
}

function header(r: ReplayResult): string[] {
  const c = r.cex;
  const len = c.length;
  const lengths = [
    len.fastCheck !== null ? `fast-check ${len.fastCheck}` : null,
    // random search's first failing run; an exhaustive counterexample was not shrunk
    len.beforeShrink !== null && c.origin.path !== "exhaustive"
      ? `first failing run ${len.beforeShrink}`
      : null,
    len.shortest !== null ? `shortest found by search ${len.shortest}` : null,
  ].filter((x): x is string => x !== null);
  return [
    `${c.property} (${r.property.ref}) on ${c.design} / ${c.scenario}: ${c.steps.length} recorded steps${
      lengths.length ? ` (${lengths.join(", ")})` : ""
    }${c.provenShortest ? ", proven shortest" : ""}`,
    `  ${r.property.statement}`,
  ];
}

export function renderReplayText(r: ReplayResult): string {
  const mark = markOf(r);
  const out = [...header(r), ...verdictLines(r).map((l) => `  ${l}`), ""];
  out.push(
    renderLanes(r.run.trace, r.run.final, {
      ...(mark === undefined ? {} : { mark }),
      markText: r.violation ? [`VIOLATION ${r.cex.property}: ${r.violation.message}`] : [],
    }),
  );
  out.push(
    "",
    `  replay: npx lockdrop replay ${tokenOf(r.cex, r.module)}${r.sameDesign ? "" : ` --on ${r.setup.design.id}`}`,
  );
  return `${out.join("\n")}\n`;
}

// ---------------------------------------------------------------------------------
// Markdown + Mermaid

/** Text safe inside a Mermaid message or note. */
const MERMAID_ESCAPES: Readonly<Record<string, string>> = {
  "#": "#35;",
  ";": "#59;",
  "<": "#lt;",
  ">": "#gt;",
};

export function mermaidText(s: string): string {
  return s.replace(/->/g, "→").replace(/[#;<>]/g, (c) => MERMAID_ESCAPES[c] ?? c);
}

function lockMode(e: Extract<Event, { k: "lock" | "unlock" }>): string {
  return e.lock.kind === "mmap" || e.lock.kind === "hugetlb" ? ` (${e.mode})` : "";
}

/** The notes of one step: locks, drops, frees, sleeps, signals. */
function notesOf(rec: StepRecord, w: World): { over: number; text: string }[] {
  const out: { over: number; text: string }[] = [];
  for (const e of rec.events) {
    switch (e.k) {
      case "lock":
        out.push({
          over: e.tid,
          text: e.granted
            ? `takes ${lockLabel(e.lock)}${lockMode(e)}`
            : `waits for ${lockLabel(e.lock)}${lockMode(e)}`,
        });
        break;
      case "unlock":
        out.push({
          over: e.tid,
          text: !e.held
            ? `UNLOCK OF ${lockLabel(e.lock)} NOT HELD`
            : e.by.startsWith("handle_userfault") || e.by === "__folio_lock_or_retry"
              ? `drops ${lockLabel(e.lock)}`
              : `releases ${lockLabel(e.lock)}`,
        });
        break;
      case "detach":
        out.push({ over: e.tid, text: `detaches vma#${e.vma}` });
        break;
      case "free":
        out.push({
          over: e.tid,
          text: `frees vma#${e.vma}${e.hugetlb ? " and its hugetlb_vma_lock" : ""}`,
        });
        break;
      case "hugetlb-lock-free":
        out.push({ over: e.tid, text: `frees vma#${e.vma}'s hugetlb_vma_lock` });
        break;
      case "mfill-return": {
        const text = folioHeldText(e.folio);
        if (text) out.push({ over: e.tid, text });
        break;
      }
      case "map":
        out.push({ over: e.tid, text: mapsText(e.vma, w) });
        break;
      case "vma-change":
        out.push({ over: e.tid, text: e.text });
        break;
      case "uffd-sleep":
        out.push({ over: e.tid, text: `sleeps in handle_userfault (page ${e.addr})` });
        break;
      case "signal":
        out.push({ over: e.tid, text: `fatal signal to ${w.threads[e.target]?.name ?? e.target}` });
        break;
      case "deadline":
        if (e.tid !== e.owner)
          out.push({
            over: e.tid,
            text: `${w.threads[e.owner]?.name ?? e.owner}'s ${e.name} is ${e.state}`,
          });
        break;
      case "null-deref":
        out.push({ over: e.tid, text: `NULL POINTER DEREFERENCE: ${e.what}` });
        break;
      case "note":
        if (e.diagram) out.push({ over: e.tid, text: e.text });
        break;
      case "vma-use":
        if (e.vmaState === "freed") out.push({ over: e.tid, text: `USES FREED vma#${e.ref.vma}` });
        else if (!e.protected)
          out.push({ over: e.tid, text: `uses vma#${e.ref.vma} after the lock was dropped` });
        break;
      default:
        break;
    }
  }
  return out;
}

export function renderMermaid(r: ReplayResult): string {
  const trace = r.run.trace;
  const w = r.run.final;
  const names = (tid: number) => w.threads[tid]?.name ?? `t${tid}`;
  const used = new Set<number>(trace.map((x) => x.tid));
  for (const rec of trace)
    for (const e of rec.events) if (e.k === "wake" && e.tid >= 0) used.add(e.tid);
  const lines = ["sequenceDiagram"];
  for (const t of w.threads)
    if (used.has(t.id))
      lines.push(`  participant ${t.name} as ${mermaidText(`${t.name} (${t.program})`)}`);
  const mark = markOf(r);
  // a lasso's loop goes in a Mermaid loop block
  const loopStart = r.violation?.loopStart;
  const inLoop = (i: number) =>
    loopStart !== undefined && mark !== undefined && i >= loopStart && i <= mark;
  trace.forEach((rec, i) => {
    const me = names(rec.tid);
    const body: string[] = [];
    const text = describeStep(rec, w).replace(/ {2}\{.*\}$/, "");
    body.push(`${me}->>${me}: ${mermaidText(`${i + 1}. ${text}`)}`);
    for (const e of rec.events)
      if (e.k === "wake" && e.tid >= 0 && e.tid !== rec.tid)
        body.push(`${me}-->>${names(e.tid)}: wakes ${names(e.tid)}`);
    for (const n of notesOf(rec, w))
      body.push(`Note over ${names(n.over)}: ${mermaidText(n.text)}`);
    const pad = inLoop(i) ? "    " : "  ";
    if (loopStart !== undefined && i === loopStart && mark !== undefined)
      lines.push(`  loop ${mermaidText(`steps ${loopStart + 1}-${mark + 1} repeat forever`)}`);
    if (i === mark && r.violation) {
      body.push(
        `Note over ${me}: ${mermaidText(`VIOLATION ${r.cex.property}: ${r.violation.message}`)}`,
      );
      lines.push(`${pad}rect rgb(255, 200, 200)`, ...body.map((b) => `${pad}  ${b}`), `${pad}end`);
    } else lines.push(...body.map((b) => `${pad}${b}`));
    if (inLoop(i) && i === mark) lines.push("  end");
  });
  return lines.join("\n");
}

export function renderReplayMarkdown(r: ReplayResult): string {
  const c = r.cex;
  const mark = markOf(r);
  const len = c.length;
  const out = [
    `# ${c.property} violated by ${c.design} on ${c.scenario}`,
    "",
    `${r.property.statement} (${r.property.ref}).`,
    "",
    "| | |",
    "|---|---|",
    `| design | \`${c.design}\` (step table \`${c.designHash.slice(0, 12)}\`) |`,
    `| scenario | \`${c.scenario}\` |`,
    `| property | \`${c.property}\` (${r.property.ref}) |`,
    `| steps | ${c.steps.length}${len.fastCheck !== null ? ` (fast-check alone: ${len.fastCheck})` : ""} |`,
    `| proven shortest | ${c.provenShortest ? "yes (breadth-first search)" : "no"} |`,
    "",
    ...verdictLines(r).map((l) => `- ${l}`),
    "",
  ];
  if (r.violation) out.push(`**Violation:** ${r.violation.message}`, "");
  out.push("```mermaid", renderMermaid(r), "```", "");
  out.push(
    "<details><summary>Thread lanes</summary>",
    "",
    "```",
    renderLanes(r.run.trace, r.run.final, {
      ...(mark === undefined ? {} : { mark }),
      markText: r.violation ? [`VIOLATION ${c.property}: ${r.violation.message}`] : [],
    }),
    "```",
    "",
    "</details>",
    "",
    "Replay it:",
    "",
    "```sh",
    `npx lockdrop replay ${tokenOf(c)}`,
    "```",
  );
  return `${out.join("\n")}\n`;
}

// ---------------------------------------------------------------------------------
// JSON and single worlds

export function replayJson(r: ReplayResult) {
  const worlds = r.run.worlds ?? [];
  const programs = r.setup.programs;
  const steps = r.run.trace.map((rec, i) => {
    const before = worlds[i] as World;
    const [, , patches] = stepWithPatches(before, rec.tid, r.run.executed[i]?.p ?? 0, programs);
    return {
      step: i + 1,
      thread: before.threads[rec.tid]?.name ?? `#${rec.tid}`,
      tid: rec.tid,
      pick: r.run.executed[i]?.p ?? 0,
      labels: [...rec.labels],
      ops: [...rec.ops],
      outcome: rec.outcome,
      choice: rec.choice,
      text: describeStep(rec, r.run.final),
      events: [...rec.events],
      patches,
    };
  });
  return {
    schema: "lockdrop.replay/1" as const,
    design: r.setup.design.id,
    recordedDesign: r.cex.design,
    scenario: r.cex.scenario,
    property: r.cex.property,
    violated: r.violation !== null,
    // every `at` a step number, counted from 1 as `steps[].step` and the lanes count
    violation: r.violation && {
      ...r.violation,
      ...(r.violation.at < r.run.trace.length
        ? { at: r.violation.at + 1 }
        : { at: r.run.trace.length, atEnd: true }),
    },
    designChanged: [...r.designChanged],
    divergence: r.divergence && { ...r.divergence, at: r.divergence.at + 1 },
    notEnabled: r.notEnabled.map((n) => ({ ...n, at: n.at + 1 })),
    nondeterminism: r.nondeterminism && { ...r.nondeterminism, at: r.nondeterminism.at + 1 },
    summary: [...verdictLines(r)],
    steps,
  };
}

/** The full world after step `n` (0: the initial world). */
export function worldAt(r: ReplayResult, n: number) {
  const worlds = r.run.worlds ?? [];
  const w = worlds[n];
  if (!w) return null;
  const rec = n > 0 ? r.run.trace[n - 1] : undefined;
  return {
    step: n,
    after: rec
      ? `${w.threads[rec.tid]?.name ?? rec.tid}: ${describeStep(rec, w)}`
      : "(initial world)",
    world: w,
  };
}
