// The DAG's grid (runs × tasks) and the DAG list's outcome strip, shaped for drawing: oldest run
// on the left, newest on the right, as Airflow draws it. Pure.
import type { DagGrid, RunStatus, TaskStatus } from '@kontroler/client';

export interface GridColumn {
  id: number;
  status: RunStatus;
  createdAt: string;
  dagVersion: number;
  taskTotal: number;
  /** `12 succeeded, 1 failed`: the run's tasks by status (its summary when it is larger than the grid). */
  summary: string;
}

export interface GridRow {
  name: string;
  /** One per column, left to right; null: the run has no such task (another version) or past the grid. */
  cells: Array<TaskStatus | null>;
}

/** The API's grid (newest run first) → columns and rows left (oldest) to right (newest). */
export function gridLayout(g: Pick<DagGrid, 'runs' | 'tasks'>): { columns: GridColumn[]; rows: GridRow[] } {
  const columns = [...g.runs].reverse().map(({ id, status, createdAt, dagVersion, taskTotal, taskCounts }) => ({ id, status, createdAt, dagVersion, taskTotal, summary: countsText(taskCounts) }));
  const rows = g.tasks.map((t) => ({ name: t.name, cells: [...t.states].reverse() }));
  return { columns, rows };
}

/** Non-zero counts, largest first: `12 succeeded, 1 failed`. */
export function countsText(counts: Readonly<Record<string, number>>): string {
  return Object.entries(counts)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([s, n]) => `${n} ${s}`)
    .join(', ');
}

/** The run page with this task selected (the run page's `?task=` parameter). */
export function cellHref(runId: number, task: string): string {
  return `/runs/${runId}?task=${encodeURIComponent(task)}`;
}

/** A cell's accessible name: `extract in run #12: failed`. */
export function cellLabel(runId: number, task: string, status: TaskStatus | null): string {
  return `${task} in run #${runId}: ${status ?? 'not in this run'}`;
}

/** A DAG's recent runs (newest first, as the list sends them) → the strip, oldest to newest. */
export function outcomeStrip<T>(recentNewestFirst: readonly T[] | undefined): T[] {
  return [...(recentNewestFirst ?? [])].reverse();
}
