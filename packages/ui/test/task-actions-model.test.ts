// Which task actions the run page offers, and why not (the tooltip); what a re-run sends.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { changedParameters, taskActionsOf } from '../dist-lib/features/runs/task-actions-model.js';

const ended = { status: 'failed', cancelRequested: false, requested: null };

test('task actions: a finished task can be retried and marked the other way; an unfinished one not, saying why', () => {
  const failed = taskActionsOf({ name: 'b', status: 'failed' }, ended);
  assert.deepEqual([failed.retry.enabled, failed.retryDownstream.enabled, failed.markSucceeded.enabled, failed.markFailed.enabled], [true, true, true, false]);
  assert.match(failed.markFailed.title, /already failed/);
  const running = taskActionsOf({ name: 'b', status: 'running' }, { ...ended, status: 'running' });
  assert.deepEqual([running.retry.enabled, running.markSucceeded.enabled], [false, false]);
  assert.match(running.retry.title, /b is running: only a finished task/);
  assert.match(running.markSucceeded.title, /b is running/);
  const pending = taskActionsOf({ name: 'c', status: 'pending' }, { ...ended, status: 'running' });
  assert.deepEqual([pending.retry.enabled, pending.markSucceeded.enabled, pending.markFailed.enabled], [false, true, true]);
  const mapped = taskActionsOf({ name: 'm', status: 'failed', instances: 3 }, ended);
  assert.deepEqual([mapped.retry.enabled, mapped.markSucceeded.enabled], [true, false]);
  assert.match(mapped.markSucceeded.title, /mark an instance/);
});

test('task actions: nothing while a cancel is under way or a cancel / retry of the run waits', () => {
  const canceling = taskActionsOf({ name: 'b', status: 'failed' }, { status: 'running', cancelRequested: true, requested: null });
  assert.equal(canceling.retry.enabled, false);
  assert.match(canceling.markSucceeded.title, /being canceled/);
  const waiting = taskActionsOf({ name: 'b', status: 'failed' }, { ...ended, requested: 'retry' });
  assert.match(waiting.retry.title, /A retry of the run waits/);
  assert.equal(taskActionsOf({ name: 'b', status: 'failed' }, { ...ended, requested: 'tasks' }).retry.enabled, true, 'another task action may queue up');
});

test('re-run parameters: only the changed values, and secret overrides that were typed in', () => {
  assert.deepEqual(changedParameters({ A: '1', B: '2' }, { A: '1', B: '3' }, { S: '', T: 'x' }), { B: '3', T: 'x' });
  assert.deepEqual(changedParameters({ A: '1' }, { A: '1' }, {}), {});
});
