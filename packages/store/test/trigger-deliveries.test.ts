// Trigger delivery ids: one run per (DAG, delivery id), however many concurrent or later replays;
// a failed start records nothing; expired ids are removed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { countTriggerDeliveries, listRuns, saveDag, startTriggeredRun, EXPIRED_DELIVERIES_PER_CALL } from '@kontroler/store';
import { createTestDatabase, type TestDatabase } from '@kontroler/store/testing';
import { chainDefinition } from './definitions.js';

const def = (name: string) => chainDefinition(name);

let db: TestDatabase;
before(async () => {
  db = await createTestDatabase();
  for (const name of ['hooked', 'other']) await saveDag(db.pool, { namespace: 'default', name, spec: {}, definition: def(name), hash: `h-${name}`, source: 'test' });
});
after(async () => { await db.drop(); });

const start = (deliveryId: string, dagName = 'hooked', extra: { keepSeconds?: number; parameters?: Record<string, string> } = {}) =>
  startTriggeredRun(db.pool, { namespace: 'default', dagName, trigger: 'webhook', deliveryId, keepSeconds: extra.keepSeconds ?? 600, parameters: extra.parameters ?? {} });

test('twenty concurrent copies of one delivery start one run; all learn its id', async () => {
  const results = await Promise.all(Array.from({ length: 20 }, () => start('d-concurrent')));
  assert.equal(results.filter((r) => !r.replay).length, 1);
  const ids = new Set(results.map((r) => r.run?.id));
  assert.equal(ids.size, 1);
  const runs = await listRuns(db.pool, { namespace: 'default', dagName: 'hooked' });
  assert.equal(runs.length, 1);
  // The same id for another DAG is another delivery.
  const other = await start('d-concurrent', 'other');
  assert.equal(other.replay, false);
  assert.notEqual(other.run?.id, results[0]!.run?.id);
});

test('a start that fails records nothing, so the corrected delivery starts its run', async () => {
  await assert.rejects(start('d-bad', 'hooked', { parameters: { NOPE: 'x' } }), (e: { code?: string }) => e.code === 'UNKNOWN_PARAMETER');
  const ok = await start('d-bad');
  assert.equal(ok.replay, false);
  await assert.rejects(start('d-x', 'missing'), (e: { code?: string }) => e.code === 'NOT_FOUND');
});

test(`expired ids are removed (at most ${EXPIRED_DELIVERIES_PER_CALL} per delivery) and then count as new`, async () => {
  const before = await countTriggerDeliveries(db.pool);
  for (let i = 0; i < 3; i++) await start(`d-short-${i}`, 'hooked', { keepSeconds: 0 });
  assert.equal((await start('d-short-0')).replay, false, 'an expired id is a new delivery');
  // The calls above removed the expired ids before inserting theirs.
  assert.equal(await countTriggerDeliveries(db.pool), before + 1);
});
