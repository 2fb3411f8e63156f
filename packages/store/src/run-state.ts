import type { DagDefinition } from '@kontroler/core';
import { KontrolerError } from '@kontroler/core';
import type { AttemptState, RunState, TaskState } from '@kontroler/engine';
import type { PoolLike, Queryable } from './db.js';
import { transaction } from './db.js';
import type { RunDetail, Row } from './records.js';
import { attemptFromRow, ms, msOr, runFromRow, toDate } from './records.js';

/** Notified (payload `<runId>:<status>`) after every saved change of a run's state. */
export const RUN_STATE_CHANNEL = 'kontroler_run_state';

/** A run with its definition snapshot and its full state, or undefined. */
export async function loadRun(db: Queryable, runId: number): Promise<RunDetail | undefined> {
  const r = await db.query<Row>(
    `select r.*, v.definition from runs r join dag_versions v on v.dag_id = r.dag_id and v.version = r.dag_version where r.id = $1`,
    [runId],
  );
  const row = r.rows[0];
  if (!row) return undefined;
  const run = runFromRow(row);
  const definition = row.definition as DagDefinition;
  const [ts, as] = await Promise.all([
    db.query<Row>('select * from task_states where run_id = $1', [runId]),
    db.query<Row>('select * from attempts where run_id = $1 order by task, attempt', [runId]),
  ]);
  const attempts = new Map<string, AttemptState[]>();
  const logSizes: Record<string, number> = {};
  for (const a of as.rows) {
    const rec = attemptFromRow(a);
    const { task, logSize, ...state } = rec;
    logSizes[`${task}#${rec.attempt}`] = logSize;
    const list = attempts.get(task) ?? [];
    list.push(state);
    attempts.set(task, list);
  }
  const byTask = new Map(ts.rows.map((t) => [String(t.task), t]));
  const tasks: Record<string, TaskState> = {};
  for (const t of definition.tasks) {
    const row = byTask.get(t.name);
    const retryAt = msOr(row?.retry_at);
    const reason = row?.reason as string | null | undefined;
    tasks[t.name] = {
      name: t.name,
      status: (row?.status as TaskState['status'] | undefined) ?? 'pending',
      attempts: attempts.get(t.name) ?? [],
      ...(retryAt !== undefined ? { retryAt } : {}),
      ...(reason ? { reason } : {}),
    };
  }
  const startedAt = msOr(row.started_at);
  const finishedAt = msOr(row.finished_at);
  const state: RunState = {
    status: run.status,
    tasks,
    cancelRequested: run.cancelRequested,
    ...(startedAt !== undefined ? { startedAt } : {}),
    ...(finishedAt !== undefined ? { finishedAt } : {}),
  };
  return { run, definition, state, logSizes };
}

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
  /** Clears the cancel / retry request the controller just fed to the engine. */
  clearRequest?: 'cancel' | 'retry';
  webhooks?: readonly WebhookOutboxItem[];
}

/**
 * Writes the difference between `prev` and `next` (changed tasks and attempts, run status) and
 * queues webhooks, in one transaction, only while `owner` holds the run's lease. Throws
 * LEASE_LOST when the lease is gone: the caller must drop the run.
 */
export async function saveRunState(pool: PoolLike, input: SaveRunStateInput): Promise<void> {
  await transaction(pool, async (tx) => {
    const held = await tx.query('select 1 from runs where id = $1 and owner = $2 and lease_expires_at > now() for update', [input.runId, input.owner]);
    if (held.rowCount === 0) {
      throw new KontrolerError('LEASE_LOST', `lease lost on run ${input.runId}: another controller owns it now`, { retryable: false });
    }
    await writeDiff(tx, input);
    await tx.query('select pg_notify($1, $2)', [RUN_STATE_CHANNEL, `${input.runId}:${input.next.status}`]);
    if (input.webhooks && input.webhooks.length > 0) await queueWebhooks(tx, input.runId, input.webhooks);
  });
}

async function writeDiff(tx: Queryable, input: SaveRunStateInput): Promise<void> {
  const { prev, next, runId } = input;
  const taskRows: TaskState[] = [];
  const attemptRows: Array<{ task: string; a: AttemptState }> = [];
  for (const [name, t] of Object.entries(next.tasks)) {
    const before = prev.tasks[name];
    if (before === t) continue;
    if (!before || before.status !== t.status || before.reason !== t.reason || before.retryAt !== t.retryAt) taskRows.push(t);
    t.attempts.forEach((a, i) => {
      if (before?.attempts[i] !== a) attemptRows.push({ task: name, a });
    });
  }
  if (taskRows.length > 0) {
    await tx.query(
      `insert into task_states (run_id, task, status, reason, retry_at)
       select $1, * from unnest($2::text[], $3::text[], $4::text[], $5::timestamptz[])
       on conflict (run_id, task) do update set status = excluded.status, reason = excluded.reason, retry_at = excluded.retry_at`,
      [runId, taskRows.map((t) => t.name), taskRows.map((t) => t.status), taskRows.map((t) => t.reason ?? null), taskRows.map((t) => toDate(t.retryAt))],
    );
  }
  if (attemptRows.length > 0) {
    const col = <T>(f: (x: { task: string; a: AttemptState }) => T) => attemptRows.map(f);
    await tx.query(
      `insert into attempts (run_id, task, attempt, status, exit_code, reason, kill_reason, handle, created_at, started_at, finished_at, deadline_at)
       select $1, * from unnest($2::text[], $3::int[], $4::text[], $5::int[], $6::text[], $7::text[], $8::text[],
                                $9::timestamptz[], $10::timestamptz[], $11::timestamptz[], $12::timestamptz[])
       on conflict (run_id, task, attempt) do update set status = excluded.status, exit_code = excluded.exit_code,
         reason = excluded.reason, kill_reason = excluded.kill_reason, handle = excluded.handle,
         started_at = excluded.started_at, finished_at = excluded.finished_at, deadline_at = excluded.deadline_at`,
      [
        runId,
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
      ],
    );
  }
  const clear = input.clearRequest ? `, requested = case when requested = '${input.clearRequest}' then null else requested end` : '';
  if (
    prev.status !== next.status ||
    prev.cancelRequested !== next.cancelRequested ||
    prev.startedAt !== next.startedAt ||
    prev.finishedAt !== next.finishedAt ||
    clear
  ) {
    await tx.query(
      `update runs set status = $2, cancel_requested = $3, started_at = $4, finished_at = $5, updated_at = now() ${clear} where id = $1`,
      [runId, next.status, next.cancelRequested, toDate(next.startedAt), toDate(next.finishedAt)],
    );
  }
}

async function queueWebhooks(tx: Queryable, runId: number, items: readonly WebhookOutboxItem[]): Promise<void> {
  await tx.query(
    `insert into webhook_deliveries (run_id, idempotency_key, url, verify_ssl, event, payload)
     select $1, * from unnest($2::text[], $3::text[], $4::bool[], $5::text[], $6::jsonb[])
     on conflict (idempotency_key) do nothing`,
    [runId, items.map((i) => i.idempotencyKey), items.map((i) => i.url), items.map((i) => i.verifySSL), items.map((i) => i.event), items.map((i) => JSON.stringify(i.payload))],
  );
  await tx.query(`select pg_notify('kontroler_webhooks', $1)`, [String(runId)]);
}

export { ms };
