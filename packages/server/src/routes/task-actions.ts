// Task actions from the run page: retry one task (optionally with the tasks after it) and mark one
// succeeded or failed. Checked here against the task's state (409 naming it), recorded with who
// asked, audited, and handed to the run's controller through `runs.requested = 'tasks'` (as a
// cancel or retry of the run is), which feeds them to the engine (`task:retry`, `task:mark`).
import { Type } from '@sinclair/typebox';
import { TaskMarkBody, TaskRequestView, TaskRetryBody } from '@kontroler/api-schema';
import { isTerminalRun, markRefusal, retryRefusal, type TaskState } from '@kontroler/engine';
import { getRun, getRunTask, requestTaskAction, type RunRecord, type RunTaskRecord, type TaskRequestRecord } from '@kontroler/store';
import type { PoolLike } from '@kontroler/store';
import { apiError } from '../http-errors.js';
import type { AnyRoute } from '../route.js';
import { route } from '../route.js';
import { TaskParams } from '../schemas.js';

function requestView(r: TaskRequestRecord) {
  const common = { id: r.id, runId: r.runId, task: r.task, action: r.action, by: r.by, at: new Date(r.requestedAt).toISOString() };
  return r.action === 'retry' ? { ...common, downstream: r.downstream } : { ...common, status: r.status };
}

/** The run and its task, or 404 naming which is missing; 409 while a cancel is under way. */
async function runAndTask(pool: PoolLike, id: number, task: string): Promise<{ run: RunRecord; t: TaskState }> {
  const run = await getRun(pool, id);
  if (!run) throw apiError('NOT_FOUND', `run ${id} not found`);
  const rec: RunTaskRecord | undefined = await getRunTask(pool, id, task);
  if (!rec) throw apiError('NOT_FOUND', `run ${id} has no task ${JSON.stringify(task)}`, [{ path: 'params.task', message: `${JSON.stringify(task)} is not a task of run ${id} (an instance of a mapped task is NAME[index])` }]);
  if (run.cancelRequested && !isTerminalRun(run.status)) throw apiError('INVALID_STATE', `run ${id} is being canceled: act on its tasks once it has ended`);
  return { run, t: { name: rec.name, status: rec.status, attempts: [], ...(rec.instances !== undefined ? { instances: rec.instances } : {}) } };
}

export function taskActionRoutes(): AnyRoute[] {
  return [
    route({
      method: 'POST',
      url: '/api/v1/runs/:id/tasks/:task/retry',
      operationId: 'retryTask',
      summary: 'Run one finished task of a run again, optionally with every finished task after it',
      description:
        "Needs the editor role in the run's namespace. The task (and, with `downstream: true`, each finished task after it through runAfter) gets a new attempt; " +
        'tasks after it that are not reset keep their result. A finished run runs again. Accepted (202): the run\'s controller carries it out. ' +
        '409 INVALID_STATE naming the task\'s state when it has not finished (pending, waiting, running), while a cancel is under way, or while a cancel / retry of the run waits to be carried out.',
      tags: ['runs'],
      access: { kind: 'run', role: 'editor' },
      audit: 'task.retry',
      schema: { params: TaskParams, body: Type.Optional(TaskRetryBody), response: { 202: TaskRequestView } },
      async handler(c) {
        const { id, task } = c.params;
        c.audit({ runId: id, task }); // a refusal names its target too
        const { run, t } = await runAndTask(c.ctx.pool, id, task);
        const refusal = retryRefusal(t);
        if (refusal) throw apiError('INVALID_STATE', `${refusal} (run ${id})`);
        const downstream = c.body?.downstream ?? false;
        const r = await requestTaskAction(c.ctx.pool, { runId: id, task, action: 'retry', downstream, by: c.who.username });
        c.audit({ downstream, was: t.status }, run.namespace);
        c.reply.code(202);
        return requestView(r);
      },
    }),
    route({
      method: 'POST',
      url: '/api/v1/runs/:id/tasks/:task/mark',
      operationId: 'markTask',
      summary: 'Mark a task of a run succeeded or failed',
      description:
        "Needs the editor role in the run's namespace. Tasks after it see that outcome (a task marked succeeded lets the pending tasks after it start; " +
        'tasks already skipped stay skipped: retry them, or the run); a finished run\'s outcome is evaluated again. The task\'s reason records who marked it (`MarkedSucceeded: by NAME`). ' +
        "Accepted (202). 409 INVALID_STATE naming the task's state for a running task, a mapped task (mark its instances), a task already in that state, or while a cancel is under way.",
      tags: ['runs'],
      access: { kind: 'run', role: 'editor' },
      audit: 'task.mark',
      schema: { params: TaskParams, body: TaskMarkBody, response: { 202: TaskRequestView } },
      async handler(c) {
        const { id, task } = c.params;
        c.audit({ runId: id, task, mark: c.body.status }); // a refusal names its target too
        const { run, t } = await runAndTask(c.ctx.pool, id, task);
        const status = c.body.status;
        const refusal = markRefusal(t, status);
        if (refusal) throw apiError('INVALID_STATE', `${refusal} (run ${id})`);
        const r = await requestTaskAction(c.ctx.pool, { runId: id, task, action: 'mark', status, by: c.who.username });
        c.audit({ was: t.status }, run.namespace);
        c.reply.code(202);
        return requestView(r);
      },
    }),
  ];
}
