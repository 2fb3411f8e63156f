// `kontroler up` when the connection holding its controller id's lock is terminated: it takes the
// lock again and carries on; when another process took the id meanwhile, it exits non-zero with
// a message that says so. Real process, real PostgreSQL.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { CONTROLLER_LOCK_APPLICATION } from '@kontroler/store';
import { createTestDatabase, type TestDatabase } from '@kontroler/store/testing';
import { startInstance, type Instance } from './security/instance.js';

const ID = 'lock-test-controller';
let db: TestDatabase;
let inst: Instance | undefined;
before(async () => { db = await createTestDatabase(); });
after(async () => {
  if (inst && inst.proc.child.exitCode === null) await inst.stop();
  await db.drop();
});

const lockPids = async (): Promise<number[]> =>
  (await db.pool.query<{ pid: number }>('select pid from pg_stat_activity where application_name = $1 and datname = current_database()', [CONTROLLER_LOCK_APPLICATION])).rows.map((r) => r.pid);

test('lock backend terminated: held again and still serving; taken by another session: exits 1 naming the id', async () => {
  inst = await startInstance({ env: { DATABASE_URL: db.url, KONTROLER_CONTROLLER_ID: ID } });
  const [first] = await lockPids();
  assert.ok(first !== undefined, 'the lock connection is there');

  await db.pool.query('select pg_terminate_backend($1, 5000)', [first]);
  await inst.proc.waitFor(/its lock was lost/, 20_000);
  await inst.proc.waitFor(/lock held again/, 20_000);
  const [second] = await lockPids();
  assert.ok(second !== undefined && second !== first, 'a new connection holds the lock');
  assert.equal((await fetch(`${inst.url}/healthz`)).status, 200, 'still serving');

  // Terminate it again, and take the id at once from the same session (the process waits a
  // backoff of at least 100 ms before it tries to take the lock back).
  const rival = new pg.Client({ connectionString: db.url, application_name: 'rival' });
  await rival.connect();
  try {
    await rival.query('select pg_terminate_backend($1, 5000)', [second]);
    const got = await rival.query<{ ok: boolean }>('select pg_try_advisory_lock(hashtext($1)) as ok', [ID]);
    assert.equal(got.rows[0]?.ok, true, 'the rival holds the id');
    const code = await inst.proc.exited;
    assert.equal(code, 1);
    assert.match(inst.proc.output(), new RegExp(`another live Kontroler controller already uses the id "${ID}".*exiting`));
  } finally {
    await rival.end();
  }
});
