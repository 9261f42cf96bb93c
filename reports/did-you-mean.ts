// " (did you mean "x"?)" after a name nobody declared: the closest known name by edit
// distance, if it is close enough to be a typo (a third of the word, at least 2).

/**
 * Closest known name, or null when none is near: by edit distance, else the one known
 * name of 4 or more characters that the word contains or that contains it ("monitor"
 * for "uffd-monitor").
 */
export function closest(word: string, known: readonly string[]): string | null {
  let best: string | null = null;
  let bestD = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const k of known) {
    const d = distance(word, k);
    if (d < bestD) {
      best = k;
      bestD = d;
    }
  }
  if (best !== null) return best;
  const inside = known.filter(
    (k) => k.length >= 4 && word.length >= 4 && (word.includes(k) || k.includes(word)),
  );
  return inside.length === 1 ? (inside[0] as string) : null;
}

/** Levenshtein distance, one row at a time. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j] as number;
      row[j] = Math.min(
        (row[j] as number) + 1,
        (row[j - 1] as number) + 1,
        prev + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      prev = cur;
    }
  }
  return row[b.length] as number;
}

/** ` (did you mean "x"?)`, or nothing. */
export function didYouMean(word: string, known: readonly string[]): string {
  const c = closest(word, known);
  return c ? ` (did you mean "${c}"?)` : "";
}
