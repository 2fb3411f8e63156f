// The rows of a run's task states, group counts and log chunks (migrations 1, 9) as node-postgres returns them: see
// ../rows.ts for how each column type arrives (runs and attempts are there).
import type { TaskStatus } from '@kontroler/engine';

/** `task_states` (migrations 1, 9: position, grp). */
export interface TaskStatesRow {
  run_id: number;
  task: string;
  status: TaskStatus;
  reason: string | null;
  retry_at: Date | null;
  /** The task's index in the run's definition (0-based). */
  position: number;
  /** The task's group in the grouped graph (DAGs of more than GRAPH_MAX_NODES tasks), else null. */
  grp: number | null;
  /** Migration 10: an instance of mapped task map_of (index item_index, its item); a mapped task's instance count. */
  map_of: string | null;
  item_index: number | null;
  /** The item as JSON text. */
  item: string | null;
  instances: number | null;
}

/** `approval_decisions` (migration 10): the decision on an approval attempt. */
export interface ApprovalDecisionsRow {
  run_id: number;
  task: string;
  attempt: number;
  approve: boolean;
  decided_by: string;
  comment: string | null;
  inputs: Record<string, string>;
  decided_at: Date;
  applied: boolean;
}

/** `task_requests` (migration 14): a person's retry / mark of one task, for the run's controller. */
export interface TaskRequestsRow {
  id: number;
  run_id: number;
  task: string;
  action: 'retry' | 'mark';
  downstream: boolean;
  mark_status: 'succeeded' | 'failed' | null;
  requested_by: string;
  requested_at: Date;
  applied: boolean;
}

/** `run_group_counts` (migration 9): tasks of a run per group of its grouped graph and status. */
export interface RunGroupCountsRow {
  run_id: number;
  grp: number;
  status: TaskStatus;
  n: number;
}

/** `attempt_logs` (migration 1). */
export interface AttemptLogsRow {
  run_id: number;
  task: string;
  attempt: number;
  offset: number;
  data: Buffer;
  /** When the chunk was stored (migration 15); null for chunks stored before it. */
  stored_at: Date | null;
}
