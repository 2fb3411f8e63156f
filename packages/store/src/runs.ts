import { KontrolerError } from '@kontroler/core';
import type { Queryable } from './db.js';
import type { RunRecord, RunTrigger } from './records.js';
import { runFromRow } from './records.js';
import { pageSize, runWhere, type RunFilter } from './run-filter.js';
import type { RunsRow } from './rows.js';
import { getDagDefinition } from './dags.js';
import { taskRowsOf } from './run-index.js';

export const RUNS_CHANNEL = 'kontroler_runs';

export interface CreateRunInput {
  dagId: number;
  dagVersion: number;
  namespace: string;
  dagName: string;
  /** Unique per namespace when given (a DagRun's name); a second create with it returns the first. */
  name?: string;
  trigger: RunTrigger;
  /** The run's logical time (epoch ms): the fire time it stands for. */
  scheduledFor?: number;
  /** The schedule's fire time before it, and the time zone tasks see both in. */
  prevLogicalTime?: number;
  logicalTimezone?: string;
  /** The backfill creating the run. */
  backfillId?: number;
  parameters: Record<string, string>;
  secretRefs?: Record<string, string>;
  /**
   * The version's task rows (`taskRowsOf(definition)`): a task_states row is written for each
   * name, at its index, in its group. When absent, they are computed from the stored definition.
   */
  taskRows?: { readonly names: readonly string[]; readonly groups: readonly number[] };
  /** A child run (dagRef): the parent attempt that starts it (one child per attempt) and its depth. */
  parent?: { runId: number; task: string; attempt: number };
  depth?: number;
}

/**
 * Records a new pending run of a DAG version, with a pending task_states row for every task (at
 * its index in the definition) and the initial `task_counts`, in one statement, and wakes the
 * controllers. Idempotent by `name`: creating a run whose name exists in the namespace returns the
 * existing run. Throws NOT_FOUND when the version does not exist.
 */
export async function createRun(db: Queryable, input: CreateRunInput): Promise<{ run: RunRecord; created: boolean }> {
  const rows0 = input.taskRows ?? (await versionTaskRows(db, input.dagId, input.dagVersion));
  const { rows } = await db.query<RunsRow>(
    `with r as (
       insert into runs (dag_id, dag_version, namespace, dag_name, name, trigger, scheduled_for, parameters, secret_refs, task_counts,
                         parent_run_id, parent_task, parent_attempt, depth, prev_logical_time, logical_timezone, backfill_id)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, jsonb_build_object('pending', cardinality($10::text[])), $12, $13, $14, $15, $16, $17, $18)
       on conflict ${input.parent ? '(parent_run_id, parent_task, parent_attempt) where parent_run_id is not null' : '(namespace, name) where name is not null'} do nothing
       returning *),
     ts as (
       insert into task_states (run_id, task, status, position, grp)
       select r.id, t.name, 'pending', (t.ord - 1)::int, t.grp from r cross join unnest($10::text[], $11::int[]) with ordinality as t(name, grp, ord)
       where t.name is not null),
     gc as (
       insert into run_group_counts (run_id, grp, status, n)
       select r.id, g.grp, 'pending', count(*)::int from r cross join unnest($11::int[]) as g(grp) group by r.id, g.grp)
     select * from r`,
    [
      input.dagId,
      input.dagVersion,
      input.namespace,
      input.dagName,
      input.name ?? null,
      input.trigger,
      input.scheduledFor === undefined ? null : new Date(input.scheduledFor),
      input.parameters,
      input.secretRefs ?? {},
      rows0.names,
      rows0.groups,
      input.parent?.runId ?? null,
      input.parent?.task ?? null,
      input.parent?.attempt ?? null,
      input.depth ?? 0,
      input.prevLogicalTime === undefined ? null : new Date(input.prevLogicalTime),
      input.logicalTimezone ?? null,
      input.backfillId ?? null,
    ],
  );
  if (rows[0]) {
    await db.query('select pg_notify($1, $2)', [RUNS_CHANNEL, String(rows[0].id)]);
    return { run: runFromRow(rows[0]), created: true };
  }
  const ex = input.parent
    ? await db.query<RunsRow>('select * from runs where parent_run_id = $1 and parent_task = $2 and parent_attempt = $3', [input.parent.runId, input.parent.task, input.parent.attempt])
    : await db.query<RunsRow>('select * from runs where namespace = $1 and name = $2', [input.namespace, input.name]);
  return { run: runFromRow(ex.rows[0]!), created: false };
}

/** The task rows of a stored DAG version (taskRowsOf). */
async function versionTaskRows(db: Queryable, dagId: number, version: number): Promise<{ names: string[]; groups: number[] }> {
  const def = await getDagDefinition(db, dagId, version);
  if (!def) throw new KontrolerError('NOT_FOUND', `DAG version ${dagId}@${version} not found: save the DAG first`);
  return taskRowsOf(def);
}

export async function getRun(db: Queryable, id: number): Promise<RunRecord | undefined> {
  const { rows } = await db.query<RunsRow>('select * from runs where id = $1', [id]);
  return rows[0] ? runFromRow(rows[0]) : undefined;
}

export interface ListRunsQuery extends RunFilter {
  /** Page size, default LIST_RUNS_DEFAULT_LIMIT, at most LIST_RUNS_MAX_LIMIT. */
  limit?: number;
}

/** Runs `listRuns` returns when no limit is asked for. */
export const LIST_RUNS_DEFAULT_LIMIT = 50;
/** The most runs one `listRuns` call returns. */
export const LIST_RUNS_MAX_LIMIT = 1000;

/** Newest first, with every column; page with `beforeId` = the last id of the previous page. */
export async function listRuns(db: Queryable, q: ListRunsQuery = {}): Promise<RunRecord[]> {
  const args: unknown[] = [];
  const where = runWhere(q, args);
  const limit = pageSize(q.limit ?? LIST_RUNS_DEFAULT_LIMIT, LIST_RUNS_MAX_LIMIT);
  const { rows } = await db.query<RunsRow>(`select * from runs ${where} order by id desc limit $${args.push(limit)}`, args);
  return rows.map(runFromRow);
}

/**
 * Asks the controller owning the run to cancel or retry it. Cancel applies to pending and running
 * runs, retry to failed and canceled ones; anything else throws INVALID_STATE. Idempotent. Task
 * actions not yet taken by the controller (task_requests) are superseded: discarded.
 */
export async function requestRun(db: Queryable, id: number, what: 'cancel' | 'retry'): Promise<RunRecord> {
  const allowed = what === 'cancel' ? ['pending', 'running'] : ['failed', 'canceled'];
  const { rows } = await db.query<RunsRow>(
    `update runs set requested = $2, updated_at = now() where id = $1 and status = any($3) returning *`,
    [id, what, allowed],
  );
  if (!rows[0]) {
    const run = await getRun(db, id);
    if (!run) throw new KontrolerError('NOT_FOUND', `run ${id} not found`);
    if (run.requested === what) return run;
    throw new KontrolerError('INVALID_STATE', `run ${id} is ${run.status}: only ${allowed.join(' or ')} runs can be ${what === 'cancel' ? 'canceled' : 'retried'}`);
  }
  // A cancel or retry of the whole run supersedes task actions not yet taken (docs/adr/0017).
  await db.query('update task_requests set applied = true where run_id = $1 and not applied', [id]);
  await db.query('select pg_notify($1, $2)', [RUNS_CHANNEL, String(id)]);
  return runFromRow(rows[0]);
}

/** A child run of `parentRunId` (dagRef) as its parent's controller follows it. */
export interface ChildRunState {
  id: number;
  task: string;
  attempt: number;
  status: RunRecord['status'];
  outputs?: Record<string, string>;
}

/** The child runs of a run, with their status and (succeeded) outputs: O(children) via runs_child. */
export async function listChildRuns(db: Queryable, parentRunId: number): Promise<ChildRunState[]> {
  const { rows } = await db.query<Pick<RunsRow, 'id' | 'parent_task' | 'parent_attempt' | 'status' | 'outputs'>>(
    'select id, parent_task, parent_attempt, status, outputs from runs where parent_run_id = $1 order by id',
    [parentRunId],
  );
  return rows.map((r) => ({ id: Number(r.id), task: r.parent_task ?? '', attempt: r.parent_attempt ?? 0, status: r.status, ...(r.outputs ? { outputs: r.outputs } : {}) }));
}

/** Whether a run of this DAG is pending or running (for concurrencyPolicy). */
export async function activeRunIds(db: Queryable, dagId: number): Promise<number[]> {
  const { rows } = await db.query<{ id: number }>(`select id from runs where dag_id = $1 and status in ('pending', 'running') order by id`, [dagId]);
  return rows.map((r) => Number(r.id));
}
