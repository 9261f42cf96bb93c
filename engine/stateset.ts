// The exhaustive engine's visited set, laid out as Spin lays out its own: the state
// keys (tuples of part ids, engine/collapse.ts; also the collapser's own part
// tables, of engine/fingerprint.ts encodings) packed one after another in one growing
// arena, and an open-addressing table of indices into it. A key's 16-bit units are
// stored as variable-length bytes (a unit below 128 in one byte, below 16,384 in two,
// else three): most part ids are small, so a state takes about half the bytes of its
// units. No string and no object per state, so storing a state costs its encoding and
// 12 bytes of table, and the garbage collector never walks the set. In hash-compact mode only two 32-bit hash
// lanes are kept per state (Spin's -DHC), and two states with the same 64 bits merge.

import { grown } from "./grown.js";

const EMPTY = -1;

export class StateSet {
  /** slot -> state number, or EMPTY */
  private slots: Int32Array;
  /** per state: where its encoding starts in the arena, and the first hash lane */
  private offsets: Int32Array;
  private hashes: Int32Array;
  /** per state: the value stored with it (the engine's tree node) */
  private values: Int32Array;
  private arena: Uint8Array;
  private used = 0;
  size = 0;

  /**
   * `bits`: room for 2^bits states before the first growth (the tables double as they
   * fill); small for the collapser's part tables, which stay small.
   */
  constructor(
    private readonly compact: boolean,
    bits = 15,
  ) {
    this.slots = new Int32Array(1 << (bits + 1)).fill(EMPTY);
    this.offsets = new Int32Array(1 << bits);
    this.hashes = new Int32Array(compact ? 1 << (bits + 1) : 1 << bits);
    this.values = new Int32Array(1 << bits);
    this.arena = new Uint8Array(compact ? 0 : 1 << (bits + 5));
  }

  // the last lookup, which `add` reuses
  private lastA = 0;
  private lastB = 0;
  private lastAt = 0;
  private lastUnits: Uint16Array | null = null;
  private lastLen = -1;

  /** Bytes held: the arena of encodings, and the table (slots, offsets, hash lanes, values). */
  bytes(): { readonly arena: number; readonly table: number } {
    return {
      arena: this.arena.byteLength,
      table:
        this.slots.byteLength +
        this.offsets.byteLength +
        this.hashes.byteLength +
        this.values.byteLength,
    };
  }

  /** The value stored with the state `units[0, len)`, or undefined. */
  get(units: Uint16Array, len: number): number | undefined {
    const n = packBytes(units, len);
    packedBy = this;
    this.lastA = hashA(packed, n);
    this.lastB = this.compact ? hashB(packed, n) : 0;
    this.lastAt = this.find(n, this.lastA, this.lastB);
    this.lastUnits = units;
    this.lastLen = len;
    const s = this.slots[this.lastAt] as number;
    return s === EMPTY ? undefined : this.values[s];
  }

  /** Store a state that is not in the set (cheapest right after `get` found it missing). */
  add(units: Uint16Array, len: number, value: number): void {
    // the arena keeps each length in one unit
    if (len > 0xffff) throw new Error(`state encoding of ${len} units, more than 65535`);
    if (units !== this.lastUnits || len !== this.lastLen || packedBy !== this) this.get(units, len);
    this.lastUnits = null;
    // `packed` still holds this key's bytes: get() packed it last
    const n = packedLength;
    const a = this.lastA;
    const b = this.lastB;
    let at = this.lastAt;
    if ((this.size + 1) * 2 > this.slots.length) {
      this.rehash();
      at = this.find(n, a, b);
    }
    const s = this.size++;
    this.ensureStates(this.size);
    this.slots[at] = s;
    this.values[s] = value;
    if (this.compact) {
      this.hashes[2 * s] = a;
      this.hashes[2 * s + 1] = b;
      return;
    }
    this.hashes[s] = a;
    while (this.used + n + 3 > this.arena.length) this.arena = grown(this.arena);
    this.offsets[s] = this.used;
    // the byte length first (as a unit: at most 3 bytes), then the bytes; a loop, not
    // set(subarray()): no typed-array view allocated per state
    const arena = this.arena;
    let off = putUnit(arena, this.used, n);
    for (let i = 0; i < n; i++) arena[off++] = packed[i] as number;
    this.used = off;
  }

  /** The slot holding this state, or the empty slot where it would go (linear probing). */
  /** The slot holding the key packed in `packed[0, n)`, or the empty slot where it would go (linear probing). */
  private find(n: number, a: number, b: number): number {
    const mask = this.slots.length - 1;
    for (let at = (a ^ b) & mask; ; at = (at + 1) & mask) {
      const s = this.slots[at] as number;
      if (s === EMPTY || this.same(s, n, a, b)) return at;
    }
  }

  private same(s: number, n: number, a: number, b: number): boolean {
    if (this.compact) return this.hashes[2 * s] === a && this.hashes[2 * s + 1] === b;
    if (this.hashes[s] !== a) return false;
    const arena = this.arena;
    let off = this.offsets[s] as number;
    // the stored byte length, as putUnit wrote it
    let stored = arena[off++] as number;
    if (stored >= 0x80) {
      stored = (stored & 0x7f) | ((arena[off++] as number) << 7);
      if (stored >= 0x4000) stored = (stored & 0x3fff) | ((arena[off++] as number) << 14);
    }
    if (stored !== n) return false;
    for (let i = 0; i < n; i++) if (arena[off + i] !== packed[i]) return false;
    return true;
  }

  private ensureStates(n: number): void {
    if (n <= this.values.length) return;
    this.values = grown(this.values);
    if (this.compact) this.hashes = grown(this.hashes);
    else {
      this.offsets = grown(this.offsets);
      this.hashes = grown(this.hashes);
    }
  }

  private rehash(): void {
    const slots = new Int32Array(this.slots.length * 2).fill(EMPTY);
    const mask = slots.length - 1;
    for (let s = 0; s < this.size; s++) {
      const a = this.compact ? (this.hashes[2 * s] as number) : (this.hashes[s] as number);
      const b = this.compact ? (this.hashes[2 * s + 1] as number) : 0;
      let at = (a ^ b) & mask;
      while (slots[at] !== EMPTY) at = (at + 1) & mask;
      slots[at] = s;
    }
    this.slots = slots;
  }
}

/** A key's bytes, as packBytes writes them (one buffer: keys are packed one at a time). */
let packed = new Uint8Array(1024);
let packedLength = 0;
/** the set whose get() packed the bytes in `packed` last */
let packedBy: StateSet | null = null;

/** Write unit `u` (< 2^21) at `at` in 1-3 bytes, 7 bits each, low first; the end. */
function putUnit(out: Uint8Array, at: number, u: number): number {
  if (u < 0x80) {
    out[at] = u;
    return at + 1;
  }
  out[at] = 0x80 | (u & 0x7f);
  if (u < 0x4000) {
    out[at + 1] = u >>> 7;
    return at + 2;
  }
  out[at + 1] = 0x80 | ((u >>> 7) & 0x7f);
  out[at + 2] = u >>> 14;
  return at + 3;
}

/** Pack `units[0, len)` into `packed`; its byte length. */
function packBytes(units: Uint16Array, len: number): number {
  if (packed.length < 3 * len) packed = new Uint8Array(3 * len + 1024);
  let at = 0;
  for (let i = 0; i < len; i++) at = putUnit(packed, at, units[i] as number);
  packedLength = at;
  return at;
}

/** FNV-1a over bytes. */
function hashA(u: Uint8Array, len: number): number {
  let h = 0x811c9dc5 ^ len;
  for (let i = 0; i < len; i++) h = Math.imul(h ^ (u[i] as number), 0x01000193);
  return h | 0;
}

/** A second, independent lane (murmur-style mixing), for the 64 bits of hash-compaction. */
function hashB(u: Uint8Array, len: number): number {
  let h = 0x9747b28c ^ len;
  for (let i = 0; i < len; i++) {
    h = Math.imul(h ^ (u[i] as number), 0x5bd1e995);
    h ^= h >>> 15;
  }
  return h | 0;
}
