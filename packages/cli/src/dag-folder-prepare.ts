// The CPU-heavy part of loading one file of the DAG folder, as one plain-data job: parse,
// validate (errors located in the file), warn, and resolve + hash + serialize the DAGs that need
// nothing from the database. Large files run it in a worker thread (dag-folder-thread.ts).
import type { DagResource, FieldError, KontrolerResource } from '@kontroler/core';
import { parseResources, resolveDag, shellParameterWarnings, validateResource } from '@kontroler/core';
import { preparedDag, type PreparedDag } from '@kontroler/server';
import { taskRefsOf } from '@kontroler/store';

export interface PreparedFile {
  errors: FieldError[];
  warnings: FieldError[];
  /** The file's valid resources in order: prepared DAGs, or resources to apply (DagTasks, DAGs with taskRefs, DagRuns). */
  items: ({ kind: 'prepared'; dag: PreparedDag } | { kind: 'resource'; resource: KontrolerResource })[];
  /** Whether the text had structural errors (its DAGs are kept as they were). */
  broken: boolean;
  /** `namespace/name` of the DAGs the text defines (structurally sound documents). */
  defines: string[];
}

/** Runs the job for one file's text. Pure apart from CPU; never throws for any text. */
export function prepareFolderFile(job: { file: string; text: string }): PreparedFile {
  const r = parseResources(job.text, job.file);
  const out: PreparedFile = {
    errors: [...r.errors],
    warnings: [],
    items: [],
    broken: r.errors.length > 0,
    defines: r.resources.filter((x) => x.kind === 'DAG').map((x) => `${x.metadata.namespace ?? 'default'}/${x.metadata.name}`),
  };
  const located = (d: { pathPrefix: string }) => (e: FieldError): FieldError => ({ source: job.file, ...e, path: `${d.pathPrefix}${e.path}` });
  for (const d of r.documents) {
    if (!d.resource || d.errors.length > 0) continue;
    // Checked here first so that problems carry their file:line:column.
    const problems = validateResource(d.resource, { locate: d.locate }).map(located(d));
    if (problems.length > 0) out.errors.push(...problems);
    else out.items.push(prepared(d.resource));
    out.warnings.push(...shellParameterWarnings(d.resource, { locate: d.locate }).map(located(d)));
  }
  return out;
}

/** A valid DAG that names no DagTask is resolved here; anything else is applied by the store. */
function prepared(resource: KontrolerResource): PreparedFile['items'][number] {
  if (resource.kind !== 'DAG' || taskRefsOf(resource).length > 0) return { kind: 'resource', resource };
  const r = resolveDag(resource as DagResource, () => undefined);
  return r.definition === undefined ? { kind: 'resource', resource } : { kind: 'prepared', dag: preparedDag(resource as DagResource, r.definition) };
}
