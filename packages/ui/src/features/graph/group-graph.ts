// The graph of a run too big to draw task by task: the server groups its tasks by name prefix
// (`shard-00042` → `shard`), one node per group with its size and status counts. This turns that
// summary into the plain graph the canvas draws (pure).
import type { Graph } from './model.js';

export interface GroupSummary {
  groups: ReadonlyArray<{ id: string; size: number; counts: Readonly<Record<string, number>> }>;
  edges: ReadonlyArray<{ from: string; to: string }>;
  /** Tasks in the run. */
  tasks: number;
  /** Only the largest groups are listed. */
  truncated?: boolean;
}

/**
 * The one status a group's node is coloured by: failed if any task failed, else running if any
 * runs, else succeeded when all did, else pending/waiting while any waits, else canceled or
 * skipped.
 */
export function groupStatus(counts: Readonly<Record<string, number>>, size: number): string {
  const n = (s: string) => counts[s] ?? 0;
  if (n('failed') > 0) return 'failed';
  if (n('running') > 0) return 'running';
  if (size > 0 && n('succeeded') === size) return 'succeeded';
  if (n('pending') > 0 || n('waiting') > 0) return n('waiting') > n('pending') ? 'waiting' : 'pending';
  if (n('canceled') > 0) return 'canceled';
  if (n('skipped') > 0) return 'skipped';
  return n('succeeded') > 0 ? 'succeeded' : 'pending';
}

const ORDER = ['failed', 'running', 'waiting', 'pending', 'succeeded', 'skipped', 'canceled'];

/** "1,000 tasks · 990 succeeded · 10 failed": the statuses present, worst first. */
export function groupDetail(counts: Readonly<Record<string, number>>, size: number): string {
  const parts = [`${size.toLocaleString('en-US')} task${size === 1 ? '' : 's'}`];
  const keys = Object.keys(counts).sort((a, b) => (ORDER.indexOf(a) + 1 || 99) - (ORDER.indexOf(b) + 1 || 99));
  for (const k of keys) if ((counts[k] ?? 0) > 0) parts.push(`${(counts[k] ?? 0).toLocaleString('en-US')} ${k}`);
  return parts.join(' · ');
}

/** The grouped graph: a node per group (status, size), an edge per group dependency. */
export function graphFromSummary(s: GroupSummary): Graph {
  const ids = new Set(s.groups.map((g) => g.id));
  return {
    nodes: s.groups.map((g) => ({ id: g.id, kind: 'group', size: g.size, status: groupStatus(g.counts, g.size), detail: groupDetail(g.counts, g.size) })),
    edges: s.edges.filter((e) => e.from !== e.to && ids.has(e.from) && ids.has(e.to)).map((e) => ({ source: e.from, target: e.to })),
  };
}
