// Automatic layout of a task graph (dagre's layered layout), as a pure function: nodes in,
// positions out. Small graphs use dagre's network-simplex ranking (tighter, prettier); large ones
// use longest-path ranking, which is several times faster and keeps 1,000 tasks well under a
// second.
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
  const g = new dagre.graphlib.Graph({ multigraph: false });
  const big = graph.nodes.length > (opts.fastAbove ?? 150);
  g.setGraph({
    rankdir: opts.direction ?? 'LR',
    nodesep: opts.nodeGap ?? 18,
    ranksep: opts.rankGap ?? 56,
    marginx: 0,
    marginy: 0,
    ranker: big ? 'longest-path' : 'network-simplex',
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
