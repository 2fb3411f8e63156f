// Shard roles (kontroler shard create): two shard controllers on one database, each logged in as
// its own PostgreSQL role. Row-level security lets each run only its namespace's runs, and
// refuses it the other's runs, logs and DAGs and every user, token, session and audit row,
// checked with direct SQL as the shard role. The tables' owner is not slowed: its plans are
// the plans without row-level security.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Controller, Scheduler, WebhookSender, cron, destinationPolicy, envSecretResolver, type ControllerLog } from '@kontroler/controller';
import { SHARD_TABLE_NAMES, createPool, createShard, deleteShard, getDag, getRun, listRuns, listShards, migrate, saveDag, shardRole, type RunRecord } from '@kontroler/store';
import { createTestDatabase, type TestDatabase } from '@kontroler/store/testing';
import { FakeRuntime, ManualClock, dagDefinition, resolvedTask } from '@kontroler/testing';
import { startRun } from './fixtures.js';

interface Shard {
  name: string;
  namespace: string;
  url: string;
  pool: pg.Pool;
  runtime: FakeRuntime;
  run?: RunRecord;
}

const suffix = randomBytes(4).toString('hex');
let db: TestDatabase;
const shards: Shard[] = [];
const owner = `owner_${suffix}`;
const reader = `reader_${suffix}`;

function urlAs(user: string, password: string): string {
  const u = new URL(db.url);
  u.username = user;
  u.password = password;
  return u.toString();
}

async function asRole<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

async function refused(p: Promise<unknown>, what: string): Promise<void> {
  await assert.rejects(p, (e: Error & { code?: string }) => e.code === '42501' || assert.fail(`${what}: ${e.code} ${e.message}`), what);
}

/** What went wrong in a shard's controller: a refused query would show here. */
const problems: string[] = [];
const log: ControllerLog = {
  info: () => undefined,
  warn: (m) => problems.push(m),
  error: (m, e) => problems.push(`${m}: ${String(e)}`),
};

function ended(c: Controller, runId: number): Promise<void> {
  return new Promise((resolve) => { const off = c.onRunEnded((id) => { if (id === runId) { off(); resolve(); } }); });
}

before(async () => {
  db = await createTestDatabase();
  for (const color of ['blue', 'green']) {
    const password = randomBytes(24).toString('base64url');
    const name = `${color}_${suffix}`;
    await createShard(db.pool, { name, namespaces: [`team-${color}`], password });
    const url = urlAs(shardRole(name), password);
    shards.push({ name, namespace: `team-${color}`, url, pool: createPool(url, 10), runtime: new FakeRuntime() });
  }
});

after(async () => {
  for (const s of shards) await s.pool.end();
  await db.drop();
  const base = new pg.Client({ connectionString: process.env.KONTROLER_TEST_DATABASE_URL });
  await base.connect();
  for (const role of [...shards.map((s) => shardRole(s.name)), owner, reader]) await base.query(`drop role if exists ${pg.escapeIdentifier(role)}`);
  await base.end();
});

test('two shard controllers on one database: each runs only its own namespace\'s runs', async () => {
  const [blue, green] = shards as [Shard, Shard];
  for (const s of shards) assert.deepEqual(await migrate(s.pool), [], 'a shard starts as a controller does: the schema is up to date');
  for (const s of shards) {
    s.run = await startRun(db.pool, dagDefinition(s.namespace, 'work', [resolvedTask('a'), resolvedTask('b', ['a'])]));
  }
  const controller = (s: Shard) => new Controller({ pool: s.pool, databaseUrl: s.url, runtime: s.runtime, id: `shard-${s.name}`, log, secrets: envSecretResolver({}), pollMs: 100 });
  // No namespace filter in the controllers: what keeps them apart is the database.
  const cb = controller(blue);
  const blueEnded = ended(cb, blue.run!.id);
  await cb.start();
  await blueEnded;
  const waiting = await getRun(db.pool, green.run!.id);
  assert.equal(waiting?.status, 'pending', 'blue claimed its run and polled many times, but never saw green\'s');
  assert.equal(waiting?.owner ?? null, null);
  const cg = controller(green);
  const greenEnded = ended(cg, green.run!.id);
  await cg.start();
  await greenEnded;
  await cb.stop();
  await cg.stop();
  for (const s of shards) {
    assert.equal((await getRun(db.pool, s.run!.id))?.status, 'succeeded');
    assert.deepEqual(s.runtime.starts, [`${s.run!.id}/a/1`, `${s.run!.id}/b/1`], `${s.name} ran its own run's attempts, and only those`);
  }
  assert.deepEqual(problems, [], 'nothing a controller does is refused to a shard');
});

test('a shard\'s scheduler fires only the schedules of its namespaces', async () => {
  const [blue, green] = shards as [Shard, Shard];
  for (const s of shards) {
    const def = dagDefinition(s.namespace, 'hourly', [resolvedTask('a')], { schedule: '0 * * * *' });
    await saveDag(db.pool, { namespace: s.namespace, name: 'hourly', spec: {}, definition: def, hash: 'h-hourly', source: 'test' });
  }
  const clock = new ManualClock(Date.parse('2026-03-01T10:00:30Z'));
  const scheduler = new Scheduler({ pool: blue.pool, cron, log, now: clock.now });
  assert.equal(await scheduler.tick(), 0, 'first sight: next fire computed');
  clock.set(Date.parse('2026-03-01T11:00:02Z'));
  assert.equal(await scheduler.tick(), 1, 'blue\'s schedule fired once');
  assert.equal((await listRuns(db.pool, { dagName: 'hourly' })).map((r) => r.namespace).join(), blue.namespace);
  assert.equal((await getDag(db.pool, green.namespace, 'hourly'))?.nextFireAt ?? null, null, 'green\'s DAG was never seen by blue\'s scheduler');
  const def = (ns: string) => dagDefinition(ns, 'own', [resolvedTask('a')]);
  await saveDag(blue.pool, { namespace: blue.namespace, name: 'own', spec: {}, definition: def(blue.namespace), hash: 'h-own', source: 'test' });
  await refused(saveDag(blue.pool, { namespace: green.namespace, name: 'own', spec: {}, definition: def(green.namespace), hash: 'h-own', source: 'test' }), 'a DAG in the other namespace');
  assert.deepEqual(problems, []);
});

test('a shard\'s webhook sender delivers the webhooks of its own runs only', async () => {
  const [blue, green] = shards as [Shard, Shard];
  const got: string[] = [];
  let received: () => void = () => undefined;
  const srv = createServer((req, res) => {
    got.push(req.url ?? '');
    res.end('ok');
    received();
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
  for (const s of shards) {
    await db.pool.query(`insert into webhook_deliveries (run_id, idempotency_key, url, event, payload) values ($1, $2, $3, 'run', '{}')`, [s.run!.id, `k-${s.name}`, `${base}/${s.namespace}`]);
  }
  const sender = new WebhookSender({ pool: blue.pool, log, baseDelayMs: 50, pollMs: 50, policy: destinationPolicy('127.0.0.1') });
  const delivered = new Promise<void>((r) => (received = r));
  sender.start();
  await delivered;
  await sender.stop();
  srv.close();
  assert.deepEqual(got, [`/${blue.namespace}`]);
  const { rows } = await db.pool.query<{ status: string; attempts: number }>('select status, attempts from webhook_deliveries where idempotency_key = $1', [`k-${green.name}`]);
  assert.deepEqual(rows, [{ status: 'pending', attempts: 0 }], 'green\'s delivery was never seen by blue\'s sender');
  assert.deepEqual(problems, []);
});

test('as a shard role, the other shard\'s runs, logs and DAGs are 0 rows or refused, and users, tokens, sessions, audit are refused', async () => {
  const [blue, green] = shards as [Shard, Shard];
  for (const [me, other] of [[blue, green], [green, blue]] as const) {
    const mine = me.run!.id;
    const theirs = other.run!.id;
    await asRole(me.url, async (c) => {
      const count = async (sql: string, params: unknown[] = []) => (await c.query<{ n: number }>(sql, params)).rows[0]!.n;
      assert.equal(await count('select count(*)::int as n from runs where namespace <> $1', [me.namespace]), 0, 'only its own runs');
      assert.equal(await count('select count(*)::int as n from runs where id = $1', [theirs]), 0);
      for (const t of ['task_states', 'attempts', 'attempt_logs', 'run_group_counts', 'webhook_deliveries', 'approval_decisions']) {
        assert.equal(await count(`select count(*)::int as n from ${t} where run_id = $1`, [theirs]), 0, `${t} of the other shard's run`);
      }
      assert.ok((await count('select count(*)::int as n from attempt_logs where run_id = $1', [mine])) > 0, 'its own logs it reads');
      assert.equal(await count('select count(*)::int as n from dags where namespace = $1', [other.namespace]), 0);
      assert.equal(await count('select count(*)::int as n from dag_versions v join dags d on d.id = v.dag_id where d.namespace = $1', [other.namespace]), 0);
      // Changes to the other's rows touch nothing; moving a row to the other's namespace is refused.
      assert.equal((await c.query('update runs set cancel_requested = true where id = $1', [theirs])).rowCount, 0);
      assert.equal((await c.query('update attempts set status = $2 where run_id = $1', [theirs, 'lost'])).rowCount, 0);
      assert.equal((await c.query('delete from attempt_logs where run_id = $1', [theirs])).rowCount, 0);
      assert.equal((await c.query('delete from runs where id = $1', [theirs])).rowCount, 0);
      await refused(c.query('update runs set namespace = $2 where id = $1', [mine, other.namespace]), 'moving its run into the other namespace');
      await refused(
        c.query(`insert into webhook_deliveries (run_id, idempotency_key, url, event, payload) values ($1, $2, 'https://example.com', 'run', '{}')`, [theirs, `evil-${me.name}`]),
        'a delivery for the other shard\'s run',
      );
      await refused(c.query(`insert into attempt_logs (run_id, task, attempt, "offset", data) values ($1, 'a', 1, 99999, '\\x00')`, [theirs]), 'a log line in the other shard\'s run');
      await c.query("select nextval('runs_id_seq')"); // the id a run created in this session would have: not theirs
      await refused(c.query(`insert into task_states (run_id, task, status, position) values ($1, 'evil', 'pending', 999)`, [theirs]), 'a task in the other shard\'s run');
      for (const t of ['users', 'role_bindings', 'sessions', 'api_tokens', 'audit_log', 'login_handoffs', 'dag_triggers', 'trigger_deliveries', 'server_settings', 'shards']) {
        await refused(c.query(`select * from ${t} limit 1`), `reading ${t}`);
      }
      await refused(c.query('update users set disabled = true'), 'changing users');
      await refused(c.query(`create table mine (x int)`), 'creating a table');
    });
  }
  const after = await getRun(db.pool, green.run!.id);
  assert.equal(after?.cancelRequested, false, 'the other shard\'s run is as it was');
});

test('the tables\' owner bypasses row-level security: its plans are those without it, and it sees every row', async () => {
  const password = randomBytes(24).toString('base64url');
  // An owner like `kontroler up`'s application role: no superuser, no BYPASSRLS.
  await db.pool.query(`create role ${pg.escapeIdentifier(owner)} login nosuperuser nobypassrls password ${pg.escapeLiteral(password)}`);
  await db.pool.query(`grant connect on database ${pg.escapeIdentifier(new URL(db.url).pathname.slice(1))} to ${pg.escapeIdentifier(owner)}`);
  const { rows: tables } = await db.pool.query<{ t: string }>("select tablename as t from pg_tables where schemaname = 'public'");
  for (const { t } of tables) await db.pool.query(`alter table ${pg.escapeIdentifier(t)} owner to ${pg.escapeIdentifier(owner)}`);
  const id = shards[0]!.run!.id;
  const hot = [
    [`select r.id from runs r where (r.status in ('pending', 'running') or r.requested is not null) and (r.owner is null or r.lease_expires_at < now()) and (r.host is null or not exists (select 1 from attempts a where a.run_id = r.id and a.status in ('starting', 'running'))) order by r.id for update skip locked limit 10`, []],
    ['select * from runs where id = $1', [id]],
    ['select * from task_states where run_id = $1', [id]],
    ['select * from attempts where run_id = $1', [id]],
    [`select * from attempt_logs where run_id = $1 and task = 'a' and attempt = 1 order by "offset"`, [id]],
    ['update task_states set status = status where run_id = $1 and task = any($2)', [id, ['a']]],
  ] as const;
  const plans = (url: string) => asRole(url, async (c) => {
    const out: string[] = [];
    for (const [sql, params] of hot) out.push((await c.query<{ 'QUERY PLAN': string }>(`explain (costs off) ${sql}`, [...params])).rows.map((r) => r['QUERY PLAN']).join('\n'));
    return out;
  });
  const ownerUrl = urlAs(owner, password);
  // A role that is granted the tables but does not own them (migrations run by another role):
  // it sees every row through kontroler_rows (true), which must cost it nothing either.
  await db.pool.query(`create role ${pg.escapeIdentifier(reader)} login nosuperuser nobypassrls password ${pg.escapeLiteral(password)}`);
  await db.pool.query(`grant connect on database ${pg.escapeIdentifier(new URL(db.url).pathname.slice(1))} to ${pg.escapeIdentifier(reader)}`);
  await db.pool.query(`grant select, insert, update, delete on all tables in schema public to ${pg.escapeIdentifier(reader)}`);
  const readerUrl = urlAs(reader, password);
  const withRls = await plans(ownerUrl);
  const readerWithRls = await plans(readerUrl);
  assert.equal(await asRole(ownerUrl, async (c) => (await c.query<{ n: number }>('select count(distinct namespace)::int as n from runs')).rows[0]!.n), 2, 'the owner sees every shard\'s runs');
  const shardPlans = await plans(shards[0]!.url);
  assert.notDeepEqual(shardPlans, withRls, 'a shard\'s plans carry its policies (so the comparison below can tell)');
  assert.match(shardPlans[1]!, /team-blue/);
  for (const t of SHARD_TABLE_NAMES) await db.pool.query(`alter table ${t} disable row level security`);
  const withoutRls = await plans(ownerUrl);
  const readerWithoutRls = await plans(readerUrl);
  for (const t of SHARD_TABLE_NAMES) await db.pool.query(`alter table ${t} enable row level security`);
  assert.deepEqual(withRls, withoutRls);
  assert.deepEqual(readerWithRls, readerWithoutRls, 'a granted non-owner: the true policy leaves its plans alone');
});

test('deleting a shard drops its policies, grants and role: its connection string stops working', async () => {
  const blue = shards[0]!;
  await deleteShard(db.pool, blue.name);
  assert.deepEqual((await listShards(db.pool)).map((s) => s.name), [shards[1]!.name]);
  const { rows } = await db.pool.query<{ n: number }>('select count(*)::int as n from pg_policies where $1 = any(roles)', [shardRole(blue.name)]);
  assert.equal(rows[0]?.n, 0);
  await assert.rejects(asRole(blue.url, async () => undefined), /password authentication failed|does not exist/);
  await assert.rejects(deleteShard(db.pool, blue.name), (e: { code?: string }) => e.code === 'NOT_FOUND');
  await assert.rejects(createShard(db.pool, { name: shards[1]!.name, namespaces: ['x'], password: 'p' }), (e: { code?: string }) => e.code === 'ALREADY_EXISTS');
  await assert.rejects(createShard(db.pool, { name: 'Bad-Name', namespaces: ['Not_A_Namespace'], password: 'p' }), (e: { code?: string; message: string }) => e.code === 'VALIDATION_FAILED' && /name: "Bad-Name" is not a valid shard name/.test(e.message) && /namespaces\[0\]/.test(e.message));
});
