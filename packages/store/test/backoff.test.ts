import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay, RECONNECT_BACKOFF } from '@kontroler/store';

test('reconnect delays double from the first, stay within [d/2, d], and stop at the cap', () => {
  const lo = () => 0;
  const hi = () => 1;
  assert.equal(backoffDelay(1, RECONNECT_BACKOFF, hi), RECONNECT_BACKOFF.firstMs);
  assert.equal(backoffDelay(1, RECONNECT_BACKOFF, lo), RECONNECT_BACKOFF.firstMs / 2);
  assert.equal(backoffDelay(2, RECONNECT_BACKOFF, hi), RECONNECT_BACKOFF.firstMs * 2);
  // At and far beyond the cap (no overflow to Infinity or NaN).
  for (const n of [7, 8, 50, 10_000]) {
    assert.equal(backoffDelay(n, RECONNECT_BACKOFF, hi), RECONNECT_BACKOFF.maxMs, `failure ${n}`);
    assert.equal(backoffDelay(n, RECONNECT_BACKOFF, lo), RECONNECT_BACKOFF.maxMs / 2);
  }
});
