// Pure helpers behind the run timeline, stats charts, version diff, run filters and formatting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ganttModel, tickLabel, tickStep } from '../dist-lib/features/runs/gantt.js';
import { filtersFromQuery, filtersToQuery, runsQuery } from '../dist-lib/features/runs/filters.js';
import { diffRows, withContext } from '../dist-lib/features/dags/diff.js';
import { durationBars, failingBars, runsPerDay, sparklinePoints, successTrend } from '../dist-lib/features/stats/series.js';
import { formatDuration, formatRelative, formatBytes, formatPercent } from '../dist-lib/lib/format.js';
import { isActive, toneOf } from '../dist-lib/lib/status.js';

const T0 = Date.parse('2024-05-01T10:00:00Z');
const iso = (ms: number) => new Date(T0 + ms).toISOString();
const attempt = (n: number, start: number, end: number | null, status = 'succeeded', exitCode: number | null = 0) => ({
  attempt: n, status, exitCode, reason: null, handle: null, createdAt: iso(start), startedAt: iso(start), finishedAt: end === null ? null : iso(end), durationMs: null, logSize: 0,
});

test('gantt: bars on a shared axis, retries on one row, running bars end at now', () => {
  const g = ganttModel(
    [
      { name: 'a', status: 'succeeded', reason: null, retryAt: null, runAfter: [], image: 'x', attempts: [attempt(1, 0, 2000)] },
      { name: 'b', status: 'running', reason: null, retryAt: null, runAfter: ['a'], image: 'x', attempts: [attempt(1, 2000, 3000, 'failed', 1), attempt(2, 4000, null, 'running', null)] },
      { name: 'c', status: 'pending', reason: null, retryAt: null, runAfter: ['b'], image: 'x', attempts: [] },
    ],
    T0 + 10_000,
  );
  assert.equal(g.start, T0);
  assert.equal(g.end, T0 + 10_000);
  assert.deepEqual(g.rows.map((r) => r.bars.length), [1, 2, 0]);
  const [b1, b2] = g.rows[1]!.bars;
  assert.equal(b1!.left, 0.2);
  assert.equal(b1!.width, 0.1);
  assert.equal(b2!.running, true);
  assert.equal(b2!.left + b2!.width, 1);
  assert.equal(g.ticks[0]!.offset, '+0', 'the axis starts at a round clock time (here the run start)');
  assert.ok(g.ticks.every((t, i) => i === 0 || t.pos > g.ticks[i - 1]!.pos));
});

test('gantt: a run with no attempts still has an axis', () => {
  const g = ganttModel([], T0, T0);
  assert.equal(g.end - g.start, 1000);
});

test('tick steps and labels', () => {
  assert.equal(tickStep(60_000), 10_000);
  assert.equal(tickLabel(90_000, 30_000), '90 s');
  assert.equal(tickLabel(90_000, 60_000), '1 m 30 s');
  assert.equal(tickLabel(5400_000, 1_800_000), '1 h 30 m');
  assert.equal(tickLabel(1500, 500), '1.5 s');
});

test('run filters round-trip through the query string and become an API query', () => {
  const f = filtersFromQuery(new URLSearchParams('dag=etl&status=failed,bogus,canceled&since=24h'));
  assert.deepEqual(f, { dag: 'etl', namespace: '', status: ['failed', 'canceled'], since: '24h' });
  assert.deepEqual(filtersToQuery(f), { dag: 'etl', status: 'failed,canceled', since: '24h' });
  const q = runsQuery(f, T0, 'abc', 20);
  assert.deepEqual(q, { dag: 'etl', status: ['failed', 'canceled'], since: new Date(T0 - 86_400_000).toISOString(), cursor: 'abc', limit: 20, taskCounts: true });
  assert.equal(filtersFromQuery(new URLSearchParams('since=99y')).since, '');
});

test('version diff: numbered rows, long unchanged stretches collapsed', () => {
  const a = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'].join('\n');
  const b = a.replace('e', 'E');
  const rows = diffRows(a, b);
  assert.deepEqual(rows.filter((r) => r.kind !== 'same'), [{ kind: 'removed', text: 'e', oldLine: 5 }, { kind: 'added', text: 'E', newLine: 5 }]);
  const ctx = withContext(rows, 1);
  assert.deepEqual(ctx.map((r) => r.text), ['…', 'd', 'e', 'E', 'f', '…']);
  assert.equal(ctx[0]!.skipped, 3);
});

test('stats: every day of the window, success rate of ended runs, top lists', () => {
  const days = runsPerDay({
    from: '2024-05-01T00:00:00Z',
    to: '2024-05-03T12:00:00Z',
    runsPerDay: [{ day: '2024-05-02', succeeded: 3, failed: 1, canceled: 0, running: 1, pending: 0 }],
  });
  assert.deepEqual(days.map((d) => d.label), ['May 1', 'May 2', 'May 3']);
  assert.equal(days[0]!.successRate, null);
  assert.equal(days[1]!.successRate, 0.75);
  assert.equal(days[1]!.total, 5);
  // Ordered by execution time: `a` waited long (wall 90 s) but ran little; `x/b` ran 20 s.
  const d = durationBars({
    durations: [
      { namespace: 'default', dag: 'a', runs: 2, p50Seconds: 58.2, p95Seconds: 90, executionP50Seconds: 0.117, executionP95Seconds: 1.234, attemptP50Seconds: 0.2, attemptP95Seconds: 1.5 },
      { namespace: 'x', dag: 'b', runs: 1, p50Seconds: 30, p95Seconds: 61.25, executionP50Seconds: 20, executionP95Seconds: 20, attemptP50Seconds: 40, attemptP95Seconds: 40 },
    ],
  });
  assert.deepEqual(d.map((x) => x.dag), ['x/b', 'a']);
  assert.deepEqual(d[1], { dag: 'a', execP50: 0.12, execP95: 1.23, wallP50: 58.2, wallP95: 90, runs: 2 });
  const f = failingBars({ failingTasks: [{ namespace: 'default', dag: 'etl', task: 'load', failedAttempts: 4, runs: 2 }] });
  assert.equal(f[0]!.task, 'etl › load');
});

test('sparkline: sliding success rate, oldest first, drawn in its box', () => {
  const runs = ['succeeded', 'failed', 'running', 'succeeded'].map((status) => ({ status: status as 'succeeded' }));
  assert.deepEqual(successTrend(runs, 2), [1, 0.5, 0.5]);
  assert.equal(sparklinePoints([1, 0], 100, 20), '2.0,2.0 98.0,18.0');
  assert.equal(sparklinePoints([], 100, 20), '');
});

test('formatting and status tones', () => {
  assert.equal(formatDuration(950), '950 ms');
  assert.equal(formatDuration(12_340), '12 s');
  assert.equal(formatDuration(245_000), '4 m 05 s');
  assert.equal(formatDuration(null), '—');
  assert.equal(formatDuration(999.6), '1.0 s', 'rounded once: never 1000 ms');
  assert.equal(formatDuration(59_600), '1 m 00 s', 'never 60 s');
  assert.equal(formatDuration(119_770), '2 m 00 s', 'never 1 m 60 s');
  assert.equal(formatDuration(-452), '0 ms', 'never negative');
  assert.equal(formatRelative(new Date(T0 - 180_000).toISOString(), T0), '3 min ago');
  assert.equal(formatRelative(new Date(T0 + 7_200_000).toISOString(), T0), 'in 2 h');
  assert.equal(formatBytes(2048), '2.0 KiB');
  assert.equal(formatPercent(0.756), '76%');
  assert.equal(toneOf('failed'), 'danger');
  assert.equal(isActive('running'), true);
  assert.equal(isActive('succeeded'), false);
});
