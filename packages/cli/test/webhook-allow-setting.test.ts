import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readSettings } from '../dist/settings.js';

test('KONTROLER_WEBHOOK_ALLOW is read and checked at startup, naming a bad entry', () => {
  assert.equal(readSettings({}, {}).webhookAllow, '');
  assert.equal(readSettings({}, { KONTROLER_WEBHOOK_ALLOW: '127.0.0.1, 10.0.0.0/8' }).webhookAllow, '127.0.0.1, 10.0.0.0/8');
  assert.throws(() => readSettings({}, { KONTROLER_WEBHOOK_ALLOW: '127.0.0.1,10.0.0.0/40' }), /KONTROLER_WEBHOOK_ALLOW: "10\.0\.0\.0\/40" has a bad prefix length/);
});
