// A backfill through the real `kontroler controller` with the local runtime and real PostgreSQL:
// 1,000 fire times with maxActive 10; the controller is SIGKILLed part way and another one started:
// the backfill completes, never more than 10 of its runs were active (from the runs' recorded
// start and finish), each logical time ran exactly once, and each task saw its logical time and the
// fire before it in KONTROLER_LOGICAL_TIME / KONTROLER_PREV_LOGICAL_TIME.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DagResource } from '@kontroler/core';
import { formatLogicalTime } from '@kontroler/core';
import { applyResource, createBackfill, getBackfill } from '@kontroler/store';
import { createTestDatabase, type TestDatabase } from '@kontroler/store/testing';
import { start, type Proc } from './proc.js';

let db: TestDatabase;
let dir: string;
before(async () => {
  db = await createTestDatabase();
  dir = mkdtempSync(join(tmpdir(), 'kontroler-backfill-'));
});
after(async () => {
  await db.drop();
  rmSync(dir, { recursive: true, force: true });
});

function controller(id: string): Proc {
  const { KONTROLER_TEST_DATABASE_URL: _t, ...env } = process.env;
  return start(['controller', '--data-dir', join(dir, 'data')], { ...env, DATABASE_URL: db.url, KONTROLER_CONTROLLER_ID: id });
}

function maxOverlap(intervals: ReadonlyArray<readonly [number, number]>): number {
  const events = intervals.flatMap(([s, e]) => [[s, 1], [e, -1]] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let open = 0;
  let most = 0;
  for (const [, d] of events) most = Math.max(most, (open += d));
  return most;
}

async function until<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    assert.ok(Date.now() < deadline, `${what}: not in time (${JSON.stringify(v)})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('1,000 fire times, maxActive 10, the controller SIGKILLed part way: resumed, never more than 10 active, each logical time once', async () => {
  const ledger = join(dir, 'ledger');
  const dag: DagResource = {
    apiVersion: 'kontroler.greedykomodo/v1alpha1',
    kind: 'DAG',
    metadata: { name: 'minutely' },
    spec: {
      schedule: '* * * * *',
      timezone: 'America/New_York',
      // The schedule itself stays off (its runs would write to the ledger too); a backfill still runs.
      suspended: true,
      parameters: [{ name: 'LEDGER', defaultValue: ledger }],
      task: [{ name: 'work', image: 'alpine', script: 'echo "$KONTROLER_RUN_ID $KONTROLER_LOGICAL_TIME $KONTROLER_PREV_LOGICAL_TIME" >> "$LEDGER"', parameters: ['LEDGER'] }],
    },
  };
  await applyResource(db.pool, dag, { source: 'test' });
  // New York's clocks spring forward at 07:00Z on 2026-03-08: the range crosses it.
  const from = Date.parse('2026-03-08T00:00:00Z');
  const first = controller('bf-crash');
  await first.waitFor(/Kontroler is up/);
  const { backfill } = await createBackfill(db.pool, { namespace: 'default', dagName: 'minutely', from, to: from + 1000 * 60_000, maxActive: 10, createdBy: 'test' });
  let second: Proc | undefined;
  try {
    await until('200 runs done', () => getBackfill(db.pool, backfill.id), (b) => (b?.progress.done ?? 0) >= 200, 180_000);
    first.child.kill('SIGKILL');
    await first.exited;
    const mid = (await getBackfill(db.pool, backfill.id))!;
    assert.equal(mid.status, 'running');
    assert.ok(mid.progress.pending > 0, 'killed with fire times still pending');
    second = controller('bf-crash');
    await second.waitFor(/Kontroler is up/);
    const end = await until('backfill ended', () => getBackfill(db.pool, backfill.id), (b) => b?.status !== 'running', 600_000);
    assert.equal(end?.status, 'succeeded', JSON.stringify(end));
    assert.deepEqual(end?.progress, { done: 1000, running: 0, failed: 0, pending: 0, skipped: 0, total: 1000 });
  } finally {
    second?.signal('SIGTERM');
    await second?.exited;
  }

  const { rows } = await db.pool.query<{ id: string; scheduled_for: Date; started_at: Date; finished_at: Date }>(
    'select id, scheduled_for, started_at, finished_at from runs where backfill_id = $1',
    [backfill.id],
  );
  assert.equal(rows.length, 1000);
  assert.equal(new Set(rows.map((r) => r.scheduled_for.getTime())).size, 1000, 'each logical time has exactly one run');
  const overlap = maxOverlap(rows.map((r) => [r.started_at.getTime(), r.finished_at.getTime()] as const));
  assert.ok(overlap <= 10, `at most 10 runs active at once (saw ${overlap})`);

  const lines = existsSync(ledger) ? readFileSync(ledger, 'utf8').trim().split('\n') : [];
  const counts = new Map<string, number>();
  for (const l of lines) counts.set(l.split(' ')[0] ?? '', (counts.get(l.split(' ')[0] ?? '') ?? 0) + 1);
  const twice = [...counts].filter(([, n]) => n > 1).map(([id]) => Number(id));
  if (twice.length > 0) {
    const a = await db.pool.query('select run_id, task, attempt, status, exit_code, reason, handle, created_at, started_at, finished_at from attempts where run_id = any($1) order by run_id, attempt', [twice]);
    assert.fail(`runs whose task ran more than once: ${JSON.stringify(a.rows)}`);
  }
  assert.equal(lines.length, 1000, 'each run\'s task ran once');
  const byRun = new Map(rows.map((r) => [String(r.id), r.scheduled_for.getTime()]));
  const seen = new Set<string>();
  for (const l of lines) {
    const [runId, logical, prev] = l.split(' ');
    const at = byRun.get(runId ?? '');
    assert.ok(at !== undefined, `a run of the backfill: ${l}`);
    assert.equal(logical, formatLogicalTime(at, 'America/New_York'));
    assert.equal(prev, formatLogicalTime(at - 60_000, 'America/New_York'));
    seen.add(logical ?? '');
  }
  assert.equal(seen.size, 1000);
  assert.ok(seen.has('2026-03-08T01:59:00-05:00') && seen.has('2026-03-08T03:00:00-04:00'), 'offsets change at the DST switch');
});
