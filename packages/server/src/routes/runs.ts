// Runs: start (only through the store's `startRun`), list, get with task counts and graph, page
// through a run's tasks, cancel, retry, re-run, attempts, webhook delivery history.
import { Type } from '@sinclair/typebox';
import { LOGICAL_TIME_MAX_LENGTH, parseLogicalTime } from '@kontroler/core';
import { TASK_STATUSES, type RunStatus, type TaskStatus } from '@kontroler/engine';
import {
  GRAPH_MAX_NODES, RUN_TASKS_DEFAULT_LIMIT, RUN_TASKS_MAX_LIMIT, TASK_PREFIX_MAX_LENGTH, getAttempt, getRun, getRunOverview, getRunTask, listAttempts,
  listRunTasks, listRunsPage, listRunsWithCounts, listWebhookDeliveries, requestRun, runGraphSummary, runHasTask, startRun,
} from '@kontroler/store';
import { apiError } from '../http-errors.js';
import { namespacesWith } from '../rbac.js';
import type { ServerContext } from '../context.js';
import type { AnyRoute } from '../route.js';
import { route } from '../route.js';
import { AttemptParams, AttemptView, DeliveryView, Cursor, Limit, Name, Namespace, NsNameParams, Page, Parameters, RunDetailView, RunParams, RunStatusSchema, RunSummary, RunTaskView, TaskParams, Timestamp } from '../schemas.js';
import { attemptView, briefOf, decodeCursor, deliveryView, encodeCursor, runDetail, runSummary, runTaskView, taskCursor, taskCursorPosition } from '../views.js';

const StartBody = Type.Object(
  {
    parameters: Type.Optional(Parameters),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 253, pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$', description: 'Unique per namespace: repeating a start with the same name returns the first run' })),
    logicalTime: Type.Optional(Type.String({ minLength: 1, maxLength: LOGICAL_TIME_MAX_LENGTH, description: 'The run\'s logical time (RFC 3339 with an offset): tasks get it as KONTROLER_LOGICAL_TIME and {{run.logicalTime}}' })),
  },
  { additionalProperties: false },
);

/** Tasks GET /runs/{id} shows (the rest through GET /runs/{id}/tasks). */
export const RUN_DETAIL_TASKS = 100;

/** `status=failed,running` as task statuses; 400 naming query.status for one that is not. */
function taskStatuses(list: string | undefined): TaskStatus[] {
  const given = list ? list.split(',').map((s) => s.trim()).filter((s) => s !== '') : [];
  const bad = given.filter((s) => !(TASK_STATUSES as readonly string[]).includes(s));
  if (bad.length > 0) {
    throw apiError('VALIDATION_FAILED', `unknown task status ${bad.map((b) => JSON.stringify(b)).join(', ')}`, [
      { path: 'query.status', message: `${JSON.stringify(bad[0])} is not one of ${TASK_STATUSES.join(', ')}` },
    ]);
  }
  return given as TaskStatus[];
}

function badCursor(): Error {
  return apiError('VALIDATION_FAILED', 'bad cursor', [{ path: 'query.cursor', message: 'is not a cursor from this API' }]);
}

/** GET /runs/{id}'s answer (also pushed by GET /runs/{id}/events?detail=true); undefined when there is no such run. */
export async function readRunDetail(ctx: ServerContext, id: number): Promise<ReturnType<typeof runDetail> | undefined> {
  const o = await getRunOverview(ctx.pool, id);
  if (!o) return undefined;
  const index = await ctx.runIndexes.get(ctx.pool, o.run.dagId, o.run.dagVersion);
  const [page, summary] = await Promise.all([listRunTasks(ctx.pool, o.run.id, { limit: RUN_DETAIL_TASKS }), runGraphSummary(ctx.pool, o.run.id, index)]);
  return runDetail(o, index, page, summary);
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
        const logical = body.logicalTime !== undefined ? parseLogicalTime(body.logicalTime) : undefined;
        if (logical && !logical.ok) throw apiError('VALIDATION_FAILED', `logicalTime: ${logical.message}`, [{ path: 'body.logicalTime', message: logical.message }]);
        const { run, created } = await startRun(c.ctx.pool, {
          namespace: c.params.ns,
          dagName: c.params.name,
          parameters: body.parameters ?? {},
          ...(body.name !== undefined ? { name: body.name } : {}),
          ...(logical?.ok ? { scheduledFor: logical.ms } : {}),
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
      summary: 'A run with its task counts, its first page of tasks, and its graph (grouped for large DAGs)',
      description:
        `\`tasks\` holds at most ${RUN_DETAIL_TASKS} tasks in definition order; \`tasksNextCursor\` continues them with GET /runs/{id}/tasks. ` +
        `\`graph\` is sent for DAGs of at most ${GRAPH_MAX_NODES} tasks, \`graphSummary\` (tasks grouped by name prefix) for larger ones.`,
      tags: ['runs'],
      access: runViewer,
      schema: { params: RunParams, response: { 200: RunDetailView } },
      async handler(c) {
        const d = await readRunDetail(c.ctx, c.params.id);
        if (!d) throw apiError('NOT_FOUND', `run ${c.params.id} not found`);
        return d;
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/runs/:id/tasks',
      operationId: 'listRunTasks',
      summary: "A page of a run's tasks in definition order, filtered by status and name prefix",
      description: 'Pages are stable while the run runs: a task is never skipped or repeated (its status may change between pages). Pass the same filters with each cursor.',
      tags: ['runs'],
      access: runViewer,
      schema: {
        params: RunParams,
        querystring: Type.Object({
          status: Type.Optional(Type.String({ maxLength: 100, description: `Comma-separated task statuses (${TASK_STATUSES.join(', ')})` })),
          prefix: Type.Optional(Type.String({ maxLength: TASK_PREFIX_MAX_LENGTH, description: 'Only tasks whose name starts with this' })),
          mapOf: Type.Optional(Type.String({ minLength: 1, maxLength: 253, description: "The instances of this mapped task (NAME[0], NAME[1], ... in item order) instead of the run's tasks; instances are listed only so" })),
          cursor: Type.Optional(Cursor),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: RUN_TASKS_MAX_LIMIT, default: RUN_TASKS_DEFAULT_LIMIT })),
        }),
        response: { 200: Page(RunTaskView) },
      },
      async handler(c) {
        const q = c.query;
        const status = taskStatuses(q.status);
        const after = q.cursor ? taskCursorPosition(q.cursor) : undefined;
        if (after === null) throw badCursor();
        const o = await getRunOverview(c.ctx.pool, c.params.id);
        if (!o) throw apiError('NOT_FOUND', `run ${c.params.id} not found`);
        const [index, page] = await Promise.all([
          c.ctx.runIndexes.get(c.ctx.pool, o.run.dagId, o.run.dagVersion),
          listRunTasks(c.ctx.pool, o.run.id, {
            ...(status.length > 0 ? { status } : {}),
            ...(q.prefix ? { prefix: q.prefix } : {}),
            ...(q.mapOf !== undefined ? { mapOf: q.mapOf } : {}),
            ...(after !== undefined ? { afterPosition: after } : {}),
            limit: q.limit ?? RUN_TASKS_DEFAULT_LIMIT,
          }),
        ]);
        return {
          items: page.tasks.map((t) => runTaskView(briefOf(index, t), t)),
          ...(page.nextPosition !== undefined ? { nextCursor: taskCursor(page.nextPosition) } : {}),
        };
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/runs/:id/tasks/:task',
      operationId: 'getRunTask',
      summary: 'One task of a run, or one instance of a mapped task (`NAME[i]`, URL-encoded), with its attempts and outputs',
      description: 'The task as GET /runs/{id}/tasks lists it, read by its name whatever the run\'s size. 404 when the run has no such task.',
      tags: ['runs'],
      access: runViewer,
      schema: { params: TaskParams, response: { 200: RunTaskView } },
      async handler(c) {
        const o = await getRunOverview(c.ctx.pool, c.params.id);
        if (!o) throw apiError('NOT_FOUND', `run ${c.params.id} not found`);
        const [index, t] = await Promise.all([c.ctx.runIndexes.get(c.ctx.pool, o.run.dagId, o.run.dagVersion), getRunTask(c.ctx.pool, o.run.id, c.params.task)]);
        if (!t) throw apiError('NOT_FOUND', `run ${c.params.id} has no task ${JSON.stringify(c.params.task)}`, [{ path: 'params.task', message: `${JSON.stringify(c.params.task)} is not a task of run ${c.params.id} (an instance of a mapped task is NAME[index])` }]);
        return runTaskView(briefOf(index, t), t);
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
        if (!(await runHasTask(c.ctx.pool, c.params.id, c.params.task))) throw apiError('NOT_FOUND', `run ${c.params.id} has no task ${c.params.task}`);
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

