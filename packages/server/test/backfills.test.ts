// Backfills and logical time over real HTTP and PostgreSQL: dry run, bounds and errors naming the
// field, RBAC, idempotency (skipped fire times), release up to maxActive as runs end, cancel,
// audit; a manual run's logicalTime. The controller's part is in the CLI's backfill crash test.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { listAudit, releaseBackfills, startRun } from '@kontroler/store';
import { DAG_YAML, call, startHarness, userWithSession, type Harness } from './harness.js';

let h: Harness;
let editor: string;
let viewer: string;
let stranger: string;
before(async () => {
  h = await startHarness();
  editor = (await userWithSession(h, 'ed', [{ namespace: 'team', role: 'editor' }])).token;
  viewer = (await userWithSession(h, 'vi', [{ namespace: 'team', role: 'viewer' }])).token;
  stranger = (await userWithSession(h, 'other', [{ namespace: 'elsewhere', role: 'editor' }])).token;
  const hourly = `  schedule: "0 * * * *"\n  timezone: Europe/Berlin\n`;
  for (const [name, extra] of [['hourly', hourly], ['manual-only', '']] as const) {
    const r = await call(h.url, 'POST', '/api/v1/namespaces/team/dags', { token: editor, raw: DAG_YAML(name, extra) });
    assert.ok(r.status < 300, r.text);
  }
});
after(async () => h.close());

interface Created {
  dryRun: boolean;
  timezone: string;
  fireTimes: string[];
  fireTimeCount: number;
  skipped: Array<{ logicalTime: string; runId: number }>;
  skippedCount: number;
  backfill?: { id: number; status: string; progress: Record<string, number> };
  code?: string;
  message?: string;
  details?: Array<{ path: string; message: string }>;
}
const create = (body: unknown, token = editor, dag = 'hourly') => call<Created>(h.url, 'POST', `/api/v1/namespaces/team/dags/${dag}/backfills`, { token, body });
const get = (id: number, token = viewer) => call<{ status: string; progress: Record<string, number>; fires: Array<{ logicalTime: string; runId: number | null; status: string | null; skipped: boolean }>; code?: string }>(h.url, 'GET', `/api/v1/backfills/${id}`, { token });

async function backfillRuns(id: number): Promise<Array<{ id: number; status: string; scheduled_for: Date }>> {
  return (await h.db.pool.query(`select id, status, scheduled_for from runs where backfill_id = $1 order by id`, [id])).rows;
}

describe('backfills', () => {
  test('a dry run lists the fire times in the DAG time zone (through DST) and creates nothing', async () => {
    const r = await create({ from: '2026-03-29T00:00:00Z', to: '2026-03-29T03:00:00Z', dryRun: true });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.timezone, 'Europe/Berlin');
    assert.deepEqual(r.body.fireTimes, ['2026-03-29T01:00:00+01:00', '2026-03-29T03:00:00+02:00', '2026-03-29T04:00:00+02:00']);
    const { rows } = await h.db.pool.query('select count(*)::int as n from backfills');
    assert.equal(rows[0].n, 0);
  });

  test('bad input answers 400 naming the field; a DAG without a schedule is named; a viewer cannot create', async () => {
    const badFrom = await create({ from: 'last tuesday', to: '2026-01-02T00:00:00Z' });
    assert.equal(badFrom.status, 400);
    assert.deepEqual(badFrom.body.details?.map((d) => d.path), ['body.from']);
    const backwards = await create({ from: '2026-01-02T00:00:00Z', to: '2026-01-01T00:00:00Z' });
    assert.equal(backwards.status, 400);
    assert.deepEqual(backwards.body.details?.map((d) => d.path), ['body.to']);
    const tooMany = await create({ from: '2026-01-01T00:00:00Z', to: '2028-01-01T00:00:00Z', dryRun: true });
    assert.equal(tooMany.status, 400);
    assert.deepEqual(tooMany.body.details?.map((d) => d.path), ['body.to']);
    assert.match(tooMany.body.message ?? '', /more than 10000 fire times/);
    const atBound = await create({ from: '2026-01-01T00:00:00Z', to: new Date(Date.parse('2026-01-01T00:00:00Z') + 10_000 * 3_600_000).toISOString(), dryRun: true });
    assert.equal(atBound.status, 200, atBound.text);
    assert.equal(atBound.body.fireTimeCount, 10_000, 'exactly the bound is accepted');
    const noSchedule = await create({ from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z' }, editor, 'manual-only');
    assert.equal(noSchedule.status, 400);
    assert.deepEqual(noSchedule.body.details?.map((d) => d.path), ['params.name']);
    assert.match(noSchedule.body.message ?? '', /team\/manual-only has no schedule/);
    const maxActive = await create({ from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z', maxActive: 1000 });
    assert.equal(maxActive.status, 400);
    assert.match(JSON.stringify(maxActive.body.details), /maxActive/);
    assert.equal((await create({ from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z' }, viewer)).status, 403);
    assert.equal((await create({ from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z' }, stranger)).status, 403);
    assert.equal((await create({ from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z' }, '')).status, 401);
  });

  test('runs are released up to maxActive, oldest first, as runs end; a fire time with a run is skipped; idempotent; audited', async () => {
    // The schedule already ran 02:00Z (its run name is the schedule's): the backfill skips it.
    const existing = await startRun(h.db.pool, { namespace: 'team', dagName: 'hourly', name: `hourly-${Date.parse('2026-01-05T02:00:00Z') / 1000}`, trigger: 'schedule', scheduledFor: Date.parse('2026-01-05T02:00:00Z') });
    const r = await create({ from: '2026-01-05T00:00:00Z', to: '2026-01-05T05:00:00Z', maxActive: 2 });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.fireTimeCount, 4);
    assert.deepEqual(r.body.skipped.map((s) => [s.logicalTime, s.runId]), [['2026-01-05T03:00:00+01:00', existing.run.id]]);
    const id = r.body.backfill!.id;
    assert.deepEqual(r.body.backfill?.progress, { done: 0, running: 2, failed: 0, pending: 2, skipped: 1, total: 5 });
    let runs = await backfillRuns(id);
    assert.deepEqual(runs.map((x) => x.scheduled_for.toISOString()), ['2026-01-05T00:00:00.000Z', '2026-01-05T01:00:00.000Z']);

    // The run carries its logical time and the schedule's fire before it, in the DAG's time zone.
    const detail = await call<{ logicalTime: string; prevLogicalTime: string; backfillId: number; trigger: string }>(h.url, 'GET', `/api/v1/runs/${runs[0]!.id}`, { token: viewer });
    assert.equal(detail.body.logicalTime, '2026-01-05T01:00:00+01:00');
    assert.equal(detail.body.prevLogicalTime, '2026-01-05T00:00:00+01:00');
    assert.equal(detail.body.backfillId, id);
    assert.equal(detail.body.trigger, 'backfill');

    assert.equal(await releaseBackfills(h.db.pool), 0, 'nothing is released while maxActive runs are active');
    await h.db.pool.query(`update runs set status = 'succeeded', started_at = now(), finished_at = now() where id = $1`, [runs[0]!.id]);
    assert.equal(await releaseBackfills(h.db.pool), 1);
    runs = await backfillRuns(id);
    assert.deepEqual(runs.map((x) => x.scheduled_for.toISOString()), ['2026-01-05T00:00:00.000Z', '2026-01-05T01:00:00.000Z', '2026-01-05T03:00:00.000Z']);
    await h.db.pool.query(`update runs set status = 'succeeded', started_at = now(), finished_at = now() where backfill_id = $1`, [id]);
    assert.equal(await releaseBackfills(h.db.pool), 1);
    assert.equal((await get(id)).body.status, 'running');
    await h.db.pool.query(`update runs set status = 'failed', started_at = now(), finished_at = now() where backfill_id = $1 and status = 'pending'`, [id]);
    await releaseBackfills(h.db.pool);
    const done = await get(id);
    assert.equal(done.body.status, 'failed', 'a failed run fails the backfill once everything ended');
    assert.deepEqual(done.body.progress, { done: 3, running: 0, failed: 1, pending: 0, skipped: 1, total: 5 });
    assert.equal(done.body.fires.length, 5);

    // A second backfill of the same range has nothing left to run.
    const again = await create({ from: '2026-01-05T00:00:00Z', to: '2026-01-05T05:00:00Z', maxActive: 2 });
    assert.equal(again.status, 201);
    assert.equal(again.body.fireTimeCount, 0);
    assert.equal(again.body.skippedCount, 5);
    await releaseBackfills(h.db.pool);
    assert.equal((await get(again.body.backfill!.id)).body.status, 'succeeded');

    const list = await call<{ items: Array<{ id: number }> }>(h.url, 'GET', '/api/v1/namespaces/team/dags/hourly/backfills', { token: viewer });
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.items.map((b) => b.id), [again.body.backfill!.id, id]);
    const hidden = await call<{ items: unknown[] }>(h.url, 'GET', '/api/v1/backfills', { token: stranger });
    assert.deepEqual(hidden.body.items, [], 'backfills of namespaces one cannot see are not listed');
    assert.equal((await get(id, stranger)).status, 404);

    const audit = await listAudit(h.db.pool, { action: 'backfill.create' });
    assert.ok(audit.some((e) => e.actor === 'user:ed' && e.namespace === 'team' && e.outcome === 'ok'), JSON.stringify(audit));
    assert.ok(audit.some((e) => e.actor === 'user:vi' && e.outcome !== 'ok'), 'the refused create is audited too');
  });

  test('cancel stops releasing and cancels the pending and running runs; a viewer cannot', async () => {
    const r = await create({ from: '2026-02-01T00:00:00Z', to: '2026-02-02T00:00:00Z', maxActive: 3, reverse: true });
    assert.equal(r.status, 201, r.text);
    const id = r.body.backfill!.id;
    const runs = await backfillRuns(id);
    assert.deepEqual(runs.map((x) => x.scheduled_for.toISOString()), ['2026-02-01T23:00:00.000Z', '2026-02-01T22:00:00.000Z', '2026-02-01T21:00:00.000Z'], 'reverse: newest first');
    assert.equal((await call(h.url, 'POST', `/api/v1/backfills/${id}/cancel`, { token: viewer, body: {} })).status, 403);
    assert.equal((await call(h.url, 'POST', `/api/v1/backfills/${id}/cancel`, { token: stranger, body: {} })).status, 404);
    const c = await call<{ status: string }>(h.url, 'POST', `/api/v1/backfills/${id}/cancel`, { token: editor, body: {} });
    assert.equal(c.status, 200, c.text);
    assert.equal(c.body.status, 'canceled');
    const { rows } = await h.db.pool.query(`select requested from runs where backfill_id = $1`, [id]);
    assert.deepEqual(rows.map((x) => x.requested), ['cancel', 'cancel', 'cancel']);
    await h.db.pool.query(`update runs set status = 'canceled', finished_at = now() where backfill_id = $1`, [id]);
    assert.equal(await releaseBackfills(h.db.pool), 0, 'a canceled backfill releases nothing');
    assert.equal((await get(id)).body.progress.pending, 21);
    assert.equal((await call(h.url, 'POST', `/api/v1/backfills/${id}/cancel`, { token: editor, body: {} })).status, 200, 'idempotent');
    const audit = (await listAudit(h.db.pool, { action: 'backfill.cancel' })).filter((e) => e.outcome === 'ok');
    assert.deepEqual(audit.map((e) => [e.actor, e.namespace]), [['user:ed', 'team'], ['user:ed', 'team']]);
  });
});

describe('logical time of a manual run', () => {
  test('logicalTime in the body: validated (400 naming it), shown with the previous fire time', async () => {
    const bad = await call<{ details: Array<{ path: string }> }>(h.url, 'POST', '/api/v1/namespaces/team/dags/hourly/runs', { token: editor, body: { logicalTime: '2026-13-01T00:00:00Z' } });
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.body.details.map((d) => d.path), ['body.logicalTime']);
    const ok = await call<{ id: number; logicalTime: string; prevLogicalTime: string }>(h.url, 'POST', '/api/v1/namespaces/team/dags/hourly/runs', { token: editor, body: { logicalTime: '2026-07-01T10:30:00Z' } });
    assert.equal(ok.status, 201, ok.text);
    assert.equal(ok.body.logicalTime, '2026-07-01T12:30:00+02:00');
    assert.equal(ok.body.prevLogicalTime, '2026-07-01T12:00:00+02:00');
    const none = await call<{ logicalTime: string | null }>(h.url, 'POST', '/api/v1/namespaces/team/dags/manual-only/runs', { token: editor, body: {} });
    assert.equal(none.body.logicalTime, null, 'a manual run has none unless given');
  });
});
