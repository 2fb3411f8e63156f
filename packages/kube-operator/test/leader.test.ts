// Lease decisions (client-go's rules) and the keyed work queue.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { QUEUE_RETRY_BASE_MS, QUEUE_RETRY_MAX_MS, WorkQueue, decideLease, microTime, nextLeaseSpec, retryBackoffMs } from '@kontroler/kube-operator';

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

test('work queue: a burst of changes to one key (a DagRun status) is one run now and one after the interval, which sees the last change', async () => {
  const minIntervalMs = 150;
  let version = 0;
  const calls: Array<{ at: number; saw: number }> = [];
  const waiters: Array<() => void> = [];
  const q = new WorkQueue(
    async () => {
      calls.push({ at: Date.now(), saw: version });
      for (const w of waiters.splice(0)) w();
    },
    { minIntervalMs },
  );
  const calledTimes = (n: number): Promise<void> =>
    new Promise((resolve) => {
      const check = (): void => (calls.length >= n ? resolve() : void waiters.push(check));
      check();
    });
  const alive = setTimeout(() => undefined, 10_000); // the queue's timers are unref'd
  q.resume();
  version = 1;
  const before = Date.now(); // not after: a preempted test would see a shorter gap than the queue kept
  q.add('run/1');
  await calledTimes(1);
  for (let i = 2; i <= 50; i++) {
    version = i;
    q.add('run/1');
  }
  await calledTimes(2);
  await q.idle();
  await q.stop();
  clearTimeout(alive);
  assert.equal(calls.length, 2, '50 changes: 2 runs');
  assert.deepEqual(calls.map((c) => c.saw), [1, 50], 'the last change is not lost');
  assert.ok(calls[1]!.at - before >= minIntervalMs, `${calls[1]!.at - before} ms after the first add`);
});

test('work queue: a failing key is retried with a delay doubling per failure in a row, up to the maximum; a success resets it', async () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 8].map((n) => retryBackoffMs(n)), [1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000]);
  assert.equal(retryBackoffMs(1000), QUEUE_RETRY_MAX_MS, 'no overflow far past the limit');
  assert.equal(QUEUE_RETRY_BASE_MS, 1000);
  const calls: number[] = [];
  const delays: number[] = [];
  let done: () => void = () => undefined;
  const finished = new Promise<void>((r) => (done = r));
  const q = new WorkQueue(
    async () => {
      calls.push(Date.now());
      if (calls.length < 5 || calls.length === 6) throw new Error('not yet');
      if (calls.length === 5) done();
    },
    { retryBaseMs: 20, retryMaxMs: 60, onError: (_k, _e, _n, ms) => delays.push(ms) },
  );
  const alive = setTimeout(() => undefined, 10_000); // the queue's timers are unref'd
  q.resume();
  q.add('k');
  await finished;
  q.add('k'); // a new failure after the success starts again at the base delay
  const deadline = Date.now() + 5000;
  while (delays.length < 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  await q.stop();
  clearTimeout(alive);
  assert.deepEqual(delays, [20, 40, 60, 60, 20]);
  const gaps = calls.slice(1, 5).map((t, i) => t - calls[i]!);
  gaps.forEach((g, i) => assert.ok(g >= [20, 40, 60, 60][i]! - 2, `retry ${i + 1} waited ${g} ms`));
});
