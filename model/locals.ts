// Thread-local ops: assignments, tests and return. They touch nothing shared, so the
// executor runs them straight after the step before them (no interleaving is lost).
import { errnoName } from "./errno.js";
import type { Ctx, Op } from "./step.js";
import { op } from "./step.js";
import type { Val } from "./world.js";

type Value = Val | ((k: Ctx) => Val);

/**
 * The ghost local beside a budget local that names the deadline whose time left the
 * budget holds (`remaining = timeout - jiffies`: model/kernel/time.ts jiffiesUntil). A
 * deadline armed from the budget falls on or after that one. `set` forgets it when it
 * writes the budget anew.
 */
export function leftOfLocal(budget: string): string {
  return `${budget}:left_of`;
}

/** `locked = 1; ret = 0` */
export const set = (vals: Readonly<Record<string, Value>>, name?: string): Op<"ok"> => {
  // listed once here, not on every run: this op is on every search's hot path
  const entries = Object.entries(vals);
  const leftOf = entries.map(([key]) => leftOfLocal(key));
  return op({
    name:
      name ??
      entries.map(([key, v]) => `${key} = ${typeof v === "function" ? "…" : show(v)}`).join("; "),
    outcomes: ["ok"],
    local: true,
    run: (k) => {
      for (let i = 0; i < entries.length; i++) {
        const [key, v] = entries[i] as [string, Value];
        k.set(key, typeof v === "function" ? v(k) : v);
        // a budget written anew is no longer the time left to a deadline
        k.unset(leftOf[i] as string);
      }
      return "ok";
    },
  });
};

/** `if (cond)`: outcomes "yes" and "no". */
export const test = (name: string, cond: (k: Ctx) => boolean): Op<"yes" | "no"> =>
  op({
    name: `if (${name})`,
    outcomes: ["yes", "no"],
    local: true,
    run: (k) => (cond(k) ? "yes" : "no"),
  });

/** `ret == code` for `test`. */
export const retIs =
  (code: number) =>
  (k: Ctx): boolean =>
    k.num("ret") === code;

/** The thread's top-level function returns `ret`: the thread ends. */
export const exit = (): Op<never> =>
  op({
    name: "return ret",
    outcomes: [],
    run: (k) => {
      k.emit({ k: "return", tid: k.tid, ret: k.num("ret") });
      k.finish();
      return undefined as never;
    },
  });

function show(v: Val): string {
  if (typeof v === "number") return v < 0 ? errnoName(v) : String(v);
  if (typeof v === "object" && v !== null && !Array.isArray(v))
    return `vma#${(v as { vma: number }).vma}`;
  return JSON.stringify(v);
}
