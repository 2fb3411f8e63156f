// A run's tasks in summary: how many per status, and the first few failed and running ones with
// their attempts. For writers of small status objects (a DagRun's status): the reply is
// O(listCap) rows whatever the run's size, and nothing is loaded per task in the client.
import type { AttemptState, TaskState, TaskStatus } from '@kontroler/engine';
import { TASK_STATUSES } from '@kontroler/engine';
import type { Queryable } from './db.js';
import { attemptFromRow, msOr, runFromRow, type RunRecord } from './records.js';
import type { AttemptsRow, RunRow } from './rows.js';
import type { TaskStatesRow } from './rows/run-parts.js';

/** The most failed (and running) tasks `loadRunTaskSummary` returns, whatever it is asked. */
export const RUN_TASK_SUMMARY_MAX_LIST = 1000;

export interface RunTaskSummary {
  readonly run: RunRecord;
  /** Tasks in the run's definition. */
  readonly total: number;
  /** Tasks per status; every status is a key (tasks without a row yet are pending). */
  readonly counts: Readonly<Record<TaskStatus, number>>;
  /** The first failed tasks by name (code-unit order), at most `listCap`, with their attempts. */
  readonly failed: readonly TaskState[];
  /** The first running tasks by name, at most `listCap`, with their attempts. */
  readonly running: readonly TaskState[];
}

/** The columns of task_states the summary selects. */
type TaskRow = Omit<TaskStatesRow, 'run_id'>;

/**
 * The run, its task count, its counts per task status and its first `listCap` (at most
 * RUN_TASK_SUMMARY_MAX_LIST) failed and running tasks by name, or undefined for an unknown run.
 * Reads only; three queries whose replies are O(listCap) rows (PostgreSQL counts the run's
 * task_states rows). Throws the pool's errors; the caller retries.
 */
export async function loadRunTaskSummary(db: Queryable, runId: number, listCap: number): Promise<RunTaskSummary | undefined> {
  const cap = Math.max(0, Math.min(Math.floor(listCap), RUN_TASK_SUMMARY_MAX_LIST));
  const [runs, counted, listed] = await Promise.all([
    db.query<RunRow & { task_total: number }>(
      `select r.*, jsonb_array_length(v.definition->'tasks')::int as task_total
       from runs r join dag_versions v on v.dag_id = r.dag_id and v.version = r.dag_version where r.id = $1`,
      [runId],
    ),
    db.query<{ status: string; n: number }>('select status, count(*)::int as n from task_states where run_id = $1 group by status', [runId]),
    db.query<TaskRow>(
      `(select task, status, reason, retry_at from task_states where run_id = $1 and status = 'failed' order by task collate "C" limit $2)
       union all
       (select task, status, reason, retry_at from task_states where run_id = $1 and status = 'running' order by task collate "C" limit $2)`,
      [runId, cap],
    ),
  ]);
  const row = runs.rows[0];
  if (!row) return undefined;
  const counts = Object.fromEntries(TASK_STATUSES.map((s) => [s, 0])) as Record<TaskStatus, number>;
  let withRow = 0;
  for (const c of counted.rows) {
    if (c.status in counts) counts[c.status as TaskStatus] += c.n;
    withRow += c.n;
  }
  const total = Math.max(row.task_total, withRow);
  counts.pending += total - withRow;
  const names = listed.rows.map((t) => t.task);
  const attempts = new Map<string, AttemptState[]>();
  if (names.length > 0) {
    const as = await db.query<AttemptsRow>('select * from attempts where run_id = $1 and task = any($2::text[]) order by task, attempt', [runId, names]);
    for (const a of as.rows) {
      const { task, logSize, ...state } = attemptFromRow(a);
      const list = attempts.get(task) ?? [];
      list.push(state);
      attempts.set(task, list);
    }
  }
  const task = (t: TaskRow): TaskState => {
    const retryAt = msOr(t.retry_at);
    return { name: t.task, status: t.status, attempts: attempts.get(t.task) ?? [], ...(retryAt !== undefined ? { retryAt } : {}), ...(t.reason ? { reason: t.reason } : {}) };
  };
  return {
    run: runFromRow(row),
    total,
    counts,
    failed: listed.rows.filter((t) => t.status === 'failed').map(task),
    running: listed.rows.filter((t) => t.status === 'running').map(task),
  };
}
