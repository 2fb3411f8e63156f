import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decide, initialRunState, type Command, type RunEvent, type RunState } from '@kontroler/engine';
import type { DagDefinition } from '@kontroler/core';
import { dag } from './helpers.js';

function step(def: DagDefinition, s: RunState, ev: RunEvent, now = 0) {
  return decide(def, s, ev, now);
}
const starts = (cs: readonly Command[]) => cs.filter((c) => c.type === 'attempt:start').map((c) => (c.type === 'attempt:start' ? `${c.task}#${c.attempt}` : ''));
const exited = (task: string, attempt: number, exitCode?: number, at = 1, reason?: string): RunEvent => ({
  type: 'attempt:exited', task, attempt, at, ...(exitCode !== undefined ? { exitCode } : {}), ...(reason ? { reason } : {}),
});

describe('decide', () => {
  test('a chain runs in dependency order and succeeds', () => {
    const def = dag([{ name: 'a' }, { name: 'b', runAfter: ['a'] }, { name: 'c', runAfter: ['b'] }]);
    let r = step(def, initialRunState(def), { type: 'run:tick' });
    assert.equal(r.state.status, 'running');
    assert.deepEqual(starts(r.commands), ['a#1']);
    r = step(def, r.state, { type: 'attempt:started', task: 'a', attempt: 1, at: 1, handle: '42' });
    assert.equal(r.state.tasks.get('a')?.attempts[0]?.status, 'running');
    assert.equal(r.state.tasks.get('a')?.attempts[0]?.handle, '42');
    r = step(def, r.state, exited('a', 1, 0));
    assert.deepEqual(starts(r.commands), ['b#1']);
    r = step(def, r.state, exited('b', 1, 0));
    assert.deepEqual(starts(r.commands), ['c#1']);
    r = step(def, r.state, exited('c', 1, 0), 5);
    assert.equal(r.state.status, 'succeeded');
    assert.equal(r.state.finishedAt, 5);
    assert.ok(r.commands.some((c) => c.type === 'notify:run' && c.status === 'succeeded'));
  });

  test('fan-out then fan-in waits for every branch', () => {
    const def = dag([{ name: 'a' }, { name: 'b', runAfter: ['a'] }, { name: 'c', runAfter: ['a'] }, { name: 'd', runAfter: ['b', 'c'] }]);
    let r = step(def, initialRunState(def), { type: 'run:tick' });
    r = step(def, r.state, exited('a', 1, 0));
    assert.deepEqual(starts(r.commands).sort(), ['b#1', 'c#1']);
    r = step(def, r.state, exited('b', 1, 0));
    assert.deepEqual(starts(r.commands), []);
    r = step(def, r.state, exited('c', 1, 0));
    assert.deepEqual(starts(r.commands), ['d#1']);
  });

  test('a task failed for good skips its downstream tasks and fails the run once nothing runs', () => {
    const def = dag([{ name: 'a' }, { name: 'x' }, { name: 'b', runAfter: ['a'] }, { name: 'c', runAfter: ['b'] }]);
    let r = step(def, initialRunState(def), { type: 'run:tick' });
    r = step(def, r.state, exited('a', 1, 2));
    assert.equal(r.state.tasks.get('a')?.status, 'failed');
    assert.equal(r.state.tasks.get('b')?.status, 'skipped');
    assert.equal(r.state.tasks.get('c')?.status, 'skipped');
    assert.equal(r.state.tasks.get('b')?.reason, 'UpstreamFailed');
    assert.equal(r.state.status, 'running', 'x is still running');
    r = step(def, r.state, exited('x', 1, 0));
    assert.equal(r.state.status, 'failed');
  });

  test('retries are bounded by backoff.limit and delayed exponentially', () => {
    const def = dag([{ name: 'a', retryLimit: 2, retryDelay: { delaySeconds: 10, factor: 3, maxDelaySeconds: 20 } }]);
    let r = step(def, initialRunState(def), { type: 'run:tick' }, 0);
    r = step(def, r.state, exited('a', 1, 1, 100), 100);
    assert.equal(r.state.tasks.get('a')?.status, 'waiting');
    assert.equal(r.state.tasks.get('a')?.retryAt, 10_100);
    assert.ok(r.commands.some((c) => c.type === 'wake' && c.at === 10_100));
    assert.deepEqual(starts(r.commands), []);
    r = step(def, r.state, { type: 'run:tick' }, 10_099);
    assert.deepEqual(starts(r.commands), [], 'not before the delay');
    r = step(def, r.state, { type: 'run:tick' }, 10_100);
    assert.deepEqual(starts(r.commands), ['a#2']);
    r = step(def, r.state, exited('a', 2, 1, 11_000), 11_000);
    assert.equal(r.state.tasks.get('a')?.retryAt, 11_000 + 20_000, 'capped at maxDelaySeconds (10*3=30 > 20)');
    r = step(def, r.state, { type: 'run:tick' }, 31_000);
    assert.deepEqual(starts(r.commands), ['a#3']);
    r = step(def, r.state, exited('a', 3, 1, 32_000), 32_000);
    assert.equal(r.state.tasks.get('a')?.status, 'failed');
    assert.equal(r.state.tasks.get('a')?.attempts.length, 3);
    assert.equal(r.state.status, 'failed');
  });

  test('conditional retryCodes: other exit codes fail at once', () => {
    const def = dag([{ name: 'a', retryLimit: 5, retryCodes: [1] }]);
    let r = step(def, initialRunState(def), { type: 'run:tick' });
    r = step(def, r.state, exited('a', 1, 1));
    assert.deepEqual(starts(r.commands), ['a#2'], 'no delay configured: the retry starts at once');
    r = step(def, r.state, exited('a', 2, 7));
    assert.equal(r.state.tasks.get('a')?.status, 'failed');
    assert.equal(r.state.tasks.get('a')?.attempts.length, 2);
  });

  test('a deadline kills the attempt, which then fails with DeadlineExceeded', () => {
    const def = dag([{ name: 'a', timeoutSeconds: 5 }]);
    let r = step(def, initialRunState(def), { type: 'run:tick' }, 1000);
    assert.ok(r.commands.some((c) => c.type === 'attempt:start' && c.deadlineAt === 6000));
    assert.ok(r.commands.some((c) => c.type === 'wake' && c.at === 6000));
    r = step(def, r.state, { type: 'run:tick' }, 6000);
    assert.ok(r.commands.some((c) => c.type === 'attempt:kill' && c.reason === 'DeadlineExceeded'));
    r = step(def, r.state, { type: 'run:tick' }, 6001);
    assert.ok(!r.commands.some((c) => c.type === 'attempt:kill'), 'kill asked once');
    r = step(def, r.state, exited('a', 1, undefined, 6100, 'Killed'), 6100);
    assert.equal(r.state.tasks.get('a')?.attempts[0]?.reason, 'DeadlineExceeded');
    assert.equal(r.state.status, 'failed');
  });

  test('cancel kills running attempts, cancels the rest, and ends canceled', () => {
    const def = dag([{ name: 'a' }, { name: 'b', runAfter: ['a'] }]);
    let r = step(def, initialRunState(def), { type: 'run:tick' });
    r = step(def, r.state, { type: 'run:cancel' });
    assert.ok(r.commands.some((c) => c.type === 'attempt:kill' && c.task === 'a' && c.reason === 'Canceled'));
    assert.equal(r.state.tasks.get('b')?.status, 'canceled');
    assert.equal(r.state.status, 'running');
    r = step(def, r.state, exited('a', 1, undefined, 2, 'Killed'));
    assert.equal(r.state.tasks.get('a')?.status, 'canceled');
    assert.equal(r.state.status, 'canceled');
  });

  test('retry of a failed run re-runs failed and skipped tasks only', () => {
    const def = dag([{ name: 'a' }, { name: 'b', runAfter: ['a'] }, { name: 'c', runAfter: ['b'] }]);
    let r = step(def, initialRunState(def), { type: 'run:tick' });
    r = step(def, r.state, exited('a', 1, 0));
    r = step(def, r.state, exited('b', 1, 1));
    assert.equal(r.state.status, 'failed');
    r = step(def, r.state, { type: 'run:retry' });
    assert.equal(r.state.status, 'running');
    assert.deepEqual(starts(r.commands), ['b#2'], 'a is not re-run; b gets its next attempt number');
    r = step(def, r.state, exited('b', 2, 0));
    r = step(def, r.state, exited('c', 1, 0));
    assert.equal(r.state.status, 'succeeded');
  });

  test("an attempt's duration is measured on one clock: the runtime's start and end when it gives both, never negative", () => {
    const def = dag([{ name: 'a' }, { name: 'b' }, { name: 'c' }]);
    let r = step(def, initialRunState(def), { type: 'run:tick' });
    // Started (controller clock, ms), ended (container clock, whole seconds) with the container's start.
    for (const t of ['a', 'b', 'c']) r = step(def, r.state, { type: 'attempt:started', task: t, attempt: 1, at: 10_900 });
    r = step(def, r.state, { type: 'attempt:exited', task: 'a', attempt: 1, at: 13_000, startedAt: 11_000, exitCode: 0 });
    r = step(def, r.state, { type: 'attempt:exited', task: 'b', attempt: 1, at: 10_000, exitCode: 0 });
    r = step(def, r.state, { type: 'attempt:exited', task: 'c', attempt: 1, at: 12_500, exitCode: 0 });
    const times = (t: string) => {
      const a = r.state.tasks.get(t)?.attempts[0];
      return [a?.startedAt, a?.finishedAt];
    };
    assert.deepEqual(times('a'), [11_000, 13_000], 'the container’s own start replaces the start event’s time');
    assert.deepEqual(times('b'), [10_000, 10_000], 'an end before the recorded start: zero, not negative');
    assert.deepEqual(times('c'), [10_900, 12_500], 'without the runtime’s start, the start event’s time');
  });

  test('stale and duplicate events are ignored', () => {
    const def = dag([{ name: 'a' }]);
    let r = step(def, initialRunState(def), { type: 'run:tick' });
    const s1 = r.state;
    r = step(def, s1, exited('a', 7, 0));
    assert.equal(r.state, s1, 'unknown attempt: state unchanged');
    r = step(def, s1, exited('nope', 1, 0));
    assert.equal(r.state, s1);
    r = step(def, s1, exited('a', 1, 0));
    const again = step(def, r.state, exited('a', 1, 0));
    assert.equal(again.state, r.state, 'second delivery of the same exit changes nothing');
  });

  test('trigger rules: AllDone runs after a failure, AnyFailed runs only on failure', () => {
    const def = dag([
      { name: 'a' },
      { name: 'cleanup', runAfter: ['a'], triggerRule: 'AllDone' },
      { name: 'alert', runAfter: ['a'], triggerRule: 'AnyFailed' },
      { name: 'next', runAfter: ['a'] },
    ]);
    let r = step(def, initialRunState(def), { type: 'run:tick' });
    r = step(def, r.state, exited('a', 1, 1));
    assert.deepEqual(starts(r.commands).sort(), ['alert#1', 'cleanup#1']);
    assert.equal(r.state.tasks.get('next')?.status, 'skipped');
    const ok = dag([{ name: 'a' }, { name: 'alert', runAfter: ['a'], triggerRule: 'AnyFailed' }]);
    let q = step(ok, initialRunState(ok), { type: 'run:tick' });
    q = step(ok, q.state, exited('a', 1, 0));
    assert.equal(q.state.tasks.get('alert')?.status, 'skipped');
    assert.equal(q.state.status, 'succeeded');
  });

  test('maxRunning bounds parallel attempts', () => {
    const def = dag([{ name: 'a' }, { name: 'b' }, { name: 'c' }]);
    let r = decide(def, initialRunState(def), { type: 'run:tick' }, 0, { maxRunning: 2 });
    assert.equal(starts(r.commands).length, 2);
    r = decide(def, r.state, exited('a', 1, 0), 1, { maxRunning: 2 });
    assert.deepEqual(starts(r.commands), ['c#1']);
  });

  test('unchanged tasks keep their identity', () => {
    const def = dag([{ name: 'a' }, { name: 'b' }]);
    const r = step(def, initialRunState(def), { type: 'run:tick' });
    const r2 = step(def, r.state, exited('a', 1, 0));
    assert.equal(r2.state.tasks.get('b'), r.state.tasks.get('b'));
    assert.notEqual(r2.state.tasks.get('a'), r.state.tasks.get('a'));
  });
});

describe('never-started attempts', () => {
  test('an attempt the runtime proves never ran does not use up a retry', () => {
    const def = dag([{ name: 'a' }]);
    let r = decide(def, initialRunState(def), { type: 'run:tick' }, 0);
    r = decide(def, r.state, { type: 'attempt:exited', task: 'a', attempt: 1, at: 1, reason: 'NotStarted' }, 1);
    assert.deepEqual(starts(r.commands), ['a#2'], 'retryLimit 0, yet the next attempt starts');
    assert.equal(r.state.tasks.get('a')?.attempts[0]?.status, 'lost');
    r = decide(def, r.state, { type: 'attempt:exited', task: 'a', attempt: 2, at: 2, exitCode: 1 }, 2);
    assert.equal(r.state.tasks.get('a')?.status, 'failed', 'a real failure still fails with retryLimit 0');
  });

  test('a runtime that never starts anything fails the task after a bound', () => {
    const def = dag([{ name: 'a' }]);
    let r = decide(def, initialRunState(def), { type: 'run:tick' }, 0);
    for (let n = 1; n <= 5; n++) r = decide(def, r.state, { type: 'attempt:exited', task: 'a', attempt: n, at: n, reason: 'NotStarted' }, n);
    assert.equal(r.state.tasks.get('a')?.status, 'failed');
    assert.equal(r.state.status, 'failed');
  });
});

describe('attempts that cannot start (noRetry)', () => {
  test('a configuration error fails the task at once despite retries left; retry run starts it again', () => {
    const def = dag([{ name: 'a', retryLimit: 3 }, { name: 'b', runAfter: ['a'] }]);
    let r = decide(def, initialRunState(def), { type: 'run:tick' }, 0);
    r = decide(def, r.state, { type: 'attempt:exited', task: 'a', attempt: 1, at: 1, reason: 'SecretNotFound: secret "x"', noRetry: true }, 1);
    assert.deepEqual(starts(r.commands), []);
    assert.equal(r.state.tasks.get('a')?.status, 'failed');
    assert.equal(r.state.tasks.get('a')?.reason, 'SecretNotFound: secret "x"');
    assert.equal(r.state.tasks.get('a')?.attempts[0]?.status, 'failed');
    assert.equal(r.state.tasks.get('b')?.status, 'skipped');
    assert.equal(r.state.status, 'failed');
    r = decide(def, r.state, { type: 'run:retry' }, 2);
    assert.deepEqual(starts(r.commands), ['a#2']);
  });

  test('without noRetry the same failure uses the retry policy', () => {
    const def = dag([{ name: 'a', retryLimit: 3 }]);
    let r = decide(def, initialRunState(def), { type: 'run:tick' }, 0);
    r = decide(def, r.state, { type: 'attempt:exited', task: 'a', attempt: 1, at: 1, reason: 'StartFailed: x' }, 1);
    assert.deepEqual(starts(r.commands), ['a#2']);
  });
});
