// The webhook deliveries the engine's notify commands make: one per command, a stable key, the
// shared envelope, and the approval events' own fields.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunRecord } from '@kontroler/store';
import { webhookItems } from '@kontroler/controller';
import { definition, task } from './fixtures.js';

const run = { id: 7, namespace: 'default', dagName: 'release', dagVersion: 2 } as RunRecord;
const def = definition('release', [task('gate')], { webhook: { url: 'https://hooks.example/k', verifySSL: true } });

test('approval:requested and approval:decided carry the request and the decision, each with a stable key', () => {
  const items = webhookItems(run, def, [
    { type: 'approval:request', task: 'gate', attempt: 1, message: 'ship?', inputs: ['ticket'], timeoutAt: Date.UTC(2026, 11, 7, 12) },
    { type: 'notify:approval', task: 'gate', attempt: 1, approve: false, by: 'ann', comment: 'not today' },
    { type: 'wake', at: 5 },
  ], Date.UTC(2026, 11, 7, 11));
  assert.deepEqual(items.map((i) => [i.event, i.idempotencyKey]), [
    ['approval:requested', 'run-7/task-gate/attempt-1/approval:requested'],
    ['approval:decided', 'run-7/task-gate/attempt-1/approval:decided'],
  ]);
  assert.deepEqual(items[0]?.payload, {
    type: 'approval:requested', idempotencyKey: 'run-7/task-gate/attempt-1/approval:requested', namespace: 'default', dag: 'release', dagVersion: 2, runId: 7,
    task: 'gate', attempt: 1, message: 'ship?', inputs: ['ticket'], timeoutAt: '2026-12-07T12:00:00.000Z', timestamp: '2026-12-07T11:00:00.000Z',
  });
  assert.deepEqual([items[1]?.payload.approve, items[1]?.payload.by, items[1]?.payload.comment], [false, 'ann', 'not today']);
  assert.deepEqual(webhookItems(run, definition('release', [task('gate')]), [{ type: 'notify:run', status: 'failed' }], 1), [], 'no webhook, no deliveries');
});
