// A person's actions on one task of a run (task_requests, migration 14): retry it (with the tasks
// after it or not), mark it succeeded or failed. The API records one and sets the run's
// `requested` to 'tasks' in the same statement (so a finished run becomes claimable, as a retry of
// the run does) and wakes the controller; the controller takes them (`takeTaskRequests`) and feeds
// them to the run's engine, clearing `requested` with the save of what they led to. Carried out at
// most once: taken requests are marked applied before the engine sees them, so a crash in between
// loses them (the run stays as it was; ask again).
import { KontrolerError } from '@kontroler/core';
import type { Queryable } from './db.js';
import { RUNS_CHANNEL, getRun } from './runs.js';
import type { TaskRequestsRow } from './rows/run-parts.js';

export type TaskRequestInput =
  | { readonly runId: number; readonly task: string; readonly action: 'retry'; readonly downstream: boolean; readonly by: string }
  | { readonly runId: number; readonly task: string; readonly action: 'mark'; readonly status: 'succeeded' | 'failed'; readonly by: string };

export type TaskRequestRecord = TaskRequestInput & { readonly id: number; readonly requestedAt: number };

function fromRow(r: TaskRequestsRow): TaskRequestRecord {
  const common = { id: Number(r.id), runId: Number(r.run_id), task: r.task, by: r.requested_by, requestedAt: r.requested_at.getTime() };
  return r.action === 'mark' ? { ...common, action: 'mark', status: r.mark_status ?? 'succeeded' } : { ...common, action: 'retry', downstream: r.downstream };
}

/** Most task actions of one run waiting for its controller; more are refused until they are taken. */
export const MAX_PENDING_TASK_REQUESTS = 100;

/**
 * Records a task action and wakes the run's controller. Throws NOT_FOUND for a missing run and
 * INVALID_STATE while a cancel or a retry of the whole run is waiting to be carried out, or while
 * MAX_PENDING_TASK_REQUESTS of its task actions wait. Not idempotent: each call is one more
 * request (the engine ignores one the task is in no state for).
 */
export async function requestTaskAction(db: Queryable, req: TaskRequestInput): Promise<TaskRequestRecord> {
  const { rows } = await db.query<TaskRequestsRow>(
    `with r as (
       update runs set requested = 'tasks', updated_at = now()
       where id = $1 and (requested is null or requested = 'tasks')
         and (select count(*) from task_requests where run_id = $1 and not applied) < $7
       returning id
     )
     insert into task_requests (run_id, task, action, downstream, mark_status, requested_by)
     select r.id, $2, $3, $4, $5, $6 from r returning *`,
    [req.runId, req.task, req.action, req.action === 'retry' ? req.downstream : false, req.action === 'mark' ? req.status : null, req.by, MAX_PENDING_TASK_REQUESTS],
  );
  const row = rows[0];
  if (!row) {
    const run = await getRun(db, req.runId);
    if (!run) throw new KontrolerError('NOT_FOUND', `run ${req.runId} not found`);
    if (run.requested === null || run.requested === 'tasks') {
      throw new KontrolerError('INVALID_STATE', `run ${req.runId} has ${MAX_PENDING_TASK_REQUESTS} task actions waiting for its controller: try again once they are carried out`);
    }
    throw new KontrolerError('INVALID_STATE', `run ${req.runId} has a ${run.requested} waiting to be carried out: try again once it is`);
  }
  await db.query('select pg_notify($1, $2)', [RUNS_CHANNEL, String(req.runId)]);
  return fromRow(row);
}

/**
 * Takes the run's unapplied task requests, oldest first, marking them applied. The run's
 * `requested = 'tasks'` stays until the state they lead to is saved (saveRunState with
 * `clearRequest: 'tasks'`), so a finished run never looks settled in between; then
 * `rearmTaskRequests` asks again for any recorded meanwhile.
 */
export async function takeTaskRequests(db: Queryable, runId: number): Promise<TaskRequestRecord[]> {
  const { rows } = await db.query<TaskRequestsRow>('update task_requests set applied = true where run_id = $1 and not applied returning *', [runId]);
  return rows.map(fromRow).sort((a, b) => a.id - b.id);
}

/**
 * After a save cleared `requested = 'tasks'`: sets it again (and notifies) when task requests were
 * recorded after the last take, so none waits with nothing asking for it. True when it did.
 */
export async function rearmTaskRequests(db: Queryable, runId: number): Promise<boolean> {
  const { rows } = await db.query<{ id: number }>(
    `update runs set requested = 'tasks', updated_at = now()
     where id = $1 and requested is null and exists (select 1 from task_requests where run_id = $1 and not applied) returning id`,
    [runId],
  );
  if (rows.length === 0) return false;
  await db.query('select pg_notify($1, $2)', [RUNS_CHANNEL, String(runId)]);
  return true;
}

/** The run's task requests, newest first (at most `limit`), applied or not. */
export async function listTaskRequests(db: Queryable, runId: number, limit = 100): Promise<TaskRequestRecord[]> {
  const { rows } = await db.query<TaskRequestsRow>('select * from task_requests where run_id = $1 order by id desc limit $2', [runId, limit]);
  return rows.map(fromRow);
}
