// The Backfill custom resource (issue 18): a backfill of a DAG expressed as an object, for GitOps.
// Its spec is the API's backfill body; its status follows the backfill in the store.
import type { Shape } from '@kontroler/core';
import type { JsonSchema } from './crd-schema.js';

export const BACKFILL_SPEC_SHAPE: Shape = {
  type: 'object',
  unknown: 'error',
  fields: {
    dagName: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    maxActive: { type: 'integer' },
    reverse: { type: 'boolean' },
  },
};

/** Descriptions of the Backfill spec fields (by path, as crd-schema's). */
export const BACKFILL_DESCRIPTIONS: Record<string, string> = {
  'spec.dagName': 'The DAG (in this namespace) whose schedule is backfilled.',
  'spec.from': 'Start of the range (RFC 3339 with an offset), inclusive.',
  'spec.to': 'End of the range (RFC 3339), exclusive; at most 10000 fire times in [from, to).',
  'spec.maxActive': 'Most runs of the backfill pending or running at once (1-100, default 1).',
  'spec.reverse': 'Newest fire time first.',
};

const int = { type: 'integer', format: 'int64' };

export const BACKFILL_STATUS: JsonSchema = {
  type: 'object',
  properties: {
    backfillId: { ...int, description: 'The backfill in the store (GET /api/v1/backfills/<id>).' },
    phase: { type: 'string', description: 'Running, Succeeded, Failed (a run failed, or the backfill is invalid: see message) or Canceled.' },
    message: { type: 'string' },
    observedGeneration: int,
    done: { ...int, description: 'Fire times whose run succeeded.' },
    running: { ...int, description: 'Runs pending or running.' },
    failed: { ...int, description: 'Runs failed or canceled.' },
    pending: { ...int, description: 'Fire times without a run yet.' },
    skipped: { ...int, description: 'Fire times that had a run of the DAG already.' },
    total: { ...int, description: 'Fire times in the range.' },
    progress: { type: 'string', description: 'Done / fire times to run.' },
  },
};

/** Why a Backfill's spec change is refused (the CRD rule's message). */
export const BACKFILL_SPEC_IMMUTABLE = "a Backfill's spec cannot change once it exists (its runs are made from it): create a new Backfill instead";
