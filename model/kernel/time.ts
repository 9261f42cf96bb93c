// Time, abstractly. The kernel measures timeouts in jiffies (include/linux/jiffies.h, read
// at gregkh/linux 10d4df898c9c, v6.13 or later as it has secs_to_jiffies():
// `deadline = jiffies + timeout`, `time_after(jiffies, deadline)`,
// `time_after_eq(jiffies, deadline)`); a jiffies counter in the state would make every
// retry loop a new state forever, so no loop would close into a lasso. Instead each
// deadline a thread arms is a world part (model/parts.ts `deadlines`) that is pending,
// due or passed, and only the clock actor (model/actors/clock.ts) moves it on:
//
//   pending  jiffies before the deadline: time_after() and time_after_eq() are false,
//            `deadline - jiffies` is positive;
//   due      jiffies on the deadline: time_after_eq() is true, time_after() is not,
//            and `deadline - jiffies` is 0;
//   passed   jiffies after it: both are true, and `deadline - jiffies` is negative.
//
// "Due" is the one jiffy on which the deadline falls. The definitions of the model call
// a deadline pending or passed; the C tells the two tests apart on exactly that jiffy
// ("[PATCH v2 2/4] fixup! drm/nouveau: use hmm_range_fault_unlocked_timeout() for SVM
// faults", Jul 14 2026: time_after_eq() so that the remaining timeout passed to HMM is
// never 0), so the model keeps it. How far apart two deadlines are is not kept: any
// positive budget is the same abstract length, and the clock may move deadlines on in
// any order, except where the data say one cannot fall before another. A budget read
// as the time left to a deadline (`remaining = timeout - jiffies`, jiffiesUntil)
// carries that deadline with it (a local `remaining:left_of`, copied where the budget
// is passed on, forgotten where `set()` writes the budget or the deadline is re-armed),
// and a deadline armed from it (`jiffies + remaining`, later or on the
// same jiffy) falls on or after that one: the clock moves it on only while it is
// behind (`Deadline.notBefore`). So does a deadline armed from a constant (`jiffies +
// msecs_to_jiffies(HMM_RANGE_DEFAULT_TIMEOUT)`) after another armed from the same one,
// by any thread: there is one jiffies counter.

import type { Event } from "../events.js";
import { leftOfLocal } from "../locals.js";
import type { Ctx, Op, Programs } from "../step.js";
import { op } from "../step.js";
import type { Deadline, DeadlineState, Tid, Val, World } from "../world.js";

/** The key a deadline is kept under: the local's name and the thread's lane (`deadline@T`). */
export function deadlineKey(w: World, tid: Tid, name: string): string {
  return `${name}@${w.threads[tid]?.name ?? tid}`;
}

/** The state of the deadline held in local `name`; a local that holds none is a design error. */
export function deadlineState(k: Ctx, name: string): DeadlineState {
  const key = k.get(name);
  const d = typeof key === "string" ? k.w.deadlines[key] : undefined;
  if (!d) throw new Error(`local "${name}" holds no deadline (arm it with armDeadline first)`);
  return d.state;
}

/**
 * What a budget local's `:left_of` companion says: the deadline whose time left it
 * holds, the deadline's state when it was read, and whether `max(..., min)` raised the
 * budget above the time left. Kept as one string, `timeout@T#pending` (`+` appended when
 * raised).
 */
interface TimeLeft {
  readonly key: string;
  readonly read: DeadlineState;
  readonly raised: boolean;
}

const timeLeftTag = (t: TimeLeft): string => `${t.key}#${t.read}${t.raised ? "+" : ""}`;

function parseTimeLeft(v: Val | undefined): TimeLeft | null {
  if (typeof v !== "string") return null;
  const at = v.lastIndexOf("#");
  const raised = v.endsWith("+");
  const read = v.slice(at + 1, raised ? -1 : undefined);
  if (at < 0 || (read !== "pending" && read !== "due" && read !== "passed")) return null;
  return { key: v.slice(0, at), read, raised };
}

/**
 * `to = from` for a budget passed on (an argument): `to` carries what `from` was the
 * time left to, or nothing, as `from` does.
 */
export function passTimeLeft(k: Ctx, from: string | number, to: string): void {
  const v = typeof from === "string" ? k.get(leftOfLocal(from)) : undefined;
  if (typeof v === "string") k.set(leftOfLocal(to), v);
  else k.unset(leftOfLocal(to));
}

const LEFT_OF = leftOfLocal("");

const RANK: Readonly<Record<DeadlineState, number>> = { pending: 0, due: 1, passed: 2 };

/**
 * The order of a deadline armed now from a budget that was the time left to another:
 * `jiffies + (first - jiffies_then)` is on or after `first`, and strictly after it when
 * jiffies moved on in between (the first's state moved since the read) or `max()` raised
 * the budget. None when the first was re-armed or is the one armed now.
 */
function orderFrom(
  k: Ctx,
  budget: string | number,
  key: string,
): Pick<Deadline, "notBefore" | "strictlyAfter"> {
  const t = typeof budget === "string" ? parseTimeLeft(k.get(leftOfLocal(budget))) : null;
  const first = t === null || t.key === key ? undefined : k.w.deadlines[t.key];
  if (t === null || first === undefined) return {};
  return after(t.key, t.raised || RANK[first.state] > RANK[t.read]);
}

/** On or after deadline `first`, or strictly after it. */
function after(first: string, strictly: boolean): Pick<Deadline, "notBefore" | "strictlyAfter"> {
  return strictly ? { notBefore: first, strictlyAfter: true } : { notBefore: first };
}

/**
 * The order of a deadline armed now from constant `c` (`jiffies + c`, `budget` jiffies):
 * on or after every deadline still ticking that was armed from the same constant
 * before, as jiffies only grow; the latest of them bounds it, strictly when jiffies
 * moved on since that one was armed (its state moved on from the one it was armed in).
 * None when there is no such deadline.
 */
function orderAfterSame(
  w: World,
  c: string,
  budget: number,
  key: string,
): Pick<Deadline, "notBefore" | "strictlyAfter"> {
  let first: string | undefined;
  for (const other of Object.keys(w.deadlines).sort()) {
    if (other === key || w.deadlines[other]?.from !== c || !ticks(w, other)) continue;
    if (first === undefined || fallsAfter(w, other, first)) first = other;
  }
  if (first === undefined) return {};
  return after(first, RANK[(w.deadlines[first] as Deadline).state] > RANK[stateFor(budget)]);
}

/**
 * Is deadline `a` known to fall on or after `b`, both ticking: behind it now, or kept
 * on or after it?
 */
function fallsAfter(w: World, a: string, b: string): boolean {
  const da = w.deadlines[a] as Deadline;
  const db = w.deadlines[b] as Deadline;
  return RANK[da.state] < RANK[db.state] || da.notBefore === b;
}

/** The state a deadline armed with `budget` jiffies to go starts in. */
function stateFor(budget: number): DeadlineState {
  return budget > 0 ? "pending" : budget === 0 ? "due" : "passed";
}

/** Where an op that arms a deadline says whose local it arms (shared by every copy of lockdrop). */
const ARMS = Symbol.for("lockdrop.time.armDeadline");

/**
 * For an op made by `armDeadline`: the function whose local it arms (null: not said) and
 * that local.
 * Properties read a design's steps with it to see whether the design keeps time.
 */
export function armsDeadline(o: Op): ArmedDeadline | undefined {
  return (o as unknown as Record<symbol, ArmedDeadline | undefined>)[ARMS];
}

/** What an op made by `armDeadline` says it arms: in whose function, into which local. */
export interface ArmedDeadline {
  readonly fn: string | null;
  readonly into: string;
}

/**
 * `into = jiffies + budget`: a fresh deadline in the thread's local `into`, pending for a
 * positive budget (due at once for 0). `budget` is a local holding the timeout (0, or any
 * positive number: the length is not kept) or a positive constant, written as the C
 * writes it (`label`); `fn` is the function whose local it is, for the properties that
 * judge an API's own budget (properties/time.ts). Armed from a constant, it falls on or
 * after the deadlines armed before it from the same one (the same `label`, or the same
 * number where there is none), in any thread.
 */
export const armDeadline = (
  into: string,
  budget: string | number,
  opts: { readonly label?: string; readonly fn?: string } = {},
): Op<"ok"> =>
  Object.assign(
    op({
      name: `${into} = jiffies + ${opts.label ?? String(budget)}`,
      outcomes: ["ok"],
      run: (k) => {
        const b = typeof budget === "number" ? budget : k.num(budget);
        const key = deadlineKey(k.w as World, k.tid, into);
        // a constant, as the C writes it: the same text is the same number of jiffies
        const from = typeof budget === "number" ? (opts.label ?? String(budget)) : undefined;
        const order =
          from === undefined
            ? orderFrom(k, budget, key)
            : orderAfterSame(k.w as World, from, b, key);
        // re-armed, this key is a new deadline: no deadline is ordered after the old one,
        // and no budget is the time left to it any more
        for (const other in k.w.deadlines) {
          const o = k.w.deadlines[other] as Deadline;
          if (o.notBefore === key) {
            const { notBefore: _gone, strictlyAfter: _too, ...unordered } = o;
            k.w.deadlines[other] = unordered;
          }
        }
        for (const local of Object.keys(k.t.locals))
          if (local.endsWith(LEFT_OF) && parseTimeLeft(k.t.locals[local])?.key === key)
            k.unset(local);
        const d: Deadline = {
          owner: k.tid,
          name: into,
          state: stateFor(b),
          ...order,
          ...(from === undefined ? {} : { from }),
        };
        k.w.deadlines[key] = d;
        k.set(into, key);
        k.emit(deadlineEvent(k, key, d, { fn: opts.fn ?? null }));
        return "ok";
      },
    }),
    { [ARMS]: { fn: opts.fn ?? null, into } satisfies ArmedDeadline },
  );

/** `if (time_after(jiffies, deadline))`: true once the deadline has passed. */
export const timeAfter = (deadline: string): Op<"yes" | "no"> =>
  op({
    name: `if (time_after(jiffies, ${deadline}))`,
    outcomes: ["yes", "no"],
    run: (k) => (deadlineState(k, deadline) === "passed" ? "yes" : "no"),
  });

/** `if (time_after_eq(jiffies, deadline))`: true from the jiffy the deadline falls on. */
export const timeAfterEq = (deadline: string): Op<"yes" | "no"> =>
  op({
    name: `if (time_after_eq(jiffies, ${deadline}))`,
    outcomes: ["yes", "no"],
    run: (k) => (deadlineState(k, deadline) === "pending" ? "no" : "yes"),
  });

/**
 * `into = deadline - jiffies` as a `long`: 1 (some positive budget) while pending, 0 on
 * the jiffy it falls on, -1 (negative) once passed. With `min`, `max(deadline - jiffies,
 * min)` (v8's nouveau: `max(timeout - jiffies, 1L)`).
 */
export const jiffiesUntil = (
  into: string,
  deadline: string,
  opts: { readonly min?: number } = {},
): Op<"ok"> =>
  op({
    name:
      opts.min === undefined
        ? `${into} = ${deadline} - jiffies`
        : `${into} = max(${deadline} - jiffies, ${opts.min}L)`,
    outcomes: ["ok"],
    run: (k) => {
      const s = deadlineState(k, deadline);
      const left = s === "pending" ? 1 : s === "due" ? 0 : -1;
      const budget = opts.min === undefined ? left : Math.max(left, opts.min);
      k.set(into, budget);
      // `jiffies + into`, armed later, is on or after the deadline (after it, if raised)
      k.set(
        leftOfLocal(into),
        timeLeftTag({ key: k.get(deadline) as string, read: s, raised: budget > left }),
      );
      return "ok";
    },
  });

/**
 * A `long` passed where an `unsigned long` timeout is expected. A negative value wraps to
 * one above LONG_MAX, and jiffies arithmetic is modular: `deadline = jiffies + timeout`
 * lands before jiffies, and time_after(jiffies, deadline), `(long)(deadline - jiffies) <
 * 0`, is true at once (include/linux/jiffies.h). The model keeps such a timeout as -1, a
 * budget already spent (armDeadline() arms it passed); 0 stays 0, "retry for ever" for
 * hmm_range_fault_unlocked_timeout(), and a positive value stays a positive budget.
 */
export function asUnsignedTimeout(v: number): number {
  return v < 0 ? -1 : v;
}

/** Can the clock move deadline `key` on in `w`: armed, not passed, of a thread still running? */
export function ticks(w: World, key: string): boolean {
  const d = w.deadlines[key];
  return d !== undefined && d.state !== "passed" && w.threads[d.owner]?.status.kind !== "done";
}

/**
 * May the clock move deadline `key` on in `w`: it ticks, and it is behind the deadline
 * it cannot fall before, or that one no longer ticks (passed, or its thread returned)?
 */
function mayTick(w: World, key: string): boolean {
  if (!ticks(w, key)) return false;
  const d = w.deadlines[key] as Deadline;
  const first = d.notBefore === undefined ? undefined : w.deadlines[d.notBefore];
  return (
    first === undefined ||
    !ticks(w, d.notBefore as string) ||
    RANK[d.state] + (d.strictlyAfter === true ? 1 : 0) < RANK[first.state]
  );
}

/** The deadlines the clock may move on now (mayTick). */
export function tickable(w: World): string[] {
  return Object.keys(w.deadlines)
    .sort()
    .filter((key) => mayTick(w, key));
}

/**
 * Every key a deadline can be kept under in a run from `w0`: each thread's
 * `armDeadline()` steps, by the thread's lane (threads are not created during a run).
 * The liveness search is fair to each of them when a property is fair to the clock
 * (engine/lasso.ts).
 */
export function deadlineKeys(w0: World, programs: Programs): string[] {
  const keys = new Set(Object.keys(w0.deadlines));
  for (const t of w0.threads)
    for (const s of Object.values(programs[t.program]?.steps ?? {})) {
      const a = armsDeadline(s.op);
      if (a) keys.add(deadlineKey(w0, t.id, a.into));
    }
  return [...keys].sort();
}

/** One jiffy for one deadline: pending -> due -> passed. */
export function tick(k: Ctx, key: string): void {
  const d = k.w.deadlines[key];
  if (!d) throw new Error(`no deadline "${key}"`);
  const state: DeadlineState = d.state === "pending" ? "due" : "passed";
  const moved: Deadline = { ...d, state };
  k.w.deadlines[key] = moved;
  k.emit(deadlineEvent(k, key, moved, null));
}

/** The `deadline` event of an arming (`arm`: whose local, if said) or of a tick (null). */
function deadlineEvent(
  k: Ctx,
  key: string,
  d: Deadline,
  arm: { readonly fn: string | null } | null,
): Event {
  return {
    k: "deadline",
    tid: k.tid,
    key,
    owner: d.owner,
    name: d.name,
    state: d.state,
    fn: arm?.fn ?? null,
    notBefore: arm === null ? null : (d.notBefore ?? null),
    strictlyAfter: arm !== null && d.strictlyAfter === true,
  };
}
