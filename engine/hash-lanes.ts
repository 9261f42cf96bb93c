// Four independent 32-bit hash lanes of a sequence of 16-bit units: 128 bits for the
// parallel search's state hashes (engine/exhaustive-parallel.ts), computed once per new
// part encoding (engine/collapse.ts) or per new monitor state, never per state.

/** The lanes of units `unitAt(0 .. n-1)` into out[at, at + 4). */
export function hashLanes(
  n: number,
  unitAt: (i: number) => number,
  out: Int32Array,
  at: number,
): void {
  let a = 0x9e3779b9 ^ n;
  let b = 0x85ebca6b;
  let c = 0xc2b2ae35;
  let d = 0x27d4eb2f;
  for (let i = 0; i < n; i++) {
    const u = unitAt(i);
    a = Math.imul(a ^ u, 0x01000193);
    b = Math.imul(b ^ u, 0x5bd1e995);
    b ^= b >>> 15;
    c = Math.imul((c ^ u) + 0x7f4a7c15, 0x85ebca77);
    c ^= c >>> 13;
    d = Math.imul(d + u, 0xcc9e2d51);
    d = (d << 15) | (d >>> 17);
  }
  out[at] = a;
  out[at + 1] = b;
  out[at + 2] = c;
  out[at + 3] = d;
}
