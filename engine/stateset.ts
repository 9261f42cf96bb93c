// The exhaustive engine's visited set, laid out as Spin lays out its own: the state
// keys (tuples of part ids, engine/collapse.ts; also the collapser's own part
// tables, of engine/fingerprint.ts encodings) packed one after another in one growing
// arena of 16-bit units, and an open-addressing table of indices into it. No string
// and no object per state, so storing a state costs its encoding and 12 bytes, and the
// garbage collector never walks the set. In hash-compact mode only two 32-bit hash
// lanes are kept per state (Spin's -DHC), and two states with the same 64 bits merge.

const EMPTY = -1;

export class StateSet {
  /** slot -> state number, or EMPTY */
  private slots: Int32Array;
  /** per state: where its encoding starts in the arena, and the first hash lane */
  private offsets: Int32Array;
  private hashes: Int32Array;
  /** per state: the value stored with it (the engine's tree node) */
  private values: Int32Array;
  private arena: Uint16Array;
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
    this.arena = new Uint16Array(compact ? 0 : 1 << (bits + 5));
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
    this.lastA = hashA(units, len);
    this.lastB = this.compact ? hashB(units, len) : 0;
    this.lastAt = this.find(units, len, this.lastA, this.lastB);
    this.lastUnits = units;
    this.lastLen = len;
    const s = this.slots[this.lastAt] as number;
    return s === EMPTY ? undefined : this.values[s];
  }

  /** Store a state that is not in the set (cheapest right after `get` found it missing). */
  add(units: Uint16Array, len: number, value: number): void {
    // the arena keeps each length in one unit
    if (len > 0xffff) throw new Error(`state encoding of ${len} units, more than 65535`);
    if (units !== this.lastUnits || len !== this.lastLen) this.get(units, len);
    this.lastUnits = null;
    const a = this.lastA;
    const b = this.lastB;
    let at = this.lastAt;
    if ((this.size + 1) * 2 > this.slots.length) {
      this.rehash();
      at = this.find(units, len, a, b);
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
    while (this.used + len + 1 > this.arena.length) this.arena = grow16(this.arena);
    this.offsets[s] = this.used;
    // a loop, not set(subarray()): no typed-array view allocated per state
    const arena = this.arena;
    const off = this.used + 1;
    arena[this.used] = len;
    for (let i = 0; i < len; i++) arena[off + i] = units[i] as number;
    this.used += len + 1;
  }

  /** The slot holding this state, or the empty slot where it would go (linear probing). */
  private find(units: Uint16Array, len: number, a: number, b: number): number {
    const mask = this.slots.length - 1;
    for (let at = (a ^ b) & mask; ; at = (at + 1) & mask) {
      const s = this.slots[at] as number;
      if (s === EMPTY || this.same(s, units, len, a, b)) return at;
    }
  }

  private same(s: number, units: Uint16Array, len: number, a: number, b: number): boolean {
    if (this.compact) return this.hashes[2 * s] === a && this.hashes[2 * s + 1] === b;
    if (this.hashes[s] !== a) return false;
    const off = this.offsets[s] as number;
    const arena = this.arena;
    if (arena[off] !== len) return false;
    for (let i = 0; i < len; i++) if (arena[off + 1 + i] !== units[i]) return false;
    return true;
  }

  private ensureStates(n: number): void {
    if (n <= this.values.length) return;
    this.values = grow32(this.values);
    if (this.compact) this.hashes = grow32(this.hashes);
    else {
      this.offsets = grow32(this.offsets);
      this.hashes = grow32(this.hashes);
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

function grow32(a: Int32Array): Int32Array {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}

function grow16(a: Uint16Array): Uint16Array {
  const b = new Uint16Array(a.length * 2);
  b.set(a);
  return b;
}

/** FNV-1a over 16-bit units. */
function hashA(u: Uint16Array, len: number): number {
  let h = 0x811c9dc5 ^ len;
  for (let i = 0; i < len; i++) h = Math.imul(h ^ (u[i] as number), 0x01000193);
  return h | 0;
}

/** A second, independent lane (murmur-style mixing), for the 64 bits of hash-compaction. */
function hashB(u: Uint16Array, len: number): number {
  let h = 0x9747b28c ^ len;
  for (let i = 0; i < len; i++) {
    h = Math.imul(h ^ (u[i] as number), 0x5bd1e995);
    h ^= h >>> 15;
  }
  return h | 0;
}
