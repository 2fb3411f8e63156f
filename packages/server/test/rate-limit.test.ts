// The failure throttle: free failures, then growing delays up to a cap; forgotten after a quiet
// window; at most maxKeys keys, the least recently failed evicted first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '@kontroler/testing';
import { FailureThrottle, addressKey, throttleFrom } from '../dist/auth/rate-limit.js';

const clock = () => new ManualClock(1_000_000);

test('free failures, then delays of 1 s, 2 s, 4 s ... capped; never a lockout', () => {
  const c = clock();
  const th = new FailureThrottle({ freeFailures: 3, baseDelayMs: 1000, maxDelayMs: 8000, forgetAfterMs: 60_000, now: c.now });
  assert.deepEqual([th.fail('k'), th.fail('k')], [0, 0]);
  assert.equal(th.retryAfter('k'), 0);
  const waits: number[] = [];
  for (let i = 0; i < 6; i++) {
    waits.push(th.fail('k'));
    assert.equal(th.retryAfter('k'), waits[waits.length - 1]);
    c.advance(waits[waits.length - 1]! * 1000);
    assert.equal(th.retryAfter('k'), 0, 'the delay ends');
  }
  assert.deepEqual(waits, [1, 2, 4, 8, 8, 8]);
  assert.equal(th.retryAfter('other'), 0, 'other keys are not affected');
});

test('a quiet window forgets a key; reset forgets it at once', () => {
  const c = clock();
  const th = throttleFrom({ max: 1, windowSeconds: 60 }, c.now);
  assert.equal(th.fail('k'), 1);
  c.advance(60_000);
  assert.equal(th.retryAfter('k'), 0);
  assert.equal(th.fail('k'), 1, 'counting starts again after the window');
  th.reset('k');
  assert.equal(th.retryAfter('k'), 0);
  assert.equal(th.size, 0);
});

test('memory is bounded: at maxKeys the least recently failed key is evicted', () => {
  const c = clock();
  const th = new FailureThrottle({ freeFailures: 0, baseDelayMs: 1000, maxDelayMs: 1000, forgetAfterMs: 60_000, maxKeys: 3, now: c.now });
  th.fail('a');
  th.fail('b');
  th.fail('c');
  assert.equal(th.size, 3);
  th.fail('a'); // a is now the most recent
  th.fail('d');
  assert.equal(th.size, 3);
  assert.equal(th.retryAfter('b'), 0, 'b (oldest) was evicted');
  assert.ok(th.retryAfter('a') > 0 && th.retryAfter('c') > 0 && th.retryAfter('d') > 0);
});

test('address keys: IPv4 (also mapped) as is, IPv6 by its /64', () => {
  assert.equal(addressKey('127.0.0.2'), '127.0.0.2');
  assert.equal(addressKey('::ffff:10.1.2.3'), '10.1.2.3');
  assert.equal(addressKey('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
  assert.equal(addressKey('2001:db8:1:2:bbbb:cccc:dddd:eeee'), '2001:db8:1:2::/64');
  assert.equal(addressKey('2001:0db8::1'), '2001:db8:0:0::/64');
  assert.equal(addressKey('::1'), '0:0:0:0::/64');
  assert.equal(addressKey('fe80::1%eth0'), 'fe80:0:0:0::/64');
});
