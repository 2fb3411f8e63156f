// The rows of the inbound trigger tables (migrations 2 and 5) as node-postgres returns them: see
// ../rows.ts for how each column type arrives.

/** `dag_triggers` (migration 2). */
export interface DagTriggersRow {
  dag_id: number;
  secret: string;
  /** Parameter name → dotted path into the payload. */
  parameter_map: Record<string, string>;
  enabled: boolean;
  created_at: Date;
  updated_at: Date;
}

/** `trigger_deliveries` (migration 5). */
export interface TriggerDeliveriesRow {
  dag_id: number;
  delivery_id: string;
  /** Null until the run is started, and after the run was deleted. */
  run_id: number | null;
  received_at: Date;
  expires_at: Date;
}
