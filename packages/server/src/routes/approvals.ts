// Approvals: a person approves or rejects a task that waits for a decision (its `approval`). The
// decision is recorded once (a second is refused with the first), audited, and handed to the
// run's controller, which feeds it to the engine; the task's outputs then carry it.
import { Type } from '@sinclair/typebox';
import { ApprovalDecisionBody, ApprovalDecisionView } from '@kontroler/api-schema';
import { isTerminalRun } from '@kontroler/engine';
import { approvalDecisionsOf, getRun, listAttempts, recordApprovalDecision, runHasTask, type ApprovalDecisionRecord } from '@kontroler/store';
import { apiError } from '../http-errors.js';
import type { AnyRoute } from '../route.js';
import { route } from '../route.js';
import { TaskParams } from '../schemas.js';

function decisionView(d: ApprovalDecisionRecord) {
  return { runId: d.runId, task: d.task, attempt: d.attempt, approve: d.approve, by: d.decidedBy, comment: d.comment ?? null, inputs: d.inputs, at: new Date(d.decidedAt).toISOString() };
}

export function approvalRoutes(): AnyRoute[] {
  return (['approve', 'reject'] as const).map((what) =>
    route({
      method: 'POST',
      url: `/api/v1/runs/:id/tasks/:task/${what}`,
      operationId: `${what}Task`,
      summary: what === 'approve' ? 'Approve a task that waits for a decision' : 'Reject a task that waits for a decision',
      description:
        'Needs the editor role in the run\'s namespace. Accepted (202): the run\'s controller carries it out. Refused with 409 when the task does not wait for a decision ' +
        '(not an approval, already decided, or the run ended) and with 400 naming `body.inputs.NAME` for an input the approval does not declare or, on approve, one it declares but was not given.',
      tags: ['runs'],
      access: { kind: 'run', role: 'editor' },
      audit: `run.${what}`,
      schema: { params: TaskParams, body: Type.Optional(ApprovalDecisionBody), response: { 202: ApprovalDecisionView } },
      async handler(c) {
        const { id, task } = c.params;
        const run = await getRun(c.ctx.pool, id);
        if (!run) throw apiError('NOT_FOUND', `run ${id} not found`);
        if (!(await runHasTask(c.ctx.pool, id, task))) throw apiError('NOT_FOUND', `run ${id} has no task "${task}"`);
        if (isTerminalRun(run.status)) throw apiError('INVALID_STATE', `run ${id} is ${run.status}: its approvals can no longer be decided`);
        const index = await c.ctx.runIndexes.get(c.ctx.pool, run.dagId, run.dagVersion);
        const mapOf = /^(.+)\[\d+\]$/.exec(task)?.[1];
        const brief = index.tasks[index.positions.get(task) ?? index.positions.get(mapOf ?? '') ?? -1];
        const approval = brief?.approval;
        if (!approval) throw apiError('INVALID_STATE', `task ${task} is not an approval: it runs a container, there is nothing to ${what}`);
        const last = (await listAttempts(c.ctx.pool, id, task)).at(-1);
        if (!last || last.kind !== 'approval' || last.status !== 'running') {
          // Decided and carried out already: the refusal names who decided, as while it is pending.
          const earlier = last?.kind === 'approval' ? (await approvalDecisionsOf(c.ctx.pool, id, [{ task, attempt: last.attempt }])).get(task) : undefined;
          if (earlier) throw alreadyDecided(task, id, earlier);
          throw apiError('INVALID_STATE', `task ${task} of run ${id} does not wait for a decision${last ? ` (its approval attempt ${last.attempt} is ${last.status})` : ' yet (its upstream tasks have not finished)'}`);
        }
        const inputs = c.body?.inputs ?? {};
        const details = [
          ...Object.keys(inputs).filter((k) => !approval.inputs.includes(k)).map((k) => ({ path: `body.inputs.${k}`, message: `the approval declares no input "${k}" (declared: ${approval.inputs.join(', ') || 'none'})` })),
          ...(what === 'approve' ? approval.inputs.filter((k) => !Object.hasOwn(inputs, k)).map((k) => ({ path: `body.inputs.${k}`, message: 'required to approve' })) : []),
        ];
        if (details.length > 0) throw apiError('VALIDATION_FAILED', `inputs do not match the approval's: ${details.map((d) => d.path).join(', ')}`, details);
        const r = await recordApprovalDecision(c.ctx.pool, {
          runId: id,
          task,
          attempt: last.attempt,
          approve: what === 'approve',
          decidedBy: c.who.username,
          ...(c.body?.comment !== undefined ? { comment: c.body.comment } : {}),
          inputs,
        });
        if ('earlier' in r) throw alreadyDecided(task, id, r.earlier);
        c.audit({ runId: id, task, attempt: last.attempt, approve: what === 'approve' }, run.namespace);
        c.reply.code(202);
        return decisionView(r.decided);
      },
    }),
  );
}

function alreadyDecided(task: string, runId: number, e: ApprovalDecisionRecord): Error {
  return apiError('INVALID_STATE', `task ${task} of run ${runId} was already ${e.approve ? 'approved' : 'rejected'} by ${e.decidedBy} at ${new Date(e.decidedAt).toISOString()}`);
}
