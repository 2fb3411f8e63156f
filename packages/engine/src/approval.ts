// Approvals (human in the loop): a task with `approval` runs no process; its attempt waits for a
// person's decision (`approval:decided`), or for its timeout, when `onTimeout` decides. Pure
// per-task transitions; decide.ts says when they apply.
import type { ResolvedTask } from '@kontroler/core';
import type { Command, RunEvent } from './events.js';
import type { AttemptState, ResolvedInputs, TaskState } from './state.js';
import { lastAttempt } from './state.js';
import { identity } from './transitions.js';

/** Who decides an approval whose timeout passed (`by` of its decision and outputs). */
export const APPROVAL_TIMEOUT_BY = 'timeout';

export type ApprovalDecision = Omit<Extract<RunEvent, { type: 'approval:decided' }>, 'type' | 'task'>;

/** Whether the task's current attempt is an approval waiting for its decision. */
export function isWaitingApproval(t: TaskState | undefined): boolean {
  const a = t && lastAttempt(t);
  return t?.status === 'running' && a?.kind === 'approval' && a.status === 'running';
}

/**
 * The task once its approval attempt is created: running at once (there is nothing to start), and
 * the command that records and announces the request.
 */
export function requestedApproval(spec: ResolvedTask, t: TaskState, now: number, resolved?: ResolvedInputs): { task: TaskState; command: Command } {
  const approval = spec.approval ?? { message: '', onTimeout: 'Reject' as const, inputs: [] };
  const n = t.attempts.length + 1;
  const deadlineAt = approval.timeoutSeconds !== undefined ? now + approval.timeoutSeconds * 1000 : undefined;
  const attempt: AttemptState = Object.assign(
    { attempt: n, kind: 'approval' as const, status: 'running' as const, createdAt: now, startedAt: now },
    deadlineAt !== undefined ? { deadlineAt } : {},
    resolved !== undefined ? { resolved } : {},
  );
  return {
    task: Object.assign(identity(t), { status: 'running' as const, attempts: [...t.attempts, attempt] }),
    command: {
      type: 'approval:request',
      task: t.name,
      attempt: n,
      message: resolved?.message ?? approval.message,
      inputs: approval.inputs,
      ...(deadlineAt !== undefined ? { timeoutAt: deadlineAt } : {}),
    },
  };
}

/**
 * The task once its waiting approval is decided: approved → succeeded with outputs `approvedBy`,
 * `comment` and the declared inputs (an undeclared one is dropped, a missing one is ''); rejected
 * → failed for good (a rejection is not retried; a retry of the run asks again). Undefined when
 * the decision is stale (not the task's waiting approval attempt).
 */
export function decidedApproval(spec: ResolvedTask | undefined, t: TaskState, d: ApprovalDecision): { task: TaskState; command: Command } | undefined {
  const a = lastAttempt(t);
  if (!a || !isWaitingApproval(t) || a.attempt !== d.attempt) return undefined;
  const comment = d.comment ?? '';
  const command: Command = { type: 'notify:approval', task: t.name, attempt: a.attempt, approve: d.approve, by: d.by, ...(d.comment !== undefined ? { comment: d.comment } : {}) };
  if (d.approve) {
    const outputs: Record<string, string> = {};
    for (const name of spec?.approval?.inputs ?? []) {
      const v = d.inputs && Object.hasOwn(d.inputs, name) ? d.inputs[name] : undefined;
      Object.defineProperty(outputs, name, { value: v ?? '', enumerable: true, writable: true });
    }
    outputs.approvedBy = d.by;
    outputs.comment = comment;
    const ended: AttemptState = Object.assign({}, a, { status: 'succeeded' as const, finishedAt: d.at, reason: d.by === APPROVAL_TIMEOUT_BY ? 'ApprovedOnTimeout' : 'Approved', outputs });
    return { task: Object.assign(identity(t), { status: 'succeeded' as const, attempts: [...t.attempts.slice(0, -1), ended] }), command };
  }
  const why = d.by === APPROVAL_TIMEOUT_BY ? 'RejectedOnTimeout: no decision before the approval timed out' : `Rejected by ${d.by}${comment ? `: ${comment}` : ''}`;
  const ended: AttemptState = Object.assign({}, a, { status: 'failed' as const, finishedAt: d.at, reason: why });
  return { task: Object.assign(identity(t), { status: 'failed' as const, attempts: [...t.attempts.slice(0, -1), ended], reason: why }), command };
}

/** The decision `onTimeout` makes for a waiting approval whose timeout passed. */
export function timeoutDecision(spec: ResolvedTask | undefined, a: AttemptState, now: number): ApprovalDecision {
  return { attempt: a.attempt, approve: spec?.approval?.onTimeout === 'Approve', by: APPROVAL_TIMEOUT_BY, at: now };
}

/** A waiting approval once its run is canceled: the attempt and the task canceled (there is nothing to kill). */
export function canceledApproval(t: TaskState, now: number): TaskState {
  const a = lastAttempt(t);
  const attempts = a ? [...t.attempts.slice(0, -1), Object.assign({}, a, { status: 'canceled' as const, finishedAt: now, reason: 'Canceled' })] : t.attempts;
  return Object.assign(identity(t), { status: 'canceled' as const, attempts, reason: 'Canceled' });
}
