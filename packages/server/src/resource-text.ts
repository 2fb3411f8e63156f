// Request body text → one Kontroler resource for a route: YAML or JSON (core's `parseResources`)
// or the DSL (a DAG whose `spec.dsl` is the text; `applyResource` expands and validates it).
import type { DagResource, DagTaskResource } from '@kontroler/core';
import { API_VERSION, nestingError, parseResources } from '@kontroler/core';
import { apiError } from './http-errors.js';

const DSL_TYPES = ['text/x-kontroler-dsl', 'application/vnd.kontroler.dsl', 'application/x-kontroler-dsl'];

/** Whether a text body is the DSL (by content type, or by sniffing `text/plain`). */
export function isDsl(contentType: string | undefined, text: string): boolean {
  const ct = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (DSL_TYPES.includes(ct)) return true;
  if (ct !== 'text/plain' && ct !== '') return false;
  const first = text
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l !== '' && !l.startsWith('//') && !l.startsWith('#'));
  return first !== undefined && /^(schedule|parameters|graph|task)\b/.test(first);
}

export interface ResourceTarget {
  kind: 'DAG' | 'DagTask';
  namespace: string;
  /** The name from the URL (PUT), or from `?name=` for a DSL body. */
  name?: string;
}

/**
 * Parses the body into exactly one resource of `target.kind` in `target.namespace`. Throws
 * BAD_REQUEST for text nested deeper than MAX_NESTING_DEPTH, VALIDATION_FAILED with field paths (and lines) for malformed text, another kind, several
 * documents, a namespace or name that disagrees with the URL.
 */
export function resourceFromBody(text: unknown, contentType: string | undefined, target: ResourceTarget): DagResource | DagTaskResource {
  if (typeof text !== 'string' || text.trim() === '') {
    throw apiError('VALIDATION_FAILED', `send a ${target.kind} as YAML, JSON${target.kind === 'DAG' ? ' or the Kontroler DSL' : ''} in the body`, [{ path: '<root>', message: 'empty body' }]);
  }
  if (target.kind === 'DAG' && isDsl(contentType, text)) {
    if (!target.name) throw apiError('VALIDATION_FAILED', 'a DSL body has no name: add ?name=<dag name> or PUT to /dags/{name}', [{ path: 'query.name', message: 'is required for a DSL body' }]);
    return { apiVersion: API_VERSION, kind: 'DAG', metadata: { name: target.name, namespace: target.namespace }, spec: { dsl: text } };
  }
  // Refused as a bad request (400 even on /validate) before any parser sees it: see core's MAX_NESTING_DEPTH.
  const tooDeep = nestingError(text, 'body');
  if (tooDeep !== undefined) throw apiError('BAD_REQUEST', `the ${target.kind} is ${tooDeep.message}`, [tooDeep]);
  const parsed = parseResources(text, 'body');
  if (parsed.errors.length > 0) {
    throw apiError('VALIDATION_FAILED', `the ${target.kind} is malformed: ${parsed.errors.slice(0, 3).map((e) => `${e.path}: ${e.message}`).join('; ')}`, parsed.errors);
  }
  if (parsed.resources.length !== 1) {
    throw apiError('VALIDATION_FAILED', `send exactly one resource per request (got ${parsed.resources.length}); \`kontroler apply\` splits files`, [
      { path: '<root>', message: `${parsed.resources.length} documents` },
    ]);
  }
  const res = parsed.resources[0]!;
  if (res.kind !== target.kind) {
    throw apiError('VALIDATION_FAILED', `this route takes a ${target.kind}, not a ${res.kind}`, [{ path: 'kind', message: `must be ${target.kind}` }]);
  }
  const ns = res.metadata.namespace;
  if (ns !== undefined && ns !== '' && ns !== target.namespace) {
    throw apiError('VALIDATION_FAILED', `metadata.namespace is ${ns} but the URL names namespace ${target.namespace}`, [{ path: 'metadata.namespace', message: `must be ${target.namespace} (or absent)` }]);
  }
  if (target.name !== undefined && res.metadata.name !== target.name) {
    throw apiError('VALIDATION_FAILED', `metadata.name is ${res.metadata.name} but the URL names ${target.name}`, [{ path: 'metadata.name', message: `must be ${target.name}` }]);
  }
  return { ...res, metadata: { ...res.metadata, namespace: target.namespace } } as DagResource | DagTaskResource;
}
