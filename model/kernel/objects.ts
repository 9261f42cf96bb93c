// Objects with a lifetime that a scenario declares (a driver's region or context, a
// mapping): allocated -> live (published, reachable by lookup) -> detached (unpublished)
// -> freed. A thread's pointer to one carries the epoch of the lock its lookup was
// protected by, as VMA pointers carry the mmap-lock epoch (model/ghost.ts), so
// `no-freed-vma-use` and `no-vma-use-after-unlock` judge every use of a declared
// object with no property code of the user's.
import type { Ctx, Op } from "../step.js";
import { op } from "../step.js";
import type { Obj, ObjRef, ObjState, Tid, Val, World } from "../world.js";
import { isObjRef } from "../world.js";
import { holdsLock } from "./locks.js";

function declaredObj(k: Ctx, name: string): Obj {
  const o = k.w.objects[name];
  if (!o)
    throw new Error(
      `no object "${name}" in this scenario (it declares: ${Object.keys(k.w.objects).join(", ") || "none"}); declare it in the scenario's objects`,
    );
  return o;
}

/** Is the pointer still protected: its lock held without a release since the lookup? */
export function objRefProtected(w: World, tid: Tid, r: ObjRef): boolean {
  if (r.via === null) return true;
  return holdsLock(w, r.via, tid) && (w.ghost.lockEpoch[r.via]?.[tid] ?? 0) === r.epoch;
}

/**
 * Look `obj` up under the lock `via` (null: none) and keep the pointer in local `into`;
 * outcome "none" when the object is not live (not found).
 */
export const lookupObj = (obj: string, into: string, via: string | null): Op<"found" | "none"> =>
  op({
    name: `${into} = lookup(${obj})${via === null ? "" : ` under ${via}`}`,
    outcomes: ["found", "none"],
    objects: [obj],
    run: (k) => {
      if (declaredObj(k, obj).state !== "live") return "none";
      const epoch = via === null ? 0 : (k.w.ghost.lockEpoch[via]?.[k.tid] ?? 0);
      const ref: ObjRef = { obj, via, epoch, at: k.w.clock };
      k.set(into, ref as Val);
      return "found";
    },
  });

/**
 * Dereference the object pointer in local `ref`: records the use with its ghost facts.
 * `pgtable` marks a page-table page's use, which no-pgtable-use-after-free judges
 * (model/kernel/pgtable.ts).
 */
export function useObj(k: Ctx, ref: string, what: string, o?: { readonly pgtable: true }): Obj {
  const r = k.get(ref);
  if (!isObjRef(r)) throw new Error(`local "${ref}" holds no object pointer`);
  const obj = declaredObj(k, r.obj);
  k.emit({
    k: "obj-use",
    tid: k.tid,
    ref: { ...r },
    what,
    objState: obj.state,
    protected: objRefProtected(k.w as World, k.tid, r),
    ...o,
  });
  return obj;
}

/** An op that dereferences the object pointer in local `ref`, e.g. `region->pages`. */
export const derefObj = (ref: string, what: string): Op<"ok"> =>
  op({
    name: what,
    outcomes: ["ok"],
    run: (k) => {
      useObj(k, ref, what);
      return "ok";
    },
  });

/**
 * Set `obj`'s lifetime state inside a step of one's own (`what`: the note the lanes
 * print), e.g. a kernel function that clears a back pointer and puts the last reference
 * in one call.
 */
export function setObjState(k: Ctx, obj: string, state: ObjState, what: string): void {
  setState(k, obj, state, what);
}

/**
 * The pointer in local `ref` is pinned by a reference of its own now (kref_get,
 * refcount_inc): from here on it does not depend on the lock it was looked up under,
 * so using it after that lock is released is no use-after-unlock. A use after the
 * object was freed is still a use-after-free (the reference must keep it alive).
 */
export function pinObjRef(k: Ctx, ref: string): void {
  const r = k.get(ref);
  if (!isObjRef(r)) throw new Error(`local "${ref}" holds no object pointer`);
  k.set(ref, { ...r, via: null } as Val);
}

/** The lifetime state of the declared object `obj` (a design error when undeclared). */
export function objState(k: Ctx, obj: string): ObjState {
  return declaredObj(k, obj).state;
}

function setState(k: Ctx, obj: string, state: ObjState, what: string): Op<"ok"> {
  const o = declaredObj(k, obj);
  // object records are replaced, never mutated (model/parts.ts)
  k.w.objects[obj] =
    state === "freed" ? { state, freedAt: k.w.clock, freedBy: k.tid } : { ...o, state };
  k.emit({ k: "obj-state", tid: k.tid, obj, state });
  k.emit({ k: "note", tid: k.tid, text: what });
  return undefined as never;
}

/** Publish `obj` (it becomes reachable by lookup). */
export const publishObj = (obj: string): Op<"ok"> =>
  op({
    name: `publish(${obj})`,
    outcomes: ["ok"],
    objects: [obj],
    run: (k) => {
      setState(k, obj, "live", `publishes ${obj}`);
      return "ok";
    },
  });

/** Unpublish `obj` (lookups stop finding it; pointers already taken still point to it). */
export const detachObj = (obj: string): Op<"ok"> =>
  op({
    name: `unpublish(${obj})`,
    outcomes: ["ok"],
    objects: [obj],
    run: (k) => {
      setState(k, obj, "detached", `unpublishes ${obj}`);
      return "ok";
    },
  });

/** Free `obj` (`fn`: kfree, vfree, kmem_cache_free, ...): a later use through a pointer is a use-after-free. */
export const freeObj = (obj: string, fn = "kfree"): Op<"ok"> =>
  op({
    name: `${fn}(${obj})`,
    outcomes: ["ok"],
    objects: [obj],
    run: (k) => {
      setState(k, obj, "freed", `frees ${obj}`);
      return "ok";
    },
  });

/** The initial state of a declared object. */
export function newObj(state: ObjState = "live"): Obj {
  return { state, freedAt: null, freedBy: null };
}
