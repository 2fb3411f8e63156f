import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Approval, RunTask } from '@kontroler/client';
import { approvalState, awaitsDecision, decisionBody, decisionErrors, decisionText } from '../dist-lib/features/approvals/model.js';
import { graphFromRun } from '../dist-lib/features/graph/model.js';
import { chipCountsOf } from '../dist-lib/features/runs/run-view.js';

const asking: Approval = { attempt: 1, message: 'Deploy?', inputs: ['ticket', 'env'], timeoutAt: null, onTimeout: 'Reject', waiting: true, decision: null };
const decision = { approve: true, by: 'ana', comment: null, inputs: { ticket: 'OPS-7' }, at: '2024-01-01T00:00:00.000Z' };

test('approvalState: a decision wins (even before it is carried out), then waiting, then no attempt yet or closed', () => {
  assert.equal(approvalState(asking), 'waiting');
  assert.equal(approvalState({ ...asking, decision }), 'decided');
  assert.equal(approvalState({ ...asking, waiting: false, decision }), 'decided');
  assert.equal(approvalState({ ...asking, attempt: 0, waiting: false }), 'pending');
  assert.equal(approvalState({ ...asking, waiting: false }), 'closed');
});

test('awaitsDecision: only an approval task that waits, not a decided one nor another kind', () => {
  assert.equal(awaitsDecision({ kind: 'approval', approval: asking }), true);
  assert.equal(awaitsDecision({ kind: 'approval', approval: { ...asking, decision } }), false);
  assert.equal(awaitsDecision({ kind: 'task' }), false);
  assert.equal(awaitsDecision({ kind: 'approval' }), false);
});

test('decisionBody: approve sends every declared input, reject the filled ones; undeclared values and a blank comment are left out', () => {
  const values = { ticket: 'OPS-7', env: '', stray: 'x' };
  assert.deepEqual(decisionBody(true, ['ticket', 'env'], values, 'ship it'), { comment: 'ship it', inputs: { ticket: 'OPS-7', env: '' } });
  assert.deepEqual(decisionBody(false, ['ticket', 'env'], values, '  '), { inputs: { ticket: 'OPS-7' } });
  assert.deepEqual(decisionBody(false, ['ticket'], {}, ''), {});
  assert.deepEqual(decisionBody(true, [], values, 'ok'), { comment: 'ok' });
});

test('decisionErrors: body.inputs.NAME (also in brackets) to its field, body.comment to the comment, the rest kept', () => {
  const e = decisionErrors([
    { path: 'body.inputs.ticket', message: 'required to approve' },
    { path: 'body.inputs.ticket', message: 'must NOT have more than 4096 characters' },
    { path: 'body.inputs["odd-name"]', message: 'unknown' },
    { path: 'body.comment', message: 'too long' },
    { path: 'body', message: 'must be object' },
  ]);
  assert.deepEqual(e, { inputs: { ticket: 'required to approve; must NOT have more than 4096 characters', 'odd-name': 'unknown' }, comment: 'too long', other: ['body: must be object'] });
});

test('decisionText: who decided, or the timeout', () => {
  assert.equal(decisionText(decision), 'approved by ana');
  assert.equal(decisionText({ ...decision, approve: false, by: 'timeout' }), 'rejected on timeout');
});

test('graphFromRun: a waiting approval is marked awaiting with its own detail; decided, it is a task like any', () => {
  const attempt = { attempt: 1, status: 'running', exitCode: null, reason: null, handle: null, createdAt: '2024-01-01T00:00:00Z', startedAt: null, finishedAt: null, durationMs: null, logSize: 0, kind: 'approval' as const };
  const gate: RunTask = { name: 'gate', status: 'running', reason: null, retryAt: null, runAfter: [], image: '', attempts: [attempt], kind: 'approval', approval: asking };
  const graph = { nodes: ['gate'], edges: [] };
  assert.deepEqual(graphFromRun({ graph, tasks: [gate] }).nodes[0], { id: 'gate', status: 'running', attempts: 1, detail: 'waiting for approval', awaiting: true });
  const decided = graphFromRun({ graph, tasks: [{ ...gate, approval: { ...asking, decision } }] }).nodes[0];
  assert.equal(decided?.awaiting, undefined);
  assert.equal(decided?.status, 'running');
});

test('chipCountsOf: an approval task that waits is counted as waiting for approval, not running; a large run keeps the server counts', () => {
  const counts = { pending: 1, waiting: 1, running: 3, succeeded: 2, failed: 0, skipped: 0, canceled: 0 };
  const tasks = [
    { kind: 'approval' as const, approval: asking, status: 'running' },
    { kind: 'approval' as const, approval: { ...asking, decision }, status: 'running' },
    { kind: 'approval' as const, approval: { ...asking, attempt: 0, waiting: false }, status: 'pending' },
    { status: 'running' },
    { status: 'waiting' },
  ] as Array<Pick<RunTask, 'kind' | 'approval' | 'status'>>;
  const chips = chipCountsOf(counts, tasks);
  assert.equal(chips.approvals, 1);
  assert.deepEqual(chips.counts, { ...counts, running: 2 });
  assert.equal(counts.running, 3, 'the counts given are not changed');
  assert.deepEqual(chipCountsOf(counts, undefined), { counts, approvals: undefined });
  assert.deepEqual(chipCountsOf(counts, []).approvals, 0);
});
