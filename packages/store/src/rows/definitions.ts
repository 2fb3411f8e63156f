// The rows of the DAG version and DagTask tables (migrations 1 and 8) as node-postgres returns
// them: see ../rows.ts for how each column type arrives (DagsRow is there).
import type { DagSpec, TaskBodySpec } from '@kontroler/core';

/** `dag_versions` (migrations 1, 8: definition_format). */
export interface DagVersionsRow {
  dag_id: number;
  version: number;
  hash: string;
  spec: DagSpec;
  /** A snapshot in `definition_format`: read it through `readDefinition` (definition-format.ts). */
  definition: unknown;
  created_at: Date;
  definition_format: number;
}

/** `dag_tasks` (migration 1). */
export interface DagTasksRow {
  id: number;
  namespace: string;
  name: string;
  current_version: number;
  source: string;
  deleted_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

/** `dag_task_versions` (migration 1). */
export interface DagTaskVersionsRow {
  dag_task_id: number;
  version: number;
  hash: string;
  spec: TaskBodySpec;
  created_at: Date;
}
