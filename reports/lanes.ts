// Thread lanes: one column per actor, one row per step, the violating step marked with
// the property's statement and the ghost facts. Plain text, deterministic, no colour
// unless asked (so it can go into an email as it is).
import { errnoName } from "../model/errno.js";
import type { Event } from "../model/events.js";
import type { StepRecord } from "../model/step.js";
import type { World } from "../model/world.js";
import { lockLabel } from "../model/world.js";

/** Page-table entries whose name alone would not say what they are. */
const PTE_TEXT: Readonly<Record<string, string>> = {
  zero: "the zero page",
  cow: "ro, shared (copy on write)",
  "swap-cow": "swap, shared (copy on write)",
  "device-private-cow": "device-private, shared (copy on write)",
};

export interface LaneOptions {
  /** index of the violating step, if any */
  readonly mark?: number;
  /** text under the mark */
  readonly markText?: readonly string[];
  readonly width?: number;
}

/** What a UFFDIO_COPY that returned still held, or null (mfill-return). */
export function folioHeldText(folio: string | null): string | null {
  return folio === null ? null : `returns holding its folio (${folio}), neither installed nor put`;
}

/** "maps vma#1 (hugetlb, shared, registered with userfaultfd)": the VMA an mmap made, and its kind. */
export function mapsText(vma: number, w: World): string {
  const f = w.vmas[vma]?.flags;
  if (!f) return `maps vma#${vma}`;
  const kind = f.hugetlb ? "hugetlb" : f.file ? (f.file.split(":")[0] ?? f.file) : "anonymous";
  return `maps vma#${vma} (${kind}, ${f.shared ? "shared" : "private"}${f.uffdMissing ? ", registered with userfaultfd" : ""})`;
}

function noteFor(e: Event, w: World): string | null {
  const name = (tid: number) => w.threads[tid]?.name ?? `#${tid}`;
  switch (e.k) {
    case "lock":
      return e.granted ? null : `waits for ${lockLabel(e.lock)}`;
    case "unlock":
      if (!e.held) return `UNLOCK OF ${lockLabel(e.lock)} NOT HELD`;
      return e.by.startsWith("handle_userfault") ||
        e.by === "__folio_lock_or_retry" ||
        e.by.startsWith("vm_ops->fault")
        ? `drops ${lockLabel(e.lock)}`
        : null;
    case "uffd-sleep":
      return `sleeps in handle_userfault (page ${e.addr})`;
    case "wake":
      return e.tid === -1 ? null : `wakes ${name(e.tid)}`;
    case "fault":
      return e.result === "0" || e.result === "VM_FAULT_RETRY" ? null : e.result;
    case "detach":
      return `detaches vma#${e.vma}`;
    case "free":
      return `frees vma#${e.vma}${e.hugetlb ? " and its hugetlb_vma_lock" : ""}`;
    case "hugetlb-lock-free":
      return `frees vma#${e.vma}'s hugetlb_vma_lock`;
    case "mfill-return":
      return folioHeldText(e.folio);
    case "map":
      return mapsText(e.vma, w);
    case "vma-change":
      return e.text;
    case "pte":
      return `page ${e.page}: ${PTE_TEXT[e.pte] ?? e.pte}`;
    case "signal":
      return `fatal signal to ${name(e.target)}`;
    case "return":
      return `returns ${errnoName(e.ret)}`;
    case "api-return":
      return `${e.api} returns ${errnoName(e.ret)}${e.locked === null ? "" : `, *locked = ${e.locked}`}`;
    case "note":
      return e.text;
    case "deadline":
      return e.tid === e.owner
        ? `arms ${e.name}: ${e.state}${e.notBefore === null ? "" : `, ${e.strictlyAfter ? "after" : "on or after"} ${e.notBefore}`}`
        : `${name(e.owner)}'s ${e.name} is ${e.state}`;
    case "null-deref":
      return `NULL POINTER DEREFERENCE: ${e.what}`;
    case "vma-use":
      return e.vmaState === "freed"
        ? `USES FREED vma#${e.ref.vma}`
        : e.protected
          ? null
          : `uses vma#${e.ref.vma} after the lock was dropped`;
    default:
      return null;
  }
}

/** One line of text per step: what the thread did, and what it caused. */
export function describeStep(rec: StepRecord, w: World): string {
  const fault = rec.events.find((e) => e.k === "fault");
  const op =
    fault?.k === "fault"
      ? `handle_mm_fault(vma#${fault.vma}, page ${fault.addr}, ${fault.flags.join("|")})`
      : (rec.ops[0] ?? "");
  const outcome =
    rec.outcome && rec.outcome !== "ok" && !op.startsWith("if (") ? ` -> ${rec.outcome}` : "";
  const choice = rec.choice ? ` [${rec.choice}]` : "";
  const notes = rec.events.map((e) => noteFor(e, w)).filter((x): x is string => x !== null);
  const uniq = [...new Set(notes)];
  return `${op}${outcome}${choice}${uniq.length ? `  {${uniq.join("; ")}}` : ""}`;
}

/**
 * The lanes of a counterexample's run (`final` names the threads), marked at its last
 * scheduled step (`scheduled` steps; the run may have gone on) with `head`, and for a
 * lasso with the steps that form its loop.
 */
export function violationLanes(
  run: { readonly trace: readonly StepRecord[]; readonly final: World },
  scheduled: number,
  head: string,
  loopStart?: number | null,
): string {
  return renderLanes(run.trace, run.final, {
    mark: Math.min(run.trace.length - 1, scheduled - 1),
    markText: [
      head,
      ...(loopStart != null
        ? [
            `steps ${loopStart + 1}-${scheduled} form the loop; it comes back to the state after step ${loopStart}`,
          ]
        : []),
    ],
  });
}

/** Render a trace as lanes. `world` names the threads. */
export function renderLanes(
  trace: readonly StepRecord[],
  world: World,
  opts: LaneOptions = {},
): string {
  const width = opts.width ?? 30;
  const threads = world.threads;
  const used = threads.filter((t) => trace.some((r) => r.tid === t.id));
  const col = new Map(used.map((t, i) => [t.id, i]));
  const num = String(trace.length).length;
  const head =
    " ".repeat(num + 2) +
    used
      .map((t) => `${t.name} (${t.program})`.padEnd(width))
      .join("")
      .trimEnd();
  const lines = [
    head,
    " ".repeat(num + 2) +
      used
        .map(() => "-".repeat(width - 2).padEnd(width))
        .join("")
        .trimEnd(),
  ];
  trace.forEach((rec, i) => {
    const c = col.get(rec.tid) ?? 0;
    const pad = " ".repeat(c * width);
    const mark = opts.mark === i ? ">>" : "  ";
    lines.push(`${String(i + 1).padStart(num)}${mark}${pad}${describeStep(rec, world)}`);
    if (opts.mark === i)
      for (const t of opts.markText ?? []) lines.push(`${" ".repeat(num)}>>${pad}${t}`);
  });
  return lines.join("\n");
}
