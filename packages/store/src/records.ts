// What the store returns: plain records, times as epoch ms.
import type { DagDefinition, DagSpec, TaskBodySpec } from '@kontroler/core';
import type { AttemptState, RunState, RunStatus } from '@kontroler/engine';
import type { AttemptsRow, DagsRow, RunRow, RunsRow } from './rows.js';

export interface DagRecord {
  id: number;
  namespace: string;
  name: string;
  currentVersion: number;
  suspended: boolean;
  schedule: string | null;
  timezone: string;
  concurrencyPolicy: string;
  catchUp: number;
  nextFireAt: number | null;
  lastFiredAt: number | null;
  source: string;
  labels: Record<string, string>;
  deletedAt: number | null;
  createdAt: number;
  updatedAt: number;
}

export interface DagVersionRecord {
  dagId: number;
  version: number;
  hash: string;
  spec: DagSpec;
  definition: DagDefinition;
  createdAt: number;
}

export interface DagTaskVersionRecord {
  namespace: string;
  name: string;
  version: number;
  hash: string;
  spec: TaskBodySpec;
  createdAt: number;
}

export type RunTrigger = 'manual' | 'schedule' | 'api' | 'crd' | 'webhook' | 'retry' | 'child' | 'backfill';

export interface RunRecord {
  id: number;
  dagId: number;
  dagVersion: number;
  namespace: string;
  dagName: string;
  name: string | null;
  status: RunStatus;
  trigger: RunTrigger;
  /** The fire time the run stands for: its logical time (a scheduled or backfilled run, or one given it). */
  scheduledFor: number | null;
  /** The schedule's fire time before `scheduledFor` (read where the query selects it). */
  prevLogicalTime?: number;
  /** The time zone tasks see the logical times in (the DAG version's; read where the query selects it). */
  logicalTimezone?: string;
  /** The backfill that created the run (read where the query selects it). */
  backfillId?: number;
  parameters: Record<string, string>;
  secretRefs: Record<string, string>;
  cancelRequested: boolean;
  requested: 'cancel' | 'retry' | 'tasks' | null;
  owner: string | null;
  leaseExpiresAt: number | null;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  /** The run's declared outputs once it succeeded (read where the query selects runs.outputs). */
  outputs?: Record<string, string>;
  /** A child run (dagRef): the parent run's attempt that started it (read where the query selects them). */
  parent?: { runId: number; task: string; attempt: number };
  /** How deep in a chain of child runs (0: not a child run). */
  depth?: number;
}

export interface AttemptRecord extends AttemptState {
  task: string;
  logSize: number;
}

/** A run with its snapshot definition and full engine state. */
export interface RunDetail {
  run: RunRecord;
  definition: DagDefinition;
  state: RunState;
  /** Per attempt (`task#attempt`): raw output bytes accounted for in the store, where a runtime resumes the output on adoption. */
  logSizes: Record<string, number>;
  /** The tasks whose last attempt is starting or running (what a resuming controller adopts). */
  active: readonly string[];
}

export function ms(v: unknown): number | null {
  if (v === null || v === undefined) return null;
  return v instanceof Date ? v.getTime() : new Date(String(v)).getTime();
}

export function msOr(v: unknown): number | undefined {
  const m = ms(v);
  return m === null ? undefined : m;
}

export function toDate(v: number | undefined | null): Date | null {
  return v === undefined || v === null ? null : new Date(v);
}

export function dagFromRow(r: DagsRow): DagRecord {
  return {
    id: r.id,
    namespace: r.namespace,
    name: r.name,
    currentVersion: r.current_version,
    suspended: r.suspended,
    schedule: r.schedule,
    timezone: r.timezone,
    concurrencyPolicy: r.concurrency_policy,
    catchUp: r.catch_up,
    nextFireAt: ms(r.next_fire_at),
    lastFiredAt: ms(r.last_fired_at),
    source: r.source,
    labels: r.labels,
    deletedAt: ms(r.deleted_at),
    createdAt: ms(r.created_at) ?? 0,
    updatedAt: ms(r.updated_at) ?? 0,
  };
}

export function runFromRow(r: RunRow & Partial<Pick<RunsRow, 'outputs' | 'parent_run_id' | 'parent_task' | 'parent_attempt' | 'depth' | 'prev_logical_time' | 'logical_timezone' | 'backfill_id'>>): RunRecord {
  return {
    id: r.id,
    dagId: r.dag_id,
    dagVersion: r.dag_version,
    namespace: r.namespace,
    dagName: r.dag_name,
    name: r.name,
    status: r.status,
    trigger: r.trigger,
    scheduledFor: ms(r.scheduled_for),
    ...(r.prev_logical_time ? { prevLogicalTime: r.prev_logical_time.getTime() } : {}),
    ...(r.logical_timezone ? { logicalTimezone: r.logical_timezone } : {}),
    ...(r.backfill_id !== null && r.backfill_id !== undefined ? { backfillId: Number(r.backfill_id) } : {}),
    parameters: r.parameters ?? {},
    secretRefs: r.secret_refs ?? {},
    cancelRequested: r.cancel_requested,
    requested: r.requested,
    owner: r.owner,
    leaseExpiresAt: ms(r.lease_expires_at),
    createdAt: ms(r.created_at) ?? 0,
    startedAt: ms(r.started_at),
    finishedAt: ms(r.finished_at),
    ...(r.outputs ? { outputs: r.outputs } : {}),
    ...(r.parent_run_id !== null && r.parent_run_id !== undefined && r.parent_task && r.parent_attempt !== null && r.parent_attempt !== undefined
      ? { parent: { runId: Number(r.parent_run_id), task: r.parent_task, attempt: r.parent_attempt } }
      : {}),
    ...(r.depth ? { depth: r.depth } : {}),
  };
}

export function attemptFromRow(r: AttemptsRow): AttemptRecord {
  const opt = <K extends string, V>(k: K, v: V | null | undefined) => (v === null || v === undefined ? {} : ({ [k]: v } as Record<K, V>));
  return {
    task: r.task,
    attempt: r.attempt,
    status: r.status,
    createdAt: ms(r.created_at) ?? 0,
    logSize: r.log_size ?? 0,
    ...opt('startedAt', ms(r.started_at)),
    ...opt('finishedAt', ms(r.finished_at)),
    ...opt('deadlineAt', ms(r.deadline_at)),
    ...opt('exitCode', r.exit_code),
    ...opt('reason', r.reason),
    ...opt('killReason', r.kill_reason),
    ...opt('handle', r.handle),
    ...opt('kind', r.kind),
    ...opt('outputs', r.outputs),
    ...opt('resolved', r.resolved as AttemptRecord['resolved'] | null),
  };
}
