// What counts as the same state: canonical encodings of a world. `stateKey` is the
// readable definition (canonical JSON; the tests hold the fast encoding to it);
// `encodeKey` / `compactKey` is the fast equivalent that the exhaustive engine's visited
// set and the lasso watch of liveness properties use. The ghost clock and per-thread
// step counters are excluded, and so are the ghost time stamps kept for explanations
// (`at` of a VMA pointer, `freedAt` of a VMA): two worlds that differ only in how long
// it took to reach them are the same state. (Counterexample files record their own
// per-step fingerprint of the whole world, reports/cex.ts traceFingerprint.)
import type { Units } from "../model/parts.js";
import { WORLD_PARTS } from "../model/parts.js";
import type { ObjRef, Thread, Tid, Val, World } from "../model/world.js";
import { isObjRef, isVmaRef } from "../model/world.js";
import type { SharedStringsBuffer } from "./shared-strings.js";
import { sharedIntern } from "./shared-strings.js";
import { readPart, sameParts } from "./world-table.js";

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
      } else if (isObjRef(v)) locals.push(key, [v.obj, v.via, objRefValid(v, g, t.id)]);
      else locals.push(key, v);
    }
    return [t.pc, t.status, t.fatal, t.budget, locals];
  });
  const parts: unknown[] = [];
  for (const p of WORLD_PARTS) parts.push(p.key(w[p.name] as never));
  return JSON.stringify([parts, threads]);
}

/** Is an object pointer still protected: its lock not released by its thread since the lookup? */
export function objRefValid(r: ObjRef, g: World["ghost"], tid: Tid): boolean {
  return r.via === null || r.epoch === (g.lockEpoch[r.via]?.[tid] ?? 0);
}

// ---------------------------------------------------------------------------------
// The exhaustive engine's key: the same equivalence as stateKey (test/fingerprint.test.ts
// checks that two worlds get equal compact keys exactly when they get equal state keys),
// written as 16-bit units instead of JSON: small integers and strings (by their id in a
// per-process intern table) in one unit each, a thread's set of local names in one
// unit, tags for the rest. About 110 units for a world whose JSON key has 870
// characters. Not stable across processes (the intern table is filled in the order
// strings are met), so it is never stored: fingerprints use stateKey.

const T_NULL = 1;
const T_TRUE = 2;
const T_FALSE = 3;
const T_NUM = 5;
const T_STR = 6;
const T_ARR = 7;
const T_OBJ = 8;
const T_REF = 9;
const T_OBJREF = 10;

const interned = new Map<string, number>();
let shared: SharedStringsBuffer | null = null;
function intern(s: string): number {
  let id = interned.get(s);
  if (id === undefined) {
    // ids are dense: this thread's own from 0, or the shared table's (shareInterning)
    id = shared !== null ? sharedIntern(shared, s) : interned.size;
    if (id >= 0xd800) throw new Error("compactKey: more than 55296 distinct strings");
    interned.set(s, id);
  }
  return id;
}

/**
 * Intern strings in a table shared with other threads (engine/shared-strings.ts), so
 * that equal worlds encode to equal units in every thread of a parallel search; null
 * goes back to this thread's own ids. Either way the ids met so far, and everything
 * memoised from them, are forgotten: call it only between searches.
 */
export function shareInterning(b: SharedStringsBuffer | null): void {
  shared = b;
  interned.clear();
  memoLocals.length = 0;
  memoEpoch.length = 0;
  memoVmaEpoch.length = 0;
  memoLockEpoch.length = 0;
  memoPc.length = 0;
  memoPcId.length = 0;
  memoStatus.length = 0;
  layouts.length = 0;
  lastLayouts.length = 0;
}

const utf16 = new TextDecoder("utf-16le", { ignoreBOM: true });
let buf = new Uint16Array(4096);
let len = 0;

function growBuf(): void {
  const b = new Uint16Array(buf.length * 2);
  b.set(buf);
  buf = b;
}

function put(u: number): void {
  if (len === buf.length) growBuf();
  buf[len++] = u;
}

/**
 * Per thread slot, the last locals encoded: locals objects are shared between a world
 * and its successors (engine/draft.ts LazyWorld), and a search encodes the successors of
 * one state one after another, so most threads' locals are the ones met just before.
 * (A WeakMap cache of every locals object cost more in garbage collection than it saved.)
 */
const memoLocals: (object | null)[] = [];
const memoEpoch: number[] = [];
const memoVmaEpoch: number[] = [];
const memoLockEpoch: (object | null)[] = [];
const memoPc: string[] = [];
const memoPcId: number[] = [];
const memoStatus: object[] = [];

/** Units kept per thread slot, in buffers reused from one world to the next. */
interface SlotUnits {
  units: Uint16Array[];
  length: number[];
}
const memoLocalsUnits: SlotUnits = { units: [], length: [] };
const memoStatusUnits: SlotUnits = { units: [], length: [] };

/** Keep buf[from, len) as slot i's units. */
function keep(m: SlotUnits, i: number, from: number): void {
  const n = len - from;
  let u = m.units[i];
  if (u === undefined || u.length < n) {
    u = new Uint16Array(Math.max(32, 2 * n));
    m.units[i] = u;
  }
  for (let j = 0; j < n; j++) u[j] = buf[from + j] as number;
  m.length[i] = n;
}

/** Append slot i's kept units. */
function copyIn(m: SlotUnits, i: number): void {
  const u = m.units[i] as Uint16Array;
  const n = m.length[i] as number;
  while (len + n > buf.length) growBuf();
  for (let j = 0; j < n; j++) buf[len + j] = u[j] as number;
  len += n;
}

// every unit stays below the surrogates (0xd800) or is 0xffff, so that the key
// decodes as UTF-16 without replacement characters
// The first unit of a value says what it is: 1-15 a tag (T_*), SMALL_INT.. a small
// integer in that one unit, SMALL_STR.. a string by its intern id in that one unit.
const SMALL_INT = 0x10;
const SMALL_STR = 0x4000;
const INT_MIN = -0x80;
const INT_END = SMALL_STR - SMALL_INT + INT_MIN; // exclusive

function putNum(v: number): void {
  if (Number.isInteger(v) && v >= INT_MIN && v < INT_END) {
    put(SMALL_INT + v - INT_MIN);
    return;
  }
  // rare: as JSON would write it
  put(T_NUM);
  put(intern(JSON.stringify(v)));
}

function putStr(v: string): void {
  const id = intern(v);
  if (id < 0xd800 - SMALL_STR) put(SMALL_STR + id);
  else {
    put(T_STR);
    put(id);
  }
}

/** A plain value the way JSON.stringify sees it (objects in their own key order). */
function putVal(v: unknown): void {
  if (v === null || v === undefined) {
    put(T_NULL);
    return;
  }
  switch (typeof v) {
    case "number":
      putNum(v);
      return;
    case "boolean":
      put(v ? T_TRUE : T_FALSE);
      return;
    case "string":
      putStr(v);
      return;
    default:
      break;
  }
  if (Array.isArray(v)) {
    put(T_ARR);
    put(v.length);
    for (let i = 0; i < v.length; i++) putVal(v[i]);
    return;
  }
  const o = v as Record<string, unknown>;
  put(T_OBJ);
  for (const key in o) {
    const x = o[key];
    if (x === undefined) continue;
    put(intern(key));
    putVal(x);
  }
  put(0xffff);
}

/**
 * Per thread slot, the key orders of the locals encoded lately and their canonical
 * order: a thread's locals objects are copies of one another (Ctx.set), so their keys
 * come in one of a few orders (a local comes and goes as the thread runs its loop), and
 * the intern lookups and the sort can be skipped.
 */
interface Layout {
  /** intern id of the key set: one unit stands for every key in the encoding */
  id: number;
  keys: string[];
  /** positions into `keys` in canonical order (by intern id) */
  order: number[];
}
/** per slot, the layout found last, and every layout kept (up to LAYOUTS_KEPT) */
const lastLayouts: Layout[] = [];
const layouts: Layout[][] = [];
const LAYOUTS_KEPT = 16;
const seenKeys: string[] = [];

/** Are the first `n` of `seenKeys` the keys of `l`, in its order? */
function sameKeys(l: Layout, n: number): boolean {
  if (l.keys.length !== n) return false;
  for (let i = 0; i < n; i++) if (l.keys[i] !== seenKeys[i]) return false;
  return true;
}

function layoutFor(slot: number, locals: Readonly<Record<string, Val>>): Layout {
  let n = 0;
  for (const key in locals) seenKeys[n++] = key;
  const last = lastLayouts[slot];
  if (last !== undefined && sameKeys(last, n)) return last;
  let kept = layouts[slot];
  if (kept === undefined) {
    kept = [];
    layouts[slot] = kept;
  }
  for (const l of kept)
    if (sameKeys(l, n)) {
      lastLayouts[slot] = l;
      return l;
    }
  // locals in a canonical order: by intern id, the insertion order being incidental
  const keys = seenKeys.slice(0, n);
  const ids = keys.map(intern);
  const order = keys.map((_, i) => i).sort((x, y) => (ids[x] as number) - (ids[y] as number));
  const sorted = order.map((i) => keys[i] as string);
  const layout = {
    id: intern(`\u0000locals\u0000${sorted.join("\u0000")}`),
    keys,
    order,
  };
  // (the oldest goes)
  if (kept.length >= LAYOUTS_KEPT) kept.shift();
  kept.push(layout);
  lastLayouts[slot] = layout;
  return layout;
}

function putLocals(
  slot: number,
  locals: Readonly<Record<string, Val>>,
  epoch: number,
  vmaEpoch: number,
  g: World["ghost"],
): void {
  const { id, keys, order } = layoutFor(slot, locals);
  put(id);
  for (let i = 0; i < order.length; i++) {
    const v = locals[keys[order[i] as number] as string];
    if (isVmaRef(v)) {
      const current = v.via === "vma-lock" ? vmaEpoch : epoch;
      put(T_REF);
      putVal(v.vma);
      put(v.via === "vma-lock" ? 1 : 0);
      put(v.epoch === current ? 1 : 0);
    } else if (isObjRef(v)) {
      put(T_OBJREF);
      putStr(v.obj);
      putVal(v.via);
      put(objRefValid(v, g, slot) ? 1 : 0);
    } else putVal(v);
  }
}

function putTid(t: Tid | null): void {
  put(t === null ? 0xffff : t);
}

function putTids(ts: readonly Tid[]): void {
  put(ts.length);
  for (let i = 0; i < ts.length; i++) put(ts[i] as number);
}

/** The state of a world as a short string, equivalent to `stateKey` within one process. */
export function compactKey(w: World): string {
  encodeKey(w);
  return utf16.decode(buf.subarray(0, len));
}

/**
 * The same encoding left in a shared buffer (`keyUnits()`, valid until the next call),
 * for the exhaustive engine's arena-backed visited set: no string is made. It is the
 * concatenation of the world's parts (`encodePart`), in part order.
 */
export function encodeKey(w: World): number {
  len = 0;
  for (let i = 0; i < PART_THREAD0; i++) putShared(w, i);
  put(w.threads.length);
  for (const t of w.threads) putThreadPart(w, t);
  return len;
}

// ---------------------------------------------------------------------------------
// The parts of a world's key, for Spin-style state collapsing (engine/collapse.ts):
// the exhaustive engine interns each part in a table of its own and keys the visited
// set by the tuple of part ids, so that a step re-encodes only the parts it changed.
// Each part's encoding is prefix-free, so equal tuples of parts are exactly equal
// encodings: the collapsed key splits worlds into the same states as encodeKey.

/**
 * Part numbers: the shared parts in world-table order (model/parts.ts), then two per
 * thread from PART_THREAD0 (thread i's control at PART_THREAD0 + 2i, its locals at
 * PART_THREAD0 + 2i + 1).
 */
export const PART_THREAD0 = WORLD_PARTS.length;

/** What the world table's parts write their encodings with: this module's buffer. */
const UNITS: Units = {
  unit: put,
  num: putNum,
  str: putStr,
  tid: putTid,
  tids: putTids,
  val: putVal,
};

function putShared(w: World, i: number): void {
  (WORLD_PARTS[i] as (typeof WORLD_PARTS)[number]).encode(
    (readPart[i] as (w: World) => unknown)(w) as never,
    UNITS,
  );
}

/** A thread: its control part (pc, status, fatal signal, budget), then its locals. */
function putThreadPart(w: World, t: Thread): void {
  putControlPart(t);
  putLocalsPart(w, t);
}

function putControlPart(t: Thread): void {
  const i = t.id;
  // pc and status: usually the ones this slot had in the last world encoded
  if (memoPc[i] !== t.pc) {
    memoPc[i] = t.pc;
    memoPcId[i] = intern(t.pc);
  }
  put(memoPcId[i] as number);
  const status = t.status;
  if (memoStatus[i] === status) copyIn(memoStatusUnits, i);
  else {
    const from = len;
    putVal(status);
    memoStatus[i] = status;
    keep(memoStatusUnits, i, from);
  }
  put(t.fatal ? 1 : 0);
  if (t.budget === null) put(T_NULL);
  else putNum(t.budget);
}

/** A thread's locals, its VMA pointers written as still valid or not (by its epochs). */
function putLocalsPart(w: World, t: Thread): void {
  const g = w.ghost;
  const i = t.id;
  const epoch = g.epoch[i] as number;
  const vmaEpoch = g.vmaEpoch[i] as number;
  if (
    memoLocals[i] === t.locals &&
    memoEpoch[i] === epoch &&
    memoVmaEpoch[i] === vmaEpoch &&
    memoLockEpoch[i] === g.lockEpoch
  )
    copyIn(memoLocalsUnits, i);
  else {
    const from = len;
    putLocals(i, t.locals, epoch, vmaEpoch, g);
    memoLocals[i] = t.locals;
    memoEpoch[i] = epoch;
    memoVmaEpoch[i] = vmaEpoch;
    memoLockEpoch[i] = g.lockEpoch;
    keep(memoLocalsUnits, i, from);
  }
}

/** One part of a world's key, alone in the shared buffer (`keyUnits()`); its length. */
export function encodePart(w: World, part: number): number {
  len = 0;
  if (part < PART_THREAD0) putShared(w, part);
  else {
    // two parts per thread: its control, then its locals
    const t = w.threads[(part - PART_THREAD0) >> 1] as Thread;
    if (((part - PART_THREAD0) & 1) === 0) putControlPart(t);
    else putLocalsPart(w, t);
  }
  return len;
}

/**
 * Thread `a`'s control part encodes as `b`'s, for sure, without encoding either: the
 * same thread object, or the same pc, status object, signal and budget.
 */
export function sameControl(a: Thread, b: Thread): boolean {
  return (
    a === b ||
    (a.pc === b.pc && a.status === b.status && a.fatal === b.fatal && a.budget === b.budget)
  );
}

/**
 * Thread `a`'s locals part (in a world with ghost `ga`) encodes as `b`'s (ghost `gb`),
 * for sure, without encoding either: the same locals object (records are replaced,
 * never mutated), judged under the same mmap-lock and VMA-lock epochs, by which its VMA
 * pointers are written as valid or not.
 */
export function sameLocals(a: Thread, b: Thread, ga: World["ghost"], gb: World["ghost"]): boolean {
  const t = a.id;
  return (
    a.locals === b.locals &&
    t === b.id &&
    ga.epoch[t] === gb.epoch[t] &&
    ga.vmaEpoch[t] === gb.vmaEpoch[t] &&
    ga.lockEpoch === gb.lockEpoch
  );
}

/**
 * For each part of `w` in key order (the shared parts, then each thread's control part
 * and its locals), whether it encodes as the same part of `p` for sure, without
 * encoding either: `sameParts` for the shared parts, `sameControl` and `sameLocals` for
 * a thread's (a thread `p` does not have is not the same; with `p` null none is). Fills
 * `out[0 .. n)`, n the number of parts of `w`, and returns n. What the collapser
 * (engine/collapse.ts), the lasso watch's hash (`PartHashes`) and `sameKey` skip.
 */
export function unchangedParts(w: World, p: World | null, out: boolean[]): number {
  const n = PART_THREAD0 + 2 * w.threads.length;
  out.length = n;
  if (p === null) {
    out.fill(false);
    return n;
  }
  sameParts(w, p, out);
  const ga = w.ghost;
  const gb = p.ghost;
  for (let i = 0; i < w.threads.length; i++) {
    const control = PART_THREAD0 + 2 * i;
    const a = w.threads[i] as Thread;
    const b = p.threads[i];
    out[control] = b !== undefined && sameControl(a, b);
    out[control + 1] = b !== undefined && sameLocals(a, b, ga, gb);
  }
  return n;
}

const partSame: boolean[] = [];
let partUnits = new Uint16Array(256);

/** Parts `part` of `a` and `b` encode alike (each encoded in turn, the first one copied out). */
function samePart(a: World, b: World, part: number): boolean {
  const n = encodePart(a, part);
  if (partUnits.length < n) partUnits = new Uint16Array(2 * n);
  partUnits.set(buf.subarray(0, n));
  if (encodePart(b, part) !== n) return false;
  for (let i = 0; i < n; i++) if (partUnits[i] !== buf[i]) return false;
  return true;
}

/**
 * `compactKey(a) === compactKey(b)`, without making either key: the key is the
 * concatenation of prefix-free part encodings in a fixed order, so two keys are equal
 * exactly when every part encodes alike, and a part the two worlds share (the same
 * object, `sameControl`, `sameLocals`) is not encoded. Anything else is encoded and compared, since an encoding
 * follows the order of an object's keys, which a structural comparison would not. The
 * sleep sets' commutation test (engine/exhaustive.ts) compares worlds two steps from
 * one state, which share most of their parts; test/fingerprint.test.ts holds it to
 * compactKey.
 */
export function sameKey(a: World, b: World): boolean {
  if (a === b) return true;
  if (a.threads.length !== b.threads.length) return false;
  for (let i = 0; i < a.threads.length; i++)
    if ((a.threads[i] as Thread).id !== (b.threads[i] as Thread).id) return false;
  const n = unchangedParts(a, b, partSame);
  for (let i = 0; i < n; i++) if (partSame[i] !== true && !samePart(a, b, i)) return false;
  return true;
}

/**
 * A key made of part ids (engine/collapse.ts), left in the shared buffer for
 * `extendKey` and the visited set: an id below 0x8000 in one unit, a larger one in two
 * (the first with its top bit set), so the key is prefix-free and never holds the
 * 0xfffe that `extendKey` starts with.
 */
export function idsKey(ids: readonly number[]): number {
  len = 0;
  putIds(ids);
  return len;
}

function putIds(ids: readonly number[]): void {
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i] as number;
    if (id < 0x8000) put(id);
    else {
      if (id >= 0x20000000) throw new Error("idsKey: more than 2^29 distinct parts of one kind");
      put(0x8000 | (id >>> 15));
      put(id & 0x7fff);
    }
  }
}

/** Append ids after a key, as `extendKey` appends a string (the monitors' state ids). */
export function extendIds(ids: readonly number[]): number {
  put(0xfffe);
  put(ids.length);
  putIds(ids);
  return len;
}

/**
 * A 52-bit hash of a world's encoding, as a number, made part by part over a run of
 * worlds (the lasso watch's, engine/lasso.ts, which hashes the world after every step
 * where a loop could start): each part's encoding is hashed once and kept, and a world
 * takes the kept hash of every part it shares with the world hashed before it
 * (`unchangedParts`, by which engine/collapse.ts keeps part ids too), so a step
 * re-encodes only the parts it changed.
 * Sound for any two worlds, not only one step apart: a shared part is the same record,
 * and records are replaced, never mutated. Equal worlds get equal hashes (the parts'
 * encodings are prefix-free and in a fixed order, as the key's are); the watcher
 * confirms a hit with compactKey.
 */
export class PartHashes {
  private last: World | null = null;
  /** per part of `last`: two 32-bit lanes of its encoding's hash */
  private readonly lane1: number[] = [];
  private readonly lane2: number[] = [];
  private readonly same: boolean[] = [];

  of(w: World): number {
    const p =
      this.last !== null && this.last.threads.length === w.threads.length ? this.last : null;
    const parts = unchangedParts(w, p, this.same);
    for (let i = 0; i < parts; i++) if (this.same[i] !== true) this.hashPart(w, i);
    this.last = w;
    let h1 = 0x811c9dc5 ^ parts;
    let h2 = 0x9747b28c;
    for (let i = 0; i < parts; i++) {
      h1 = Math.imul(h1 ^ (this.lane1[i] as number), 0x01000193);
      h2 = Math.imul(h2 ^ (this.lane2[i] as number), 0x5bd1e995);
      h2 ^= h2 >>> 15;
    }
    return (h1 >>> 0) * 0x100000 + (h2 & 0xfffff);
  }

  private hashPart(w: World, part: number): void {
    const n = encodePart(w, part);
    let h1 = 0x811c9dc5 ^ n;
    let h2 = 0x9747b28c ^ part;
    for (let i = 0; i < n; i++) {
      const u = buf[i] as number;
      h1 = Math.imul(h1 ^ u, 0x01000193);
      h2 = Math.imul(h2 ^ u, 0x5bd1e995);
      h2 ^= h2 >>> 15;
    }
    this.lane1[part] = h1 | 0;
    this.lane2[part] = h2 | 0;
  }
}

/** The buffer `encodeKey` and `extendKey` write into. */
export function keyUnits(): Uint16Array {
  return buf;
}

/**
 * Append more of the searched state after an `encodeKey` (monitor state, preemptions
 * used): the world's encoding is prefix-free, so nothing appended can run into it.
 */
export function extendKey(extra: string): number {
  put(0xfffe);
  put(extra.length);
  for (let i = 0; i < extra.length; i++) put(extra.charCodeAt(i));
  return len;
}
