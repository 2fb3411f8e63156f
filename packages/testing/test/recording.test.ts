// The kit's Recording: every event is recorded before a waiter looks at it; a wait resolves on
// a past or a future event and fails at its limit with the events seen so far.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EVENT_WAIT_LIMIT_MS, EventRecorder, FakeRuntime, Recording, attemptSpec } from '@kontroler/testing';

test('a wait resolves on an event already recorded or on the first matching one to come; every event is kept', async () => {
  const rec = new Recording<{ n: number }>();
  rec.push({ n: 1 });
  assert.deepEqual(await rec.waitFor((e) => e.n === 1, 'one'), { n: 1 });
  const later = rec.waitFor((e) => e.n > 2, 'more than two');
  rec.push({ n: 2 });
  rec.push({ n: 3 });
  rec.push({ n: 4 });
  assert.deepEqual(await later, { n: 3 }, 'the first match, not a later one');
  assert.deepEqual(rec.events, [{ n: 1 }, { n: 2 }, { n: 3 }, { n: 4 }], 'recorded whether or not anyone waited for them');
});

test('a waiter sees the recording with its event already in it (records before it filters)', async () => {
  const rec = new Recording<string>();
  const seen = rec.waitFor(() => rec.events.includes('b'), 'b recorded');
  rec.push('a');
  rec.push('b');
  assert.equal(await seen, 'b');
});

test('a wait fails at its limit (the recording\'s or its own) and says what it saw', async () => {
  const rec = new Recording<{ type: string }>({ waitLimitMs: 30, describe: (e) => e.type });
  rec.push({ type: 'started' });
  const t0 = Date.now();
  await assert.rejects(rec.waitFor((e) => e.type === 'exited', 'exited'), /timed out after 30 ms waiting for exited; events so far: \["started"\]/);
  assert.ok(Date.now() - t0 >= 25, 'not before the limit');
  await assert.rejects(rec.waitFor((e) => e.type === 'exited', 'exited', 10), /timed out after 10 ms/);
  assert.equal(new Recording<never>().describe(), '[]');
  assert.equal(EVENT_WAIT_LIMIT_MS, 20_000);
});

test('EventRecorder takes a wait limit; a timed-out wait names the attempt', async () => {
  const rt = new FakeRuntime(() => ({}));
  const rec = new EventRecorder(rt, { waitLimitMs: 20 });
  const s = attemptSpec();
  await rt.start(s);
  await rec.started(s);
  await assert.rejects(rec.exited(s), new RegExp(`timed out after 20 ms waiting for exited of ${s.task}#1`));
  rt.finish(s, 0);
  assert.equal((await rec.exited(s)).exitCode, 0);
  rec.unsubscribe();
});
