// Health, readiness, metrics, the OpenAPI document, and namespaces.
import { Type } from '@sinclair/typebox';
import { MIGRATIONS } from '@kontroler/store';
import { apiError } from '../http-errors.js';
import { ALL_NAMESPACES } from '../rbac.js';
import type { AnyRoute } from '../route.js';
import { route } from '../route.js';

/** How long /readyz waits for the database before it answers 503. */
export const READY_TIMEOUT_MS = 2000;

/** Rejects when `p` has not settled within `ms`; `p` itself runs on (a late answer is dropped). */
function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  p.catch(() => undefined);
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

export function systemRoutes(openapi: () => unknown, metricsPublic: boolean): AnyRoute[] {
  return [
    route({
      method: 'GET',
      url: '/healthz',
      operationId: 'health',
      summary: 'Liveness: the process serves requests',
      tags: ['system'],
      access: { kind: 'public' },
      schema: {},
      async handler() {
        return { status: 'ok' };
      },
    }),
    route({
      method: 'GET',
      url: '/readyz',
      operationId: 'ready',
      summary: 'Readiness: the database answers within READY_TIMEOUT_MS and its schema is current (503 otherwise)',
      tags: ['system'],
      access: { kind: 'public' },
      schema: {},
      async handler(c) {
        const want = Math.max(...MIGRATIONS.map((m) => m.version));
        let have: number;
        try {
          const rows = await withTimeout(
            c.ctx.pool.query<{ v: number | null }>('select max(version) as v from schema_migrations').then((r) => r.rows),
            READY_TIMEOUT_MS,
          );
          have = Number(rows[0]?.v ?? 0);
        } catch {
          // Public route: no connection details (addresses, ports) in the answer.
          throw apiError('UNAVAILABLE', `database unreachable (no answer within ${READY_TIMEOUT_MS} ms)`);
        }
        if (have < want) throw apiError('UNAVAILABLE', `database schema is at version ${have}, this server needs ${want}: run kontroler migrate`);
        return { status: 'ready', schemaVersion: have };
      },
    }),
    route({
      method: 'GET',
      url: '/metrics',
      operationId: 'metrics',
      summary: 'Prometheus metrics',
      tags: ['system'],
      access: metricsPublic ? { kind: 'public' } : { kind: 'global', role: 'viewer' },
      produces: ['text/plain'],
      schema: {},
      async handler(c) {
        const reg = c.ctx.metrics.registry;
        c.reply.type(reg.contentType);
        return reg.metrics();
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/openapi.json',
      operationId: 'openapi',
      summary: 'This API\'s OpenAPI 3 document, generated from the schemas that validate requests',
      tags: ['system'],
      access: { kind: 'public' },
      schema: {},
      async handler() {
        return openapi();
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/namespaces',
      operationId: 'listNamespaces',
      summary: 'Namespaces you can see that hold DAGs or DagTasks, with your role in each',
      tags: ['system'],
      access: { kind: 'authenticated' },
      schema: { response: { 200: Type.Object({ items: Type.Array(Type.Object({ name: Type.String(), role: Type.Union([Type.String(), Type.Null()]) })) }) } },
      async handler(c) {
        const p = c.who;
        const { rows } = await c.ctx.pool.query<{ namespace: string }>(
          'select namespace from dags where deleted_at is null union select namespace from dag_tasks where deleted_at is null order by 1',
        );
        const names = new Set(rows.map((r) => r.namespace));
        for (const b of p.bindings) if (b.namespace !== ALL_NAMESPACES) names.add(b.namespace);
        const rank = { viewer: 1, editor: 2, admin: 3 } as const;
        const roleFor = (ns: string) =>
          p.bindings.filter((b) => b.namespace === ns || b.namespace === ALL_NAMESPACES).sort((a, b) => rank[b.role] - rank[a.role])[0]?.role ?? null;
        return { items: [...names].sort().map((name) => ({ name, role: roleFor(name) })).filter((n) => n.role !== null) };
      },
    }),
  ];
}
