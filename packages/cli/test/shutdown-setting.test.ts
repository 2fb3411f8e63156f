import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_SHUTDOWN_TIMEOUT_SECONDS, shutdownTimeoutFrom } from '@kontroler/cli';

test('KONTROLER_SHUTDOWN_TIMEOUT_SECONDS: default 20, at least 1, whole seconds only', () => {
  assert.equal(DEFAULT_SHUTDOWN_TIMEOUT_SECONDS, 20);
  assert.equal(shutdownTimeoutFrom({}), 20);
  assert.equal(shutdownTimeoutFrom({ KONTROLER_SHUTDOWN_TIMEOUT_SECONDS: '1' }), 1);
  assert.throws(() => shutdownTimeoutFrom({ KONTROLER_SHUTDOWN_TIMEOUT_SECONDS: '0' }), /at least 1/);
  assert.throws(() => shutdownTimeoutFrom({ KONTROLER_SHUTDOWN_TIMEOUT_SECONDS: '2.5' }), /whole number/);
});
