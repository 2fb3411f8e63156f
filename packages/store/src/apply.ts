// Applying resources and starting runs: the operations every front door shares (DAG folder,
// REST API, CRD adapter, CLI).
import type { DagDefinition, DagResource, DagTaskResource, FieldError, KontrolerResource } from '@kontroler/core';
import { KontrolerError } from '@kontroler/core';
import type { PoolLike } from './db.js';
import type { DagRecord, RunRecord, RunTrigger } from './records.js';

export interface ApplyResult {
  kind: 'DAG' | 'DagTask';
  namespace: string;
  name: string;
  version: number;
  /** False when the spec was unchanged (no new version). */
  created: boolean;
  dag?: DagRecord;
  definition?: DagDefinition;
}

/**
 * Validates and stores a DAG or DagTask resource (a new immutable version when its spec changed).
 * taskRefs are resolved against stored DagTask versions in the same namespace. With `dryRun`,
 * validates only. Throws VALIDATION_FAILED with field-path `details` when the resource is invalid;
 * nothing is stored then, and the last good version stays current.
 */
export async function applyResource(
  pool: PoolLike,
  resource: DagResource | DagTaskResource | KontrolerResource,
  opts: { source: string; dryRun?: boolean },
): Promise<ApplyResult> {
  void pool;
  void resource;
  void opts;
  throw new KontrolerError('INTERNAL', 'applyResource: not implemented yet');
}

export interface StartRunInput {
  namespace: string;
  dagName: string;
  /** Values overriding the DAG's parameter defaults; unknown names are rejected. */
  parameters?: Record<string, string>;
  /** Parameters to take from a secret instead (name → secret name). */
  secretParameters?: Record<string, string>;
  /** Unique per namespace; makes the call idempotent (a DagRun's name). */
  name?: string;
  trigger: RunTrigger;
}

/**
 * Starts a run of the DAG's current version. Throws NOT_FOUND for an unknown (or deleted) DAG,
 * UNKNOWN_PARAMETER (with `details`) for parameters the DAG does not declare.
 */
export async function startRun(pool: PoolLike, input: StartRunInput): Promise<{ run: RunRecord; created: boolean }> {
  void pool;
  void input;
  throw new KontrolerError('INTERNAL', 'startRun: not implemented yet');
}

export type { FieldError };
