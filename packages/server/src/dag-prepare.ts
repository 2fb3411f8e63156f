// The CPU-heavy part of applying a DAG from request text, as one plain-data job: parse, validate,
// resolve, hash, warn, and serialize what will be stored. Large bodies run it in a worker thread
// (dag-worker.ts) so the event loop keeps answering; its input and output are plain data.
import type { DagDefinition, DagResource, FieldError, TaskBodySpec } from '@kontroler/core';
import { resolveDag, shellParameterWarnings, specHash } from '@kontroler/core';
import { JsonText, NODE_SHA256, storeDag, taskRefsOf, type ApplyResult, type DagSettings, type PoolLike } from '@kontroler/store';
import { HttpError, type ApiErrorCode } from './http-errors.js';
import { resourceFromBody, type ResourceTarget } from './resource-text.js';

export interface PrepareDagJob {
  text: string;
  contentType: string | undefined;
  target: ResourceTarget & { kind: 'DAG' };
  /** The DagTask specs the DAG's taskRefs name, keyed `name@version`, once known (see `needRefs`). */
  refs?: [string, TaskBodySpec][];
}

export type PrepareDagResult =
  /** The DAG names DagTask versions: load them and run the job again with `refs`. */
  | { kind: 'needRefs'; name: string; refs: { name: string; version: number }[] }
  /** The text is not a DAG this route takes (the error resourceFromBody threw). */
  | { kind: 'refused'; code: ApiErrorCode; message: string; details: FieldError[]; headers: Record<string, string> }
  /** The DAG is invalid: `invalidResource('DAG', name, errors)`. */
  | { kind: 'invalid'; name: string; errors: FieldError[] }
  | ({ kind: 'resolved'; warnings: FieldError[] } & PreparedDag);

/** Runs the job. Pure apart from CPU; throws only on a bug (errors of the input are results). */
export function prepareDag(job: PrepareDagJob): PrepareDagResult {
  let resource: DagResource;
  try {
    resource = resourceFromBody(job.text, job.contentType, job.target) as DagResource;
  } catch (e) {
    if (e instanceof HttpError) return { kind: 'refused', code: e.code, message: e.message, details: e.details, headers: e.headers };
    throw e;
  }
  const name = resource.metadata.name;
  const needed = taskRefsOf(resource);
  if (needed.length > 0 && job.refs === undefined) return { kind: 'needRefs', name, refs: needed };
  const refs = new Map(job.refs ?? []);
  const resolved = resolveDag(resource, (_ns, n, v) => refs.get(`${n}@${v}`));
  const d = resolved.definition;
  if (d === undefined) return { kind: 'invalid', name, errors: resolved.errors };
  return { kind: 'resolved', ...preparedDag(resource, d), warnings: shellParameterWarnings(resource) };
}

/** A resolved DAG as plain data for the store (`storeDag` with JsonText), made where it was resolved. */
export interface PreparedDag {
  namespace: string;
  name: string;
  labels?: Record<string, string>;
  settings: DagSettings;
  hash: string;
  specJson: string;
  definitionJson: string;
}

/** The store's view of a resolved DAG, its spec and definition already serialized. */
export function preparedDag(resource: DagResource, d: DagDefinition): PreparedDag {
  return {
    namespace: d.namespace,
    name: d.name,
    ...(resource.metadata.labels ? { labels: resource.metadata.labels } : {}),
    settings: { suspended: d.suspended, ...(d.schedule === undefined ? {} : { schedule: d.schedule }), timezone: d.timezone, concurrencyPolicy: d.concurrencyPolicy, catchUp: d.catchUp },
    hash: specHash(d, NODE_SHA256),
    specJson: JSON.stringify(resource.spec),
    definitionJson: JSON.stringify(d),
  };
}

/** Stores a prepared DAG (see `storeDag`). */
export function storePreparedDag(pool: PoolLike, p: PreparedDag, opts: { source: string; dryRun?: boolean; overrideFile?: boolean }): Promise<ApplyResult> {
  return storeDag(pool, { namespace: p.namespace, name: p.name, labels: p.labels, spec: new JsonText(p.specJson), definition: { ...p.settings, json: new JsonText(p.definitionJson) }, hash: p.hash }, opts);
}
