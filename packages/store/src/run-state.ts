import { KontrolerError } from '@kontroler/core';
import type { RunState } from '@kontroler/engine';
import type { PoolLike } from './db.js';
import { ms, toDate } from './records.js';
import { runStateWrites, type AttemptWrite } from './run-state-diff.js';

/** Notified (payload `<runId>:<status>`) after every saved change of a run's state. */
export const RUN_STATE_CHANNEL = 'kontroler_run_state';

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
  /** Clears the cancel / retry request the controller just fed to the engine. */
  clearRequest?: 'cancel' | 'retry';
  webhooks?: readonly WebhookOutboxItem[];
}

/**
 * Writes the difference between `prev` and `next` (the `changed` tasks and their changed attempts,
 * see `runStateWrites`; the run's status) and queues webhooks, atomically and only while `owner`
 * holds the run's lease. It is one SQL
 * statement (one round trip): the lease check is the run update, and every other write happens
 * only when that update matched. Throws LEASE_LOST when the lease is gone: the caller must drop
 * the run.
 */
export async function saveRunState(pool: PoolLike, input: SaveRunStateInput): Promise<void> {
  const { prev, next, runId } = input;
  const { tasks: taskRows, attempts: attemptRows } = runStateWrites(prev, next, input.changed);
  const hooks = input.webhooks ?? [];
  const col = <T>(f: (x: AttemptWrite) => T) => attemptRows.map(f);
  const { rows } = await pool.query<{ held: number }>(
    `with lease as (
       update runs set status = $3, cancel_requested = $4, started_at = $5, finished_at = $6, updated_at = now(),
         requested = case when requested = $27::text then null else requested end
       where id = $1 and owner = $2 and lease_expires_at > now() returning id),
     ts as (
       insert into task_states (run_id, task, status, reason, retry_at)
       select $1, * from unnest($7::text[], $8::text[], $9::text[], $10::timestamptz[]) where exists (select 1 from lease)
       on conflict (run_id, task) do update set status = excluded.status, reason = excluded.reason, retry_at = excluded.retry_at
       returning 1),
     att as (
       insert into attempts (run_id, task, attempt, status, exit_code, reason, kill_reason, handle, created_at, started_at, finished_at, deadline_at)
       select $1, * from unnest($11::text[], $12::int[], $13::text[], $14::int[], $15::text[], $16::text[], $17::text[],
                                $18::timestamptz[], $19::timestamptz[], $20::timestamptz[], $21::timestamptz[])
       where exists (select 1 from lease)
       on conflict (run_id, task, attempt) do update set status = excluded.status, exit_code = excluded.exit_code,
         reason = excluded.reason, kill_reason = excluded.kill_reason, handle = excluded.handle,
         started_at = excluded.started_at, finished_at = excluded.finished_at, deadline_at = excluded.deadline_at
       returning 1),
     hooks as (
       insert into webhook_deliveries (run_id, idempotency_key, url, verify_ssl, event, payload)
       select $1, * from unnest($22::text[], $23::text[], $24::bool[], $25::text[], $26::jsonb[]) where exists (select 1 from lease)
       on conflict (idempotency_key) do nothing
       returning 1)
     select (select count(*) from lease)::int as held,
            case when exists (select 1 from lease) then pg_notify($28, $1::text || ':' || $3) end,
            case when exists (select 1 from hooks) then pg_notify('kontroler_webhooks', $1::text) end,
            (select count(*) from ts) + (select count(*) from att) as written`,
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
    ],
  );
  if (rows[0]?.held !== 1) {
    throw new KontrolerError('LEASE_LOST', `lease lost on run ${runId}: another controller owns it now`, { retryable: false });
  }
}

export { ms };
