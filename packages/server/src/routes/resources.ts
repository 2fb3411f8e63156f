// DAGs and DagTasks by namespace: apply (create or update) from YAML, JSON or the DSL, get, list,
// delete, versions, validate. Creation and validation go through the store's `applyResource` only.
import { Type } from '@sinclair/typebox';
import { shellParameterWarnings, type FieldError } from '@kontroler/core';
import {
  applyResource,
  deleteDag,
  deleteDagTask,
  getDag,
  getDagTaskVersion,
  getDagVersion,
  lastRuns,
  listDagTaskVersions,
  listDagVersions,
  listDagsPage,
  listDagTasksPage,
  setSuspended,
  type ApplyResult,
} from '@kontroler/store';
import { apiError } from '../http-errors.js';
import { namespacesWith } from '../rbac.js';
import type { AnyRoute, Call, RouteSchemas } from '../route.js';
import { route } from '../route.js';
import { resourceFromBody } from '../resource-text.js';
import { ApplyResultView, Cursor, DagView, Name, Namespace, NsNameParams, NsParams, Page, RESOURCE_CONTENT_TYPES } from '../schemas.js';
import { dagView, decodeCursor, encodeCursor, iso } from '../views.js';

const TextBody = Type.String({ description: 'The resource as YAML or JSON (one document), or a DAG in the Kontroler DSL' });
const ApplyQuery = Type.Object({
  dryRun: Type.Optional(Type.Boolean({ description: 'Validate only; store nothing' })),
  name: Type.Optional(Name),
});
const VersionParams = Type.Object({ ns: Namespace, name: Name, version: Type.Integer({ minimum: 1, maximum: 2147483647 }) });

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

function parseLabels(selector: string | undefined): Record<string, string> | undefined {
  if (selector === undefined || selector === '') return undefined;
  const out: Record<string, string> = {};
  for (const part of selector.split(',')) {
    const m = /^\s*([A-Za-z0-9._/-]+)\s*=\s*([A-Za-z0-9._-]*)\s*$/.exec(part);
    if (!m) throw apiError('VALIDATION_FAILED', `bad label selector "${part}": use key=value[,key=value]`, [{ path: 'query.label', message: 'must be key=value pairs' }]);
    out[m[1]!] = m[2]!;
  }
  return out;
}

function nameCursor(s: string | undefined): { namespace: string; name: string } | undefined {
  const c = decodeCursor(s);
  if (c === undefined) return undefined;
  if (Array.isArray(c) && c.length === 2 && typeof c[0] === 'string' && typeof c[1] === 'string') return { namespace: c[0], name: c[1] };
  throw apiError('VALIDATION_FAILED', 'bad cursor', [{ path: 'query.cursor', message: 'is not a cursor from this API' }]);
}

async function apply<S extends RouteSchemas>(c: Call<S>, kind: 'DAG' | 'DagTask', ns: string, name: string | undefined, dryRun: boolean) {
  const resource = resourceFromBody(c.body, c.req.headers['content-type'], { kind, namespace: ns, ...(name !== undefined ? { name } : {}) });
  c.audit({ kind, name: resource.metadata.name, dryRun });
  const result = await applyResource(c.ctx.pool, resource, { source: 'api', dryRun });
  if (!dryRun && result.created && result.version === 1) c.reply.code(201);
  const warnings = shellParameterWarnings(resource);
  return { ...applyView(result, dryRun), ...(warnings.length > 0 ? { warnings } : {}) };
}

function validationOutcome(e: unknown): { valid: false; code: string; message: string; errors: FieldError[] } {
  const err = e as { code?: unknown; message?: unknown; details?: unknown };
  if (err.code !== 'VALIDATION_FAILED' && err.code !== 'UNKNOWN_PARAMETER' && err.code !== 'NOT_FOUND') throw e;
  return { valid: false, code: String(err.code), message: String(err.message), errors: Array.isArray(err.details) ? (err.details as FieldError[]) : [] };
}


/** Filters of both DAG listings (one namespace, or every namespace you can see). */
const DAG_LIST_FILTERS = {
  name: Type.Optional(Type.String({ maxLength: 253, description: 'Substring of the name' })),
  label: Type.Optional(Type.String({ maxLength: 1000, description: 'key=value[,key=value]' })),
  scheduled: Type.Optional(Type.Boolean()),
  suspended: Type.Optional(Type.Boolean()),
  cursor: Type.Optional(Cursor),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
};
export function resourceRoutes(): AnyRoute[] {
  const nsViewer = { kind: 'namespace', role: 'viewer' } as const;
  const nsEditor = { kind: 'namespace', role: 'editor' } as const;
  const routes: AnyRoute[] = [];
  for (const kind of ['DAG', 'DagTask'] as const) {
    const plural = kind === 'DAG' ? 'dags' : 'dagtasks';
    const tag = plural;
    const action = kind === 'DAG' ? 'dag' : 'dagtask';
    routes.push(
      route({
        method: 'POST',
        url: `/api/v1/namespaces/:ns/${plural}`,
        operationId: `create${kind === 'DAG' ? 'Dag' : 'DagTask'}`,
        summary: `Create or update a ${kind} from YAML, JSON${kind === 'DAG' ? ' or the DSL (with ?name=)' : ''}`,
        description: 'Answers 201 for a new resource, 200 for a new version of an existing one or an unchanged spec. `?dryRun=true` validates only.',
        tags: [tag],
        access: nsEditor,
        audit: `${action}.apply`,
        body: 'text',
        consumes: RESOURCE_CONTENT_TYPES,
        schema: { params: NsParams, querystring: ApplyQuery, body: TextBody, response: { 200: ApplyResultView, 201: ApplyResultView } },
        async handler(c) {
          return apply(c, kind, c.params.ns, c.query.name, c.query.dryRun === true);
        },
      }),
      route({
        method: 'PUT',
        url: `/api/v1/namespaces/:ns/${plural}/:name`,
        operationId: `replace${kind === 'DAG' ? 'Dag' : 'DagTask'}`,
        summary: `Create or update the ${kind} named in the URL`,
        tags: [tag],
        access: nsEditor,
        audit: `${action}.apply`,
        body: 'text',
        consumes: RESOURCE_CONTENT_TYPES,
        schema: { params: NsNameParams, querystring: Type.Object({ dryRun: Type.Optional(Type.Boolean()) }), body: TextBody, response: { 200: ApplyResultView, 201: ApplyResultView } },
        async handler(c) {
          return apply(c, kind, c.params.ns, c.params.name, c.query.dryRun === true);
        },
      }),
      route({
        method: 'POST',
        url: `/api/v1/namespaces/:ns/${plural}/validate`,
        operationId: `validate${kind === 'DAG' ? 'Dag' : 'DagTask'}`,
        summary: `Validate a ${kind} without saving it`,
        description:
          'Always 200 for a readable request: `{valid: true, ...}` (with `warnings` when a parameter is substituted into a `sh -c` script) or `{valid: false, errors: [{path, message, line, column}]}`. 400 for text nested deeper than 64 levels.',
        tags: [tag],
        access: nsViewer,
        audit: `${action}.validate`,
        body: 'text',
        consumes: RESOURCE_CONTENT_TYPES,
        schema: { params: NsParams, querystring: Type.Object({ name: Type.Optional(Name) }), body: TextBody },
        async handler(c) {
          try {
            return { valid: true, ...(await apply(c, kind, c.params.ns, c.query.name, true)) };
          } catch (e) {
            return validationOutcome(e);
          }
        },
      }),
      route({
        method: 'GET',
        url: `/api/v1/namespaces/:ns/${plural}/:name/versions`,
        operationId: `list${kind === 'DAG' ? 'Dag' : 'DagTask'}Versions`,
        summary: `Every stored version of a ${kind}, newest first`,
        tags: [tag],
        access: nsViewer,
        schema: { params: NsNameParams },
        async handler(c) {
          const { ns, name } = c.params;
          if (kind === 'DAG') {
            const dag = await getDag(c.ctx.pool, ns, name, true);
            if (!dag) throw apiError('NOT_FOUND', `DAG ${ns}/${name} not found`);
            const items = await listDagVersions(c.ctx.pool, dag.id);
            return { items: items.map((v) => ({ version: v.version, hash: v.hash, createdAt: iso(v.createdAt), current: v.version === dag.currentVersion })) };
          }
          const items = await listDagTaskVersions(c.ctx.pool, ns, name);
          if (items.length === 0) throw apiError('NOT_FOUND', `DagTask ${ns}/${name} not found`);
          return { items: items.map((v) => ({ version: v.version, hash: v.hash, createdAt: iso(v.createdAt) })) };
        },
      }),
      route({
        method: 'GET',
        url: `/api/v1/namespaces/:ns/${plural}/:name/versions/:version`,
        operationId: `get${kind === 'DAG' ? 'Dag' : 'DagTask'}Version`,
        summary: `One version of a ${kind}: its spec${kind === 'DAG' ? ' and resolved definition' : ''}`,
        tags: [tag],
        access: nsViewer,
        schema: { params: VersionParams },
        async handler(c) {
          const { ns, name, version } = c.params;
          if (kind === 'DAG') {
            const v = await getDagVersion(c.ctx.pool, ns, name, version);
            if (!v) throw apiError('NOT_FOUND', `DAG ${ns}/${name} has no version ${version}`);
            return { namespace: ns, name, version: v.version, hash: v.hash, createdAt: iso(v.createdAt), spec: v.spec, definition: v.definition };
          }
          const v = await getDagTaskVersion(c.ctx.pool, ns, name, version);
          if (!v) throw apiError('NOT_FOUND', `DagTask ${ns}/${name} has no version ${version}`);
          return { namespace: ns, name, version: v.version, hash: v.hash, createdAt: iso(v.createdAt), spec: v.spec };
        },
      }),
    );
  }

  routes.push(
    route({
      method: 'GET',
      url: '/api/v1/namespaces/:ns/dags',
      operationId: 'listDags',
      summary: 'List DAGs of a namespace (filters: name contains, labels, scheduled, suspended)',
      tags: ['dags'],
      access: nsViewer,
      schema: {
        params: NsParams,
        querystring: Type.Object(DAG_LIST_FILTERS),
        response: { 200: Page(DagView) },
      },
      async handler(c) {
        return listDagPage(c, c.params.ns);
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/dags',
      operationId: 'listAllDags',
      summary: 'List DAGs of every namespace you can see',
      tags: ['dags'],
      access: { kind: 'any-namespace', role: 'viewer' },
      schema: {
        querystring: Type.Object({ namespace: Type.Optional(Namespace), ...DAG_LIST_FILTERS }),
        response: { 200: Page(DagView) },
      },
      async handler(c) {
        return listDagPage(c, c.query.namespace);
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/namespaces/:ns/dags/:name',
      operationId: 'getDag',
      summary: 'A DAG: its current spec, schedule state and last run',
      tags: ['dags'],
      access: nsViewer,
      schema: { params: NsNameParams, response: { 200: DagView } },
      async handler(c) {
        const { ns, name } = c.params;
        const v = await getDagVersion(c.ctx.pool, ns, name);
        if (!v || v.dag.deletedAt !== null) throw apiError('NOT_FOUND', `DAG ${ns}/${name} not found`);
        const last = (await lastRuns(c.ctx.pool, [v.dag.id])).get(v.dag.id);
        return dagView(v.dag, {
          spec: v.spec,
          definition: v.definition,
          parameters: v.definition.parameters,
          lastRun: last ? { id: last.id, status: last.status, createdAt: iso(last.createdAt) } : null,
        });
      },
    }),
    route({
      method: 'DELETE',
      url: '/api/v1/namespaces/:ns/dags/:name',
      operationId: 'deleteDag',
      summary: 'Delete a DAG; its versions and run history are kept unless ?purge=true',
      tags: ['dags'],
      access: nsEditor,
      audit: 'dag.delete',
      schema: { params: NsNameParams, querystring: Type.Object({ purge: Type.Optional(Type.Boolean()) }) },
      async handler(c) {
        c.audit({ name: c.params.name, purge: c.query.purge === true });
        await deleteDag(c.ctx.pool, c.params.ns, c.params.name, c.query.purge === true);
        c.reply.code(204);
        return undefined;
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/namespaces/:ns/dagtasks',
      operationId: 'listDagTasks',
      summary: 'List DagTasks of a namespace',
      tags: ['dagtasks'],
      access: nsViewer,
      schema: {
        params: NsParams,
        querystring: Type.Object({ name: Type.Optional(Type.String({ maxLength: 253 })), cursor: Type.Optional(Cursor), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })) }),
      },
      async handler(c) {
        const after = nameCursor(c.query.cursor);
        const page = await listDagTasksPage(c.ctx.pool, {
          namespace: c.params.ns,
          ...(c.query.name ? { nameContains: c.query.name } : {}),
          ...(after ? { after } : {}),
          limit: c.query.limit ?? 100,
        });
        const last = page.items[page.items.length - 1];
        return {
          items: page.items.map((t) => ({ namespace: t.namespace, name: t.name, version: t.currentVersion, createdAt: iso(t.createdAt), updatedAt: iso(t.updatedAt) })),
          ...(page.more && last ? { nextCursor: encodeCursor([last.namespace, last.name]) } : {}),
        };
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/namespaces/:ns/dagtasks/:name',
      operationId: 'getDagTask',
      summary: 'A DagTask and its current spec',
      tags: ['dagtasks'],
      access: nsViewer,
      schema: { params: NsNameParams },
      async handler(c) {
        const v = await getDagTaskVersion(c.ctx.pool, c.params.ns, c.params.name);
        if (!v) throw apiError('NOT_FOUND', `DagTask ${c.params.ns}/${c.params.name} not found`);
        return { namespace: v.namespace, name: v.name, version: v.version, hash: v.hash, createdAt: iso(v.createdAt), spec: v.spec };
      },
    }),
    route({
      method: 'DELETE',
      url: '/api/v1/namespaces/:ns/dagtasks/:name',
      operationId: 'deleteDagTask',
      summary: 'Delete a DagTask (its versions stay for the DAG versions that use them)',
      tags: ['dagtasks'],
      access: nsEditor,
      audit: 'dagtask.delete',
      schema: { params: NsNameParams },
      async handler(c) {
        c.audit({ name: c.params.name });
        await deleteDagTask(c.ctx.pool, c.params.ns, c.params.name);
        c.reply.code(204);
        return undefined;
      },
    }),
    ...(['suspend', 'resume'] as const).map((what) =>
      route({
        method: 'POST',
        url: `/api/v1/namespaces/:ns/dags/:name/${what}`,
        operationId: `${what}Dag`,
        summary: what === 'suspend' ? 'Stop the DAG\'s schedule (runs can still be started by hand)' : 'Resume the DAG\'s schedule',
        tags: ['dags'],
        access: nsEditor,
        audit: `dag.${what}`,
        schema: { params: NsNameParams, response: { 200: DagView } },
        async handler(c) {
          c.audit({ name: c.params.name });
          return dagView(await setSuspended(c.ctx.pool, c.params.ns, c.params.name, what === 'suspend'));
        },
      }),
    ),
  );
  return routes;
}

interface DagListQuery {
  name?: string;
  label?: string;
  scheduled?: boolean;
  suspended?: boolean;
  cursor?: string;
  limit?: number;
}

async function listDagPage<S extends RouteSchemas>(c: Call<S>, namespace: string | undefined) {
  const q = c.query as DagListQuery;
  const after = nameCursor(q.cursor);
  const labels = parseLabels(q.label);
  const visible = namespacesWith(c.who, 'viewer');
  const page = await listDagsPage(c.ctx.pool, {
    ...(visible ? { namespaces: visible } : {}),
    ...(namespace ? { namespace } : {}),
    ...(q.name ? { nameContains: q.name } : {}),
    ...(labels ? { labels } : {}),
    ...(q.scheduled !== undefined ? { scheduled: q.scheduled } : {}),
    ...(q.suspended !== undefined ? { suspended: q.suspended } : {}),
    ...(after ? { after } : {}),
    limit: q.limit ?? 100,
  });
  const last = page.dags[page.dags.length - 1];
  const runs = await lastRuns(c.ctx.pool, page.dags.map((d) => d.id));
  return {
    items: page.dags.map((d) => {
      const r = runs.get(d.id);
      return dagView(d, { lastRun: r ? { id: r.id, status: r.status, createdAt: iso(r.createdAt) } : null });
    }),
    ...(page.more && last ? { nextCursor: encodeCursor([last.namespace, last.name]) } : {}),
  };
}
