// How many states a partial-order reduction could remove at best, measured on one
// design and scenario (bench/reductions.ts prints it). Two figures:
//
// - Commuting pairs: over every reachable state, the share of pairs of enabled threads
//   (a, b) whose steps commute there: a then b reaches the same state as b then a. This
//   is what sleep sets exploit; it prunes transitions, not states.
// - A stubborn-set search with footprints as good as any declaration could be: each
//   label's footprint (the parts of the world its step read and wrote) is learnt from a
//   complete search of the same scenario first, so it is exact for this scenario, not
//   sound in general. A state is expanded only by a stubborn set of its enabled threads:
//   closed under "a thread whose steps from here on may conflict with a step in the set"
//   (and, for a sleeping or disabled thread in the set, every thread that may wake or
//   enable it), with the breadth-first cycle proviso (a reduced state none of whose
//   successors is new is expanded fully). No visibility condition is applied, so the
//   figure is optimistic: a real reduction would also have to keep every step a
//   property observes.
// - `refined`: the same search with three further allowances, each of which could only
//   shrink the sets. Writes to a list part (the VMAs, the PTEs, the folio locks) are per
//   element, and the mmap lock's holders apart from its queue (a step that only read a
//   part still reads all of it: a copy does not say which element was read). A future
//   step of another thread that conflicts is left out when a thread of the set holds a
//   lock that step needs (the locks learnt as always held there): the holder's own
//   steps are then its necessary enabling set, as mmap_write_lock() cannot return while
//   a reader of the set holds mmap_lock. And another thread's current step is left out
//   when it commutes with the set's step in this very state (as sleep sets test it),
//   which is not sound in general (a later state may make them conflict).
//
// States are worlds (engine/fingerprint.ts compactKey), without the properties' monitor
// states an exhaustive search adds. It measures; nothing in lockdrop uses it. The footprints are compared through
// JSON.stringify of each part's canonical key, so it is slow: small scenarios only.
import { enabledThreads, isEnabled, step } from "../engine/exec.js";
import { compactKey } from "../engine/fingerprint.js";
import type { Setup } from "../engine/run.js";
import { WORLD_PARTS } from "../model/parts.js";
import type { Program } from "../model/step.js";
import { stepAt } from "../model/step.js";
import type { Tid, World } from "../model/world.js";

/** The resources a step read and wrote, by name (`vmas`, `ghost.epoch.0`, `thread.1.status`). */
interface Footprint {
  readonly r: Set<string>;
  readonly w: Set<string>;
}

export interface PorBound {
  readonly states: number;
  /** states the stubborn-set search with learnt footprints keeps */
  readonly reduced: number;
  /** pairs of enabled threads, over every state, and how many of them commute */
  readonly pairs: number;
  readonly commuting: number;
}

const json = (x: unknown): string => JSON.stringify(x);
const empty = (): Footprint => ({ r: new Set(), w: new Set() });

function addAll(into: Footprint, fp: Footprint): void {
  for (const x of fp.r) into.r.add(x);
  for (const x of fp.w) into.w.add(x);
}

// `vmas.*` (a read of the whole array) meets every `vmas.N`
function meets(x: string, set: Set<string>): boolean {
  if (set.has(x)) return true;
  const dot = x.lastIndexOf(".");
  if (dot < 0) return false;
  const base = x.slice(0, dot);
  if (x.endsWith(".*")) {
    for (const y of set) if (y.startsWith(`${base}.`)) return true;
    return false;
  }
  return set.has(`${base}.*`);
}
function conflicts(a: Footprint, b: Footprint): boolean {
  for (const x of a.w) if (meets(x, b.r) || meets(x, b.w)) return true;
  for (const x of a.r) if (meets(x, b.w)) return true;
  return false;
}
/** the locks thread `tid` holds in `w`, as `lock:mode` */
function holdings(w: World, tid: Tid): Set<string> {
  const out = new Set<string>();
  if (w.mmapLock.readers.includes(tid)) out.add("mmap:r");
  if (w.mmapLock.writer === tid) out.add("mmap:w");
  w.vmas.forEach((v, i) => {
    if (v.readers.includes(tid)) out.add(`vma${i}:r`);
    if (v.writeLocked && w.mmapLock.writer === tid) out.add(`vma${i}:w`);
  });
  return out;
}
/** a thread holding `a` keeps one that needs `b` from running */
function excludes(held: Set<string>, needed: Set<string>): boolean {
  for (const x of needed) {
    const [l, m] = x.split(":");
    if (held.has(`${l}:w`) || (m === "w" && held.has(`${l}:r`))) return true;
  }
  return false;
}

// per-thread ghost arrays: thread i's entry is its own resource
const PER_THREAD_GHOST = new Set(["epoch", "lastDrop", "vmaEpoch"]);
// counters no step reads (explanations and properties only); increments and
// set-to-true commute, so they make no step depend on another
const COMMUTING_GHOST = new Set(["driverSteps", "disrupted"]);

/** What thread `tid`'s step from `w` to `n` read and wrote. */
function footprintOf(w: World, n: World, tid: Tid, fine: boolean): Footprint {
  const fp = empty();
  const parts = w as unknown as Record<string, unknown>;
  const after = n as unknown as Record<string, unknown>;
  for (const p of WORLD_PARTS) {
    const a = parts[p.name];
    const b = after[p.name];
    // a step that touches a part (reads included) copies it (engine/draft.ts)
    if (a === b) continue;
    if (p.name === "ghost") {
      const ga = a as Record<string, unknown>;
      const gb = b as Record<string, unknown>;
      for (const f of Object.keys(ga)) {
        if (COMMUTING_GHOST.has(f) || json(ga[f]) === json(gb[f])) continue;
        fp.w.add(PER_THREAD_GHOST.has(f) ? `ghost.${f}.${tid}` : `ghost.${f}`);
      }
      continue;
    }
    const key = p.key as (v: unknown) => unknown;
    if (fine && Array.isArray(a) && Array.isArray(b)) {
      let changed = false;
      for (let i = 0; i < Math.max(a.length, b.length); i++)
        if (json(a[i]) !== json(b[i])) {
          fp.w.add(`${p.name}.${i}`);
          changed = true;
        }
      if (a.length !== b.length) fp.w.add(`${p.name}.len`);
      if (!changed) fp.r.add(`${p.name}.*`);
      continue;
    }
    if (fine && p.name === "mmapLock") {
      const ra = a as { readers: unknown; writer: unknown; waiters: unknown };
      const rb = b as { readers: unknown; writer: unknown; waiters: unknown };
      const h = json([ra.readers, ra.writer]) !== json([rb.readers, rb.writer]);
      const wq = json(ra.waiters) !== json(rb.waiters);
      if (h) fp.w.add("mmapLock.holders");
      if (wq) fp.w.add("mmapLock.waiters");
      if (!h && !wq) fp.r.add("mmapLock.*");
      continue;
    }
    (json(key(a)) === json(key(b)) ? fp.r : fp.w).add(p.name);
  }
  for (let i = 0; i < w.threads.length; i++) {
    const a = w.threads[i];
    const b = n.threads[i];
    if (a === undefined || b === undefined) continue;
    if (i === tid) {
      // its own pc and locals; whether it may go on reads its fatal signal
      fp.r.add(`thread.${i}.fatal`);
      fp.w.add(`thread.${i}.own`);
      if (json(a.status) !== json(b.status)) fp.w.add(`thread.${i}.status`);
      continue;
    }
    if (a === b) continue;
    (json(a.status) === json(b.status) ? fp.r : fp.w).add(`thread.${i}.status`);
    if (a.fatal !== b.fatal) fp.w.add(`thread.${i}.fatal`);
    if (a.pc !== b.pc || a.budget !== b.budget || json(a.locals) !== json(b.locals))
      fp.w.add(`thread.${i}.own`);
  }
  return fp;
}

interface Successor {
  readonly world: World;
  readonly fp: Footprint;
}

export function porBound(setup: Setup, refined = false): PorBound {
  const programs = setup.programs;
  const program = (id: string): Program => programs[id] as Program;
  const learnt = new Map<string, Footprint>();
  // per label: the locks the thread held every time it stepped from there
  const needs = new Map<string, Set<string>>();
  const labelKey = (p: string, l: string): string => `${p}\u0000${l}`;

  function successors(w: World, tid: Tid): Successor[] {
    const out: Successor[] = [];
    let choices = 1;
    for (let pick = 0; pick < choices; pick++) {
      const [n, rec] = step(w, tid, pick, programs);
      choices = Math.max(1, rec.choices);
      out.push({ world: n, fp: footprintOf(w, n, tid, refined) });
    }
    return out;
  }

  // 1. the complete search: learn each label's footprint, count commuting pairs
  let states = 0;
  let pairs = 0;
  let commuting = 0;
  const seen = new Set<string>([compactKey(setup.world0)]);
  let layer: World[] = [setup.world0];
  while (layer.length > 0) {
    const next: World[] = [];
    for (const w of layer) {
      states++;
      const en = enabledThreads(w, programs);
      for (let i = 0; i < en.length; i++)
        for (let j = i + 1; j < en.length; j++) {
          pairs++;
          if (commute(w, en[i] as Tid, en[j] as Tid)) commuting++;
        }
      for (const tid of en) {
        const t = w.threads[tid];
        if (t === undefined) continue;
        const k = labelKey(t.program, t.pc);
        const fp = learnt.get(k) ?? empty();
        learnt.set(k, fp);
        const h = holdings(w, tid);
        const had = needs.get(k);
        needs.set(k, had ? new Set([...had].filter((x) => h.has(x))) : h);
        for (const s of successors(w, tid)) {
          addAll(fp, s.fp);
          const key = compactKey(s.world);
          if (!seen.has(key)) {
            seen.add(key);
            next.push(s.world);
          }
        }
      }
    }
    layer = next;
  }

  function commute(w: World, a: Tid, b: Tid): boolean {
    const [wa, ra] = step(w, a, 0, programs);
    const [wb, rb] = step(w, b, 0, programs);
    if (ra.choices > 1 || rb.choices > 1) return false;
    if (!isEnabled(wa, b, programs) || !isEnabled(wb, a, programs)) return false;
    return compactKey(step(wa, b, 0, programs)[0]) === compactKey(step(wb, a, 0, programs)[0]);
  }

  // what a thread at `label` may still step from: every label reachable from it
  const reach = new Map<string, string[]>();
  function reachable(pid: string, label: string): string[] {
    const k = labelKey(pid, label);
    const known = reach.get(k);
    if (known) return known;
    const todo = [label];
    const met = new Set(todo);
    while (todo.length > 0) {
      const l = todo.pop() as string;
      const s = stepAt(program(pid), l);
      if (!s) continue;
      for (const to of [...Object.values(s.on ?? {}), ...(s.next ? [s.next] : [])])
        if (!met.has(to)) {
          met.add(to);
          todo.push(to);
        }
    }
    const out = [...met];
    reach.set(k, out);
    return out;
  }

  // what a thread at `label` may still touch: the footprints of the labels it may reach
  const futures = new Map<string, Footprint>();
  function future(pid: string, label: string): Footprint {
    const k = labelKey(pid, label);
    const known = futures.get(k);
    if (known) return known;
    const fp = empty();
    for (const l of reachable(pid, label)) {
      const own = learnt.get(labelKey(pid, l));
      if (own) addAll(fp, own);
    }
    futures.set(k, fp);
    return fp;
  }

  // 2. the stubborn-set search
  const depthOf = new Map<string, number>([[compactKey(setup.world0), 0]]);
  let reduced = 1;
  let depth = 0;
  layer = [setup.world0];
  while (layer.length > 0) {
    const next: World[] = [];
    for (const w of layer) {
      const en = enabledThreads(w, programs);
      const succ = new Map(en.map((tid) => [tid, successors(w, tid)]));
      // a thread that has finished, or an actor whose budget is spent, takes no step again
      const mayRun = (q: Tid): boolean => {
        const t = w.threads[q];
        if (t === undefined || t.status.kind === "done") return false;
        return !(t.pc === program(t.program).start && t.budget !== null && t.budget <= 0);
      };
      let best: Tid[] = en;
      for (const seed of en) {
        const set = new Set<Tid>([seed]);
        const todo = [seed];
        while (todo.length > 0) {
          const x = todo.pop() as Tid;
          const xs = succ.get(x);
          const fx = empty();
          for (const s of xs ?? []) addAll(fx, s.fp);
          for (let q = 0; q < w.threads.length; q++) {
            if (set.has(q) || !mayRun(q)) continue;
            const tq = w.threads[q];
            if (tq === undefined) continue;
            const fq = future(tq.program, tq.pc);
            let add: boolean;
            if (xs !== undefined && refined) {
              // q's future steps that conflict with x's, unless a thread of the set
              // holds a lock that keeps q from them (a necessary enabling set: that
              // thread's steps, already in the set)
              const qEnabled = en.includes(q);
              add = false;
              for (const l of reachable(tq.program, tq.pc)) {
                const own = learnt.get(labelKey(tq.program, l));
                if (!own) continue;
                const w2 = new Set(
                  [...own.w].filter((r) => r !== `thread.${x}.own` && r !== `thread.${x}.status`),
                );
                if (!conflicts(fx, { r: own.r, w: w2 })) continue;
                // q's current step, enabled, that commutes with x's here
                if (l === tq.pc && qEnabled && commute(w, x, q)) continue;
                if (!(l === tq.pc && qEnabled)) {
                  const need = needs.get(labelKey(tq.program, l)) ?? new Set<string>();
                  if ([...set].some((h) => h !== q && excludes(holdings(w, h), need))) continue;
                }
                add = true;
                break;
              }
            } else if (xs !== undefined) {
              // another thread wakes x only once x sleeps, which is after x's step
              const w2 = new Set(
                [...fq.w].filter((r) => r !== `thread.${x}.own` && r !== `thread.${x}.status`),
              );
              add = conflicts(fx, { r: fq.r, w: w2 });
            } else {
              // x sleeps (a thread that may wake it) or its entry is disabled (any writer)
              const tx = w.threads[x];
              add = tx?.status.kind === "blocked" ? fq.w.has(`thread.${x}.status`) : fq.w.size > 0;
            }
            if (add) {
              set.add(q);
              todo.push(q);
            }
          }
        }
        const chosen = en.filter((t) => set.has(t));
        if (chosen.length < best.length) best = chosen;
      }
      // the proviso: a reduced state whose successors are all known is expanded fully
      if (best.length < en.length) {
        const closes = best.some((t) =>
          (succ.get(t) ?? []).some((s) => (depthOf.get(compactKey(s.world)) ?? depth + 1) <= depth),
        );
        if (closes) best = en;
      }
      for (const tid of best)
        for (const s of succ.get(tid) ?? []) {
          const key = compactKey(s.world);
          if (!depthOf.has(key)) {
            depthOf.set(key, depth + 1);
            next.push(s.world);
            reduced++;
          }
        }
    }
    layer = next;
    depth++;
  }
  return { states, reduced, pairs, commuting };
}
