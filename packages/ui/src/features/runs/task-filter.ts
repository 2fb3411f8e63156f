// The run page's task filter (statuses + name prefix) ⇄ the page's query string, and what it
// means for the counts: how many rows the filtered table has when the counts can tell.

/** Every task status, in the order the counts show them. */
export const TASK_STATUSES = ['pending', 'waiting', 'running', 'succeeded', 'failed', 'skipped', 'canceled'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** Longest name prefix the API accepts (a Kubernetes name). */
export const MAX_PREFIX_LENGTH = 253;

export interface TaskFilter {
  status: TaskStatus[];
  prefix: string;
}

export const NO_FILTER: TaskFilter = { status: [], prefix: '' };

function isStatus(s: string): s is TaskStatus {
  return (TASK_STATUSES as readonly string[]).includes(s);
}

/** The filter in `?status=failed,running&prefix=shard-`; unknown statuses are dropped. */
export function taskFilterFromQuery(q: { get(key: string): string | null }): TaskFilter {
  const status = [...new Set((q.get('status') ?? '').split(',').filter(isStatus))];
  status.sort((a, b) => TASK_STATUSES.indexOf(a) - TASK_STATUSES.indexOf(b));
  return { status, prefix: (q.get('prefix') ?? '').slice(0, MAX_PREFIX_LENGTH) };
}

/** Writes the filter into the query `p` (removing what is empty). */
export function taskFilterIntoQuery<Q extends { set(key: string, value: string): void; delete(key: string): void }>(p: Q, f: TaskFilter): Q {
  if (f.status.length > 0) p.set('status', f.status.join(','));
  else p.delete('status');
  if (f.prefix) p.set('prefix', f.prefix);
  else p.delete('prefix');
  return p;
}

export function isFiltered(f: TaskFilter): boolean {
  return f.status.length > 0 || f.prefix !== '';
}

/** The same filter with `status` switched on or off. */
export function toggleStatus(f: TaskFilter, status: TaskStatus): TaskFilter {
  const on = f.status.includes(status);
  const next = on ? f.status.filter((s) => s !== status) : [...f.status, status];
  next.sort((a, b) => TASK_STATUSES.indexOf(a) - TASK_STATUSES.indexOf(b));
  return { ...f, status: next };
}

/** A stable key of the filter (query caches, resetting the table). */
export function filterKey(f: TaskFilter): string {
  return `${f.status.join(',')}|${f.prefix}`;
}

/**
 * Rows of the filtered table when the counts tell it: every task without a filter, the sum of
 * the chosen statuses' counts with only a status filter; undefined with a name prefix (the API
 * counts by status only), where the table grows as pages arrive.
 */
export function filteredTotal(counts: Readonly<Record<string, number>>, total: number, f: TaskFilter): number | undefined {
  if (f.prefix) return undefined;
  if (f.status.length === 0) return total;
  return f.status.reduce((a, s) => a + (counts[s] ?? 0), 0);
}
