// One string-intern table for the threads of a parallel exhaustive search
// (engine/exhaustive-parallel.ts): the state encoding (engine/fingerprint.ts) writes a
// string as its intern id, so the threads must give every string the same id for their
// state hashes to agree. The table lives in shared memory: an open-addressing index of
// ids by string hash, and the strings' UTF-16 code units one after another in an arena,
// behind a spin lock. A thread keeps its own Map in front of it, so the lock is taken
// only the first time that thread meets a string (labels, names, keys: a few hundred).

const SLOTS = 1 << 16; // more than the 0xd800 ids the encoding allows
const ARENA_UNITS = 1 << 22; // 8 MiB of UTF-16 code units
// header words: [0] lock, [1] next id, [2] arena units used
const HEADER = 4;

/** The shared memory of a table, to hand to another thread. */
export interface SharedStringsBuffer {
  readonly words: SharedArrayBuffer;
  readonly arena: SharedArrayBuffer;
}

export function sharedStringsBuffer(): SharedStringsBuffer {
  return {
    // header, then per slot: id + 1 (0: empty); then per id: arena offset, length
    words: new SharedArrayBuffer(4 * (HEADER + SLOTS + 2 * SLOTS)),
    arena: new SharedArrayBuffer(2 * ARENA_UNITS),
  };
}

function hashOf(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** The id of `s` in the shared table, entered with the next id if it is not there. */
export function sharedIntern(b: SharedStringsBuffer, s: string): number {
  const words = new Int32Array(b.words);
  const arena = new Uint16Array(b.arena);
  while (Atomics.compareExchange(words, 0, 0, 1) !== 0) Atomics.wait(words, 0, 1, 1);
  try {
    const spans = HEADER + SLOTS;
    for (let slot = hashOf(s) & (SLOTS - 1); ; slot = (slot + 1) & (SLOTS - 1)) {
      const held = words[HEADER + slot] as number;
      if (held === 0) {
        const id = words[1] as number;
        const at = words[2] as number;
        if (id >= SLOTS || at + s.length > ARENA_UNITS)
          throw new Error("shared intern table full: more than 65,536 strings or 8 MiB of text");
        for (let i = 0; i < s.length; i++) arena[at + i] = s.charCodeAt(i);
        words[spans + 2 * id] = at;
        words[spans + 2 * id + 1] = s.length;
        words[2] = at + s.length;
        words[1] = id + 1;
        words[HEADER + slot] = id + 1;
        return id;
      }
      const id = held - 1;
      const at = words[spans + 2 * id] as number;
      const n = words[spans + 2 * id + 1] as number;
      if (n !== s.length) continue;
      let same = true;
      for (let i = 0; i < n && same; i++) same = arena[at + i] === s.charCodeAt(i);
      if (same) return id;
    }
  } finally {
    Atomics.store(words, 0, 0);
    Atomics.notify(words, 0);
  }
}
