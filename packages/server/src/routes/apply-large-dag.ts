// Applying a DAG whose body is large: the parse + validate + resolve + hash run in the worker
// thread (dag-worker.ts); the database steps stay here. Same answers and errors as the inline
// path (resourceFromBody + the store's applyResource).
import type { FieldError } from '@kontroler/core';
import { invalidResource, loadTaskRefs, type ApplyResult } from '@kontroler/store';
import type { ServerContext } from '../context.js';
import { storePreparedDag, type PrepareDagJob } from '../dag-prepare.js';
import { apiError } from '../http-errors.js';

/** How an API write is applied: `dryRun` validates only; `overrideFile` writes over a DAG a file of the DAG folder manages. */
export interface ApplyMode {
  dryRun: boolean;
  overrideFile: boolean;
}

/**
 * Prepares the DAG in the worker (a second round with the DagTask specs when it has taskRefs) and
 * stores it. `audit(name)` is called once the text reads as a DAG, as the inline path does.
 * Throws the inline path's errors (VALIDATION_FAILED, BAD_REQUEST, ...) and UNAVAILABLE when the
 * worker is busy, too slow or dies, and MANAGED_BY_FILE (see the store's `saveDag`).
 */
export async function applyDagInWorker(
  ctx: ServerContext,
  job: PrepareDagJob,
  mode: ApplyMode,
  audit: (name: string) => void,
): Promise<{ result: ApplyResult; warnings: FieldError[] }> {
  let r = await ctx.dagWorker.run(job);
  if (r.kind !== 'refused') audit(r.name);
  if (r.kind === 'needRefs') {
    const refs = await loadTaskRefs(ctx.pool, job.target.namespace, r.refs);
    r = await ctx.dagWorker.run({ ...job, refs: [...refs] });
  }
  switch (r.kind) {
    case 'refused':
      throw apiError(r.code, r.message, r.details, r.headers);
    case 'needRefs':
      throw apiError('INTERNAL', 'the DAG worker asked for DagTasks twice');
    case 'invalid':
      throw invalidResource('DAG', r.name, r.errors);
    case 'resolved':
      return { result: await storePreparedDag(ctx.pool, r, { source: 'api', ...mode }), warnings: r.warnings };
  }
}
