// engine/records.ts: the chunked lists behind the liveness graphs keep every record
// across chunk boundaries, take records back, cross threads, and let go of what a
// reader has passed.
import { describe, expect, it } from "vitest";
import { Records } from "../engine/records.js";

const PER_CHUNK = 1 << 16;

function filled(n: number): Records {
  const r = new Records(3);
  for (let i = 0; i < n; i++) r.push3(i, -1 - i, i * 7);
  return r;
}

describe("Records", () => {
  it("keeps every record of a list longer than a chunk, and holds one chunk beyond", () => {
    const n = 2 * PER_CHUNK + 5;
    const r = filled(n);
    expect(r.size).toBe(n);
    for (const i of [0, 1, PER_CHUNK - 1, PER_CHUNK, PER_CHUNK + 1, 2 * PER_CHUNK, n - 1]) {
      expect([r.get(i, 0), r.get(i, 1), r.get(i, 2)]).toEqual([i, -1 - i, i * 7]);
    }
    expect(r.bytes()).toBe(3 * PER_CHUNK * 3 * 4);
  });

  it("takes records back to a size, then goes on from there", () => {
    for (const keep of [0, 1, PER_CHUNK - 1, PER_CHUNK, PER_CHUNK + 3]) {
      const r = filled(PER_CHUNK + 10);
      r.truncate(keep);
      expect(r.size).toBe(keep);
      r.push3(-1, -2, -3);
      expect(r.size).toBe(keep + 1);
      expect([r.get(keep, 0), r.get(keep, 1), r.get(keep, 2)]).toEqual([-1, -2, -3]);
      if (keep > 0) expect(r.get(keep - 1, 0)).toBe(keep - 1);
    }
  });

  it("rebuilds from what another thread posts, and goes on appending after it", () => {
    const posted = structuredClone(filled(PER_CHUNK + 2).done());
    const r = Records.of(posted);
    // the records took the chunks over: release() lets go of what nothing else holds
    expect(posted.chunks).toEqual([]);
    expect(r.size).toBe(PER_CHUNK + 2);
    expect(r.get(PER_CHUNK + 1, 2)).toBe((PER_CHUNK + 1) * 7);
    r.push3(9, 9, 9);
    expect(r.get(PER_CHUNK + 2, 0)).toBe(9);
  });

  it("lets go of the chunks a reader has passed, and keeps the rest", () => {
    const r = filled(3 * PER_CHUNK);
    const before = r.bytes();
    r.release(2 * PER_CHUNK + 1);
    expect(r.bytes()).toBe(before / 3);
    expect(r.get(2 * PER_CHUNK + 1, 0)).toBe(2 * PER_CHUNK + 1);
  });
});
