// The task graph of a DAG: an edge `a -> b` means "a runs before b" (b lists a in runAfter),
// the direction the DSL's `graph { a -> b }` is written in. Pure functions, iterative (no
// recursion), linear in nodes + edges.

/** A task as the graph sees it. Dependencies on names that are not nodes are ignored. */
export interface GraphNode {
  readonly name: string;
  readonly runAfter?: readonly string[];
}

interface Adjacency {
  names: string[];
  /** successors[i]: indices of the tasks that run after names[i]. */
  successors: number[][];
  /** predecessors[i]: indices of the tasks names[i] runs after (deduplicated). */
  predecessors: number[][];
}

function adjacency(nodes: readonly GraphNode[]): Adjacency {
  const index = new Map<string, number>();
  const names: string[] = [];
  const members: number[] = []; // members[k]: the node index of nodes[k]
  for (const n of nodes) {
    let i = index.get(n.name);
    if (i === undefined) {
      i = names.length;
      index.set(n.name, i);
      names.push(n.name);
    }
    members.push(i);
  }
  const predecessors: number[][] = names.map((): number[] => []);
  // Deduplication without a Set per node: the node each predecessor was last added to. Only
  // when names repeat (their nodes are merged) does a node need a Set of its own.
  const lastAddedTo = new Int32Array(names.length).fill(-1);
  const merged = members.length !== names.length;
  const perNode = merged ? names.map(() => new Set<number>()) : undefined;
  nodes.forEach((n, k) => {
    const to = members[k] ?? 0;
    const preds = predecessors[to] ?? [];
    for (const dep of n.runAfter ?? []) {
      const from = index.get(dep);
      if (from === undefined) continue;
      if (perNode !== undefined) {
        const set = perNode[to];
        if (set === undefined || set.has(from)) continue;
        set.add(from);
      } else {
        if (lastAddedTo[from] === to) continue;
        lastAddedTo[from] = to;
      }
      preds.push(from);
    }
  });
  const successors = names.map((): number[] => []);
  predecessors.forEach((preds, to) => {
    for (const from of preds) successors[from]?.push(to);
  });
  return { names, successors, predecessors };
}

/**
 * A topological order of the task names (every task after all tasks it runs after; ties keep
 * the input order), or undefined when the graph has a cycle (a self-dependency counts).
 * Duplicate names are merged into one node. O((nodes + edges) · log nodes): the ready tasks
 * wait in a binary heap by input position.
 */
export function topologicalOrder(nodes: readonly GraphNode[]): string[] | undefined {
  const { names, successors, predecessors } = adjacency(nodes);
  const indegree = predecessors.map((p) => p.length);
  const ready = new MinHeap();
  indegree.forEach((d, i) => {
    if (d === 0) ready.push(i);
  });
  const order: string[] = [];
  for (let i = ready.pop(); i !== undefined; i = ready.pop()) {
    order.push(names[i] ?? '');
    for (const s of successors[i] ?? []) {
      const d = (indegree[s] ?? 0) - 1;
      indegree[s] = d;
      if (d === 0) ready.push(s);
    }
  }
  return order.length === names.length ? order : undefined;
}

/** A binary min-heap of integers. */
class MinHeap {
  private readonly items: number[] = [];

  push(x: number): void {
    const a = this.items;
    let i = a.length;
    a.push(x);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = a[parent] ?? 0;
      if (p <= x) break;
      a[i] = p;
      i = parent;
    }
    a[i] = x;
  }

  pop(): number | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (top === undefined || last === undefined || a.length === 0) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= a.length) break;
      const r = l + 1;
      const c = r < a.length && (a[r] ?? 0) < (a[l] ?? 0) ? r : l;
      const cv = a[c] ?? 0;
      if (cv >= last) break;
      a[i] = cv;
      i = c;
    }
    a[i] = last;
    return top;
  }
}

/** Whether every node can be ordered (Kahn's algorithm, linear): no cycle at all. */
function isAcyclic(adj: Adjacency): boolean {
  const indegree = Int32Array.from(adj.predecessors, (p) => p.length);
  const queue: number[] = [];
  indegree.forEach((d, i) => {
    if (d === 0) queue.push(i);
  });
  for (let qi = 0; qi < queue.length; qi++) {
    for (const s of adj.successors[queue[qi] ?? 0] ?? []) {
      const d = (indegree[s] ?? 0) - 1;
      indegree[s] = d;
      if (d === 0) queue.push(s);
    }
  }
  return queue.length === adj.names.length;
}

/**
 * One concrete cycle per strongly connected part of the graph that has one, in execution order
 * and closed: `['a', 'b', 'a']` means a runs before b runs before a. A self-dependency is
 * `['a', 'a']`. Each cycle starts at its task that comes first in the input and is a shortest
 * cycle through it. Cycles are listed in input order of their first task. Empty iff
 * `topologicalOrder` succeeds.
 */
export function findCycles(nodes: readonly GraphNode[]): string[][] {
  const adj = adjacency(nodes);
  if (isAcyclic(adj)) return [];
  const components = stronglyConnected(adj.successors);
  const cycles: { first: number; path: string[] }[] = [];
  for (const comp of components) {
    const first = comp.reduce((m, x) => (x < m ? x : m), Number.POSITIVE_INFINITY);
    if (comp.length === 1) {
      if ((adj.successors[first] ?? []).includes(first)) {
        const n = adj.names[first] ?? '';
        cycles.push({ first, path: [n, n] });
      }
      continue;
    }
    const members = new Set(comp);
    const path = shortestCycle(adj.successors, first, members).map((i) => adj.names[i] ?? '');
    cycles.push({ first, path });
  }
  return cycles.sort((a, b) => a.first - b.first).map((c) => c.path);
}

/** Breadth-first search from `start` back to itself, inside `members`. */
function shortestCycle(successors: number[][], start: number, members: Set<number>): number[] {
  const parent = new Map<number, number>();
  const queue: number[] = [start];
  for (let qi = 0; qi < queue.length; qi++) {
    const u = queue[qi] ?? start;
    for (const v of successors[u] ?? []) {
      if (!members.has(v)) continue;
      if (v === start) {
        const path = [start];
        let w: number | undefined = u;
        const back: number[] = [];
        while (w !== undefined && w !== start) {
          back.push(w);
          w = parent.get(w);
        }
        path.push(...back.reverse(), start);
        return path;
      }
      if (!parent.has(v) && v !== start) {
        parent.set(v, u);
        queue.push(v);
      }
    }
  }
  return [start, start]; // unreachable for a real strongly connected component
}

/** Tarjan's algorithm, iterative. Returns the components as lists of node indices. */
function stronglyConnected(successors: number[][]): number[][] {
  const n = successors.length;
  const index = new Array<number>(n).fill(-1);
  const low = new Array<number>(n).fill(0);
  const onStack = new Array<boolean>(n).fill(false);
  const stack: number[] = [];
  const out: number[][] = [];
  let counter = 0;
  for (let root = 0; root < n; root++) {
    if (index[root] !== -1) continue;
    const work: { v: number; next: number }[] = [{ v: root, next: 0 }];
    index[root] = low[root] = counter++;
    stack.push(root);
    onStack[root] = true;
    while (work.length > 0) {
      const frame = work[work.length - 1];
      if (frame === undefined) break;
      const succ = successors[frame.v] ?? [];
      if (frame.next < succ.length) {
        const w = succ[frame.next++] ?? 0;
        if (index[w] === -1) {
          index[w] = low[w] = counter++;
          stack.push(w);
          onStack[w] = true;
          work.push({ v: w, next: 0 });
        } else if (onStack[w]) {
          low[frame.v] = Math.min(low[frame.v] ?? 0, index[w] ?? 0);
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent !== undefined) low[parent.v] = Math.min(low[parent.v] ?? 0, low[frame.v] ?? 0);
      if (low[frame.v] === index[frame.v]) {
        const comp: number[] = [];
        let w: number | undefined;
        do {
          w = stack.pop();
          if (w === undefined) break;
          onStack[w] = false;
          comp.push(w);
        } while (w !== frame.v);
        out.push(comp);
      }
    }
  }
  return out;
}

/** Names of the tasks that run after nothing (the roots), in input order. */
export function rootTasks(nodes: readonly GraphNode[]): string[] {
  return nodes.filter((n) => (n.runAfter ?? []).length === 0).map((n) => n.name);
}
