// The monitors' saved states folded into a state's 128-bit hash, for the visited sets
// that keep hashes (engine/exhaustive-parallel.ts, and the one-thread search that hands
// its states over to it, engine/exhaustive.ts). A saved state is a value, replaced when
// it changes, so its lanes are remembered by identity per monitor for the states met
// lately (the states of a layer take turns); and the lanes of a whole array of saved
// states are mixed once per array, also by identity (a step that changes no monitor
// keeps its parent's array: exhaustive.ts saveOver).

import { grown } from "./grown.js";
import { hashLanes } from "./hash-lanes.js";

/** monitor states whose hash lanes are remembered, at most */
const LANES_KEPT = 1 << 16;

export class MonitorHash {
  private readonly seen: Map<unknown, number>[];
  private lanes = new Int32Array(4 * 1024);
  private used = 0;
  private readonly mixed = new Int32Array(4);
  private mixedFor: readonly unknown[] | null = null;

  constructor(
    monitors: number,
    /** a saved state's canonical text (exhaustive.ts monitorText) */
    private readonly text: (v: unknown) => string,
  ) {
    this.seen = Array.from({ length: monitors }, () => new Map<unknown, number>());
  }

  /** Fold the monitor states `mon` into the state hash `h[0..4)`. */
  mix(mon: readonly unknown[], h: Int32Array): void {
    const m = this.mixed;
    if (mon !== this.mixedFor) {
      m[0] = 0x452821e6;
      m[1] = 0x38d01377;
      m[2] = 0xbe5466cf;
      m[3] = 0x34e90c6c;
      for (let i = 0; i < mon.length; i++) {
        const at = this.lanesOf(i, mon[i]);
        for (let j = 0; j < 4; j++)
          m[j] = Math.imul((m[j] as number) ^ (this.lanes[at + j] as number), 0x9e3779b1) ^ (i + 1);
      }
      this.mixedFor = mon;
    }
    for (let j = 0; j < 4; j++)
      h[j] = Math.imul(
        ((h[j] as number) << 7) ^ ((h[j] as number) >>> 25) ^ (m[j] as number),
        0x85ebca6b,
      );
  }

  /** Where monitor `i`'s state `v` has its lanes in `lanes`. */
  private lanesOf(i: number, v: unknown): number {
    const seen = this.seen[i] as Map<unknown, number>;
    const at = seen.get(v);
    if (at !== undefined) return at;
    if (this.used === this.lanes.length) {
      if (this.used >= 4 * LANES_KEPT) {
        // forget them all (the lanes are a function of the value: only time is lost)
        for (const s of this.seen) s.clear();
        this.used = 0;
      } else this.lanes = grown(this.lanes);
    }
    const text = this.text(v);
    const fresh = this.used;
    hashLanes(text.length, (u) => text.charCodeAt(u), this.lanes, fresh);
    this.used += 4;
    seen.set(v, fresh);
    return fresh;
  }
}
