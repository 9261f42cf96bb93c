// The exhaustive engine's state graph among a liveness property's loop states, kept
// compactly: an edge is three 32-bit words (from, to, and the thread and pick of its
// step) in chunks that are never copied (engine/records.ts), and each state's idle bits
// (engine/lasso.ts idleBits) one word in a typed array indexed by the state's tree node.
// No JavaScript object per edge or per state, so the graph costs 12 bytes per edge and
// 4 per state, and the garbage collector never walks it. The shortest lasso is found
// after the search, over a compressed adjacency (CSR) built from the edges.

import { grown } from "./grown.js";
import type { LassoEdge } from "./lasso.js";
import { Records } from "./records.js";

export class LassoGraph {
  private readonly edges = new Records(3);
  private idle = new Int32Array(1024);

  /** edges stored */
  get size(): number {
    return this.edges.size;
  }

  /** An edge among loop states: the step (`tid`, `pick`) from state `from` to state `to`. */
  add(from: number, to: number, tid: number, pick: number): void {
    this.edges.push3(from, to, (tid << 16) | (pick & 0xffff));
  }

  /** An edge whose step is packed as `add` packs it (thread << 16 | pick). */
  addPacked(from: number, to: number, step: number): void {
    this.edges.push3(from, to, step);
  }

  /** The idle bits of state `node` (0 unless set). */
  setIdle(node: number, bits: number): void {
    if (node >= this.idle.length) this.idle = grown(this.idle, node + 1);
    this.idle[node] = bits;
  }

  idleOf(node: number): number {
    return node < this.idle.length ? (this.idle[node] as number) : 0;
  }

  from(e: number): number {
    return this.edges.get(e, 0);
  }
  to(e: number): number {
    return this.edges.get(e, 1);
  }
  tid(e: number): number {
    return this.edges.get(e, 2) >> 16;
  }
  pick(e: number): number {
    return this.edges.get(e, 2) & 0xffff;
  }
  edge(e: number): LassoEdge {
    return { from: this.from(e), to: this.to(e), tid: this.tid(e), pick: this.pick(e) };
  }

  /** Bytes held: the edges and the idle bits. */
  bytes(): number {
    return this.edges.bytes() + this.idle.byteLength;
  }
}

/** Outgoing edges per node, as offsets into a list of edge numbers. */
interface Adjacency {
  readonly start: Int32Array;
  readonly list: Int32Array;
}

function adjacency(g: LassoGraph, nodes: number): Adjacency {
  const start = new Int32Array(nodes + 1);
  for (let e = 0; e < g.size; e++) (start[g.from(e) + 1] as number)++;
  for (let n = 0; n < nodes; n++) start[n + 1] = (start[n + 1] as number) + (start[n] as number);
  const fill = start.slice(0, nodes);
  const list = new Int32Array(g.size);
  for (let e = 0; e < g.size; e++) {
    const f = g.from(e);
    list[fill[f] as number] = e;
    fill[f] = (fill[f] as number) + 1;
  }
  return { start, list };
}

/**
 * The shortest lasso (prefix + loop) in the graph: over every state s on a cycle,
 * depth(s) plus the shortest fair cycle through s, found by breadth-first search over
 * (state, fairness bits). States are tried by depth, and the search stops once no
 * deeper state can beat the best found.
 */
export function shortestLasso(
  g: LassoGraph,
  depthOf: (n: number) => number,
  full: number,
  stepMask: (tid: number) => number,
): { state: number; loop: LassoEdge[] } | null {
  if (g.size === 0) return null;
  let nodes = 0;
  for (let e = 0; e < g.size; e++) nodes = Math.max(nodes, g.from(e) + 1, g.to(e) + 1);
  // (state, fairness bits) pairs are keyed as state * (full + 1) + bits: exact below 2^53
  if (nodes * (full + 1) > Number.MAX_SAFE_INTEGER)
    throw new Error(
      `the lasso search would key ${nodes} states by ${full + 1} fairness masks, past the 2^53 a JavaScript number keeps exactly: run it on a scenario with fewer actors or deadlines.`,
    );
  const adj = adjacency(g, nodes);
  const comp = components(g, adj, nodes);
  // states on some cycle: in a component with an edge inside it
  // (in the order of their first edge, then by depth: ties go as the search met them)
  const onCycle = new Uint8Array(nodes);
  const starts: number[] = [];
  for (let e = 0; e < g.size; e++) {
    const f = g.from(e);
    if (comp[f] !== comp[g.to(e)] || onCycle[f]) continue;
    onCycle[f] = 1;
    starts.push(f);
  }
  starts.sort((x, y) => depthOf(x) - depthOf(y));
  let best: { state: number; loop: number[]; total: number } | null = null;
  for (const s of starts) {
    const depth = depthOf(s);
    if (best && depth + 1 >= best.total) break;
    const limit = best ? best.total - depth : Number.POSITIVE_INFINITY;
    const loop = shortestFairCycle(g, adj, comp, s, full, stepMask, limit);
    if (loop && (!best || depth + loop.length < best.total))
      best = { state: s, loop, total: depth + loop.length };
  }
  return best ? { state: best.state, loop: best.loop.map((e) => g.edge(e)) } : null;
}

function shortestFairCycle(
  g: LassoGraph,
  adj: Adjacency,
  comp: Int32Array,
  s: number,
  full: number,
  stepMask: (tid: number) => number,
  limit: number,
): number[] | null {
  const c = comp[s];
  const width = full + 1;
  // (node, mask) as node * width + mask -> the edge that first reached it, and from where
  const prevEdge = new Map<number, number>();
  const prevKey = new Map<number, number>();
  const startKey = s * width + g.idleOf(s);
  prevEdge.set(startKey, -1);
  let level: number[] = [startKey];
  for (let len = 1; len < limit && level.length > 0; len++) {
    const next: number[] = [];
    for (const key of level) {
      const n = Math.floor(key / width);
      const mask = key - n * width;
      for (let i = adj.start[n] as number; i < (adj.start[n + 1] as number); i++) {
        const e = adj.list[i] as number;
        const to = g.to(e);
        if (comp[to] !== c) continue;
        const m = mask | stepMask(g.tid(e)) | g.idleOf(to);
        if (to === s && m === full) {
          const loop = [e];
          for (let k = key; ; ) {
            const pe = prevEdge.get(k) as number;
            if (pe < 0) break;
            loop.push(pe);
            k = prevKey.get(k) as number;
          }
          return loop.reverse();
        }
        const nk = to * width + m;
        if (prevEdge.has(nk)) continue;
        prevEdge.set(nk, e);
        prevKey.set(nk, key);
        next.push(nk);
      }
    }
    level = next;
  }
  return null;
}

/** Strongly connected components (Tarjan, iterative): component id per node, -1 if none. */
function components(g: LassoGraph, adj: Adjacency, nodes: number): Int32Array {
  const index = new Int32Array(nodes).fill(-1);
  const low = new Int32Array(nodes);
  const onStack = new Uint8Array(nodes);
  const comp = new Int32Array(nodes).fill(-1);
  const stack = new Int32Array(nodes);
  let sp = 0;
  // the depth-first work stack: node, and the next of its edges to follow
  const workNode = new Int32Array(nodes);
  const workEdge = new Int32Array(nodes);
  let counter = 0;
  let ncomp = 0;
  for (let start = 0; start < nodes; start++) {
    if (index[start] !== -1 || adj.start[start] === adj.start[start + 1]) continue;
    let wp = 0;
    const visit = (v: number) => {
      index[v] = counter;
      low[v] = counter++;
      stack[sp++] = v;
      onStack[v] = 1;
      workNode[wp] = v;
      workEdge[wp++] = adj.start[v] as number;
    };
    visit(start);
    while (wp > 0) {
      const v = workNode[wp - 1] as number;
      const i = workEdge[wp - 1] as number;
      if (i < (adj.start[v + 1] as number)) {
        workEdge[wp - 1] = i + 1;
        const w = g.to(adj.list[i] as number);
        if (index[w] === -1) visit(w);
        else if (onStack[w]) low[v] = Math.min(low[v] as number, index[w] as number);
        continue;
      }
      wp--;
      if (wp > 0) {
        const parent = workNode[wp - 1] as number;
        low[parent] = Math.min(low[parent] as number, low[v] as number);
      }
      if (low[v] === index[v]) {
        for (;;) {
          const x = stack[--sp] as number;
          onStack[x] = 0;
          comp[x] = ncomp;
          if (x === v) break;
        }
        ncomp++;
      }
    }
  }
  return comp;
}
