// The rows of the main tables as node-postgres returns them: bigint as number (the parser in
// db.ts), timestamptz as Date, jsonb parsed, text as string (numeric too: convert it on purpose).
// The other tables' rows are in rows/*.ts. Migrations are the truth; a column a migration adds is
// added here (test/row-types.test.ts fails until it is: ADR 0012). Queries name the row type they select (`db.query<RunsRow>`), so
// the mappers in records.ts read typed fields instead of casting unknowns.
import type { AttemptState, RunStatus } from '@kontroler/engine';
import type { RunTrigger } from './records.js';

/** `dags` (migration 1). */
export interface DagsRow {
  id: number;
  namespace: string;
  name: string;
  current_version: number;
  suspended: boolean;
  schedule: string | null;
  timezone: string;
  concurrency_policy: string;
  catch_up: number;
  next_fire_at: Date | null;
  last_fired_at: Date | null;
  source: string;
  labels: Record<string, string>;
  deleted_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

/** `runs` (migrations 1, 4: kube_object, 7: host, 9: task_counts, 12: kube_object_uid). */
export interface RunsRow {
  id: number;
  dag_id: number;
  dag_version: number;
  namespace: string;
  dag_name: string;
  name: string | null;
  status: RunStatus;
  trigger: RunTrigger;
  scheduled_for: Date | null;
  parameters: Record<string, string>;
  secret_refs: Record<string, string>;
  cancel_requested: boolean;
  requested: 'cancel' | 'retry' | 'tasks' | null;
  owner: string | null;
  lease_expires_at: Date | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  updated_at: Date;
  kube_object: string | null;
  kube_object_uid: string | null;
  host: string | null;
  /** Task status → number of tasks with it (statuses with none may be absent or 0). */
  task_counts: Record<string, number>;
  /** Migration 10: the parent attempt of a child run (dagRef), its depth, the run's DAG outputs. */
  parent_run_id: number | null;
  parent_task: string | null;
  parent_attempt: number | null;
  depth: number;
  outputs: Record<string, string> | null;
  /** Migration 16: the schedule's fire time before scheduled_for, the time zone of both, the backfill that made the run. */
  prev_logical_time: Date | null;
  logical_timezone: string | null;
  backfill_id: number | null;
}

/** The columns of `runs` a RunRecord is made of (what run listings select). */
export type RunRow = Omit<RunsRow, 'updated_at' | 'kube_object' | 'kube_object_uid' | 'host' | 'task_counts' | 'parent_run_id' | 'parent_task' | 'parent_attempt' | 'depth' | 'outputs' | 'prev_logical_time' | 'logical_timezone' | 'backfill_id'>;

/** `attempts` (migrations 1, 6: log_received, log_line). */
export interface AttemptsRow {
  run_id: number;
  task: string;
  attempt: number;
  status: AttemptState['status'];
  exit_code: number | null;
  reason: string | null;
  kill_reason: string | null;
  handle: string | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  deadline_at: Date | null;
  log_size: number;
  log_received: number;
  log_line: number;
  /** Migration 10: null (runtime attempt), 'approval' or 'child'; outputs; resolved references. */
  kind: 'approval' | 'child' | null;
  outputs: Record<string, string> | null;
  resolved: Record<string, unknown> | null;
}

/** `webhook_deliveries` (migration 1). */
export interface WebhookDeliveriesRow {
  id: number;
  run_id: number;
  idempotency_key: string;
  url: string;
  verify_ssl: boolean;
  event: string;
  payload: Record<string, unknown>;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  next_attempt_at: Date;
  last_status: number | null;
  last_error: string | null;
  created_at: Date;
  delivered_at: Date | null;
}

/** `audit_log` (migration 2). */
export interface AuditLogRow {
  id: number;
  at: Date;
  actor: string;
  action: string;
  namespace: string | null;
  resource: string | null;
  outcome: string;
  details: Record<string, unknown>;
  address: string | null;
}
