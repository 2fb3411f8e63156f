// Backfills (issue 18): one run per fire time of a DAG's schedule in [from, to), with that
// logical time, at most `maxActive` of them pending or running at once. A backfill's fire times
// are rows (backfill_fires); a fire gets its run only when the backfill has room, created by
// `releaseBackfills` in the transaction that counts the active runs, so the bound holds across
// controllers and crashes: all state is here, and whichever process releases next carries on.
import { KontrolerError, fireTimesInRange, hasCode, type ErrorCode } from '@kontroler/core';
import type { PoolLike, Queryable } from './db.js';
import { transaction } from './db.js';
import { getDagVersion } from './dags.js';
import { startRun } from './apply.js';
import { RUNS_CHANNEL } from './runs.js';
import { scheduledRunName } from './run-names.js';
import type { BackfillFiresRow, BackfillsRow } from './rows/backfills.js';

/** The most fire times one backfill covers; a longer range is refused (naming `to`). */
export const BACKFILL_MAX_FIRES = 10_000;
/** The most runs of one backfill active at once that may be asked for. */
export const BACKFILL_MAX_ACTIVE = 100;
/** Active runs of a backfill when none is asked for. */
export const BACKFILL_DEFAULT_MAX_ACTIVE = 1;

export const BACKFILLS_CHANNEL = 'kontroler_backfills';

export type BackfillStatus = 'running' | 'succeeded' | 'failed' | 'canceled';

export interface BackfillProgress {
  /** Fire times whose run succeeded. */
  done: number;
  /** Runs pending or running. */
  running: number;
  /** Runs failed or canceled. */
  failed: number;
  /** Fire times without a run yet (released as runs end). */
  pending: number;
  /** Fire times skipped: a run of the DAG for that time existed already. */
  skipped: number;
  /** Fire times in the range. */
  total: number;
}

export interface BackfillRecord {
  id: number;
  dagId: number;
  namespace: string;
  dagName: string;
  from: number;
  to: number;
  maxActive: number;
  reverse: boolean;
  createdBy: string;
  status: BackfillStatus;
  error: string | null;
  createdAt: number;
  finishedAt: number | null;
  progress: BackfillProgress;
}

export interface BackfillInput {
  namespace: string;
  dagName: string;
  from: number;
  to: number;
  maxActive?: number;
  reverse?: boolean;
  createdBy: string;
  /** The Backfill object asking for it (Kubernetes mode): a second create for it returns the first. */
  kubeObjectUid?: string;
}

export interface SkippedFire {
  at: number;
  runId: number;
  runName: string;
}

export interface BackfillPlan {
  /** The fire times that get a run, in the order they are released. */
  fireTimes: number[];
  /** Fire times that have a run of the DAG already (scheduled or backfilled). */
  skipped: SkippedFire[];
  skippedCount: number;
}

function bad(path: string, message: string): KontrolerError {
  return new KontrolerError('VALIDATION_FAILED', `${path}: ${message}`, { details: [{ path, message }] });
}

/**
 * The fire times a backfill of the DAG over [from, to) covers and which of them already have a run
 * (by the run name a schedule gives a fire, `<dag>-<unix time>`). Throws NOT_FOUND for an unknown
 * DAG, VALIDATION_FAILED (with details naming `from`, `to`, `maxActive` or `dag`) for a bad range, a
 * range of more than BACKFILL_MAX_FIRES fire times, or a DAG without a schedule. Reads only.
 */
export async function planBackfill(db: Queryable, input: BackfillInput): Promise<BackfillPlan & { dagId: number }> {
  if (!Number.isFinite(input.from)) throw bad('from', 'is not a time');
  if (!Number.isFinite(input.to)) throw bad('to', 'is not a time');
  if (input.to <= input.from) throw bad('to', 'must be after from (the range is [from, to))');
  const maxActive = input.maxActive ?? BACKFILL_DEFAULT_MAX_ACTIVE;
  if (!Number.isInteger(maxActive) || maxActive < 1 || maxActive > BACKFILL_MAX_ACTIVE) throw bad('maxActive', `must be an integer from 1 to ${BACKFILL_MAX_ACTIVE}`);
  const v = await getDagVersion(db, input.namespace, input.dagName);
  if (!v || v.dag.deletedAt !== null) throw new KontrolerError('NOT_FOUND', `DAG ${input.namespace}/${input.dagName} not found: apply it first`);
  const schedule = v.definition.schedule;
  if (!schedule) {
    throw bad('dag', `DAG ${input.namespace}/${input.dagName} has no schedule: a backfill runs a schedule's fire times (give the DAG spec.schedule, or start runs by hand)`);
  }
  const { times, more } = fireTimesInRange(schedule, v.definition.timezone, new Date(input.from), new Date(input.to), BACKFILL_MAX_FIRES);
  if (more) {
    const last = times[times.length - 1];
    throw bad('to', `the range holds more than ${BACKFILL_MAX_FIRES} fire times of "${schedule}" (${v.definition.timezone}); the ${BACKFILL_MAX_FIRES}th is ${last ? new Date(last.getTime()).toISOString() : '?'}: end the range by then and backfill the rest in another backfill`);
  }
  const all = times.map((d) => d.getTime());
  const names = all.map((t) => scheduledRunName(input.dagName, t));
  const { rows } = await db.query<{ id: number; name: string }>('select id, name from runs where namespace = $1 and name = any($2::text[])', [input.namespace, names]);
  const existing = new Map(rows.map((r) => [r.name, Number(r.id)]));
  const fireTimes: number[] = [];
  const skipped: SkippedFire[] = [];
  all.forEach((at, i) => {
    const name = names[i] ?? '';
    const runId = existing.get(name);
    if (runId === undefined) fireTimes.push(at);
    else skipped.push({ at, runId, runName: name });
  });
  if (input.reverse) fireTimes.reverse();
  return { dagId: v.dagId, fireTimes, skipped, skippedCount: skipped.length };
}

/**
 * Creates a backfill with its fire times (those that have a run already recorded as skipped, with
 * that run) and releases its first runs, up to maxActive, in one transaction. Throws as
 * `planBackfill`. Not idempotent itself, but a second backfill of a range skips every fire time
 * the first one covers.
 */
export async function createBackfill(pool: PoolLike, input: BackfillInput): Promise<{ backfill: BackfillRecord; plan: BackfillPlan }> {
  const { id, plan } = await transaction(pool, async (tx) => {
    const plan = await planBackfill(tx, input);
    const { rows } = await tx.query<BackfillsRow>(
      `insert into backfills (dag_id, namespace, dag_name, from_time, to_time, max_active, reverse, created_by, kube_object_uid)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning *`,
      [plan.dagId, input.namespace, input.dagName, new Date(input.from), new Date(input.to), input.maxActive ?? BACKFILL_DEFAULT_MAX_ACTIVE, input.reverse ?? false, input.createdBy, input.kubeObjectUid ?? null],
    );
    const row = rows[0]!;
    const id = Number(row.id);
    await tx.query(`insert into backfill_fires (backfill_id, fire_at) select $1, t from unnest($2::timestamptz[]) as t`, [id, plan.fireTimes.map((t) => new Date(t))]);
    await tx.query(
      `insert into backfill_fires (backfill_id, fire_at, released_at, run_id, skipped)
       select $1, t, now(), r, true from unnest($2::timestamptz[], $3::bigint[]) as s(t, r)`,
      [id, plan.skipped.map((f) => new Date(f.at)), plan.skipped.map((f) => f.runId)],
    );
    await releaseLocked(tx, row);
    await tx.query('select pg_notify($1, $2)', [BACKFILLS_CHANNEL, String(id)]);
    return { id, plan };
  });
  return { backfill: (await getBackfill(pool, id))!, plan };
}

/**
 * Gives every running backfill (up to `limit`, each locked by one process at a time) runs for its
 * next pending fire times, oldest first (newest first with `reverse`), until maxActive of its runs
 * are pending or running; a backfill with nothing left to release and nothing active gets its
 * final status. Safe to call from any number of processes at any time (idempotent, level-based).
 * Returns the number of runs created.
 */
export async function releaseBackfills(pool: PoolLike, limit = 100): Promise<number> {
  const { rows } = await pool.query<{ id: number }>(`select id from backfills where status = 'running' order by id limit $1`, [limit]);
  let created = 0;
  for (const r of rows) {
    created += await transaction(pool, async (tx) => {
      const locked = await tx.query<BackfillsRow>(`select * from backfills where id = $1 and status = 'running' for update skip locked`, [r.id]);
      return locked.rows[0] ? releaseLocked(tx, locked.rows[0]) : 0;
    });
  }
  return created;
}

/** Errors of `startRun` that no retry mends: they fail the backfill, naming why. */
const STOPS_BACKFILL: readonly ErrorCode[] = ['NOT_FOUND', 'UNKNOWN_PARAMETER', 'VALIDATION_FAILED'];

/** Releases one backfill whose row `tx` holds locked; returns the runs created. */
async function releaseLocked(tx: Queryable, b: BackfillsRow): Promise<number> {
  const id = Number(b.id);
  let room = b.max_active - (await activeRuns(tx, id));
  let created = 0;
  while (room > 0) {
    const { rows } = await tx.query<Pick<BackfillFiresRow, 'fire_at'>>(
      `select fire_at from backfill_fires where backfill_id = $1 and released_at is null order by fire_at ${b.reverse ? 'desc' : 'asc'} limit $2`,
      [id, room],
    );
    if (rows.length === 0) break;
    for (const f of rows) {
      const at = f.fire_at.getTime();
      let started;
      try {
        started = await startRun(tx, { namespace: b.namespace, dagName: b.dag_name, name: scheduledRunName(b.dag_name, at), trigger: 'backfill', scheduledFor: at, backfillId: id });
      } catch (e) {
        // The DAG was deleted, or its parameters no longer start: the backfill cannot go on. Any
        // other error (the database) is the caller's to retry: the transaction rolls back.
        if (!STOPS_BACKFILL.some((code) => hasCode(e, code))) throw e;
        await tx.query(`update backfills set status = 'failed', error = $2, finished_at = now() where id = $1`, [id, e instanceof Error ? e.message : String(e)]);
        return created;
      }
      // A run for that time appeared since (the schedule fired it): it stands for the fire.
      await tx.query('update backfill_fires set released_at = now(), run_id = $3, skipped = $4 where backfill_id = $1 and fire_at = $2', [id, f.fire_at, started.run.id, !started.created]);
      if (started.created) {
        created++;
        room--;
      }
    }
  }
  if (room > 0) await finishIfDone(tx, id);
  return created;
}

async function activeRuns(db: Queryable, backfillId: number): Promise<number> {
  const { rows } = await db.query<{ n: number }>(`select count(*)::int as n from runs where backfill_id = $1 and status in ('pending', 'running')`, [backfillId]);
  return rows[0]?.n ?? 0;
}

/** The final status once nothing is pending or active: failed when a run failed or was canceled. */
async function finishIfDone(tx: Queryable, id: number): Promise<void> {
  await tx.query(
    `update backfills b set status = case when exists (select 1 from runs r where r.backfill_id = b.id and r.status in ('failed', 'canceled')) then 'failed' else 'succeeded' end,
       finished_at = now()
     where b.id = $1 and b.status = 'running'
       and not exists (select 1 from backfill_fires f where f.backfill_id = b.id and f.released_at is null)
       and not exists (select 1 from runs r where r.backfill_id = b.id and r.status in ('pending', 'running'))`,
    [id],
  );
}

/**
 * Cancels a backfill: no further fire time is released, and its pending and running runs are asked
 * to cancel. Idempotent for a canceled backfill; INVALID_STATE for a finished one; NOT_FOUND.
 * Returns the backfill and how many runs were asked to cancel.
 */
export async function cancelBackfill(pool: PoolLike, id: number): Promise<{ backfill: BackfillRecord; canceledRuns: number }> {
  const canceledRuns = await transaction(pool, async (tx) => {
    const { rows } = await tx.query<BackfillsRow>('select * from backfills where id = $1 for update', [id]);
    const b = rows[0];
    if (!b) throw new KontrolerError('NOT_FOUND', `backfill ${id} not found`);
    if (b.status === 'succeeded' || b.status === 'failed') throw new KontrolerError('INVALID_STATE', `backfill ${id} is ${b.status}: only a running backfill can be canceled`);
    await tx.query(`update backfills set status = 'canceled', finished_at = coalesce(finished_at, now()) where id = $1`, [id]);
    const runs = await tx.query<{ id: number }>(
      `update runs set requested = 'cancel', updated_at = now() where backfill_id = $1 and status in ('pending', 'running') and requested is distinct from 'cancel' returning id`,
      [id],
    );
    for (const r of runs.rows) await tx.query('select pg_notify($1, $2)', [RUNS_CHANNEL, String(r.id)]);
    return runs.rows.length;
  });
  return { backfill: (await getBackfill(pool, id))!, canceledRuns };
}

/** The backfill a Backfill object (by its uid) created, if any. */
export async function getBackfillByKubeUid(db: Queryable, uid: string): Promise<BackfillRecord | undefined> {
  const { rows } = await db.query<BackfillsRow>('select * from backfills where kube_object_uid = $1', [uid]);
  return rows[0] ? (await withProgress(db, rows))[0] : undefined;
}

export async function getBackfill(db: Queryable, id: number): Promise<BackfillRecord | undefined> {
  const { rows } = await db.query<BackfillsRow>('select * from backfills where id = $1', [id]);
  const row = rows[0];
  if (!row) return undefined;
  return (await withProgress(db, [row]))[0];
}

export interface ListBackfillsQuery {
  namespace?: string;
  dagName?: string;
  /** Only these namespaces (RBAC); undefined: all. */
  namespaces?: readonly string[];
  beforeId?: number;
  limit: number;
}

/** The most backfills one listing returns. */
export const BACKFILLS_MAX_LIMIT = 200;

/** Backfills newest first, with their progress; page with `beforeId`. */
export async function listBackfills(db: Queryable, q: ListBackfillsQuery): Promise<BackfillRecord[]> {
  const where: string[] = [];
  const args: unknown[] = [];
  if (q.namespace !== undefined) where.push(`namespace = $${args.push(q.namespace)}`);
  if (q.dagName !== undefined) where.push(`dag_name = $${args.push(q.dagName)}`);
  if (q.namespaces !== undefined) where.push(`namespace = any($${args.push([...q.namespaces])}::text[])`);
  if (q.beforeId !== undefined) where.push(`id < $${args.push(q.beforeId)}`);
  const limit = Math.max(1, Math.min(BACKFILLS_MAX_LIMIT, Math.floor(q.limit)));
  const { rows } = await db.query<BackfillsRow>(
    `select * from backfills ${where.length > 0 ? `where ${where.join(' and ')}` : ''} order by id desc limit $${args.push(limit)}`,
    args,
  );
  return withProgress(db, rows);
}

/** The fire times of a backfill with their runs, in release order (at most `limit`). */
export async function listBackfillFires(db: Queryable, id: number, limit: number): Promise<Array<{ at: number; runId: number | null; status: string | null; skipped: boolean }>> {
  const { rows } = await db.query<{ fire_at: Date; run_id: number | null; status: string | null; skipped: boolean }>(
    `select f.fire_at, f.run_id, r.status, f.skipped from backfill_fires f left join runs r on r.id = f.run_id
     where f.backfill_id = $1 order by f.fire_at limit $2`,
    [id, limit],
  );
  return rows.map((r) => ({ at: r.fire_at.getTime(), runId: r.run_id === null ? null : Number(r.run_id), status: r.status, skipped: r.skipped }));
}

async function withProgress(db: Queryable, rows: readonly BackfillsRow[]): Promise<BackfillRecord[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => Number(r.id));
  const { rows: counts } = await db.query<{ backfill_id: number; total: number; skipped: number; pending: number; done: number; running: number; failed: number }>(
    `select f.backfill_id,
       count(*)::int as total,
       (count(*) filter (where f.skipped))::int as skipped,
       (count(*) filter (where f.released_at is null))::int as pending,
       (count(*) filter (where not f.skipped and r.status = 'succeeded'))::int as done,
       (count(*) filter (where not f.skipped and r.status in ('pending', 'running')))::int as running,
       (count(*) filter (where not f.skipped and r.status in ('failed', 'canceled')))::int as failed
     from backfill_fires f left join runs r on r.id = f.run_id
     where f.backfill_id = any($1::bigint[]) group by f.backfill_id`,
    [ids],
  );
  const by = new Map(counts.map((c) => [Number(c.backfill_id), c]));
  return rows.map((r) => {
    const c = by.get(Number(r.id));
    return {
      id: Number(r.id),
      dagId: Number(r.dag_id),
      namespace: r.namespace,
      dagName: r.dag_name,
      from: r.from_time.getTime(),
      to: r.to_time.getTime(),
      maxActive: r.max_active,
      reverse: r.reverse,
      createdBy: r.created_by,
      status: r.status,
      error: r.error,
      createdAt: r.created_at.getTime(),
      finishedAt: r.finished_at ? r.finished_at.getTime() : null,
      progress: { done: c?.done ?? 0, running: c?.running ?? 0, failed: c?.failed ?? 0, pending: c?.pending ?? 0, skipped: c?.skipped ?? 0, total: c?.total ?? 0 },
    };
  });
}
