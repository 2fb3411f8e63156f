import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readSettings } from '../dist/settings.js';

test('KONTROLER_WEBHOOK_ALLOW is read and checked at startup, naming a bad entry', () => {
  assert.deepEqual(readSettings({}, {}).webhookPolicy.allow, []);
  assert.deepEqual(readSettings({}, { KONTROLER_WEBHOOK_ALLOW: '127.0.0.1, 10.0.0.0/8' }).webhookPolicy.allow, ['127.0.0.1', '10.0.0.0/8']);
  assert.throws(() => readSettings({}, { KONTROLER_WEBHOOK_ALLOW: '127.0.0.1,10.0.0.0/40' }), /KONTROLER_WEBHOOK_ALLOW: "10\.0\.0\.0\/40" has a bad prefix length/);
});
