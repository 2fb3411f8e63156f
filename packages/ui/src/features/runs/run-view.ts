// What the run page needs from GET /runs/{id}, whatever the run's size (pure): the counts by
// status (every status present), the number of tasks, and whether it is a large run (the server
// sends the grouped graph instead of the task graph above its GRAPH_MAX_NODES).
import type { RunDetail, RunTask } from '@kontroler/client';
import { awaitsDecision } from '../approvals/model.js';
import { TASK_STATUSES } from './task-filter.js';

/** Counts of every task status (zeros included, whatever the server sent) and the number of tasks. */
export function taskCountsOf(r: Pick<RunDetail, 'taskCounts' | 'taskTotal'>): { counts: Record<string, number>; total: number } {
  const counts: Record<string, number> = Object.fromEntries(TASK_STATUSES.map((s) => [s, 0]));
  for (const [k, v] of Object.entries(r.taskCounts)) counts[k] = v;
  return { counts, total: r.taskTotal };
}

/** A run whose page shows the grouped graph and opens on the paged table. */
export function isLargeRun(r: Pick<RunDetail, 'graph'>): boolean {
  return r.graph === undefined;
}

/** True when the first page holds every task (no more to fetch). */
export function hasAllTasks(r: Pick<RunDetail, 'tasksNextCursor'>): boolean {
  return r.tasksNextCursor === undefined;
}

/**
 * The counts the status chips show: approval tasks waiting for a person (running underneath) are
 * counted apart as `approvals` and taken out of running. `tasks`: every task of the run when the
 * page has them all (a small run); without them (a large run) the counts are as the server sent
 * them and `approvals` is undefined.
 */
export function chipCountsOf(counts: Readonly<Record<string, number>>, tasks: readonly Pick<RunTask, 'kind' | 'approval' | 'status'>[] | undefined): { counts: Record<string, number>; approvals: number | undefined } {
  if (!tasks) return { counts: { ...counts }, approvals: undefined };
  const approvals = tasks.filter((t) => t.status === 'running' && awaitsDecision(t)).length;
  return { counts: { ...counts, running: Math.max(0, (counts.running ?? 0) - approvals) }, approvals };
}
