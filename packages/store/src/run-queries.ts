// Read-side queries of the API: run and DAG listings with filters and keyset cursors, attempts.
import type { RunStatus } from '@kontroler/engine';
import type { Queryable } from './db.js';
import type { AttemptRecord, DagRecord, RunRecord } from './records.js';
import { attemptFromRow, dagFromRow, runFromRow } from './records.js';
import { pageSize, runWhere, type RunFilter } from './run-filter.js';
import type { AttemptsRow, DagsRow, RunRow, RunsRow } from './rows.js';
import type { DagTaskVersionsRow, DagTasksRow } from './rows/definitions.js';

export interface RunPageQuery extends RunFilter {
  /** Page size, at most PAGE_MAX_LIMIT. */
  limit: number;
}

/** The most items one page of the API's listings (runs, DAGs, DagTasks) holds. */
export const PAGE_MAX_LIMIT = 500;

const RUN_LIST_COLUMNS = `id, dag_id, dag_version, namespace, dag_name, name, status, trigger, scheduled_for, parameters,
  '{}'::jsonb as secret_refs, cancel_requested, requested, owner, lease_expires_at, created_at, started_at, finished_at,
  parent_run_id, parent_task, parent_attempt, depth, prev_logical_time, logical_timezone, backfill_id`;

/** The inner query of a run page: one row more than `limit`, to tell whether more follow. */
function runPage(q: RunPageQuery): { text: string; args: unknown[]; limit: number } {
  const args: unknown[] = [];
  const where = runWhere(q, args);
  const limit = pageSize(q.limit, PAGE_MAX_LIMIT);
  return { text: `select ${RUN_LIST_COLUMNS} from runs ${where} order by id desc limit $${args.push(limit + 1)}`, args, limit };
}

/**
 * One page of runs, newest first, plus whether more follow. Served by the runs_by_* indexes for
 * every single filter, so deep pages cost the same as the first.
 */
export async function listRunsPage(db: Queryable, q: RunPageQuery): Promise<{ runs: RunRecord[]; more: boolean }> {
  const { text, args, limit } = runPage(q);
  const { rows } = await db.query<RunRow>(text, args);
  const more = rows.length > limit;
  return { runs: rows.slice(0, limit).map(runFromRow), more };
}

/**
 * `listRunsPage` with each run's task status counts (runs.task_counts: statuses with no task may
 * be absent), in one round trip (the API's run listing).
 */
export async function listRunsWithCounts(db: Queryable, q: RunPageQuery): Promise<{ runs: Array<RunRecord & { taskCounts: Record<string, number> }>; more: boolean }> {
  const { text, args, limit } = runPage(q);
  const { rows } = await db.query<RunRow & { task_counts: Record<string, number> | null }>(
    `select r.*, (select c.task_counts from runs c where c.id = r.id) as task_counts
     from (${text}) r
     order by r.id desc`,
    args,
  );
  const more = rows.length > limit;
  return { runs: rows.slice(0, limit).map((r) => ({ ...runFromRow(r), taskCounts: r.task_counts ?? {} })), more };
}

/** Task status counts of the given runs (runs.task_counts): run id → status → count. */
export async function taskCounts(db: Queryable, runIds: readonly number[]): Promise<Map<number, Record<string, number>>> {
  const out = new Map<number, Record<string, number>>();
  if (runIds.length === 0) return out;
  const { rows } = await db.query<{ id: number; task_counts: Record<string, number> }>('select id, task_counts from runs where id = any($1::bigint[])', [runIds]);
  for (const r of rows) out.set(r.id, r.task_counts);
  return out;
}

/** The run's namespace (for permission checks before loading anything else), or undefined. */
export async function runNamespace(db: Queryable, runId: number): Promise<string | undefined> {
  const { rows } = await db.query<{ namespace: string }>('select namespace from runs where id = $1', [runId]);
  return rows[0]?.namespace;
}

/** Every attempt of one task of a run, oldest first. */
export async function listAttempts(db: Queryable, runId: number, task: string): Promise<AttemptRecord[]> {
  const { rows } = await db.query<AttemptsRow>('select * from attempts where run_id = $1 and task = $2 order by attempt', [runId, task]);
  return rows.map(attemptFromRow);
}

export async function getAttempt(db: Queryable, runId: number, task: string, attempt: number): Promise<AttemptRecord | undefined> {
  const { rows } = await db.query<AttemptsRow>('select * from attempts where run_id = $1 and task = $2 and attempt = $3', [runId, task, attempt]);
  return rows[0] ? attemptFromRow(rows[0]) : undefined;
}

export interface DagPageQuery {
  namespaces?: readonly string[];
  namespace?: string;
  nameContains?: string;
  /** Every label must match. */
  labels?: Record<string, string>;
  /** true: only DAGs with a schedule; false: only on-demand DAGs. */
  scheduled?: boolean;
  suspended?: boolean;
  /** Names after this one (within the namespace order). */
  after?: { namespace: string; name: string };
  limit: number;
}

/** One page of live DAGs ordered by namespace and name, plus whether more follow. */
export async function listDagsPage(db: Queryable, q: DagPageQuery): Promise<{ dags: DagRecord[]; more: boolean }> {
  const where = ['deleted_at is null'];
  const args: unknown[] = [];
  if (q.namespaces) where.push(`namespace = any($${args.push(q.namespaces)}::text[])`);
  if (q.namespace) where.push(`namespace = $${args.push(q.namespace)}`);
  if (q.nameContains) where.push(`name ilike $${args.push(`%${q.nameContains.replace(/[%_\\]/g, '\\$&')}%`)}`);
  if (q.labels && Object.keys(q.labels).length > 0) where.push(`labels @> $${args.push(JSON.stringify(q.labels))}::jsonb`);
  if (q.scheduled !== undefined) where.push(q.scheduled ? `coalesce(schedule, '') <> ''` : `coalesce(schedule, '') = ''`);
  if (q.suspended !== undefined) where.push(`suspended = $${args.push(q.suspended)}`);
  if (q.after) where.push(`(namespace, name) > ($${args.push(q.after.namespace)}, $${args.push(q.after.name)})`);
  const limit = pageSize(q.limit, PAGE_MAX_LIMIT);
  const { rows } = await db.query<DagsRow>(`select * from dags where ${where.join(' and ')} order by namespace, name limit $${args.push(limit + 1)}`, args);
  return { dags: rows.slice(0, limit).map(dagFromRow), more: rows.length > limit };
}

/** Latest run per DAG (status and time), for DAG listings. */
export async function lastRuns(db: Queryable, dagIds: readonly number[]): Promise<Map<number, { id: number; status: RunStatus; createdAt: number }>> {
  const out = new Map<number, { id: number; status: RunStatus; createdAt: number }>();
  if (dagIds.length === 0) return out;
  const { rows } = await db.query<Pick<RunsRow, 'dag_id' | 'id' | 'status' | 'created_at'>>(
    `select d.id as dag_id, r.id, r.status, r.created_at from unnest($1::bigint[]) as d(id)
     cross join lateral (select id, status, created_at from runs where dag_id = d.id order by id desc limit 1) r`,
    [dagIds],
  );
  for (const r of rows) out.set(r.dag_id, { id: r.id, status: r.status, createdAt: r.created_at.getTime() });
  return out;
}

/** Runs per DAG `recentRuns` returns at the most. */
export const RECENT_RUNS_MAX = 25;

/**
 * The last `n` (1..RECENT_RUNS_MAX) runs of each DAG, newest first: the outcome strip of the DAG
 * list. One query, at most `dagIds.length × n` rows (an index scan per DAG). Reads only.
 */
export async function recentRuns(db: Queryable, dagIds: readonly number[], n: number): Promise<Map<number, Array<{ id: number; status: RunStatus; createdAt: number }>>> {
  const out = new Map<number, Array<{ id: number; status: RunStatus; createdAt: number }>>();
  if (dagIds.length === 0) return out;
  const limit = Math.max(1, Math.min(Math.floor(n), RECENT_RUNS_MAX));
  const { rows } = await db.query<Pick<RunsRow, 'dag_id' | 'id' | 'status' | 'created_at'>>(
    `select d.id as dag_id, r.id, r.status, r.created_at from unnest($1::bigint[]) as d(id)
     cross join lateral (select id, status, created_at from runs where dag_id = d.id order by id desc limit $2) r
     order by d.id, r.id desc`,
    [dagIds, limit],
  );
  for (const r of rows) {
    const list = out.get(r.dag_id) ?? [];
    list.push({ id: r.id, status: r.status, createdAt: r.created_at.getTime() });
    out.set(r.dag_id, list);
  }
  return out;
}

/** DagTasks with their current version time, ordered by namespace and name. */
export async function listDagTasksPage(
  db: Queryable,
  q: { namespaces?: readonly string[]; namespace?: string; nameContains?: string; after?: { namespace: string; name: string }; limit: number },
): Promise<{ items: Array<{ namespace: string; name: string; currentVersion: number; createdAt: number; updatedAt: number }>; more: boolean }> {
  const where = ['deleted_at is null'];
  const args: unknown[] = [];
  if (q.namespaces) where.push(`namespace = any($${args.push(q.namespaces)}::text[])`);
  if (q.namespace) where.push(`namespace = $${args.push(q.namespace)}`);
  if (q.nameContains) where.push(`name ilike $${args.push(`%${q.nameContains.replace(/[%_\\]/g, '\\$&')}%`)}`);
  if (q.after) where.push(`(namespace, name) > ($${args.push(q.after.namespace)}, $${args.push(q.after.name)})`);
  const limit = pageSize(q.limit, PAGE_MAX_LIMIT);
  const { rows } = await db.query<DagTasksRow>(`select * from dag_tasks where ${where.join(' and ')} order by namespace, name limit $${args.push(limit + 1)}`, args);
  return {
    items: rows.slice(0, limit).map((r) => ({
      namespace: r.namespace,
      name: r.name,
      currentVersion: r.current_version,
      createdAt: r.created_at.getTime(),
      updatedAt: r.updated_at.getTime(),
    })),
    more: rows.length > limit,
  };
}

/** Versions of a DagTask, newest first. */
export async function listDagTaskVersions(db: Queryable, namespace: string, name: string): Promise<Array<{ version: number; hash: string; createdAt: number }>> {
  const { rows } = await db.query<Pick<DagTaskVersionsRow, 'version' | 'hash' | 'created_at'>>(
    `select v.version, v.hash, v.created_at from dag_tasks t join dag_task_versions v on v.dag_task_id = t.id
     where t.namespace = $1 and t.name = $2 order by v.version desc`,
    [namespace, name],
  );
  return rows.map((r) => ({ version: r.version, hash: r.hash, createdAt: r.created_at.getTime() }));
}
