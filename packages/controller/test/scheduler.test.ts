import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Scheduler, cron, planFires, silentLog } from '@kontroler/controller';
import { getDag, listRuns, saveDag, setSuspended, startRun } from '@kontroler/store';
import { createTestDatabase, type TestDatabase } from '@kontroler/store/testing';
import { ManualClock } from '@kontroler/testing';
import { definition, task } from './fixtures.js';

const T = (iso: string) => Date.parse(iso);

describe('planFires', () => {
  const base = { schedule: '*/10 * * * *', timezone: 'UTC', catchUp: 1, concurrencyPolicy: 'Allow' as const };

  test('a new schedule only computes its next fire', () => {
    const p = planFires({ ...base, nextFireAt: null }, T('2026-01-01T00:03:00Z'), [], cron);
    assert.deepEqual(p.fires, []);
    assert.equal(p.nextFireAt, T('2026-01-01T00:10:00Z'));
  });

  test('a due fire runs once and the next fire moves past now', () => {
    const p = planFires({ ...base, nextFireAt: T('2026-01-01T00:10:00Z') }, T('2026-01-01T00:10:00.500Z'), [], cron);
    assert.deepEqual(p.fires, [T('2026-01-01T00:10:00Z')]);
    assert.equal(p.nextFireAt, T('2026-01-01T00:20:00Z'));
  });

  test('after downtime only catchUp fires run, the latest ones', () => {
    const now = T('2026-01-01T05:00:30Z');
    const one = planFires({ ...base, nextFireAt: T('2026-01-01T00:10:00Z') }, now, [], cron);
    assert.deepEqual(one.fires, [T('2026-01-01T05:00:00Z')]);
    const three = planFires({ ...base, catchUp: 3, nextFireAt: T('2026-01-01T00:10:00Z') }, now, [], cron);
    assert.deepEqual(three.fires, [T('2026-01-01T04:40:00Z'), T('2026-01-01T04:50:00Z'), T('2026-01-01T05:00:00Z')]);
    const none = planFires({ ...base, catchUp: 0, nextFireAt: T('2026-01-01T00:10:00Z') }, now, [], cron);
    assert.deepEqual(none.fires, [T('2026-01-01T05:00:00Z')], 'catchUp 0 still runs a fire that is due right now');
    const stale = planFires({ ...base, catchUp: 0, nextFireAt: T('2026-01-01T00:10:00Z') }, T('2026-01-01T05:03:00Z'), [], cron);
    assert.deepEqual(stale.fires, [], 'catchUp 0 runs no missed fire');
  });

  test('concurrencyPolicy Forbid skips, Replace cancels the active run', () => {
    const due = { ...base, nextFireAt: T('2026-01-01T00:10:00Z') };
    const f = planFires({ ...due, concurrencyPolicy: 'Forbid' }, T('2026-01-01T00:10:01Z'), [7], cron);
    assert.deepEqual([f.fires, f.skipped, f.cancel], [[], 1, []]);
    const r = planFires({ ...due, concurrencyPolicy: 'Replace' }, T('2026-01-01T00:10:01Z'), [7], cron);
    assert.deepEqual([r.fires.length, r.cancel], [1, [7]]);
  });

  test('time zones: 02:30 daily in Europe/Paris is 01:30 UTC in winter', () => {
    const p = planFires({ ...base, schedule: '30 2 * * *', timezone: 'Europe/Paris', nextFireAt: null }, T('2026-01-10T00:00:00Z'), [], cron);
    assert.equal(p.nextFireAt, T('2026-01-10T01:30:00Z'));
  });
});

describe('Scheduler (real PostgreSQL)', () => {
  let db: TestDatabase;
  before(async () => { db = await createTestDatabase(); });
  after(async () => { await db.drop(); });

  test('fires each due time once, never every minute, and honours suspended', async () => {
    const clock = new ManualClock(T('2026-03-01T10:00:30Z'));
    const s = new Scheduler({ pool: db.pool, cron, log: silentLog, now: clock.now });
    const def = definition('hourly', [task('a')], { schedule: '0 * * * *' });
    await saveDag(db.pool, { namespace: 'default', name: 'hourly', spec: {}, definition: def, hash: 'h', source: 'test' });
    assert.equal(await s.tick(), 0, 'first sight: next fire computed, nothing fired');
    assert.equal((await getDag(db.pool, 'default', 'hourly'))?.nextFireAt, T('2026-03-01T11:00:00Z'));
    for (const m of [1, 5, 30, 59]) {
      clock.set(T(`2026-03-01T10:${String(m).padStart(2, '0')}:00Z`));
      assert.equal(await s.tick(), 0, `nothing due at 10:${m}`);
    }
    clock.set(T('2026-03-01T11:00:02Z'));
    assert.equal(await s.tick(), 1);
    assert.equal(await s.tick(), 0, 'the same fire is not taken twice');
    const runs = await listRuns(db.pool, { dagName: 'hourly' });
    assert.equal(runs.length, 1);
    assert.equal(runs[0]?.trigger, 'schedule');
    assert.equal(runs[0]?.scheduledFor, T('2026-03-01T11:00:00Z'));
    await setSuspended(db.pool, 'default', 'hourly', true);
    clock.set(T('2026-03-01T12:00:01Z'));
    assert.equal(await s.tick(), 0, 'suspended: no fire');
    await setSuspended(db.pool, 'default', 'hourly', false);
    clock.set(T('2026-03-01T15:20:00Z'));
    assert.equal(await s.tick(), 0, 'resumed: next fire recomputed, missed fires while suspended are not run');
    clock.set(T('2026-03-01T16:00:00Z'));
    assert.equal(await s.tick(), 1);
    await s.stop();
  });

  test('two schedulers on one database fire a time once', async () => {
    const now = T('2026-04-01T00:00:30Z');
    const def = definition('minutely', [task('a')], { schedule: '* * * * *' });
    await saveDag(db.pool, { namespace: 'default', name: 'minutely', spec: {}, definition: def, hash: 'h2', source: 'test' });
    await db.pool.query(`update dags set next_fire_at = $1 where name = 'minutely'`, [new Date(T('2026-04-01T00:00:00Z'))]);
    const a = new Scheduler({ pool: db.pool, cron, log: silentLog, now: () => now });
    const b = new Scheduler({ pool: db.pool, cron, log: silentLog, now: () => now });
    await setSuspended(db.pool, 'default', 'hourly', true); // only `minutely` is due
    const [x, y] = await Promise.all([a.tick(), b.tick()]);
    assert.equal(x + y, 1);
    assert.equal((await listRuns(db.pool, { dagName: 'minutely' })).length, 1);
    await Promise.all([a.stop(), b.stop()]);
  });

  test('a fire\'s run: named <dag>-<unix time>, with the parameter defaults, one per fire even when its name exists', async () => {
    const at = T('2026-05-01T00:00:00Z');
    const now = at + 30_000;
    const def = definition('withparams', [task('a', [], { parameters: ['GREETING'] })], { schedule: '0 * * * *', parameters: [{ name: 'GREETING', defaultValue: 'hi' }] });
    await saveDag(db.pool, { namespace: 'default', name: 'withparams', spec: {}, definition: def, hash: 'h3', source: 'test' });
    for (const other of ['hourly', 'minutely']) await setSuspended(db.pool, 'default', other, true); // only `withparams` is due
    await db.pool.query(`update dags set next_fire_at = $1 where name = 'withparams'`, [new Date(at)]);
    const s = new Scheduler({ pool: db.pool, cron, log: silentLog, now: () => now });
    assert.equal(await s.tick(), 1);
    const [run] = await listRuns(db.pool, { dagName: 'withparams' });
    assert.equal(run?.name, `withparams-${at / 1000}`);
    assert.equal(run?.trigger, 'schedule');
    assert.equal(run?.scheduledFor, at);
    assert.deepEqual(run?.parameters, { GREETING: 'hi' });
    // The same fire again (e.g. the DAG's next fire reset by another controller): the name makes it a no-op.
    await db.pool.query(`update dags set next_fire_at = $1 where name = 'withparams'`, [new Date(at)]);
    assert.equal(await s.tick(), 0, 'no second run for the same fire');
    assert.equal((await listRuns(db.pool, { dagName: 'withparams' })).length, 1);
    // A run started by hand under the name of a coming fire is that fire's run.
    const next = at + 3_600_000;
    const { run: byHand } = await startRun(db.pool, { namespace: 'default', dagName: 'withparams', name: `withparams-${next / 1000}`, trigger: 'manual' });
    const later = new Scheduler({ pool: db.pool, cron, log: silentLog, now: () => next + 1_000 });
    assert.equal(await later.tick(), 0);
    assert.deepEqual((await listRuns(db.pool, { dagName: 'withparams' })).map((r) => r.id).sort(), [run?.id, byHand.id].sort());
    await Promise.all([s.stop(), later.stop()]);
  });
});
