// Runs: start (only through the store's `startRun`), list, get with graph and task state, cancel,
// retry, re-run, attempts, webhook delivery history.
import { Type } from '@sinclair/typebox';
import type { RunStatus } from '@kontroler/engine';
import { getAttempt, getRun, listAttempts, listRunsPage, listRunsWithCounts, listWebhookDeliveries, loadRun, requestRun, startRun } from '@kontroler/store';
import { apiError } from '../http-errors.js';
import { namespacesWith } from '../rbac.js';
import type { AnyRoute } from '../route.js';
import { route } from '../route.js';
import { AttemptParams, AttemptView, DeliveryView, Cursor, Limit, Name, Namespace, NsNameParams, Page, Parameters, RunDetailView, RunParams, RunStatusSchema, RunSummary, TaskParams, Timestamp } from '../schemas.js';
import { attemptView, decodeCursor, deliveryView, encodeCursor, runDetail, runSummary } from '../views.js';

const StartBody = Type.Object(
  {
    parameters: Type.Optional(Parameters),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 253, pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$', description: 'Unique per namespace: repeating a start with the same name returns the first run' })),
  },
  { additionalProperties: false },
);

function badCursor(): Error {
  return apiError('VALIDATION_FAILED', 'bad cursor', [{ path: 'query.cursor', message: 'is not a cursor from this API' }]);
}

export function runRoutes(): AnyRoute[] {
  const runViewer = { kind: 'run', role: 'viewer' } as const;
  const runEditor = { kind: 'run', role: 'editor' } as const;
  return [
    route({
      method: 'POST',
      url: '/api/v1/namespaces/:ns/dags/:name/runs',
      operationId: 'startRun',
      summary: 'Start a run of the DAG\'s current version with parameters',
      description: 'Unknown parameters and values that are not strings answer 400 naming them.',
      tags: ['runs'],
      access: { kind: 'namespace', role: 'editor' },
      audit: 'run.start',
      schema: { params: NsNameParams, body: Type.Optional(StartBody), response: { 201: RunSummary, 200: RunSummary } },
      async handler(c) {
        const body = c.body ?? {};
        const { run, created } = await startRun(c.ctx.pool, {
          namespace: c.params.ns,
          dagName: c.params.name,
          parameters: body.parameters ?? {},
          ...(body.name !== undefined ? { name: body.name } : {}),
          trigger: 'api',
        });
        c.audit({ dag: c.params.name, runId: run.id, parameters: Object.keys(body.parameters ?? {}) });
        c.reply.code(created ? 201 : 200);
        return runSummary(run);
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/runs',
      operationId: 'listRuns',
      summary: 'List runs, newest first, with filters and cursor pagination',
      tags: ['runs'],
      access: { kind: 'any-namespace', role: 'viewer' },
      schema: {
        querystring: Type.Object({
          namespace: Type.Optional(Namespace),
          dag: Type.Optional(Name),
          status: Type.Optional(Type.Union([RunStatusSchema, Type.Array(RunStatusSchema, { maxItems: 5 }), Type.String({ pattern: '^[a-z]+(,[a-z]+)*$', maxLength: 60 })])),
          since: Type.Optional(Timestamp),
          until: Type.Optional(Timestamp),
          cursor: Type.Optional(Cursor),
          limit: Type.Optional(Limit),
          taskCounts: Type.Optional(Type.Boolean({ description: 'Add each run\'s task status counts (costs more)' })),
        }),
        response: { 200: Page(RunSummary) },
      },
      async handler(c) {
        const q = c.query;
        const statuses = (Array.isArray(q.status) ? q.status : q.status ? q.status.split(',') : []) as string[];
        const bad = statuses.filter((s) => !['pending', 'running', 'succeeded', 'failed', 'canceled'].includes(s));
        if (bad.length > 0) throw apiError('VALIDATION_FAILED', `unknown status ${bad.join(', ')}`, [{ path: 'query.status', message: 'must be pending, running, succeeded, failed or canceled' }]);
        const cur = decodeCursor(q.cursor);
        if (cur !== undefined && !(typeof cur === 'number' && Number.isSafeInteger(cur) && cur > 0)) throw badCursor();
        const visible = namespacesWith(c.who, 'viewer');
        const limit = q.limit ?? 50;
        const page = await (q.taskCounts === true ? listRunsWithCounts : listRunsPage)(c.ctx.pool, {
          ...(visible ? { namespaces: visible } : {}),
          ...(q.namespace ? { namespace: q.namespace } : {}),
          ...(q.dag ? { dagName: q.dag } : {}),
          ...(statuses.length > 0 ? { status: statuses as RunStatus[] } : {}),
          ...(q.since ? { createdAfter: Date.parse(q.since) } : {}),
          ...(q.until ? { createdBefore: Date.parse(q.until) } : {}),
          ...(typeof cur === 'number' ? { beforeId: cur } : {}),
          limit,
        });
        const last = page.runs[page.runs.length - 1];
        return {
          items: page.runs.map((r) => runSummary(r, 'taskCounts' in r ? (r as { taskCounts: Record<string, number> }).taskCounts : undefined)),
          ...(page.more && last ? { nextCursor: encodeCursor(last.id) } : {}),
        };
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/runs/:id',
      operationId: 'getRun',
      summary: 'A run with its graph and every task\'s state and attempts',
      tags: ['runs'],
      access: runViewer,
      schema: { params: RunParams, response: { 200: RunDetailView } },
      async handler(c) {
        const d = await loadRun(c.ctx.pool, c.params.id);
        if (!d) throw apiError('NOT_FOUND', `run ${c.params.id} not found`);
        return runDetail(d);
      },
    }),
    ...(['cancel', 'retry'] as const).map((what) =>
      route({
        method: 'POST',
        url: `/api/v1/runs/:id/${what}`,
        operationId: `${what}Run`,
        summary: what === 'cancel' ? 'Cancel a pending or running run' : 'Retry a failed or canceled run from its failed tasks',
        description: 'Accepted (202): the controller carries the request out; poll the run or follow its logs.',
        tags: ['runs'],
        access: runEditor,
        audit: `run.${what}`,
        schema: { params: RunParams, response: { 202: RunSummary } },
        async handler(c) {
          c.audit({ runId: c.params.id });
          const run = await requestRun(c.ctx.pool, c.params.id, what);
          c.reply.code(202);
          return runSummary(run);
        },
      }),
    ),
    route({
      method: 'POST',
      url: '/api/v1/runs/:id/rerun',
      operationId: 'rerunRun',
      summary: 'Start a new run of the same DAG with the same parameters, overridden by `parameters`',
      tags: ['runs'],
      access: runEditor,
      audit: 'run.rerun',
      schema: { params: RunParams, body: Type.Optional(Type.Object({ parameters: Type.Optional(Parameters) }, { additionalProperties: false })), response: { 201: RunSummary } },
      async handler(c) {
        const old = await getRun(c.ctx.pool, c.params.id);
        if (!old) throw apiError('NOT_FOUND', `run ${c.params.id} not found`);
        const parameters = { ...old.parameters, ...(c.body?.parameters ?? {}) };
        const secretParameters = Object.fromEntries(Object.entries(old.secretRefs).filter(([k]) => !(k in (c.body?.parameters ?? {}))));
        const { run } = await startRun(c.ctx.pool, { namespace: old.namespace, dagName: old.dagName, parameters, secretParameters, trigger: 'api' });
        c.audit({ from: old.id, runId: run.id }, old.namespace);
        c.reply.code(201);
        return runSummary(run);
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/runs/:id/tasks/:task/attempts',
      operationId: 'listAttempts',
      summary: 'Every attempt of a task: status, exit code, reason, timings',
      tags: ['runs'],
      access: runViewer,
      schema: { params: TaskParams, response: { 200: Type.Object({ items: Type.Array(AttemptView) }) } },
      async handler(c) {
        const run = await loadRun(c.ctx.pool, c.params.id);
        if (!run || !run.definition.tasks.some((t) => t.name === c.params.task)) throw apiError('NOT_FOUND', `run ${c.params.id} has no task ${c.params.task}`);
        const items = await listAttempts(c.ctx.pool, c.params.id, c.params.task);
        return { items: items.map((a) => attemptView(a, a.logSize)) };
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/runs/:id/tasks/:task/attempts/:n',
      operationId: 'getAttempt',
      summary: 'One attempt of a task',
      tags: ['runs'],
      access: runViewer,
      schema: { params: AttemptParams, response: { 200: AttemptView } },
      async handler(c) {
        const a = await getAttempt(c.ctx.pool, c.params.id, c.params.task, c.params.n);
        if (!a) throw apiError('NOT_FOUND', `run ${c.params.id} task ${c.params.task} has no attempt ${c.params.n}`);
        return attemptView(a, a.logSize);
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/runs/:id/webhooks',
      operationId: 'listRunWebhooks',
      summary: 'Webhook delivery history of a run',
      tags: ['runs', 'webhooks'],
      access: runViewer,
      schema: { params: RunParams, response: { 200: Type.Object({ items: Type.Array(DeliveryView) }) } },
      async handler(c) {
        return { items: (await listWebhookDeliveries(c.ctx.pool, c.params.id)).map(deliveryView) };
      },
    }),
  ];
}

