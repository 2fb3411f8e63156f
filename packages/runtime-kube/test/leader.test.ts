// Lease decisions (client-go's rules) and the keyed work queue.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkQueue, decideLease, microTime, nextLeaseSpec } from '@kontroler/runtime-kube';

test('decideLease: renew our own, take a free or expired one, wait for a live holder', () => {
  assert.equal(decideLease(undefined, 'me', 0, 0, 15_000), 'acquire');
  assert.equal(decideLease({ holderIdentity: 'me', leaseDurationSeconds: 15 }, 'me', 100_000, 0, 15_000), 'renew');
  assert.equal(decideLease({ holderIdentity: '', leaseDurationSeconds: 1 }, 'me', 0, 0, 15_000), 'acquire');
  assert.equal(decideLease({ holderIdentity: 'other', leaseDurationSeconds: 15 }, 'me', 14_999, 0, 15_000), 'wait');
  assert.equal(decideLease({ holderIdentity: 'other', leaseDurationSeconds: 15 }, 'me', 15_000, 0, 15_000), 'acquire');
  assert.equal(decideLease({ holderIdentity: 'other', leaseDurationSeconds: 15 }, 'me', 20_000, 10_000, 15_000), 'wait', 'expiry counts from when we saw it change');
});

test('nextLeaseSpec: transitions count changes of holder; acquireTime kept while renewing', () => {
  const a = nextLeaseSpec(undefined, 'me', 1000, 15_000);
  assert.deepEqual(a, { holderIdentity: 'me', leaseDurationSeconds: 15, acquireTime: microTime(1000), renewTime: microTime(1000), leaseTransitions: 1 });
  const b = nextLeaseSpec(a, 'me', 5000, 15_000);
  assert.equal(b.acquireTime, microTime(1000));
  assert.equal(b.leaseTransitions, 1);
  assert.equal(nextLeaseSpec(b, 'you', 9000, 15_000).leaseTransitions, 2);
  assert.equal(microTime(Date.UTC(2026, 0, 2, 3, 4, 5, 678)), '2026-01-02T03:04:05.678000Z');
});

test('work queue: a key is queued once, re-run when added while running, and rate-limited per key', async () => {
  const seen: string[] = [];
  let release: () => void = () => undefined;
  const gate = new Promise<void>((r) => (release = r));
  const q = new WorkQueue(
    async (k) => {
      seen.push(k);
      if (k === 'a' && seen.length === 1) await gate;
    },
    { workers: 2, minIntervalMs: 30 },
  );
  q.add('a');
  q.add('a');
  q.add('b');
  q.resume();
  await new Promise((r) => setTimeout(r, 5));
  q.add('a'); // while running: once more afterwards
  release();
  await new Promise((r) => setTimeout(r, 80));
  await q.idle();
  assert.deepEqual(seen.sort(), ['a', 'a', 'b']);
  await q.stop();
});
