// What the run page needs from GET /runs/{id}, whatever the run's size (pure): the counts by
// status (every status present), the number of tasks, the first page of tasks and the cursor
// after it, and either the task graph (small runs) or the grouped graph (large ones).
import type { RunDetail, RunTask } from '@kontroler/client';
import type { GroupSummary } from '../graph/group-graph.js';
import { TASK_STATUSES } from './task-filter.js';

/** The run detail fields of a run of any size (the task graph is absent above the server's GRAPH_MAX_NODES). */
export type RunData = Omit<RunDetail, 'graph' | 'tasks' | 'taskCounts'> & {
  tasks: RunTask[];
  taskCounts?: Record<string, number>;
  taskTotal?: number;
  tasksNextCursor?: string;
  graph?: { nodes: string[]; edges: Array<{ from: string; to: string }> };
  graphSummary?: GroupSummary;
};

/** Counts of every task status (zeros included) and the number of tasks. */
export function taskCountsOf(r: Pick<RunData, 'taskCounts' | 'taskTotal' | 'tasks'>): { counts: Record<string, number>; total: number } {
  const counts: Record<string, number> = Object.fromEntries(TASK_STATUSES.map((s) => [s, 0]));
  if (r.taskCounts) for (const [k, v] of Object.entries(r.taskCounts)) counts[k] = v;
  else for (const t of r.tasks) counts[t.status] = (counts[t.status] ?? 0) + 1;
  const sum = Object.values(counts).reduce((a, n) => a + n, 0);
  return { counts, total: r.taskTotal ?? sum };
}

/** A run whose page shows the grouped graph and the paged table instead of every task at once. */
export function isLargeRun(r: Pick<RunData, 'graph'>): boolean {
  return r.graph === undefined;
}

/** True when the first page holds every task (no more to fetch). */
export function hasAllTasks(r: Pick<RunData, 'tasksNextCursor'>): boolean {
  return r.tasksNextCursor === undefined;
}
