// DAG routes besides apply/validate (resource-common.ts): versions, list (one namespace or all you
// can see), get, delete, suspend and resume.
import { Type, type Static } from '@sinclair/typebox';
import { GRID_DEFAULT_RUNS, GRID_MAX_RUNS, dagGrid, deleteDag, getDag, getDagVersion, lastRuns, listDagVersions, listDagsPage, recentRuns, setSuspended } from '@kontroler/store';
import { apiError } from '../http-errors.js';
import { namespacesWith } from '../rbac.js';
import type { AnyRoute, Call, RouteSchemas } from '../route.js';
import { route } from '../route.js';
import { DagGridView, DagVersionView, DagView, Namespace, NsNameParams, NsParams, Page } from '../schemas.js';
import { dagView, iso } from '../views.js';
import { DEFAULT_LIST_LIMIT, LIST_QUERY, VersionParams, deleteAndAudit, nameCursor, nextNameCursor, nsEditor, nsViewer } from './resource-common.js';

/** Runs per DAG in a listing's outcome strip (`recentRuns`). */
const LIST_RECENT_RUNS = 10;

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
  const runs = await recentRuns(c.ctx.pool, page.dags.map((d) => d.id), LIST_RECENT_RUNS);
  return {
    items: page.dags.map((d) => {
      const recent = (runs.get(d.id) ?? []).map((r) => ({ id: r.id, status: r.status, createdAt: iso(r.createdAt)! }));
      return dagView(d, { lastRun: recent[0] ?? null, recentRuns: recent });
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
      url: '/api/v1/namespaces/:ns/dags/:name/grid',
      operationId: 'getDagGrid',
      summary: "A DAG's last runs × its tasks, each cell the task's status in that run (Airflow's grid)",
      description: `At most ${GRID_MAX_RUNS} runs (\`runs\`, default ${GRID_DEFAULT_RUNS}) and 500 task rows; a larger run is summarised by its \`taskCounts\`. Runs of a deleted DAG are kept (history): 404 only when the DAG never existed.`,
      tags: ['dags'],
      access: nsViewer,
      schema: {
        params: NsNameParams,
        querystring: Type.Object({ runs: Type.Optional(Type.Integer({ minimum: 1, maximum: GRID_MAX_RUNS, default: GRID_DEFAULT_RUNS })) }),
        response: { 200: DagGridView },
      },
      async handler(c) {
        const { ns, name } = c.params;
        if (!(await getDag(c.ctx.pool, ns, name, true))) throw apiError('NOT_FOUND', `DAG ${ns}/${name} not found`);
        const g = await dagGrid(c.ctx.pool, { namespace: ns, name, runs: c.query.runs ?? GRID_DEFAULT_RUNS });
        const body: Static<typeof DagGridView> = {
          namespace: ns,
          name,
          runs: g.runs.map((r) => ({ ...r, createdAt: iso(r.createdAt)!, startedAt: iso(r.startedAt), finishedAt: iso(r.finishedAt) })),
          tasks: g.tasks,
          tasksTruncated: g.tasksTruncated,
        };
        return body;
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
