// Text → validated resources in one step: what `kontroler apply -f` and the API need.

import type { FieldError } from './errors.js';
import { parentPath } from './field-path.js';
import { parseResources, type ParsedDocument } from './load.js';
import type { KontrolerResource } from './spec.js';
import { validateResource, type DagTaskLookup } from './validate.js';

export interface LoadValidatedResult {
  /** Resources of the documents with no error at all, in stream order. */
  resources: KontrolerResource[];
  /** Structural and validation errors of every document, located and prefixed as `parseResources` does. */
  errors: FieldError[];
  documents: ParsedDocument[];
}

/**
 * `parseResources` and then `validateResource` on every document that names a supported kind
 * (even when it had structural errors, so one pass reports everything). A validation error at a
 * path that already has a structural error (or below it) is dropped: `image: 5` is reported once,
 * as a type error, not again as "image: required". Paths, `document`, `source`, `line` and
 * `column` follow `parseResources`. Pure; never throws unless `lookupDagTask` does.
 */
export function loadValidatedResources(
  text: string,
  opts: { source?: string; lookupDagTask?: DagTaskLookup } = {},
): LoadValidatedResult {
  const parsed = parseResources(text, opts.source);
  const out: LoadValidatedResult = { resources: [], errors: [], documents: parsed.documents };
  for (const doc of parsed.documents) {
    const errors = [...doc.errors];
    if (doc.resource !== undefined) {
      const structural = new Set(doc.errors.map((e) => e.path.slice(doc.pathPrefix.length)));
      const validation = validateResource(doc.resource, {
        locate: doc.locate,
        ...(opts.lookupDagTask === undefined ? {} : { lookupDagTask: opts.lookupDagTask }),
      });
      for (const e of validation) {
        if (atOrBelow(e.path, structural)) continue;
        errors.push({
          ...e,
          path: doc.pathPrefix + e.path,
          document: doc.index,
          ...(opts.source === undefined ? {} : { source: opts.source }),
        });
      }
      if (errors.length === 0) out.resources.push(doc.resource);
    }
    out.errors.push(...errors);
  }
  return out;
}

/** Whether `path` or one of its ancestors is in `paths` (a walk up the path: linear in its depth). */
function atOrBelow(path: string, paths: ReadonlySet<string>): boolean {
  for (let p: string | undefined = path; p !== undefined && p !== ''; p = parentPath(p)) if (paths.has(p)) return true;
  return false;
}
