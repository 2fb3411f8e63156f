// The run timeline's model: clock times on the axis (round in absolute time), the wait before each
// attempt (queued; a retry's delay), a task waiting for its retry now, rows that ran nothing labelled.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunTask } from '@kontroler/client';
import { clockLabel, ganttModel } from '../dist-lib/features/runs/gantt.js';

const T0 = Date.parse('2024-05-01T10:00:00.000Z');
const iso = (ms: number) => new Date(T0 + ms).toISOString();
const attempt = (n: number, created: number, started: number | null, finished: number | null, status = 'succeeded', exitCode: number | null = 0) => ({
  attempt: n, status, exitCode, reason: null, handle: null, createdAt: iso(created), startedAt: started === null ? null : iso(started), finishedAt: finished === null ? null : iso(finished), durationMs: null, logSize: 0,
});
const task = (t: Partial<RunTask> & { name: string; status: string }): RunTask => ({ reason: null, retryAt: null, runAfter: [], image: 'x', attempts: [], ...t }) as RunTask;

test('gantt axis: clock times at round multiples of the step, the offset from the start kept, the date where the day changes', () => {
  const g = ganttModel([task({ name: 'a', status: 'succeeded', attempts: [attempt(1, 1200, 1200, 58_700)] })], T0 + 60_000, T0 + 1200, undefined, 'UTC');
  assert.equal(g.start, T0 + 1200);
  assert.deepEqual(g.ticks.map((t) => t.label), ['10:00:10', '10:00:20', '10:00:30', '10:00:40', '10:00:50']);
  assert.deepEqual(g.ticks.map((t) => t.offset), ['+9 s', '+19 s', '+29 s', '+39 s', '+49 s']);
  assert.ok(g.ticks.every((t) => t.pos > 0 && t.pos <= 1));
  assert.equal(clockLabel(T0 + 250, 100, false, 'UTC'), '10:00:00.250');
  // Sub-second steps: the clock first and at whole seconds, the fraction between.
  const fast = ganttModel([task({ name: 'f', status: 'succeeded', attempts: [attempt(1, 250, 250, 2400)] })], T0 + 2400, T0 + 250, undefined, 'UTC');
  assert.deepEqual(fast.ticks.map((t) => t.label), ['10:00:00.500', '10:00:01', '.5', '10:00:02']);
  assert.equal(clockLabel(T0, 600_000, false, 'UTC'), '10:00');
  // Across midnight: the date where the day changes.
  const late = Date.parse('2024-05-01T23:30:00Z');
  const night = ganttModel([task({ name: 'n', status: 'succeeded', attempts: [{ ...attempt(1, 0, 0, 0), createdAt: new Date(late).toISOString(), startedAt: new Date(late).toISOString(), finishedAt: new Date(late + 3_600_000).toISOString() }] })], late + 3_600_000, late, undefined, 'UTC');
  const labels = night.ticks.map((t) => t.label);
  assert.equal(labels[0], '23:30');
  assert.ok(labels.some((l) => /^2 May,? 00:00$/.test(l)), labels.join(' | '));
  // A zone with a half-hour offset: round on its clock.
  const india = ganttModel([task({ name: 'i', status: 'succeeded', attempts: [attempt(1, 0, 0, 3 * 3_600_000)] })], T0 + 3 * 3_600_000, T0, undefined, 'Asia/Kolkata');
  assert.ok(india.ticks.every((t) => /:00$|:30$/.test(t.label)), india.ticks.map((t) => t.label).join(' '));
});

test('gantt waits: queued before a first attempt, retry delay after a failed one, waiting for a retry now', () => {
  const g = ganttModel(
    [
      task({ name: 'a', status: 'succeeded', attempts: [attempt(1, 0, 1000, 2000)] }),
      task({ name: 'b', status: 'waiting', retryAt: iso(9000), attempts: [attempt(1, 2000, 2000, 3000, 'failed', 1), attempt(2, 5000, 6000, 7000, 'failed', 1)] }),
      task({ name: 'c', status: 'running', attempts: [attempt(1, 7000, null, null, 'starting', null)] }),
    ],
    T0 + 8000,
    T0,
  );
  const [a, b, c] = g.rows;
  assert.deepEqual(a!.bars[0]!.wait && [a!.bars[0]!.wait.kind, a!.bars[0]!.wait.start - T0, a!.bars[0]!.wait.end - T0], ['queued', 0, 1000]);
  assert.equal(a!.bars[0]!.start, T0 + 1000, 'the bar starts when the attempt did');
  assert.equal(b!.bars[0]!.wait, undefined, 'started as created: no wait');
  assert.deepEqual(b!.bars[1]!.wait && [b!.bars[1]!.wait.kind, b!.bars[1]!.wait.start - T0, b!.bars[1]!.wait.end - T0], ['retry', 3000, 6000], 'from the failed attempt to the start of the next');
  assert.deepEqual(b!.waiting && [b!.waiting.start - T0, b!.waiting.until! - T0, b!.waiting.left + b!.waiting.width], [7000, 9000, 1], 'waiting for its retry up to now');
  assert.deepEqual(c!.bars[0]!.wait && [c!.bars[0]!.wait.kind, c!.bars[0]!.wait.start - T0, c!.bars[0]!.wait.end - T0], ['queued', 7000, 8000], 'not started yet: queued up to now');
});

test('gantt rows that ran nothing say why, a skip after a failure naming the failed task', () => {
  const g = ganttModel(
    [
      task({ name: 'a', status: 'failed', attempts: [attempt(1, 0, 0, 1000, 'failed', 3)] }),
      task({ name: 'b', status: 'skipped', reason: 'UpstreamFailed', runAfter: ['a'] }),
      task({ name: 'c', status: 'canceled', reason: 'Canceled' }),
      task({ name: 'd', status: 'pending' }),
    ],
    T0 + 2000,
    T0,
  );
  assert.deepEqual(g.rows.map((r) => r.note), [undefined, 'skipped — UpstreamFailed: a', 'canceled — Canceled', undefined]);
});
