// Growing lists of fixed-width records of 32-bit words, kept in chunks of a fixed size:
// the liveness graphs' edges and idle bits (engine/lasso-graph.ts,
// engine/exhaustive-parallel.ts). A list that doubles one typed array holds up to twice
// what it stores, and for a moment three times while it copies itself to grow; on the
// full-scale searches those lists hold tens of millions of edges, so that slack was a
// large part of the peak memory. Chunks hold what is stored plus at most one chunk, are
// never copied, and cross threads by transfer.

/** records per chunk */
const PER_CHUNK = 1 << 16;
const SHIFT = 16;
const MASK = PER_CHUNK - 1;

export class Records {
  /** the full chunks, then the one being filled */
  private readonly chunks: Int32Array<ArrayBuffer>[] = [];
  private cur: Int32Array<ArrayBuffer> = new Int32Array(0);
  /** words used in `cur` */
  private at = 0;
  /** records stored */
  size = 0;

  /** `width` words per record */
  constructor(readonly width: number) {}

  private next(): void {
    this.cur = new Int32Array(PER_CHUNK * this.width);
    this.chunks.push(this.cur);
    this.at = 0;
  }

  push2(a: number, b: number): void {
    if (this.at === this.cur.length) this.next();
    const c = this.cur;
    c[this.at] = a;
    c[this.at + 1] = b;
    this.at += 2;
    this.size++;
  }

  push3(a: number, b: number, c3: number): void {
    if (this.at === this.cur.length) this.next();
    const c = this.cur;
    c[this.at] = a;
    c[this.at + 1] = b;
    c[this.at + 2] = c3;
    this.at += 3;
    this.size++;
  }

  /** Word `field` of record `r`. */
  get(r: number, field: number): number {
    return (this.chunks[r >>> SHIFT] as Int32Array)[(r & MASK) * this.width + field] as number;
  }

  /** Keep the first `size` records only (a layer expanded again takes its records back). */
  truncate(size: number): void {
    if (size >= this.size) return;
    const keep = size === 0 ? 0 : ((size - 1) >>> SHIFT) + 1;
    this.chunks.length = keep;
    this.cur = this.chunks[keep - 1] ?? new Int32Array(0);
    this.at = size === 0 ? 0 : (((size - 1) & MASK) + 1) * this.width;
    this.size = size;
  }

  /** Bytes held. */
  bytes(): number {
    let n = 0;
    for (const c of this.chunks) n += c.byteLength;
    return n;
  }

  /** The chunks and the count, to post to another thread (the chunks' buffers transfer). */
  done(): RecordsData {
    return { width: this.width, size: this.size, chunks: this.chunks };
  }

  /**
   * Records posted by another thread's `done`. They take the chunks over: `d` is left
   * with none, so that what `release` lets go is held nowhere else.
   */
  static of(d: RecordsData): Records {
    const r = new Records(d.width);
    for (const c of d.chunks) r.chunks.push(c);
    d.chunks.length = 0;
    r.cur = r.chunks[r.chunks.length - 1] ?? new Int32Array(0);
    r.size = d.size;
    r.at = d.size === 0 ? 0 : (((d.size - 1) & MASK) + 1) * d.width;
    return r;
  }

  /**
   * Drop the chunks wholly before record `r` (a reader that goes through the records
   * once, in order, lets the garbage collector take what it has read).
   */
  release(r: number): void {
    const upto = Math.min(r >>> SHIFT, this.chunks.length - 1);
    for (let i = 0; i < upto; i++) this.chunks[i] = EMPTY;
  }
}

const EMPTY = new Int32Array(0);

/** Records as they cross threads. */
export interface RecordsData {
  readonly width: number;
  readonly size: number;
  /** (mutable: `Records.of` takes them over) */
  readonly chunks: Int32Array<ArrayBuffer>[];
}
