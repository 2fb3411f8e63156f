// A backfill of 1,000 fire times with maxActive 10 through real controllers (the fake runtime) on
// real PostgreSQL: never more than 10 of its runs active at once (from the runs' recorded start
// and finish), each logical time exactly once, each attempt given its logical time; two
// controllers release it together. The SIGKILL case (real processes) is in the CLI's tests.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { BackfillReleaser, Controller, envSecretResolver, silentLog } from '@kontroler/controller';
import { createBackfill, getBackfill, saveDag, type BackfillRecord, type PoolLike } from '@kontroler/store';
import { createTestDatabase, type TestDatabase } from '@kontroler/store/testing';
import { FakeRuntime } from '@kontroler/testing';
import { definition, task } from './fixtures.js';

let db: TestDatabase;
before(async () => { db = await createTestDatabase(); });
after(async () => { await db.drop(); });

/** The most intervals [start, end] open at one instant (an end at the instant another starts does not overlap it). */
export function maxOverlap(intervals: ReadonlyArray<readonly [number, number]>): number {
  const events = intervals.flatMap(([s, e]) => [[s, 1], [e, -1]] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let open = 0;
  let most = 0;
  for (const [, d] of events) most = Math.max(most, (open += d));
  return most;
}

export async function untilBackfillEnds(pool: PoolLike, id: number, timeoutMs: number): Promise<BackfillRecord> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const b = await getBackfill(pool, id);
    if (b && b.status !== 'running') return b;
    assert.ok(Date.now() < deadline, `backfill ${id} did not end in time: ${JSON.stringify(b?.progress)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('maxOverlap', () => {
  assert.equal(maxOverlap([[0, 10], [10, 20], [5, 15]]), 2);
  assert.equal(maxOverlap([[0, 10], [1, 9], [2, 8]]), 3);
  assert.equal(maxOverlap([]), 0);
});

test('1,000 fire times, maxActive 10, two controllers: never more than 10 active, each logical time once', async () => {
  const def = definition('minutely', [task('work')], { schedule: '* * * * *', timezone: 'Asia/Kolkata' });
  await saveDag(db.pool, { namespace: 'default', name: 'minutely', spec: {}, definition: def, hash: 'h-minutely', source: 'test' });
  const runtimes = [new FakeRuntime(), new FakeRuntime()];
  const parts = runtimes.map((rt, i) => {
    const c = new Controller({ pool: db.pool, databaseUrl: db.url, runtime: rt, id: `bf-${i}`, log: silentLog, secrets: envSecretResolver({}), pollMs: 200 });
    const r = new BackfillReleaser({ pool: db.pool, log: silentLog, pollMs: 500 });
    c.onRunEnded(() => r.kick());
    return { c, r };
  });
  for (const p of parts) {
    await p.c.start();
    p.r.start();
  }
  const from = Date.parse('2026-01-01T00:00:00Z');
  const { backfill } = await createBackfill(db.pool, { namespace: 'default', dagName: 'minutely', from, to: from + 1000 * 60_000, maxActive: 10, createdBy: 'test' });
  let end: BackfillRecord;
  try {
    end = await untilBackfillEnds(db.pool, backfill.id, 240_000);
  } finally {
    for (const p of parts) {
      await p.r.stop();
      await p.c.stop();
    }
  }
  assert.equal(end.status, 'succeeded');
  assert.deepEqual(end.progress, { done: 1000, running: 0, failed: 0, pending: 0, skipped: 0, total: 1000 });
  const { rows } = await db.pool.query<{ id: string; scheduled_for: Date; started_at: Date; finished_at: Date }>(
    'select id, scheduled_for, started_at, finished_at from runs where backfill_id = $1',
    [backfill.id],
  );
  assert.equal(rows.length, 1000);
  assert.equal(new Set(rows.map((r) => r.scheduled_for.getTime())).size, 1000, 'each logical time exactly once');
  for (let i = 0; i < 1000; i++) assert.ok(rows.some((r) => r.scheduled_for.getTime() === from + i * 60_000));
  const overlap = maxOverlap(rows.map((r) => [r.started_at.getTime(), r.finished_at.getTime()] as const));
  assert.ok(overlap <= 10, `at most 10 runs active at once (saw ${overlap})`);
  assert.ok(overlap >= 2, `runs did run side by side (saw ${overlap})`);
  // Every attempt was given its run's logical time (Kolkata, +05:30) and the minute before.
  const specs = runtimes.flatMap((rt) => [...rt.specs.values()]);
  assert.equal(specs.length, 1000);
  const byRun = new Map(rows.map((r) => [String(r.id), r.scheduled_for.getTime()]));
  for (const s of specs) {
    const at = byRun.get(s.runId)!;
    const local = new Date(at + 330 * 60_000).toISOString().slice(0, 19);
    assert.equal(s.env.KONTROLER_LOGICAL_TIME, `${local}+05:30`);
    assert.equal(s.env.KONTROLER_PREV_LOGICAL_TIME, `${new Date(at - 60_000 + 330 * 60_000).toISOString().slice(0, 19)}+05:30`);
  }
});
