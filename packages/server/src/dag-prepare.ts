// The CPU-heavy part of applying a DAG from request text, as one plain-data job: parse, validate,
// resolve, hash, warn, and serialize what will be stored. Large bodies run it in a worker thread
// (dag-worker.ts) so the event loop keeps answering; its input and output are plain data.
import type { DagResource, FieldError, TaskBodySpec } from '@kontroler/core';
import { resolveDag, shellParameterWarnings, specHash } from '@kontroler/core';
import { NODE_SHA256, taskRefsOf, type DagSettings } from '@kontroler/store';
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
  | {
      kind: 'resolved';
      namespace: string;
      name: string;
      labels?: Record<string, string>;
      settings: DagSettings;
      hash: string;
      specJson: string;
      definitionJson: string;
      warnings: FieldError[];
    };

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
  return {
    kind: 'resolved',
    namespace: d.namespace,
    name: d.name,
    ...(resource.metadata.labels ? { labels: resource.metadata.labels } : {}),
    settings: { suspended: d.suspended, ...(d.schedule === undefined ? {} : { schedule: d.schedule }), timezone: d.timezone, concurrencyPolicy: d.concurrencyPolicy, catchUp: d.catchUp },
    hash: specHash(d, NODE_SHA256),
    specJson: JSON.stringify(resource.spec),
    definitionJson: JSON.stringify(d),
    warnings: shellParameterWarnings(resource),
  };
}
