// Backfill release against real PostgreSQL: concurrent releasers never exceed maxActive and
// release each fire time once; a DAG deleted during a backfill fails it, saying why.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createBackfill, deleteDag, getBackfill, releaseBackfills, saveDag } from '@kontroler/store';
import { createTestDatabase, type TestDatabase } from '@kontroler/store/testing';
import { chainDefinition } from './definitions.js';

let db: TestDatabase;
before(async () => {
  db = await createTestDatabase();
  for (const name of ['hourly', 'doomed']) {
    await saveDag(db.pool, { namespace: 'default', name, spec: {}, definition: { ...chainDefinition(name), schedule: '0 * * * *' }, hash: `h-${name}`, source: 'test' });
  }
});
after(async () => { await db.drop(); });

const active = async (id: number) =>
  (await db.pool.query<{ n: number }>(`select count(*)::int as n from runs where backfill_id = $1 and status in ('pending', 'running')`, [id])).rows[0]?.n ?? 0;

test('eight concurrent releasers: never more than maxActive runs active, each fire time released once', async () => {
  const from = Date.parse('2026-01-01T00:00:00Z');
  const { backfill } = await createBackfill(db.pool, { namespace: 'default', dagName: 'hourly', from, to: from + 40 * 3_600_000, maxActive: 3, createdBy: 'test' });
  assert.equal(await active(backfill.id), 3);
  for (let round = 0; round < 40; round++) {
    // Two of the active runs end, then eight releasers race for the room.
    await db.pool.query(
      `update runs set status = 'succeeded', started_at = now(), finished_at = now() where id in (select id from runs where backfill_id = $1 and status = 'pending' order by id limit 2)`,
      [backfill.id],
    );
    await Promise.all(Array.from({ length: 8 }, () => releaseBackfills(db.pool)));
    assert.ok((await active(backfill.id)) <= 3, `round ${round}: at most 3 active`);
    if ((await getBackfill(db.pool, backfill.id))?.status !== 'running') break;
  }
  await db.pool.query(`update runs set status = 'succeeded', finished_at = now() where backfill_id = $1 and status = 'pending'`, [backfill.id]);
  await releaseBackfills(db.pool);
  const end = await getBackfill(db.pool, backfill.id);
  assert.equal(end?.status, 'succeeded');
  const { rows } = await db.pool.query<{ n: number; times: number }>(`select count(*)::int as n, count(distinct scheduled_for)::int as times from runs where backfill_id = $1`, [backfill.id]);
  assert.deepEqual(rows[0], { n: 40, times: 40 });
});

test('a DAG deleted during its backfill fails the backfill, naming the DAG', async () => {
  const from = Date.parse('2026-01-01T00:00:00Z');
  const { backfill } = await createBackfill(db.pool, { namespace: 'default', dagName: 'doomed', from, to: from + 5 * 3_600_000, maxActive: 1, createdBy: 'test' });
  await deleteDag(db.pool, 'default', 'doomed');
  await db.pool.query(`update runs set status = 'succeeded', finished_at = now() where backfill_id = $1`, [backfill.id]);
  await releaseBackfills(db.pool);
  const b = await getBackfill(db.pool, backfill.id);
  assert.equal(b?.status, 'failed');
  assert.match(b?.error ?? '', /DAG default\/doomed not found/);
  assert.equal(b?.progress.pending, 4);
});
