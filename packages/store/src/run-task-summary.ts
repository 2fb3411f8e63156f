// A run's tasks in summary: how many per status, and the first few failed and running ones with
// their attempts. For writers of small status objects (a DagRun's status): the reply is
// O(listCap) rows whatever the run's size, and nothing is loaded per task in the client.
import type { AttemptState, TaskState, TaskStatus } from '@kontroler/engine';
import type { Queryable } from './db.js';
import { attemptFromRow, msOr, type RunRecord } from './records.js';
import type { AttemptsRow } from './rows.js';
import { getRunOverview } from './run-tasks.js';
import type { TaskStatesRow } from './rows/run-parts.js';

/** The most failed (and running) tasks `loadRunTaskSummary` returns, whatever it is asked. */
export const RUN_TASK_SUMMARY_MAX_LIST = 1000;

export interface RunTaskSummary {
  readonly run: RunRecord;
  /** Tasks in the run's definition. */
  readonly total: number;
  /** Tasks per status; every status is a key (from runs.task_counts, kept by every save). */
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
 * Reads only: the run's row (its counts are kept in runs.task_counts by every state save) and
 * O(listCap) task rows, so its cost does not grow with the run. Throws the pool's errors; the
 * caller retries.
 */
export async function loadRunTaskSummary(db: Queryable, runId: number, listCap: number): Promise<RunTaskSummary | undefined> {
  const cap = Math.max(0, Math.min(Math.floor(listCap), RUN_TASK_SUMMARY_MAX_LIST));
  const [overview, listed] = await Promise.all([
    getRunOverview(db, runId),
    db.query<TaskRow>(
      `(select task, status, reason, retry_at from task_states where run_id = $1 and status = 'failed' order by task collate "C" limit $2)
       union all
       (select task, status, reason, retry_at from task_states where run_id = $1 and status = 'running' order by task collate "C" limit $2)`,
      [runId, cap],
    ),
  ]);
  if (!overview) return undefined;
  const { run, counts, total } = overview;
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
    run,
    total,
    counts,
    failed: listed.rows.filter((t) => t.status === 'failed').map(task),
    running: listed.rows.filter((t) => t.status === 'running').map(task),
  };
}
