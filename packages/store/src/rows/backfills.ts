// The rows of the backfill tables (migration 13) as node-postgres returns them: see ../rows.ts for
// how each column type arrives.
import type { BackfillStatus } from '../backfills.js';

/** `backfills` (migration 13). */
export interface BackfillsRow {
  id: number;
  dag_id: number;
  namespace: string;
  dag_name: string;
  from_time: Date;
  to_time: Date;
  max_active: number;
  reverse: boolean;
  created_by: string;
  status: BackfillStatus;
  error: string | null;
  created_at: Date;
  finished_at: Date | null;
  kube_object_uid: string | null;
}

/** `backfill_fires` (migration 13): a backfill's fire times; pending while `released_at` is null. */
export interface BackfillFiresRow {
  backfill_id: number;
  fire_at: Date;
  released_at: Date | null;
  run_id: number | null;
  skipped: boolean;
}
