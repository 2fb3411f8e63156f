// DAG routes besides apply/validate (resource-common.ts): versions, list (one namespace or all you
// can see), get, delete, suspend and resume.
import { Type, type Static } from '@sinclair/typebox';
import { deleteDag, getDag, getDagVersion, lastRuns, listDagVersions, listDagsPage, setSuspended } from '@kontroler/store';
import { apiError } from '../http-errors.js';
import { namespacesWith } from '../rbac.js';
import type { AnyRoute, Call, RouteSchemas } from '../route.js';
import { route } from '../route.js';
import { DagVersionView, DagView, Namespace, NsNameParams, NsParams, Page } from '../schemas.js';
import { dagView, iso } from '../views.js';
import { DEFAULT_LIST_LIMIT, LIST_QUERY, VersionParams, deleteAndAudit, nameCursor, nextNameCursor, nsEditor, nsViewer } from './resource-common.js';

/** Filters of both DAG listings (one namespace, or every namespace you can see). */
const DAG_LIST_FILTERS = {
  ...LIST_QUERY,
  label: Type.Optional(Type.String({ maxLength: 1000, description: 'key=value[,key=value]' })),
  scheduled: Type.Optional(Type.Boolean()),
  suspended: Type.Optional(Type.Boolean()),
};
const DagListQuery = Type.Object(DAG_LIST_FILTERS);
type DagListQuery = Static<typeof DagListQuery>;

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

async function listDagPage<S extends RouteSchemas>(c: Call<S>, q: DagListQuery, namespace: string | undefined) {
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
    limit: q.limit ?? DEFAULT_LIST_LIMIT,
  });
  const runs = await lastRuns(c.ctx.pool, page.dags.map((d) => d.id));
  return {
    items: page.dags.map((d) => {
      const r = runs.get(d.id);
      return dagView(d, { lastRun: r ? { id: r.id, status: r.status, createdAt: iso(r.createdAt) } : null });
    }),
    ...nextNameCursor(page.more, page.dags[page.dags.length - 1]),
  };
}

export function dagRoutes(): AnyRoute[] {
  return [
    route({
      method: 'GET',
      url: '/api/v1/namespaces/:ns/dags/:name/versions',
      operationId: 'listDagVersions',
      summary: 'Every stored version of a DAG, newest first',
      tags: ['dags'],
      access: nsViewer,
      schema: { params: NsNameParams },
      async handler(c) {
        const { ns, name } = c.params;
        const dag = await getDag(c.ctx.pool, ns, name, true);
        if (!dag) throw apiError('NOT_FOUND', `DAG ${ns}/${name} not found`);
        const items = await listDagVersions(c.ctx.pool, dag.id);
        return { items: items.map((v) => ({ version: v.version, hash: v.hash, createdAt: iso(v.createdAt), current: v.version === dag.currentVersion })) };
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/namespaces/:ns/dags/:name/versions/:version',
      operationId: 'getDagVersion',
      summary: 'One version of a DAG: its spec and resolved definition',
      tags: ['dags'],
      access: nsViewer,
      schema: { params: VersionParams, response: { 200: DagVersionView } },
      async handler(c) {
        const { ns, name, version } = c.params;
        const v = await getDagVersion(c.ctx.pool, ns, name, version);
        if (!v) throw apiError('NOT_FOUND', `DAG ${ns}/${name} has no version ${version}`);
        return { namespace: ns, name, version: v.version, hash: v.hash, createdAt: iso(v.createdAt), spec: v.spec, definition: v.definition };
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/namespaces/:ns/dags',
      operationId: 'listDags',
      summary: 'List DAGs of a namespace (filters: name contains, labels, scheduled, suspended)',
      tags: ['dags'],
      access: nsViewer,
      schema: { params: NsParams, querystring: DagListQuery, response: { 200: Page(DagView) } },
      async handler(c) {
        return listDagPage(c, c.query, c.params.ns);
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
        return listDagPage(c, c.query, c.query.namespace);
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
        const purge = c.query.purge === true;
        return deleteAndAudit(c, { name: c.params.name, purge }, () => deleteDag(c.ctx.pool, c.params.ns, c.params.name, purge));
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
  ];
}
