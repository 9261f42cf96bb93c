// State collapsing for the exhaustive engine, as Spin's -DCOLLAPSE does it: a world is
// cut into parts (the mmap lock, the VMAs, the page tables, the folio locks, the
// notifier, userfaultfd, the ghost facts, and each thread's control and locals:
// engine/fingerprint.ts encodePart), each part is interned in a table of its own, and
// the visited set keys a state by its tuple of part ids. A step shares every part it
// did not touch with the world it started from (engine/draft.ts LazyWorld), so a
// successor takes the parent's id for those parts and encodes only the ones it
// changed: usually the running thread's control, sometimes its locals and one or two
// shared parts, against the whole world before.
//
// Same states as encodeKey: each part's encoding is prefix-free and the parts come in
// a fixed order, so two worlds get the same tuple exactly when they get the same
// encoding (test/fingerprint.test.ts checks the tuple against stateKey too).

import type { World } from "../model/world.js";
import { encodePart, idsKey, keyUnits, PART_THREAD0, unchangedParts } from "./fingerprint.js";
import { grown } from "./grown.js";
import { hashLanes } from "./hash-lanes.js";
import { StateSet } from "./stateset.js";

export class Collapser {
  /** one exact table per shared part, then one for threads' control and one for their locals */
  private readonly tables: StateSet[] = [];
  private readonly scratch: number[] = [];
  /** per part: unchanged from the parent (unchangedParts) */
  private readonly same: boolean[] = [];
  /**
   * The ids of the states of the layer being expanded (`current`) and of the next
   * layer (`next`), `width` per state at width * slot: a successor needs only its
   * parent's ids, so the ids of a layer are dropped once it is expanded, and one typed
   * array per layer rather than an array per state, which the garbage collector would
   * copy for as long as the state waits in the frontier.
   */
  private current = new Int32Array(0);
  private next = new Int32Array(0);
  private width = 0;

  /**
   * With `hashed` (the parallel search, engine/exhaustive-parallel.ts): four 32-bit hash
   * lanes of each part's encoding, per table and id, from which `hash` makes a state's
   * 128-bit hash without encoding it again.
   */
  private readonly lanes: Int32Array[] | null;

  constructor(hashed = false) {
    for (let i = 0; i < PART_THREAD0 + 2; i++) this.tables.push(new StateSet(false, 8));
    this.lanes = hashed ? this.tables.map(() => new Int32Array(4 * 256)) : null;
  }

  /** Bytes held: the part tables, and the kept tuples of part ids. */
  bytes(): number {
    let n = this.current.byteLength + this.next.byteLength;
    for (const t of this.tables) {
      const b = t.bytes();
      n += b.arena + b.table;
    }
    for (const l of this.lanes ?? []) n += l.byteLength;
    return n;
  }

  /**
   * Keep the ids `ids` last gave, as those of the state at `slot` of the next layer
   * (for `ids(_, _, slot)` once `nextLayer` has made it the current one).
   */
  keep(slot: number): void {
    const ids = this.scratch;
    const width = ids.length;
    if (this.width === 0) this.width = width;
    else if (width !== this.width)
      throw new Error("Collapser: worlds with different thread counts");
    const end = (slot + 1) * width;
    if (end > this.next.length) this.next = grown(this.next, Math.max(end, 1024));
    const kept = this.next;
    const at = slot * width;
    for (let i = 0; i < width; i++) kept[at + i] = ids[i] as number;
  }

  /** The next layer becomes the one expanded; the old one's ids are reused for the next. */
  nextLayer(): void {
    const old = this.current;
    this.current = this.next;
    this.next = old;
  }

  private intern(w: World, part: number): number {
    const table = this.tables[this.tableOf(part)] as StateSet;
    const n = encodePart(w, part);
    const units = keyUnits();
    const id = table.get(units, n);
    if (id !== undefined) return id;
    const fresh = table.size;
    table.add(units, n, fresh);
    if (this.lanes !== null) this.hashPart(part, fresh, units, n);
    return fresh;
  }

  private tableOf(part: number): number {
    return part < PART_THREAD0 ? part : PART_THREAD0 + ((part - PART_THREAD0) & 1);
  }

  private hashPart(part: number, id: number, units: Uint16Array, n: number): void {
    const lanes = this.lanes as Int32Array[];
    const t = this.tableOf(part);
    let l = lanes[t] as Int32Array;
    if (4 * id + 4 > l.length) lanes[t] = l = grown(l);
    hashLanes(n, (i) => units[i] as number, l, 4 * id);
  }

  /**
   * The 128-bit hash of the state whose part ids are `ids` (as `ids` gave them), into
   * `out[0..4)`: each part's lanes mixed in part order, so equal tuples of part
   * encodings hash alike in every thread that interns strings alike.
   */
  hash(ids: readonly number[], out: Int32Array): void {
    const lanes = this.lanes as Int32Array[];
    let a = 0x243f6a88;
    let b = 0x85a308d3;
    let c = 0x13198a2e;
    let d = 0x03707344;
    for (let p = 0; p < ids.length; p++) {
      const l = lanes[this.tableOf(p)] as Int32Array;
      const at = 4 * (ids[p] as number);
      a = Math.imul(a ^ (l[at] as number), 0x9e3779b1) ^ p;
      a ^= a >>> 16;
      b = Math.imul(b ^ (l[at + 1] as number), 0x85ebca6b);
      b ^= b >>> 13;
      c = Math.imul(c ^ (l[at + 2] as number), 0xc2b2ae35);
      c ^= c >>> 16;
      d = Math.imul(d ^ (l[at + 3] as number), 0x27d4eb2f);
      d ^= d >>> 15;
    }
    out[0] = a;
    out[1] = b;
    out[2] = c;
    out[3] = d;
  }

  /**
   * The part ids of `w`, reached by one step from `parent`, a state kept at slot
   * `parentIndex` of the current layer (`keep`, `nextLayer`), or from nothing
   * (`parent` null). The result is a scratch
   * array, valid until the next call.
   */
  ids(w: World, parent: World | null, parentIndex = -1): number[] {
    const p = parent !== null && parentIndex >= 0 ? parent : null;
    return this.fill(w, p, this.current, parentIndex * this.width);
  }

  /**
   * The part ids of `w`, reached by one step from `parent`, whose ids are `parentIds`
   * (as this collapser gave them): for a caller that keeps its states' ids itself
   * (engine/persistent.ts). A scratch array, valid until the next call.
   */
  idsAfter(w: World, parent: World, parentIds: ArrayLike<number>): number[] {
    return this.fill(w, parent, parentIds, 0);
  }

  /** The part ids of `w`; a part unchanged from `p` takes its id at `o` in `kept`. */
  private fill(w: World, p: World | null, kept: ArrayLike<number>, o: number): number[] {
    const ids = this.scratch;
    const same = this.same;
    const n = unchangedParts(w, p, same);
    ids.length = n;
    for (let i = 0; i < n; i++)
      ids[i] = same[i] === true ? (kept[o + i] as number) : this.intern(w, i);
    return ids;
  }

  /** Write the key of a tuple of part ids into the shared buffer; its length. */
  key(ids: readonly number[]): number {
    return idsKey(ids);
  }
}
