import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHmac } from 'node:crypto';
import { Controller, WebhookSender, destinationPolicy, silentLog, envSecretResolver } from '@kontroler/controller';
import { loadRun, requestRun, listWebhookDeliveries, readLog, type PoolLike } from '@kontroler/store';
import { createTestDatabase, type TestDatabase } from '@kontroler/store/testing';
import { FakeRuntime, hello } from '@kontroler/testing';
import { chain, definition, recordingPool, startRun, task, waitForRunEnd } from './fixtures.js';

let db: TestDatabase;
before(async () => { db = await createTestDatabase(); });
after(async () => { await db.drop(); });

function controller(runtime: FakeRuntime, id: string, extra: { leaseMs?: number } = {}) {
  return new Controller({ pool: db.pool, databaseUrl: db.url, runtime, id, log: silentLog, secrets: envSecretResolver({ KONTROLER_SECRET_DEFAULT__DB_PASS: 's3cret', KONTROLER_SECRET_OTHER__API_KEY: 'not-yours', KONTROLER_SECRET_API_KEY: 'old-style' }), pollMs: 200, ...extra });
}

function ended(c: Controller, runId: number): Promise<void> {
  return new Promise((resolve) => { const off = c.onRunEnded((id) => { if (id === runId) { off(); resolve(); } }); });
}

describe('controller', () => {
  test('runs a chain to success, recording every attempt and its log', async () => {
    const rt = new FakeRuntime();
    const c = controller(rt, 'c-chain');
    await c.start();
    const run = await startRun(db.pool, chain('chain5', 5));
    await ended(c, run.id);
    await c.stop();
    const d = (await loadRun(db.pool, run.id))!;
    assert.equal(d.run.status, 'succeeded');
    for (const t of ['t0', 't1', 't2', 't3', 't4']) {
      assert.equal(d.state.tasks.get(t)?.attempts.length, 1);
      assert.equal(d.state.tasks.get(t)?.attempts[0]?.exitCode, 0);
      assert.equal((await readLog(db.pool, { runId: run.id, task: t, attempt: 1 })).data.toString(), `hello from ${t}\n`);
    }
    assert.deepEqual(rt.starts, [0, 1, 2, 3, 4].map((i) => `${run.id}/t${i}/1`), 'dependency order');
  });

  test('retries failed attempts up to the limit and fails the run', async () => {
    const rt = new FakeRuntime(hello((s) => (s.task === 'flaky' ? 3 : 0)));
    const c = controller(rt, 'c-retry');
    await c.start();
    const run = await startRun(db.pool, definition('retry', [task('flaky', [], { retryLimit: 2 }), task('after', ['flaky'])]));
    await ended(c, run.id);
    await c.stop();
    const d = (await loadRun(db.pool, run.id))!;
    assert.equal(d.run.status, 'failed');
    assert.deepEqual(d.state.tasks.get('flaky')?.attempts.map((a) => [a.attempt, a.status, a.exitCode]), [[1, 'failed', 3], [2, 'failed', 3], [3, 'failed', 3]]);
    assert.equal(d.state.tasks.get('after')?.status, 'skipped');
  });

  test('passes parameters (secrets resolved at start, never stored) to attempts', async () => {
    const rt = new FakeRuntime();
    const c = controller(rt, 'c-params');
    await c.start();
    const def = definition('params', [task('a', [], { parameters: ['GREETING', 'DB_PASSWORD'] })], {
      parameters: [{ name: 'GREETING', defaultValue: 'hi' }, { name: 'DB_PASSWORD', defaultFromSecret: 'db-pass' }],
    });
    const run = await startRun(db.pool, def, { GREETING: 'hello' }, { DB_PASSWORD: 'db-pass' });
    await ended(c, run.id);
    await c.stop();
    assert.deepEqual(rt.specs.get(`${run.id}/a/1`)?.env, { GREETING: 'hello', DB_PASSWORD: 's3cret' });
    const { rows } = await db.pool.query(`select count(*)::int as n from runs where id = $1 and (parameters::text like '%s3cret%' or secret_refs::text like '%s3cret%')`, [run.id]);
    assert.equal(rows[0]?.n, 0, 'the secret value is not in the database');
  });

  test('a missing secret fails the attempt before it starts, naming the secret, without retries', async () => {
    const rt = new FakeRuntime();
    const c = controller(rt, 'c-missing-secret');
    await c.start();
    const def = definition('secret-missing', [task('a', [], { parameters: ['P', 'K'], retryLimit: 3 }), task('b', ['a'])], {
      parameters: [{ name: 'P', defaultFromSecret: 'no-such-secret' }, { name: 'K', defaultFromSecret: 'api-key' }],
    });
    const run = await startRun(db.pool, def, {}, { P: 'no-such-secret', K: 'api-key' });
    await ended(c, run.id);
    await c.stop();
    assert.equal(rt.specs.has(`${run.id}/a/1`), false, 'the runtime was never asked to start it');
    const d = await loadRun(db.pool, run.id);
    const a = d?.state.tasks.get('a');
    assert.equal(d?.state.status, 'failed');
    assert.equal(a?.status, 'failed');
    assert.equal(a?.attempts.length, 1, 'no retry: retrying cannot help');
    const reason = a?.attempts[0]?.reason ?? '';
    assert.equal(a?.attempts[0]?.exitCode, undefined);
    assert.match(reason, /^SecretNotFound: /);
    assert.match(reason, /"no-such-secret"/);
    assert.match(reason, /KONTROLER_SECRET_DEFAULT__NO_SUCH_SECRET/);
    // api-key exists for namespace "other" and unscoped (old style): neither is visible to "default".
    assert.match(reason, /"api-key" of namespace "default" is not set: set the environment variable KONTROLER_SECRET_DEFAULT__API_KEY; KONTROLER_SECRET_API_KEY is no longer read/);
    assert.doesNotMatch(reason, /not-yours|old-style/, 'no secret value in the reason');
    assert.equal(d?.state.tasks.get('b')?.status, 'skipped');
  });

  test('cancel kills running attempts and ends the run canceled; retry resumes from failed tasks', async () => {
    const rt = new FakeRuntime(hello(() => undefined)); // attempts run until told otherwise
    const c = controller(rt, 'c-cancel');
    await c.start();
    const run = await startRun(db.pool, chain('cancel', 3));
    while (rt.starts.length === 0) await new Promise((r) => setImmediate(r));
    await requestRun(db.pool, run.id, 'cancel');
    await ended(c, run.id);
    let d = (await loadRun(db.pool, run.id))!;
    assert.equal(d.run.status, 'canceled');
    assert.deepEqual(rt.kills, [`${run.id}/t0/1:Canceled`]);
    assert.equal(d.state.tasks.get('t2')?.status, 'canceled');
    const done = ended(c, run.id);
    await requestRun(db.pool, run.id, 'retry');
    const t0 = `${run.id}/t0/2`;
    while (!rt.specs.has(t0)) await new Promise((r) => setImmediate(r));
    rt.finish({ runId: String(run.id), task: 't0', attempt: 2 }, 0);
    for (const t of ['t1', 't2']) {
      while (!rt.specs.has(`${run.id}/${t}/1`)) await new Promise((r) => setImmediate(r));
      rt.finish({ runId: String(run.id), task: t, attempt: 1 }, 0);
    }
    await done;
    await c.stop();
    d = (await loadRun(db.pool, run.id))!;
    assert.equal(d.run.status, 'succeeded');
    assert.equal(d.run.requested, null);
  });

  test('a second controller takes over a crashed one and adopts its attempts without starting them again', async () => {
    const rt = new FakeRuntime(hello(() => undefined));
    const a = controller(rt, 'c-a', { leaseMs: 1000 });
    await a.start();
    const run = await startRun(db.pool, chain('takeover', 2));
    while (rt.starts.length === 0 || !rt.starts.includes(`${run.id}/t0/1`)) await new Promise((r) => setImmediate(r));
    await a.stop(false); // "crash": lease not released
    const b = controller(rt, 'c-b', { leaseMs: 1000 });
    const done = ended(b, run.id);
    await b.start();
    rt.finish({ runId: String(run.id), task: 't0', attempt: 1 }, 0);
    while (!rt.specs.has(`${run.id}/t1/1`)) await new Promise((r) => setTimeout(r, 10));
    rt.finish({ runId: String(run.id), task: 't1', attempt: 1 }, 0);
    await done;
    await b.stop();
    const mine = rt.starts.filter((s) => s.startsWith(`${run.id}/`));
    assert.deepEqual(mine, [`${run.id}/t0/1`, `${run.id}/t1/1`], 'each attempt started once');
    assert.equal((await loadRun(db.pool, run.id))!.run.status, 'succeeded');
  });

  test('two controllers on one database never run a task twice', async () => {
    const rt = new FakeRuntime();
    const c1 = controller(rt, 'c-1');
    const c2 = controller(rt, 'c-2');
    await Promise.all([c1.start(), c2.start()]);
    const runs: Array<{ id: number }> = [];
    for (let i = 0; i < 10; i++) runs.push(await startRun(db.pool, chain(`shared${i}`, 4)));
    for (const r of runs) assert.equal((await waitForRunEnd(db.pool, r.id)).status, 'succeeded');
    await Promise.all([c1.stop(), c2.stop()]);
    const ours = rt.starts.filter((s) => runs.some((r) => s.startsWith(`${r.id}/`)));
    assert.equal(ours.length, 40);
    assert.equal(new Set(ours).size, 40);
  });

  test('webhooks: signed, retried after a failure, every delivery recorded', async () => {
    const got: Array<{ body: string; sig: string | undefined; key: string | undefined; auth: string | undefined }> = [];
    let fails = 1;
    const srv = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        if (fails-- > 0) { res.statusCode = 500; res.end(); return; }
        got.push({ body, sig: req.headers['x-kontroler-signature'] as string | undefined, key: req.headers['x-kontroler-idempotency-key'] as string | undefined, auth: req.headers.authorization });
        res.end('ok');
      });
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const url = `http://hook:p%40ss@127.0.0.1:${(srv.address() as AddressInfo).port}/hook`;
    const rt = new FakeRuntime();
    const c = controller(rt, 'c-hook');
    // The receiver is on loopback, refused unless allowed (as KONTROLER_WEBHOOK_ALLOW=127.0.0.1 does).
    const sender = new WebhookSender({ pool: db.pool, secret: 'topsecret', log: silentLog, baseDelayMs: 50, pollMs: 50, policy: destinationPolicy('127.0.0.1') });
    await c.start();
    sender.start();
    const run = await startRun(db.pool, definition('hooked', [task('a')], { webhook: { url, verifySSL: false } }));
    await ended(c, run.id);
    const deadline = Date.now() + 10_000;
    while ((await listWebhookDeliveries(db.pool, run.id)).some((d) => d.status === 'pending')) {
      assert.ok(Date.now() < deadline, 'deliveries finish');
      sender.kick();
      await new Promise((r) => setTimeout(r, 50));
    }
    await sender.stop();
    await c.stop();
    srv.close();
    const deliveries = await listWebhookDeliveries(db.pool, run.id);
    assert.ok(deliveries.every((d) => d.status === 'delivered'));
    assert.ok(deliveries.some((d) => d.attempts === 2), 'the first failed delivery was retried');
    const events = got.map((g) => JSON.parse(g.body) as { type: string; status: string });
    assert.deepEqual(events.map((e) => `${e.type}:${e.status}`), ['task:running', 'task:succeeded', 'run:succeeded']);
    for (const g of got) {
      assert.equal(g.sig, `sha256=${createHmac('sha256', 'topsecret').update(g.body).digest('hex')}`);
      assert.ok(g.key);
      assert.equal(g.auth, `Basic ${Buffer.from('hook:p@ss').toString('base64')}`, 'URL credentials are sent as Basic auth');
    }
  });
});

describe('the hot path', () => {
  test("an attempt's output is stored by the save that records its end: no log write or log-state read of its own", async () => {
    const statements: string[] = [];
    const pool = recordingPool(db.pool, statements);
    const rt = new FakeRuntime();
    const c = new Controller({ pool, databaseUrl: db.url, runtime: rt, id: 'c-hot', log: silentLog, secrets: envSecretResolver({}), pollMs: 200 });
    await c.start();
    const run = await startRun(db.pool, chain('hot5', 5));
    await ended(c, run.id);
    await c.stop();
    assert.equal((await loadRun(db.pool, run.id))!.run.status, 'succeeded');
    for (const t of ['t0', 't1', 't2', 't3', 't4']) {
      assert.equal((await readLog(db.pool, { runId: run.id, task: t, attempt: 1 })).data.toString(), `hello from ${t}\n`);
    }
    const saves = statements.filter((s) => s.startsWith('with lease as'));
    assert.ok(saves.length >= 5, `state saves: ${saves.length}`);
    assert.deepEqual(statements.filter((s) => /^\s*with u as/.test(s) || s.includes('from attempts a join unnest')), [], 'no separate log append or log-state read');
  });
});
