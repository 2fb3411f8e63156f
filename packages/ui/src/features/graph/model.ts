// The graph the canvas draws, as plain data: nodes (tasks) and edges (runAfter dependencies),
// built from a DAG spec or from a run. React Flow only renders what these functions return.
import type { RunTask } from '@kontroler/client';
import { awaitsDecision } from '../approvals/model.js';
import { explainReason } from '../runs/task-reason.js';

export interface GraphNode {
  id: string;
  /** Task status for run graphs; undefined for a DAG's own graph. */
  status?: string;
  /** Attempts made so far (run graphs). */
  attempts?: number;
  /** Shown under the name: the image, or the exit code of a failed attempt. */
  detail?: string;
  /** Validation problems of this task (editor). */
  errors?: string[];
  /** A group of tasks (a large run's grouped graph) rather than one task. */
  kind?: 'group';
  /** Tasks in the group. */
  size?: number;
  /** A mapped task (withItems / withParam): its instances' progress, drawn on its one node. */
  map?: MapProgress;
  /** An approval task that waits for a person now (running, drawn apart from running tasks). */
  awaiting?: true;
  /** A dagRef task (it runs a child run of another DAG): that DAG's name, '' while not known. */
  subDag?: string;
  /** Run graphs: how long the task's last attempt took, once it ended. */
  durationMs?: number;
}

/** A mapped task's instances at a glance: how many there are (once expanded) and how far they got. */
export interface MapProgress {
  /** Instances; undefined until the items are known. */
  total: number | undefined;
  /** Instances that finished (succeeded, failed, skipped or canceled). */
  done: number;
  running: number;
  failed: number;
}

const FINISHED = new Set(['succeeded', 'failed', 'skipped', 'canceled']);

/** The progress of a mapped task from its `instances` and `instanceCounts` (pure). */
export function mapProgress(t: Pick<RunTask, 'instances' | 'instanceCounts'>): MapProgress {
  const counts = t.instanceCounts ?? {};
  let done = 0;
  for (const [status, n] of Object.entries(counts)) if (FINISHED.has(status)) done += n;
  return { total: t.instances, done, running: counts['running'] ?? 0, failed: counts['failed'] ?? 0 };
}

/** "3/5 done", or "items pending" before the mapped task expanded. */
export function mapProgressText(p: MapProgress): string {
  return p.total === undefined ? 'items pending' : `${p.done.toLocaleString('en-US')}/${p.total.toLocaleString('en-US')} done`;
}

export interface GraphEdge {
  /** The task that must finish first. */
  source: string;
  target: string;
}

export interface Graph {
  nodes: GraphNode[];
  edges: GraphEdge[];
}

export function edgeId(e: GraphEdge): string {
  return `${e.source}->${e.target}`;
}

/** A DAG's tasks (spec `task[]`) as a graph; runAfter entries naming no task are dropped. */
export function graphFromTasks(tasks: ReadonlyArray<{ name: string; runAfter?: string[]; image?: string }>): Graph {
  const names = new Set(tasks.map((t) => t.name));
  const nodes = tasks.map((t) => ({ id: t.name, ...(t.image ? { detail: t.image } : {}) }));
  const edges: GraphEdge[] = [];
  const seen = new Set<string>();
  for (const t of tasks) {
    for (const from of t.runAfter ?? []) {
      const e = { source: from, target: t.name };
      if (!names.has(from) || seen.has(edgeId(e))) continue;
      seen.add(edgeId(e));
      edges.push(e);
    }
  }
  return { nodes, edges };
}

/** The DAG each dagRef task of a DAG spec (a run's version) runs, by task name (pure). */
export function dagRefNames(spec: Readonly<Record<string, unknown>> | undefined): Map<string, string> {
  const out = new Map<string, string>();
  const tasks = spec?.['task'];
  if (!Array.isArray(tasks)) return out;
  for (const t of tasks as unknown[]) {
    if (typeof t !== 'object' || t === null) continue;
    const { name, dagRef } = t as { name?: unknown; dagRef?: unknown };
    const ref = typeof dagRef === 'object' && dagRef !== null ? (dagRef as { name?: unknown }).name : undefined;
    if (typeof name === 'string' && typeof ref === 'string') out.set(name, ref);
  }
  return out;
}

/**
 * A run's graph with every task's live status, attempt count, last exit code and last attempt's
 * duration; a skip after a failure names the failed task (`UpstreamFailed: NAME`); a mapped task is
 * one node with its instances' progress (its instances are not in the graph); an approval task
 * that waits for a person says so (`awaiting`); a dagRef task names the DAG it runs (`subDag`,
 * from `dagRefs`, '' when not known yet).
 */
export function graphFromRun(run: { graph: { nodes: readonly string[]; edges: ReadonlyArray<{ from: string; to: string }> }; tasks: readonly RunTask[] }, dagRefs?: ReadonlyMap<string, string>): Graph {
  const byName = new Map(run.tasks.map((t) => [t.name, t]));
  const memo = new Map<string, string | null>();
  const nodes = run.graph.nodes.map((id) => {
    const t = byName.get(id);
    const last = t?.attempts[t.attempts.length - 1];
    const reason = t ? explainReason(t, byName, memo) : undefined;
    const detail =
      last && last.exitCode !== null && last.exitCode !== 0
        ? `exit ${last.exitCode}`
        : reason && t?.status !== 'succeeded' && t?.status !== 'running'
          ? reason
          : (t?.image ?? undefined);
    const took = last && last.durationMs !== null && t?.status !== 'running' ? { durationMs: last.durationMs } : {};
    if (t?.kind === 'map') {
      const map = mapProgress(t);
      const why = t.reason && t.status !== 'succeeded' && t.status !== 'running' ? ` · ${t.reason}` : '';
      return { id, status: t.status, attempts: 0, detail: `${mapProgressText(map)}${why}`, map };
    }
    if (t && awaitsDecision(t)) return { id, status: t.status, attempts: t.attempts.length, detail: 'waiting for approval', awaiting: true as const };
    const subDag = t?.kind === 'dagRef' ? { subDag: dagRefs?.get(id) ?? '' } : {};
    return { id, status: t?.status ?? 'pending', attempts: t?.attempts.length ?? 0, ...(detail ? { detail } : {}), ...subDag, ...took };
  });
  return { nodes, edges: run.graph.edges.map((e) => ({ source: e.from, target: e.to })) };
}

/**
 * Would adding `source → target` close a cycle? True when `target` already reaches `source`
 * (or they are the same task). Returns the cycle as a path `[source, …, source]`, else undefined.
 */
export function cycleThrough(edges: readonly GraphEdge[], source: string, target: string): string[] | undefined {
  if (source === target) return [source, source];
  const out = new Map<string, string[]>();
  for (const e of edges) {
    const l = out.get(e.source);
    if (l) l.push(e.target);
    else out.set(e.source, [e.target]);
  }
  // Breadth-first from target looking for source, remembering parents to name the cycle.
  const parent = new Map<string, string>();
  const queue = [target];
  const seen = new Set([target]);
  while (queue.length > 0) {
    const n = queue.shift()!;
    if (n === source) {
      const path = [source];
      let cur = source;
      while (cur !== target) {
        cur = parent.get(cur)!;
        path.unshift(cur);
      }
      return [source, ...path];
    }
    for (const m of out.get(n) ?? []) {
      if (seen.has(m)) continue;
      seen.add(m);
      parent.set(m, n);
      queue.push(m);
    }
  }
  return undefined;
}

/** Tasks upstream (ancestors) and downstream (descendants) of `id`, for highlighting. */
export function neighbourhood(edges: readonly GraphEdge[], id: string): { upstream: Set<string>; downstream: Set<string> } {
  const walk = (next: (e: GraphEdge) => [string, string]) => {
    const adj = new Map<string, string[]>();
    for (const e of edges) {
      const [a, b] = next(e);
      const l = adj.get(a);
      if (l) l.push(b);
      else adj.set(a, [b]);
    }
    const seen = new Set<string>();
    const stack = [id];
    while (stack.length > 0) {
      for (const m of adj.get(stack.pop()!) ?? []) {
        if (!seen.has(m)) {
          seen.add(m);
          stack.push(m);
        }
      }
    }
    return seen;
  };
  return { downstream: walk((e) => [e.source, e.target]), upstream: walk((e) => [e.target, e.source]) };
}
