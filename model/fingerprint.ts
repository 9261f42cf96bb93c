// Canonical encodings of a world: a string key for visited sets and replay checks,
// and a 64-bit hash of it for hash-compaction. The ghost clock and per-thread step
// counters are excluded, and so are the ghost time stamps kept for explanations
// (`at` of a VMA pointer, `freedAt` of a VMA): two worlds that differ only in how long
// it took to reach them are the same state.
import type { World } from "./world.js";
import { isVmaRef } from "./world.js";

const TIME_KEYS = new Set(["at", "freedAt"]);

function enc(v: unknown, out: string[]): void {
  if (v === null || v === undefined) {
    out.push("_");
    return;
  }
  switch (typeof v) {
    case "number":
      out.push(String(v));
      return;
    case "boolean":
      out.push(v ? "t" : "f");
      return;
    case "string":
      out.push(JSON.stringify(v));
      return;
    default:
      break;
  }
  if (Array.isArray(v)) {
    out.push("[");
    for (const x of v) {
      enc(x, out);
      out.push(",");
    }
    out.push("]");
    return;
  }
  const o = v as Record<string, unknown>;
  out.push("{");
  for (const key of Object.keys(o).sort()) {
    if (o[key] === undefined || TIME_KEYS.has(key)) continue;
    out.push(key, ":");
    enc(o[key], out);
    out.push(",");
  }
  out.push("}");
}

/** Any plain value as a canonical string (keys sorted, time stamps left out). */
export function encode(v: unknown): string {
  const out: string[] = [];
  enc(v, out);
  return out.join("");
}

/**
 * The state of a world as a canonical string. Thread locals are written with sorted
 * keys; a VMA pointer is written as (vma, lock, still protected?) rather than with its
 * epoch number, and the per-thread epoch counters are left out: a pointer is only ever
 * compared with its thread's current epoch, so this keeps a retry loop that drops and
 * re-takes the lock from looking like new states forever. Clocks and time stamps are
 * left out too. Everything else is JSON.stringify of plain data in construction order.
 */
export function stateKey(w: World): string {
  const g = w.ghost;
  const threads = w.threads.map((t) => {
    const keys = Object.keys(t.locals).sort();
    const locals: unknown[] = [];
    for (const key of keys) {
      const v = t.locals[key];
      if (isVmaRef(v)) {
        const current = v.via === "vma-lock" ? g.vmaEpoch[t.id] : g.epoch[t.id];
        locals.push(key, [v.vma, v.via ?? "mmap", v.epoch === current]);
      } else locals.push(key, v);
    }
    return [t.pc, t.status, t.fatal, t.budget, locals];
  });
  const vmas = w.vmas.map((v) => [
    v.start,
    v.end,
    v.flags,
    v.state,
    v.hugetlbLock,
    v.readers,
    v.writeLocked,
  ]);
  return JSON.stringify([
    w.mmapLock,
    vmas,
    w.ptes,
    w.folioLock,
    w.notifier,
    w.uffd,
    threads,
    g.disrupted,
    g.consumed,
  ]);
}

/** FNV-1a, 64 bits (two 32-bit lanes), of a string: for hash-compact visited sets. */
export function hash64(s: string): bigint {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193) >>> 0;
    h2 = Math.imul(h2 ^ c, 0x5bd1e995) >>> 0;
    h2 ^= h2 >>> 13;
  }
  return (BigInt(h1) << 32n) | BigInt(h2);
}

/** A short, stable fingerprint of a world for traces and replay determinism checks. */
export function fingerprint(w: World): string {
  return hash64(stateKey(w)).toString(16).padStart(16, "0");
}
