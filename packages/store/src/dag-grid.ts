// A DAG's grid (Airflow's grid view): its last runs as columns, its tasks as rows, each cell the
// task's status in that run. One bounded read: at most GRID_MAX_RUNS runs and, from each, its
// first GRID_MAX_TASKS tasks by definition position; a larger run is summarised by its counts.
import type { RunStatus, TaskStatus } from '@kontroler/engine';
import type { Queryable } from './db.js';
import { ms } from './records.js';
import type { RunsRow } from './rows.js';
import type { TaskStatesRow } from './rows/run-parts.js';
import { countTotal, fullTaskCounts, type TaskCounts } from './run-tasks.js';

/** Runs in a grid when none is asked for, and at the most. */
export const GRID_DEFAULT_RUNS = 25;
export const GRID_MAX_RUNS = 100;
/** Task rows in a grid at the most (with GRID_MAX_RUNS, at most 50,000 cells). */
export const GRID_MAX_TASKS = 500;

export interface GridRun {
  id: number;
  status: RunStatus;
  dagVersion: number;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  /** The run's tasks (mapped instances included) and how many have each status: its summary. */
  taskTotal: number;
  taskCounts: TaskCounts;
}

export interface DagGrid {
  /** Newest first. */
  runs: GridRun[];
  /**
   * One row per task (mapped instances are not rows), in definition order of the newest run that
   * has it; tasks only older runs have follow. `states[i]` is its status in `runs[i]`, null when
   * that run has no such task (another version) or it is past the run's first GRID_MAX_TASKS.
   */
  tasks: Array<{ name: string; states: Array<TaskStatus | null> }>;
  /** More task rows exist than `tasks` holds (GRID_MAX_TASKS), or a run has tasks past it. */
  tasksTruncated: boolean;
}

type RunRow = Pick<RunsRow, 'id' | 'status' | 'dag_version' | 'created_at' | 'started_at' | 'finished_at' | 'task_counts'>;
type CellRow = Pick<TaskStatesRow, 'run_id' | 'task' | 'status' | 'position'>;

/**
 * The grid of the DAG `namespace/name` (deleted DAGs' runs too: history is kept): its last `runs`
 * runs (1..GRID_MAX_RUNS, default GRID_DEFAULT_RUNS) × its tasks. Reads only; two queries whose
 * size is bounded by GRID_MAX_RUNS × GRID_MAX_TASKS rows. An unknown DAG gives an empty grid.
 * Throws the pool's errors; the caller retries.
 */
export async function dagGrid(db: Queryable, q: { namespace: string; name: string; runs?: number }): Promise<DagGrid> {
  const limit = Math.max(1, Math.min(Math.floor(q.runs ?? GRID_DEFAULT_RUNS), GRID_MAX_RUNS));
  const runRows = await db.query<RunRow>(
    `select id, status, dag_version, created_at, started_at, finished_at, task_counts from runs
     where namespace = $1 and dag_name = $2 order by id desc limit $3`,
    [q.namespace, q.name, limit],
  );
  const runs: GridRun[] = runRows.rows.map((r) => {
    const counts = fullTaskCounts(r.task_counts);
    return { id: r.id, status: r.status, dagVersion: r.dag_version, createdAt: r.created_at.getTime(), startedAt: ms(r.started_at), finishedAt: ms(r.finished_at), taskTotal: countTotal(counts), taskCounts: counts };
  });
  if (runs.length === 0) return { runs, tasks: [], tasksTruncated: false };
  const cells = await db.query<CellRow>(
    `select run_id, task, status, position from task_states
     where run_id = any($1::bigint[]) and position <= $2 and map_of is null`,
    [runs.map((r) => r.id), GRID_MAX_TASKS],
  );
  return { runs, ...gridRows(runs, cells.rows) };
}

/**
 * The task rows of a grid from its cells: those at positions below GRID_MAX_TASKS (one at
 * GRID_MAX_TASKS says a run has more). Pure; exported for tests.
 */
export function gridRows(runs: readonly Pick<GridRun, 'id'>[], cells: readonly CellRow[]): Pick<DagGrid, 'tasks' | 'tasksTruncated'> {
  const column = new Map(runs.map((r, i) => [r.id, i]));
  let cutInRun = false;
  // A task's place: the column of the newest run that has it, then its position there.
  const rows = new Map<string, { name: string; col: number; position: number; states: Array<TaskStatus | null> }>();
  for (const c of cells) {
    const col = column.get(c.run_id);
    if (col === undefined) continue;
    if (c.position >= GRID_MAX_TASKS) {
      cutInRun = true;
      continue;
    }
    let row = rows.get(c.task);
    if (!row) {
      row = { name: c.task, col, position: c.position, states: runs.map(() => null) };
      rows.set(c.task, row);
    } else if (col < row.col) {
      row.col = col;
      row.position = c.position;
    }
    row.states[col] = c.status;
  }
  const sorted = [...rows.values()].sort((a, b) => a.col - b.col || a.position - b.position);
  return {
    tasks: sorted.slice(0, GRID_MAX_TASKS).map(({ name, states }) => ({ name, states })),
    tasksTruncated: sorted.length > GRID_MAX_TASKS || cutInRun,
  };
}
