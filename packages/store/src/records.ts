// What the store returns: plain records, times as epoch ms.
import type { DagDefinition, DagSpec, TaskBodySpec } from '@kontroler/core';
import type { AttemptState, RunState, RunStatus } from '@kontroler/engine';

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

export type RunTrigger = 'manual' | 'schedule' | 'api' | 'crd' | 'webhook' | 'retry';

export interface RunRecord {
  id: number;
  dagId: number;
  dagVersion: number;
  namespace: string;
  dagName: string;
  name: string | null;
  status: RunStatus;
  trigger: RunTrigger;
  scheduledFor: number | null;
  parameters: Record<string, string>;
  secretRefs: Record<string, string>;
  cancelRequested: boolean;
  requested: 'cancel' | 'retry' | null;
  owner: string | null;
  leaseExpiresAt: number | null;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
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

export type Row = Record<string, unknown>;

export function dagFromRow(r: Row): DagRecord {
  return {
    id: Number(r.id),
    namespace: String(r.namespace),
    name: String(r.name),
    currentVersion: Number(r.current_version),
    suspended: Boolean(r.suspended),
    schedule: (r.schedule as string | null) ?? null,
    timezone: String(r.timezone),
    concurrencyPolicy: String(r.concurrency_policy),
    catchUp: Number(r.catch_up),
    nextFireAt: ms(r.next_fire_at),
    lastFiredAt: ms(r.last_fired_at),
    source: String(r.source),
    labels: (r.labels as Record<string, string>) ?? {},
    deletedAt: ms(r.deleted_at),
    createdAt: ms(r.created_at) ?? 0,
    updatedAt: ms(r.updated_at) ?? 0,
  };
}

export function runFromRow(r: Row): RunRecord {
  return {
    id: Number(r.id),
    dagId: Number(r.dag_id),
    dagVersion: Number(r.dag_version),
    namespace: String(r.namespace),
    dagName: String(r.dag_name),
    name: (r.name as string | null) ?? null,
    status: r.status as RunStatus,
    trigger: r.trigger as RunTrigger,
    scheduledFor: ms(r.scheduled_for),
    parameters: (r.parameters as Record<string, string>) ?? {},
    secretRefs: (r.secret_refs as Record<string, string>) ?? {},
    cancelRequested: Boolean(r.cancel_requested),
    requested: (r.requested as 'cancel' | 'retry' | null) ?? null,
    owner: (r.owner as string | null) ?? null,
    leaseExpiresAt: ms(r.lease_expires_at),
    createdAt: ms(r.created_at) ?? 0,
    startedAt: ms(r.started_at),
    finishedAt: ms(r.finished_at),
  };
}

export function attemptFromRow(r: Row): AttemptRecord {
  const opt = <K extends string, V>(k: K, v: V | null | undefined) => (v === null || v === undefined ? {} : ({ [k]: v } as Record<K, V>));
  return {
    task: String(r.task),
    attempt: Number(r.attempt),
    status: r.status as AttemptState['status'],
    createdAt: ms(r.created_at) ?? 0,
    logSize: Number(r.log_size ?? 0),
    ...opt('startedAt', ms(r.started_at)),
    ...opt('finishedAt', ms(r.finished_at)),
    ...opt('deadlineAt', ms(r.deadline_at)),
    ...opt('exitCode', r.exit_code as number | null),
    ...opt('reason', r.reason as string | null),
    ...opt('killReason', r.kill_reason as string | null),
    ...opt('handle', r.handle as string | null),
  };
}
