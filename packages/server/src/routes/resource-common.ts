// What the DAG and DagTask routes share: the apply/validate routes of both kinds, the list-query
// schema, name cursors and the delete-and-audit step (which the user and trigger routes use too).
// Creation and validation go through the store's `applyResource` only.
import { Type } from '@sinclair/typebox';
import { shellParameterWarnings, type DagResource, type DagTaskResource, type FieldError } from '@kontroler/core';
import { applyResource, type ApplyResult } from '@kontroler/store';
import { apiError } from '../http-errors.js';
import type { AnyRoute, Call, RouteSchemas } from '../route.js';
import { route } from '../route.js';
import { resourceFromBody } from '../resource-text.js';
import { applyDagInWorker, type ApplyMode } from './apply-large-dag.js';
import { ApplyResultView, Cursor, Name, Namespace, NsNameParams, NsParams, RESOURCE_CONTENT_TYPES, ValidateResultView } from '../schemas.js';
import { dagView, decodeCursor, encodeCursor } from '../views.js';

export type ResourceKind = 'DAG' | 'DagTask';

export const nsViewer = { kind: 'namespace', role: 'viewer' } as const;
export const nsEditor = { kind: 'namespace', role: 'editor' } as const;

/** The query of every DAG and DagTask listing: name contains, page cursor, page size. */
export const LIST_QUERY = {
  name: Type.Optional(Type.String({ maxLength: 253, description: 'Substring of the name' })),
  cursor: Type.Optional(Cursor),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
};
/** Page size when the query names none (the schema's default). */
export const DEFAULT_LIST_LIMIT = 100;

export const VersionParams = Type.Object({ ns: Namespace, name: Name, version: Type.Integer({ minimum: 1, maximum: 2147483647 }) });

const TextBody = Type.String({ description: 'The resource as YAML or JSON (one document), or a DAG in the Kontroler DSL' });
const OverrideFile = Type.Optional(
  Type.Boolean({ description: 'Write over a DAG that a file of the DAG folder manages (without it: 409 MANAGED_BY_FILE naming the file). The next change of the file replaces the write.' }),
);
const ApplyQuery = Type.Object({
  dryRun: Type.Optional(Type.Boolean({ description: 'Validate only; store nothing' })),
  overrideFile: OverrideFile,
  name: Type.Optional(Name),
});
const ReplaceQuery = Type.Object({ dryRun: Type.Optional(Type.Boolean()), overrideFile: OverrideFile });

/** `Dag` or `DagTask`, as in operation ids. */
function idPart(kind: ResourceKind): string {
  return kind === 'DAG' ? 'Dag' : 'DagTask';
}

/** The URL segment and tag of a kind: `dags` or `dagtasks`. */
function pluralOf(kind: ResourceKind): 'dags' | 'dagtasks' {
  return kind === 'DAG' ? 'dags' : 'dagtasks';
}

function applyView(r: ApplyResult, dryRun: boolean) {
  return {
    kind: r.kind,
    namespace: r.namespace,
    name: r.name,
    version: r.version,
    created: r.created,
    dryRun,
    ...(r.dag ? { dag: dagView(r.dag) } : {}),
  };
}

async function apply<S extends RouteSchemas>(c: Call<S>, kind: ResourceKind, ns: string, name: string | undefined, mode: ApplyMode) {
  const { dryRun } = mode;
  const target = { kind, namespace: ns, ...(name !== undefined ? { name } : {}) };
  const contentType = c.req.headers['content-type'];
  const { result, warnings } =
    kind === 'DAG' && typeof c.body === 'string' && c.ctx.dagWorker.takes(c.body)
      ? await applyDagInWorker(c.ctx, { text: c.body, contentType, target: { ...target, kind } }, mode, (n) => c.audit({ kind, name: n, ...auditMode(mode) }))
      : await applyInline(c, resourceFromBody(c.body, contentType, target), mode);
  if (!dryRun && result.created && result.version === 1) c.reply.code(201);
  // The audit log shows what an apply changed: the version it made (a diff from the one before).
  if (!dryRun) c.audit({ version: result.version, created: result.created });
  return { ...applyView(result, dryRun), ...(warnings.length > 0 ? { warnings } : {}) };
}

/** The audit details of an apply: `dryRun`, and `overrideFile` when it was asked for. */
function auditMode(mode: ApplyMode): { dryRun: boolean; overrideFile?: true } {
  return { dryRun: mode.dryRun, ...(mode.overrideFile ? { overrideFile: true as const } : {}) };
}

async function applyInline<S extends RouteSchemas>(c: Call<S>, resource: DagResource | DagTaskResource, mode: ApplyMode): Promise<{ result: ApplyResult; warnings: FieldError[] }> {
  c.audit({ kind: resource.kind, name: resource.metadata.name, ...auditMode(mode) });
  return { result: await applyResource(c.ctx.pool, resource, { source: 'api', ...mode }), warnings: shellParameterWarnings(resource) };
}

function validationOutcome(e: unknown): { valid: false; code: string; message: string; errors: FieldError[] } {
  const err = e as { code?: unknown; message?: unknown; details?: unknown };
  if (err.code !== 'VALIDATION_FAILED' && err.code !== 'UNKNOWN_PARAMETER' && err.code !== 'NOT_FOUND') throw e;
  return { valid: false, code: String(err.code), message: String(err.message), errors: Array.isArray(err.details) ? (err.details as FieldError[]) : [] };
}

/** Create (POST), replace (PUT) and validate routes of one kind. */
export function applyRoutes(kind: ResourceKind): AnyRoute[] {
  const plural = pluralOf(kind);
  const action = kind === 'DAG' ? 'dag' : 'dagtask';
  return [
    route({
      method: 'POST',
      url: `/api/v1/namespaces/:ns/${plural}`,
      operationId: `create${idPart(kind)}`,
      summary: `Create or update a ${kind} from YAML, JSON${kind === 'DAG' ? ' or the DSL (with ?name=)' : ''}`,
      description:
        'Answers 201 for a new resource, 200 for a new version of an existing one or an unchanged spec. `?dryRun=true` validates only. 409 MANAGED_BY_FILE when a file of the DAG folder manages the DAG, unless `?overrideFile=true`.',
      tags: [plural],
      access: nsEditor,
      audit: `${action}.apply`,
      body: 'text',
      consumes: RESOURCE_CONTENT_TYPES,
      schema: { params: NsParams, querystring: ApplyQuery, body: TextBody, response: { 200: ApplyResultView, 201: ApplyResultView } },
      async handler(c) {
        return apply(c, kind, c.params.ns, c.query.name, { dryRun: c.query.dryRun === true, overrideFile: c.query.overrideFile === true });
      },
    }),
    route({
      method: 'PUT',
      url: `/api/v1/namespaces/:ns/${plural}/:name`,
      operationId: `replace${idPart(kind)}`,
      summary: `Create or update the ${kind} named in the URL`,
      tags: [plural],
      access: nsEditor,
      audit: `${action}.apply`,
      body: 'text',
      consumes: RESOURCE_CONTENT_TYPES,
      schema: { params: NsNameParams, querystring: ReplaceQuery, body: TextBody, response: { 200: ApplyResultView, 201: ApplyResultView } },
      async handler(c) {
        return apply(c, kind, c.params.ns, c.params.name, { dryRun: c.query.dryRun === true, overrideFile: c.query.overrideFile === true });
      },
    }),
    route({
      method: 'POST',
      url: `/api/v1/namespaces/:ns/${plural}/validate`,
      operationId: `validate${idPart(kind)}`,
      summary: `Validate a ${kind} without saving it`,
      description:
        'Always 200 for a readable request: `{valid: true, ...}` (with `warnings` when a parameter is substituted into a `sh -c` script) or `{valid: false, errors: [{path, message, line, column}]}`. 400 for text nested deeper than 64 levels.',
      tags: [plural],
      access: nsViewer,
      audit: `${action}.validate`,
      body: 'text',
      consumes: RESOURCE_CONTENT_TYPES,
      schema: { params: NsParams, querystring: Type.Object({ name: Type.Optional(Name) }), body: TextBody, response: { 200: ValidateResultView } },
      async handler(c) {
        try {
          return { valid: true, ...(await apply(c, kind, c.params.ns, c.query.name, { dryRun: true, overrideFile: false })) };
        } catch (e) {
          return validationOutcome(e);
        }
      },
    }),
  ];
}

/** The `after` position of a listing from its cursor (a `[namespace, name]` pair). */
export function nameCursor(s: string | undefined): { namespace: string; name: string } | undefined {
  const c = decodeCursor(s);
  if (c === undefined) return undefined;
  if (Array.isArray(c) && c.length === 2 && typeof c[0] === 'string' && typeof c[1] === 'string') return { namespace: c[0], name: c[1] };
  throw apiError('VALIDATION_FAILED', 'bad cursor', [{ path: 'query.cursor', message: 'is not a cursor from this API' }]);
}

/** The `nextCursor` field of a page of named items: present when there is more. */
export function nextNameCursor(more: boolean, last: { namespace: string; name: string } | undefined): { nextCursor?: string } {
  return more && last ? { nextCursor: encodeCursor([last.namespace, last.name]) } : {};
}

/** Records the audit details, deletes, and answers 204. */
export async function deleteAndAudit<S extends RouteSchemas>(c: Call<S>, details: Record<string, unknown>, remove: () => Promise<unknown>): Promise<undefined> {
  c.audit(details);
  await remove();
  c.reply.code(204);
  return undefined;
}
