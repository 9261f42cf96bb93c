// A count with its noun, singular for one: "1 step", "22 steps".

/** `n` and `noun`, with an "s" unless `n` is 1 (null, a count not known: "? steps"). */
export function counted(n: number | null, noun: string): string {
  return `${n ?? "?"} ${noun}${n === 1 ? "" : "s"}`;
}
