// A run's failed attempts in the order they ended, page by page after a cursor, and how many
// there are: for writers of per-task notices (Kubernetes Events TaskFailed / TaskRetrying) that
// must see each failure once and count the ones they do not send. Reads only; every reply is
// O(limit) rows, whatever the run's size.
import type { Queryable } from './db.js';

/** The most failed attempts one call of `failedAttemptsAfter` returns, whatever it is asked. */
export const FAILED_ATTEMPTS_MAX_LIMIT = 1000;

/** Where a reader of failed attempts is: the last one it saw, in (end time, task, attempt) order. */
export interface FailedAttemptCursor {
  /** The attempt's end time as PostgreSQL prints it (microseconds kept: a round trip is exact). */
  readonly at: string;
  readonly task: string;
  readonly attempt: number;
}

/** A failed (or lost) attempt, and whether it left its task failed for good. */
export interface FailedAttempt {
  readonly task: string;
  readonly attempt: number;
  readonly exitCode: number | null;
  readonly reason: string | null;
  /** The task is failed and this is its last attempt: no retry follows. */
  readonly final: boolean;
  readonly cursor: FailedAttemptCursor;
}

type Row = { task: string; attempt: number; exit_code: number | null; reason: string | null; final: boolean; at: string };

const ENDED_AT = 'coalesce(a.finished_at, a.created_at)';

/**
 * The run's failed and lost attempts after `after` (from the first when null), in (end time,
 * task, attempt) order, at most `limit` (capped at FAILED_ATTEMPTS_MAX_LIMIT). An attempt
 * recorded late with an end time before the cursor is not returned (count it with
 * `countFailedAttempts`). Throws the pool's errors; the caller retries.
 */
export async function failedAttemptsAfter(db: Queryable, runId: number, after: FailedAttemptCursor | null, limit: number): Promise<FailedAttempt[]> {
  const n = Math.max(0, Math.min(Math.floor(limit), FAILED_ATTEMPTS_MAX_LIMIT));
  if (n === 0) return [];
  const { rows } = await db.query<Row>(
    `select a.task, a.attempt, a.exit_code, a.reason, ${ENDED_AT}::text as at,
            (t.status = 'failed' and not exists (select 1 from attempts b where b.run_id = a.run_id and b.task = a.task and b.attempt > a.attempt)) as final
       from attempts a
       left join task_states t on t.run_id = a.run_id and t.task = a.task
      where a.run_id = $1 and a.status in ('failed', 'lost')
        and ($2::timestamptz is null or (${ENDED_AT}, a.task, a.attempt) > ($2::timestamptz, $3::text, $4::int))
      order by ${ENDED_AT}, a.task, a.attempt
      limit $5`,
    [runId, after?.at ?? null, after?.task ?? null, after?.attempt ?? null, n],
  );
  return rows.map((r) => ({ task: r.task, attempt: r.attempt, exitCode: r.exit_code, reason: r.reason, final: r.final === true, cursor: { at: r.at, task: r.task, attempt: r.attempt } }));
}

/** The cursor after the run's last failed attempt so far (null when none failed). */
export async function lastFailedAttemptCursor(db: Queryable, runId: number): Promise<FailedAttemptCursor | null> {
  const { rows } = await db.query<Pick<Row, 'task' | 'attempt' | 'at'>>(
    `select a.task, a.attempt, ${ENDED_AT}::text as at from attempts a
      where a.run_id = $1 and a.status in ('failed', 'lost')
      order by ${ENDED_AT} desc, a.task desc, a.attempt desc limit 1`,
    [runId],
  );
  const r = rows[0];
  return r ? { at: r.at, task: r.task, attempt: r.attempt } : null;
}

/** How many of the run's attempts failed or were lost so far. */
export async function countFailedAttempts(db: Queryable, runId: number): Promise<number> {
  const { rows } = await db.query<{ n: string }>(`select count(*)::text as n from attempts where run_id = $1 and status in ('failed', 'lost')`, [runId]);
  return Number(rows[0]?.n ?? 0);
}
