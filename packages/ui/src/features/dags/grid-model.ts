// The DAG's grid (runs × tasks) and the DAG list's outcome strip, shaped for drawing: oldest run
// on the left, newest on the right, as Airflow draws it. Pure.
import type { DagGrid, RunStatus, TaskStatus } from '@kontroler/client';

export interface GridColumn {
  id: number;
  status: RunStatus;
  createdAt: string;
  dagVersion: number;
  taskTotal: number;
}

export interface GridRow {
  name: string;
  /** One per column, left to right; null: the run has no such task (another version) or past the grid. */
  cells: Array<TaskStatus | null>;
}

/** The API's grid (newest run first) → columns and rows left (oldest) to right (newest). */
export function gridLayout(g: Pick<DagGrid, 'runs' | 'tasks'>): { columns: GridColumn[]; rows: GridRow[] } {
  const columns = [...g.runs].reverse().map(({ id, status, createdAt, dagVersion, taskTotal }) => ({ id, status, createdAt, dagVersion, taskTotal }));
  const rows = g.tasks.map((t) => ({ name: t.name, cells: [...t.states].reverse() }));
  return { columns, rows };
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
