import { KontrolerError } from '@kontroler/core';
import type { RunState, TaskState } from '@kontroler/engine';
import { prepared, type PoolLike } from './db.js';
import { ms, toDate } from './records.js';
import { LOGS_CHANNEL, type AttemptLogAppend } from './logs.js';
import { runStateWrites, withLogs, type AttemptWrite } from './run-state-diff.js';

/** Notified (payload `<runId>:<status>`) after every saved change of a run's state. */
export const RUN_STATE_CHANNEL = 'kontroler_run_state';

/**
 * The status changes of the task rows saveRunState writes ($7 names, $8 new statuses), as rows
 * `x(s, d)` of the task row `t`: +1 for its new status, -1 for its old one (the statement's
 * snapshot, before the write). Every task of a run has a row from createRun on (migration 9).
 */
const STATUS_CHANGES = `task_states t join unnest($7::text[], $8::text[]) as u(task, status) on u.task = t.task
         cross join lateral (values (u.status, 1), (t.status, -1)) as x(s, d)`;

/**
 * runs.task_counts after the write: the stored counts plus the status changes. O(tasks written);
 * statuses left with no task are dropped. They count the run's own tasks: instances of a mapped
 * task are counted by their mapped task (the API's instanceCounts), not here. The gc CTE does the same per group (run_group_counts,
 * for DAGs whose graph is grouped).
 */
const TASK_COUNTS_AFTER_WRITE = `(select coalesce(jsonb_object_agg(k, n), '{}'::jsonb) from (
           select k, sum(n)::int as n from (
             select key as k, value::int as n from jsonb_each_text(runs.task_counts)
             union all select x.s, x.d from ${STATUS_CHANGES} where t.run_id = $1 and t.map_of is null) d
           group by k having sum(n) <> 0) c)`;

/** The statement of saveRunState (see there). */
const SAVE_RUN_STATE = prepared(
  'kontroler_save_run_state',
  `with lease as (
     update runs set status = $3, cancel_requested = $4, started_at = $5, finished_at = $6, updated_at = now(), outputs = $41::jsonb,
       requested = case when requested = $27::text then null else requested end,
       task_counts = ${TASK_COUNTS_AFTER_WRITE}
     where id = $1 and owner = $2 and lease_expires_at > now() returning id),
   ts as (
     update task_states t set status = u.status, reason = u.reason, retry_at = u.retry_at, instances = u.instances
     from unnest($7::text[], $8::text[], $9::text[], $10::timestamptz[], $36::int[]) as u(task, status, reason, retry_at, instances)
     where t.run_id = $1 and t.task = u.task and exists (select 1 from lease)
     returning 1),
   ins as (
     -- New instances of mapped tasks, in one statement whatever their number: positions after
     -- every existing row (max position reads the end of the (run_id, position) index), in order.
     insert into task_states (run_id, task, status, reason, retry_at, position, map_of, item_index, item, instances)
     select $1, u.task, u.status, u.reason, u.retry_at,
            coalesce((select max(position) from task_states where run_id = $1), -1) + u.ord::int,
            u.map_of, u.item_index, u.item, u.instances
     from unnest($29::text[], $30::text[], $31::text[], $32::timestamptz[], $33::text[], $34::int[], $35::text[], $37::int[])
          with ordinality as u(task, status, reason, retry_at, map_of, item_index, item, instances, ord)
     where exists (select 1 from lease)
     on conflict (run_id, task) do nothing
     returning 1),
   gc as (
     insert into run_group_counts (run_id, grp, status, n)
     select $1, t.grp, x.s, sum(x.d)::int from ${STATUS_CHANGES}
     where t.run_id = $1 and t.grp is not null and exists (select 1 from lease)
     group by t.grp, x.s having sum(x.d) <> 0
     on conflict (run_id, grp, status) do update set n = run_group_counts.n + excluded.n),
   att as (
     insert into attempts (run_id, task, attempt, status, exit_code, reason, kill_reason, handle, created_at, started_at, finished_at, deadline_at,
                           kind, outputs, resolved)
     select $1, * from unnest($11::text[], $12::int[], $13::text[], $14::int[], $15::text[], $16::text[], $17::text[],
                              $18::timestamptz[], $19::timestamptz[], $20::timestamptz[], $21::timestamptz[],
                              $38::text[], $39::jsonb[], $40::jsonb[])
     where exists (select 1 from lease)
     on conflict (run_id, task, attempt) do update set status = excluded.status, exit_code = excluded.exit_code,
       reason = excluded.reason, kill_reason = excluded.kill_reason, handle = excluded.handle,
       started_at = excluded.started_at, finished_at = excluded.finished_at, deadline_at = excluded.deadline_at,
       kind = excluded.kind, outputs = excluded.outputs, resolved = excluded.resolved
     returning 1),
   atl as (
     -- Attempts whose log is stored with this save (an ended attempt's last output): the columns
     -- of att, and the log's size only where the stored log ends at the append's start (as in
     -- appendLogs: a log never has a gap; a refused append is left out).
     update attempts a set status = u.status, exit_code = u.exit_code, reason = u.reason, kill_reason = u.kill_reason, handle = u.handle,
       started_at = u.started_at, finished_at = u.finished_at, deadline_at = u.deadline_at, kind = u.kind, outputs = u.outputs, resolved = u.resolved,
       log_size = case when a.log_size = u.log_from then u.log_stop else a.log_size end,
       log_received = case when a.log_size = u.log_from then u.log_received else a.log_received end,
       log_line = case when a.log_size = u.log_from then u.log_line else a.log_line end
     from unnest($42::text[], $43::int[], $44::text[], $45::int[], $46::text[], $47::text[], $48::text[],
                 $49::timestamptz[], $50::timestamptz[], $51::timestamptz[], $52::text[], $53::jsonb[], $54::jsonb[],
                 $55::bigint[], $56::bigint[], $57::bigint[], $58::int[])
          as u(task, attempt, status, exit_code, reason, kill_reason, handle, started_at, finished_at, deadline_at, kind, outputs, resolved,
               log_from, log_stop, log_received, log_line)
     where a.run_id = $1 and a.task = u.task and a.attempt = u.attempt and exists (select 1 from lease)
     returning a.task, a.attempt, a.log_size, u.log_stop),
   logs as (
     insert into attempt_logs (run_id, task, attempt, "offset", data)
     select $1, c.task, c.attempt, c."offset", c.data
     from unnest($59::text[], $60::int[], $61::bigint[], $62::bytea[]) as c(task, attempt, "offset", data)
     join atl on atl.task = c.task and atl.attempt = c.attempt and atl.log_size = atl.log_stop
     on conflict (run_id, task, attempt, "offset") do update set data = excluded.data
     returning 1),
   hooks as (
     insert into webhook_deliveries (run_id, idempotency_key, url, verify_ssl, event, payload)
     select $1, * from unnest($22::text[], $23::text[], $24::bool[], $25::text[], $26::jsonb[]) where exists (select 1 from lease)
     on conflict (idempotency_key) do nothing
     returning 1)
   select (select count(*) from lease)::int as held,
          case when exists (select 1 from lease) then pg_notify($28, $1::text || ':' || $3) end,
          case when exists (select 1 from hooks) then pg_notify('kontroler_webhooks', $1::text) end,
          case when exists (select 1 from logs) then pg_notify($63, $1::text) end,
          (select count(*) from ts) + (select count(*) from ins) + (select count(*) from att) + (select count(*) from atl) as written`,
);

export interface WebhookOutboxItem {
  idempotencyKey: string;
  url: string;
  verifySSL: boolean;
  event: string;
  payload: Record<string, unknown>;
}

export interface SaveRunStateInput {
  runId: number;
  owner: string;
  prev: RunState;
  next: RunState;
  /**
   * The tasks that changed from `prev` to `next` (the decision's `changed`): only their rows are
   * compared and written, so a save costs what the decision changed, not the run's size.
   */
  changed: readonly string[];
  /** Clears the cancel / retry request (or `tasks`: the task actions) the controller just fed to the engine. */
  clearRequest?: 'cancel' | 'retry' | 'tasks';
  webhooks?: readonly WebhookOutboxItem[];
  /**
   * Logs stored with this save (an ended attempt's last output, see the controller's
   * LogWriter.takeEnd): each is written with its attempt's row, only where the stored log ends at
   * its `from`.
   */
  logs?: readonly AttemptLogAppend[];
}

/**
 * Writes the difference between `prev` and `next` (the `changed` tasks and their changed attempts,
 * see `runStateWrites`; the run's status) and queues webhooks, atomically and only while `owner`
 * holds the run's lease, and keeps runs.task_counts current from the status changes it writes. It is one SQL
 * statement (one round trip): the lease check is the run update, and every other write happens
 * only when that update matched. Throws LEASE_LOST when the lease is gone: the caller must drop
 * the run.
 */
export async function saveRunState(pool: PoolLike, input: SaveRunStateInput): Promise<void> {
  const { prev, next, runId } = input;
  const writes = runStateWrites(prev, next, input.changed);
  const { tasks: taskRows, inserted } = writes;
  const { plain: attemptRows, logged } = withLogs(writes.attempts, input.logs ?? [], prev, next);
  const hooks = input.webhooks ?? [];
  const col = <T>(f: (x: AttemptWrite) => T) => attemptRows.map(f);
  const lcol = <T>(f: (x: AttemptWrite) => T) => logged.map((l) => f(l.write));
  const chunks = logged.flatMap((l) => l.log.chunks);
  const { rows } = await pool.query<{ held: number }>(
    SAVE_RUN_STATE,
    [
      runId,
      input.owner,
      next.status,
      next.cancelRequested,
      toDate(next.startedAt),
      toDate(next.finishedAt),
      taskRows.map((t) => t.name),
      taskRows.map((t) => t.status),
      taskRows.map((t) => t.reason ?? null),
      taskRows.map((t) => toDate(t.retryAt)),
      col((x) => x.task),
      col((x) => x.a.attempt),
      col((x) => x.a.status),
      col((x) => x.a.exitCode ?? null),
      col((x) => x.a.reason ?? null),
      col((x) => x.a.killReason ?? null),
      col((x) => x.a.handle ?? null),
      col((x) => new Date(x.a.createdAt)),
      col((x) => toDate(x.a.startedAt)),
      col((x) => toDate(x.a.finishedAt)),
      col((x) => toDate(x.a.deadlineAt)),
      hooks.map((i) => i.idempotencyKey),
      hooks.map((i) => i.url),
      hooks.map((i) => i.verifySSL),
      hooks.map((i) => i.event),
      hooks.map((i) => JSON.stringify(i.payload)),
      input.clearRequest ?? null,
      RUN_STATE_CHANNEL,
      ...insertColumns(inserted),
      taskRows.map((t) => t.instances ?? null),
      inserted.map((t) => t.instances ?? null),
      col((x) => x.a.kind ?? null),
      col((x) => json(x.a.outputs)),
      col((x) => json(x.a.resolved)),
      json(next.outputs),
      lcol((x) => x.task),
      lcol((x) => x.a.attempt),
      lcol((x) => x.a.status),
      lcol((x) => x.a.exitCode ?? null),
      lcol((x) => x.a.reason ?? null),
      lcol((x) => x.a.killReason ?? null),
      lcol((x) => x.a.handle ?? null),
      lcol((x) => toDate(x.a.startedAt)),
      lcol((x) => toDate(x.a.finishedAt)),
      lcol((x) => toDate(x.a.deadlineAt)),
      lcol((x) => x.a.kind ?? null),
      lcol((x) => json(x.a.outputs)),
      lcol((x) => json(x.a.resolved)),
      logged.map((l) => l.log.from),
      logged.map((l) => l.log.state.size),
      logged.map((l) => l.log.state.received),
      logged.map((l) => l.log.state.line),
      chunks.map((c) => c.task),
      chunks.map((c) => c.attempt),
      chunks.map((c) => c.offset),
      chunks.map((c) => Buffer.from(c.data.buffer, c.data.byteOffset, c.data.byteLength)),
      LOGS_CHANNEL,
    ],
  );
  if (rows[0]?.held !== 1) {
    throw new KontrolerError('LEASE_LOST', `lease lost on run ${runId}: another controller owns it now`, { retryable: false });
  }
}

/** A value as jsonb text, or null when absent. */
const json = (v: unknown): string | null => (v === undefined ? null : JSON.stringify(v));

/** The columns of the rows to insert ($29..$35): new instances of mapped tasks. */
function insertColumns(rows: readonly TaskState[]): unknown[] {
  return [
    rows.map((t) => t.name),
    rows.map((t) => t.status),
    rows.map((t) => t.reason ?? null),
    rows.map((t) => toDate(t.retryAt)),
    rows.map((t) => t.mapOf ?? null),
    rows.map((t) => t.index ?? null),
    rows.map((t) => json(t.item)),
  ];
}

export { ms };
