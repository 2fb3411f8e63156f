// DagTask routes besides apply/validate (resource-common.ts): versions, list, get, delete.
import { Type } from '@sinclair/typebox';
import { deleteDagTask, getDagTaskVersion, listDagTaskVersions, listDagTasksPage } from '@kontroler/store';
import { apiError } from '../http-errors.js';
import type { AnyRoute } from '../route.js';
import { route } from '../route.js';
import { DagTaskSummaryView, NsNameParams, NsParams, Page } from '../schemas.js';
import { iso } from '../views.js';
import { DEFAULT_LIST_LIMIT, LIST_QUERY, VersionParams, deleteAndAudit, nameCursor, nextNameCursor, nsEditor, nsViewer } from './resource-common.js';

export function dagTaskRoutes(): AnyRoute[] {
  return [
    route({
      method: 'GET',
      url: '/api/v1/namespaces/:ns/dagtasks/:name/versions',
      operationId: 'listDagTaskVersions',
      summary: 'Every stored version of a DagTask, newest first',
      tags: ['dagtasks'],
      access: nsViewer,
      schema: { params: NsNameParams },
      async handler(c) {
        const { ns, name } = c.params;
        const items = await listDagTaskVersions(c.ctx.pool, ns, name);
        if (items.length === 0) throw apiError('NOT_FOUND', `DagTask ${ns}/${name} not found`);
        return { items: items.map((v) => ({ version: v.version, hash: v.hash, createdAt: iso(v.createdAt) })) };
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/namespaces/:ns/dagtasks/:name/versions/:version',
      operationId: 'getDagTaskVersion',
      summary: 'One version of a DagTask: its spec',
      tags: ['dagtasks'],
      access: nsViewer,
      schema: { params: VersionParams },
      async handler(c) {
        const { ns, name, version } = c.params;
        const v = await getDagTaskVersion(c.ctx.pool, ns, name, version);
        if (!v) throw apiError('NOT_FOUND', `DagTask ${ns}/${name} has no version ${version}`);
        return { namespace: ns, name, version: v.version, hash: v.hash, createdAt: iso(v.createdAt), spec: v.spec };
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/namespaces/:ns/dagtasks',
      operationId: 'listDagTasks',
      summary: 'List DagTasks of a namespace',
      tags: ['dagtasks'],
      access: nsViewer,
      schema: { params: NsParams, querystring: Type.Object(LIST_QUERY), response: { 200: Page(DagTaskSummaryView) } },
      async handler(c) {
        const after = nameCursor(c.query.cursor);
        const page = await listDagTasksPage(c.ctx.pool, {
          namespace: c.params.ns,
          ...(c.query.name ? { nameContains: c.query.name } : {}),
          ...(after ? { after } : {}),
          limit: c.query.limit ?? DEFAULT_LIST_LIMIT,
        });
        return {
          items: page.items.map((t) => ({ namespace: t.namespace, name: t.name, version: t.currentVersion, createdAt: iso(t.createdAt), updatedAt: iso(t.updatedAt) })),
          ...nextNameCursor(page.more, page.items[page.items.length - 1]),
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
        return deleteAndAudit(c, { name: c.params.name }, () => deleteDagTask(c.ctx.pool, c.params.ns, c.params.name));
      },
    }),
  ];
}
