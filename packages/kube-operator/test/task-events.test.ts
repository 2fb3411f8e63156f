// The per-task Event bound, pure parts: windows roll and tell what they did not send; messages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TASK_EVENTS_PER_MINUTE, TASK_EVENTS_WINDOW_MS, rollWindow, suppressedEvent, taskEvent } from '@kontroler/kube-operator';

test('a window lasts its length, then a new one opens and the old one tells what it held back', () => {
  const w = { start: 1000, sent: TASK_EVENTS_PER_MINUTE, suppressed: 7 };
  assert.deepEqual(rollWindow(w, 1000 + TASK_EVENTS_WINDOW_MS - 1, TASK_EVENTS_WINDOW_MS), { window: w, summarize: 0 });
  assert.deepEqual(rollWindow(w, 1000 + TASK_EVENTS_WINDOW_MS, TASK_EVENTS_WINDOW_MS), { window: { start: 1000 + TASK_EVENTS_WINDOW_MS, sent: 0, suppressed: 0 }, summarize: 7 });
  assert.equal(TASK_EVENTS_PER_MINUTE, 20);
});

test('TaskFailed when no retry is left, TaskRetrying otherwise; the summary says where to look', () => {
  const cursor = { at: 'x', task: 't', attempt: 1 };
  assert.deepEqual(taskEvent(4, { task: 't', attempt: 2, exitCode: 3, reason: 'Error', final: true, cursor }), {
    type: 'Warning',
    reason: 'TaskFailed',
    message: 'run 4: task t failed on attempt 2 (exit code 3: Error); no retry left',
  });
  assert.deepEqual(taskEvent(4, { task: 't', attempt: 1, exitCode: null, reason: 'Lost', final: false, cursor }), {
    type: 'Warning',
    reason: 'TaskRetrying',
    message: 'run 4: task t attempt 1 failed (Lost); retrying',
  });
  const s = suppressedEvent(4, 25, 20);
  assert.equal(s.reason, 'TaskEventsSuppressed');
  assert.match(s.message, /25 more failed task attempts not sent as Events \(at most 20 task Events per run a minute\).*\/api\/v1\/runs\/4\/tasks\?status=failed/);
});
