// The rows of a run's task states and log chunks (migration 1) as node-postgres returns them: see
// ../rows.ts for how each column type arrives (runs and attempts are there).
import type { TaskStatus } from '@kontroler/engine';

/** `task_states` (migration 1). */
export interface TaskStatesRow {
  run_id: number;
  task: string;
  status: TaskStatus;
  reason: string | null;
  retry_at: Date | null;
}

/** `attempt_logs` (migration 1). */
export interface AttemptLogsRow {
  run_id: number;
  task: string;
  attempt: number;
  offset: number;
  data: Buffer;
}
