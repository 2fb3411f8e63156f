// Automatic layout of a task graph, as a pure function: nodes in, positions out. Graphs of up to
// `fastAbove` tasks use dagre's layered layout (network-simplex ranking, crossing minimisation:
// the prettiest). Larger ones use `fastLayered` below, a lean Sugiyama-style layout (longest-path
// ranks, barycentre ordering sweeps, aligned coordinates) that is linear in the edges: dagre
// takes seconds on 1,000 tasks, this takes milliseconds.
import dagre from '@dagrejs/dagre';
import type { Graph } from './model.js';

export type Direction = 'LR' | 'TB';

export interface LayoutOptions {
  direction?: Direction;
  nodeWidth?: number;
  nodeHeight?: number;
  /** Gap between nodes of one rank. */
  nodeGap?: number;
  /** Gap between ranks. */
  rankGap?: number;
  /** Node count above which the faster ranking is used (default 150). */
  fastAbove?: number;
}

export interface Layout {
  /** Top-left corner of every node, by id. */
  positions: Map<string, { x: number; y: number }>;
  width: number;
  height: number;
  nodeWidth: number;
  nodeHeight: number;
}

export const NODE_WIDTH = 190;
export const NODE_HEIGHT = 54;

/**
 * Lays out `graph`. Deterministic (same graph, same positions); edges to unknown nodes are
 * ignored; disconnected tasks are placed like roots. Never throws for a cyclic graph (the editor
 * may show one while the user fixes it): dagre breaks cycles itself.
 */
export function layoutGraph(graph: Graph, opts: LayoutOptions = {}): Layout {
  const nodeWidth = opts.nodeWidth ?? NODE_WIDTH;
  const nodeHeight = opts.nodeHeight ?? NODE_HEIGHT;
  if (graph.nodes.length > (opts.fastAbove ?? 150)) return fastLayered(graph, opts);
  const g = new dagre.graphlib.Graph({ multigraph: false });
  g.setGraph({
    rankdir: opts.direction ?? 'LR',
    nodesep: opts.nodeGap ?? 18,
    ranksep: opts.rankGap ?? 56,
    marginx: 0,
    marginy: 0,
    ranker: 'network-simplex',
  });
  g.setDefaultEdgeLabel(() => ({}));
  const ids = new Set<string>();
  for (const n of graph.nodes) {
    ids.add(n.id);
    g.setNode(n.id, { width: nodeWidth, height: nodeHeight });
  }
  for (const e of graph.edges) if (ids.has(e.source) && ids.has(e.target) && e.source !== e.target) g.setEdge(e.source, e.target);
  dagre.layout(g);
  const positions = new Map<string, { x: number; y: number }>();
  let width = 0;
  let height = 0;
  for (const n of graph.nodes) {
    const p = g.node(n.id) as { x: number; y: number } | undefined;
    const x = Math.round((p?.x ?? 0) - nodeWidth / 2);
    const y = Math.round((p?.y ?? 0) - nodeHeight / 2);
    positions.set(n.id, { x, y });
    width = Math.max(width, x + nodeWidth);
    height = Math.max(height, y + nodeHeight);
  }
  inDeclarationOrder(graph, positions, (opts.direction ?? 'LR') === 'LR');
  return { positions, width, height, nodeWidth, nodeHeight };
}

/**
 * dagre orders the tasks of a rank by its crossing heuristic, which draws a plain fan-out
 * reversed (the last task declared on top). Per rank, the tasks take the rank's places in
 * declaration order instead, unless that draws more edge crossings than dagre's order. In place.
 */
export function inDeclarationOrder(graph: Graph, positions: Map<string, { x: number; y: number }>, lr: boolean): void {
  const along = (p: { x: number; y: number }) => (lr ? p.x : p.y);
  const across = (p: { x: number; y: number }) => (lr ? p.y : p.x);
  const order = new Map(graph.nodes.map((n, i) => [n.id, i]));
  const ranks = new Map<number, string[]>();
  for (const [id, p] of positions) {
    const list = ranks.get(along(p));
    if (list) list.push(id);
    else ranks.set(along(p), [id]);
  }
  const edges = graph.edges.filter((e) => e.source !== e.target && positions.has(e.source) && positions.has(e.target));
  for (const ids of ranks.values()) {
    if (ids.length < 2) continue;
    const byPlace = [...ids].sort((a, b) => across(positions.get(a)!) - across(positions.get(b)!));
    const byDecl = [...ids].sort((a, b) => (order.get(a) ?? 0) - (order.get(b) ?? 0));
    if (byPlace.every((id, i) => id === byDecl[i])) continue;
    const places = byPlace.map((id) => ({ ...positions.get(id)! }));
    const touching = edges.filter((e) => ids.includes(e.source) || ids.includes(e.target));
    const before = crossings(touching, edges, positions);
    const saved = new Map(ids.map((id) => [id, positions.get(id)!]));
    byDecl.forEach((id, i) => positions.set(id, places[i]!));
    if (crossings(touching, edges, positions) > before) for (const [id, p] of saved) positions.set(id, p);
  }
}

/** Pairs of edges (one of `some`, one of `all`) whose straight lines between node centres cross. */
function crossings(some: readonly GraphEdgeLike[], all: readonly GraphEdgeLike[], positions: Map<string, { x: number; y: number }>): number {
  let n = 0;
  for (const a of some) {
    for (const b of all) {
      if (a === b || a.source === b.source || a.source === b.target || a.target === b.source || a.target === b.target) continue;
      if (segmentsCross(positions.get(a.source)!, positions.get(a.target)!, positions.get(b.source)!, positions.get(b.target)!)) n++;
    }
  }
  return n;
}

interface GraphEdgeLike {
  source: string;
  target: string;
}

function segmentsCross(p1: { x: number; y: number }, p2: { x: number; y: number }, q1: { x: number; y: number }, q2: { x: number; y: number }): boolean {
  const side = (a: { x: number; y: number }, b: { x: number; y: number }, c: { x: number; y: number }) => Math.sign((b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x));
  return side(p1, p2, q1) * side(p1, p2, q2) < 0 && side(q1, q2, p1) * side(q1, q2, p2) < 0;
}

/**
 * Layered layout in O(nodes + edges × sweeps): ranks by longest path from the roots (tasks on a
 * cycle go after everything else), order inside a rank by the barycentre of neighbours (four
 * down/up sweeps), then each task is placed level with the mean of its predecessors, pushed
 * apart just enough not to overlap. Deterministic.
 */
export function fastLayered(graph: Graph, opts: LayoutOptions = {}): Layout {
  const nodeWidth = opts.nodeWidth ?? NODE_WIDTH;
  const nodeHeight = opts.nodeHeight ?? NODE_HEIGHT;
  const gap = opts.nodeGap ?? 18;
  const rankGap = opts.rankGap ?? 56;
  const lr = (opts.direction ?? 'LR') === 'LR';
  const ids = graph.nodes.map((n) => n.id);
  const index = new Map(ids.map((id, i) => [id, i]));
  const preds: number[][] = ids.map(() => []);
  const succs: number[][] = ids.map(() => []);
  for (const e of graph.edges) {
    const a = index.get(e.source);
    const b = index.get(e.target);
    if (a === undefined || b === undefined || a === b) continue;
    succs[a]!.push(b);
    preds[b]!.push(a);
  }
  // Ranks: Kahn's algorithm, rank = 1 + max rank of predecessors.
  const rank = new Array<number>(ids.length).fill(-1);
  const indeg = preds.map((p) => p.length);
  const queue: number[] = [];
  indeg.forEach((d, i) => d === 0 && queue.push(i));
  for (let q = 0; q < queue.length; q++) {
    const n = queue[q]!;
    let r = 0;
    for (const p of preds[n]!) r = Math.max(r, rank[p]! + 1);
    rank[n] = r;
    for (const s of succs[n]!) if (--indeg[s]! === 0) queue.push(s);
  }
  let maxRank = Math.max(0, ...rank);
  for (let i = 0; i < ids.length; i++) if (rank[i] === -1) rank[i] = ++maxRank;
  const layers: number[][] = Array.from({ length: maxRank + 1 }, () => []);
  for (const n of queue.length === ids.length ? queue : ids.map((_, i) => i)) layers[rank[n]!]!.push(n);
  // Ordering: barycentre sweeps.
  const pos = new Array<number>(ids.length).fill(0);
  const setPos = () => layers.forEach((l) => l.forEach((n, i) => (pos[n] = i)));
  setPos();
  const bary = (n: number, nb: number[][]) => {
    const list = nb[n]!;
    if (list.length === 0) return pos[n]!;
    let s = 0;
    for (const m of list) s += pos[m]!;
    return s / list.length;
  };
  for (let sweep = 0; sweep < 4; sweep++) {
    const down = sweep % 2 === 0;
    const order = down ? layers.slice(1) : layers.slice(0, -1).reverse();
    for (const l of order) {
      const key = new Map(l.map((n) => [n, bary(n, down ? preds : succs)]));
      l.sort((a, b) => key.get(a)! - key.get(b)! || pos[a]! - pos[b]!);
      l.forEach((n, i) => (pos[n] = i));
    }
  }
  // Coordinates across the ranks: level with the predecessors, no overlaps.
  const step = (lr ? nodeHeight : nodeWidth) + gap;
  const across = new Array<number>(ids.length).fill(0);
  layers.forEach((l, r) => {
    if (r === 0) {
      l.forEach((n, i) => (across[n] = i * step));
      return;
    }
    const want = l.map((n, i) => {
      const p = preds[n]!;
      if (p.length === 0) return i * step;
      let s = 0;
      for (const m of p) s += across[m]!;
      return s / p.length;
    });
    let prev = -Infinity;
    const got = want.map((w) => (prev = Math.max(w, prev + step)));
    const drift = got.reduce((a, g, i) => a + (g - want[i]!), 0) / Math.max(1, got.length);
    l.forEach((n, i) => (across[n] = got[i]! - drift));
  });
  const min = Math.min(0, ...across);
  const positions = new Map<string, { x: number; y: number }>();
  let width = 0;
  let height = 0;
  ids.forEach((id, i) => {
    const along = rank[i]! * ((lr ? nodeWidth : nodeHeight) + rankGap);
    const a = Math.round(across[i]! - min);
    const p = lr ? { x: along, y: a } : { x: a, y: along };
    positions.set(id, p);
    width = Math.max(width, p.x + nodeWidth);
    height = Math.max(height, p.y + nodeHeight);
  });
  return { positions, width, height, nodeWidth, nodeHeight };
}

/** Where to put a new node so it does not cover an existing one: right of the rightmost. */
export function freeSpot(positions: Iterable<{ x: number; y: number }>, at?: { x: number; y: number }): { x: number; y: number } {
  if (at) return at;
  let maxX = -Infinity;
  let y = 0;
  for (const p of positions) {
    if (p.x > maxX) {
      maxX = p.x;
      y = p.y;
    }
  }
  return maxX === -Infinity ? { x: 0, y: 0 } : { x: maxX + NODE_WIDTH + 56, y };
}
