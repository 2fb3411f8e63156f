// `kontroler shard create|list|delete` as a user runs them (admin DATABASE_URL), and a real
// `kontroler controller` process started with the printed connection string: it starts (no schema
// rights needed), runs its namespace's run and never sees the other namespace's.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { DagResource } from '@kontroler/core';
import { RUN_STATE_CHANNEL, applyResource, getRun, listen, startRun } from '@kontroler/store';
import { createTestDatabase, type TestDatabase } from '@kontroler/store/testing';
import { run, start, type Proc } from './proc.js';
import { cleanEnv } from './security/instance.js';

const name = `cli_${randomBytes(4).toString('hex')}`;
let db: TestDatabase;
let dir: string;
let proc: Proc | undefined;

before(async () => {
  db = await createTestDatabase();
  dir = mkdtempSync(join(tmpdir(), 'kontroler-shard-'));
});

after(async () => {
  if (proc && proc.child.exitCode === null) {
    proc.signal('SIGTERM');
    await proc.exited;
  }
  await db.drop();
  const base = new pg.Client({ connectionString: process.env.KONTROLER_TEST_DATABASE_URL });
  await base.connect();
  await base.query(`drop role if exists ${pg.escapeIdentifier(`kontroler_shard_${name}`)}`);
  await base.end();
  rmSync(dir, { recursive: true, force: true });
});

const dag = (namespace: string): DagResource => ({
  apiVersion: 'kontroler.greedykomodo/v1alpha1',
  kind: 'DAG',
  metadata: { name: 'work', namespace },
  spec: { task: [{ name: 'a', image: 'alpine', script: 'echo working' }] },
});

/** Resolves once the run has ended; re-checks at each run-state NOTIFY. */
async function untilEnded(id: number, timeoutMs = 60_000): Promise<void> {
  let wake: () => void = () => undefined;
  const l = await listen(db.url, [RUN_STATE_CHANNEL], () => wake());
  try {
    const deadline = Date.now() + timeoutMs;
    while (!['succeeded', 'failed', 'canceled'].includes((await getRun(db.pool, id))?.status ?? '')) {
      const left = deadline - Date.now();
      assert.ok(left > 0, `run ${id} did not end in time:\n${proc?.output() ?? ''}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 5_000));
        wake = () => { clearTimeout(t); resolve(); };
      });
    }
  } finally {
    await l.close();
  }
}

test('shard create prints a connection string once; a controller started with it runs only its namespaces\' runs; list and delete', async () => {
  const admin = cleanEnv({ DATABASE_URL: db.url });
  const created = await run(['shard', 'create', name, '--namespaces', 'team-a, team-b'], admin);
  assert.equal(created.code, 0, created.out);
  const url = /^(postgres(?:ql)?:\/\/\S+)$/m.exec(created.out)?.[1];
  assert.ok(url, created.out);
  assert.match(created.out, new RegExp(`shard ${name} \\(role kontroler_shard_${name}, namespaces team-a,team-b\\): store the connection string now`));
  const u = new URL(url);
  assert.equal(u.username, `kontroler_shard_${name}`);
  assert.ok(decodeURIComponent(u.password).length >= 40, 'a generated password of 32 random bytes');

  const listed = await run(['shard', 'list', '-o', 'json'], admin);
  assert.equal(listed.code, 0, listed.out);
  const shards = JSON.parse(listed.out) as Array<{ name: string; role: string; namespaces: string[] }>;
  assert.deepEqual(shards.map((s) => [s.name, s.role, s.namespaces]), [[name, `kontroler_shard_${name}`, ['team-a', 'team-b']]]);
  assert.ok(!listed.out.includes(u.password), 'the secret is shown once, at create');

  await applyResource(db.pool, dag('team-a'), { source: 'test' });
  await applyResource(db.pool, dag('team-z'), { source: 'test' });
  const other = await startRun(db.pool, { namespace: 'team-z', dagName: 'work', trigger: 'manual' });
  const mine = await startRun(db.pool, { namespace: 'team-a', dagName: 'work', trigger: 'manual' });
  proc = start(['controller', '--data-dir', join(dir, 'data'), '--log-format', 'json'], cleanEnv({ DATABASE_URL: url, KONTROLER_CONTROLLER_ID: `shard-${name}` }));
  await proc.waitFor(/"msg":"Kontroler is up/);
  await untilEnded(mine.run.id);
  assert.equal((await getRun(db.pool, mine.run.id))?.status, 'succeeded', proc.output());
  const still = await getRun(db.pool, other.run.id);
  assert.equal(still?.status, 'pending', 'a run outside the shard\'s namespaces is never claimed');
  assert.equal(still?.owner ?? null, null);
  proc.signal('SIGTERM');
  assert.equal(await proc.exited, 0, proc.output());
  assert.doesNotMatch(proc.output(), /"level":"error"/, proc.output());
  assert.ok(!proc.output().includes(u.password), 'the shard\'s password is never logged');

  // A shard cannot make shards (nor read them).
  const escalate = await run(['shard', 'create', `${name}_2`, '--namespaces', 'team-z'], cleanEnv({ DATABASE_URL: url }));
  assert.equal(escalate.code, 1, escalate.out);
  assert.match(escalate.out, /error \[FORBIDDEN\]: creating a shard needs a DATABASE_URL of a superuser, or of the tables' owner with CREATEROLE: permission denied/);

  const deleted = await run(['shard', 'delete', name], admin);
  assert.equal(deleted.code, 0, deleted.out);
  const c = new pg.Client({ connectionString: url });
  await assert.rejects(c.connect(), /password authentication failed|does not exist/);
  const again = await run(['shard', 'delete', name], admin);
  assert.equal(again.code, 1);
  assert.match(again.out, new RegExp(`error \\[NOT_FOUND\\]: shard ${name} not found`));
});

test('shard create refuses a bad name or namespace, and runs only with DATABASE_URL', async () => {
  const bad = await run(['shard', 'create', 'Team-A', '--namespaces', 'ok,Not_OK'], cleanEnv({ DATABASE_URL: db.url }));
  assert.equal(bad.code, 1, bad.out);
  assert.match(bad.out, /error \[VALIDATION_FAILED\]: shard Team-A: name: "Team-A" is not a valid shard name/);
  assert.match(bad.out, /namespaces\[1\]: "Not_OK" is not a valid namespace/);
  // A database nothing migrated yet.
  const base = new pg.Client({ connectionString: process.env.KONTROLER_TEST_DATABASE_URL });
  await base.connect();
  const empty = `empty_${name}`;
  await base.query(`create database ${empty}`);
  try {
    const u = new URL(db.url);
    u.pathname = `/${empty}`;
    const early = await run(['shard', 'list'], cleanEnv({ DATABASE_URL: u.toString() }));
    assert.equal(early.code, 1, early.out);
    assert.match(early.out, /error \[INVALID_STATE\]: listing shards needs the schema of migration 16 or later: run kontroler migrate/);
  } finally {
    await base.query(`drop database ${empty}`);
    await base.end();
  }
  const none = await run(['shard', 'list'], cleanEnv({}));
  assert.equal(none.code, 1, none.out);
  assert.match(none.out, /kontroler shard needs DATABASE_URL/);
});
