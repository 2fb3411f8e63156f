// Store hygiene against a real PostgreSQL: a newer schema is refused, a broken connection never
// goes back to the pool, the controller id's lock notices its loss, and a run whose attempts are
// active on one host is never taken over from another.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import type { DagDefinition } from '@kontroler/core';
import { CONTROLLER_LOCK_APPLICATION, SCHEMA_VERSION, claimRuns, createPool, createRun, holdControllerId, migrate, saveDag, transaction, type ClientLike, type ControllerLockState, type PoolLike } from '@kontroler/store';
import { createTestDatabase, type TestDatabase } from '@kontroler/store/testing';
import { chainDefinition } from './definitions.js';

let db: TestDatabase;
before(async () => { db = await createTestDatabase(); });
after(async () => { await db.drop(); });

async function until(what: string, cond: () => Promise<boolean> | boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('schema version', () => {
  test('a database at the code\'s version migrates (nothing to apply)', async () => {
    assert.deepEqual(await migrate(db.pool), []);
  });

  test('a database with a migration newer than the code is refused, naming both versions', async () => {
    const future = SCHEMA_VERSION + 100;
    const other = await createTestDatabase();
    try {
      await other.pool.query(`insert into schema_migrations (version, name) values ($1, 'from-a-newer-kontroler')`, [future]);
      await assert.rejects(migrate(other.pool), (e: Error & { code?: string }) => {
        assert.equal(e.code, 'INVALID_STATE');
        assert.match(e.message, new RegExp(`schema is at version ${future}\\b`));
        assert.match(e.message, new RegExp(`its schema version is ${SCHEMA_VERSION}\\b`));
        return true;
      });
    } finally {
      await other.drop();
    }
  });
});

describe('transactions and broken connections', () => {
  /** The pool, with every release recorded (a double of our own port around the real pool). */
  function recording(pool: pg.Pool, released: unknown[]): PoolLike {
    return {
      query: ((text: string, values?: readonly unknown[]) => pool.query(text, values as unknown[])) as PoolLike['query'],
      end: () => pool.end(),
      async connect(): Promise<ClientLike> {
        const c = await pool.connect();
        return {
          query: ((text: string, values?: readonly unknown[]) => c.query(text, values as unknown[])) as ClientLike['query'],
          release: (err?: Error | boolean) => {
            released.push(err);
            c.release(err);
          },
          on: (event, listener) => c.on(event, listener),
          off: (event, listener) => c.off(event, listener),
        };
      },
    };
  }

  test('a transaction whose backend is terminated mid-way destroys its client; the pool keeps working', async () => {
    const pool = createPool(db.url, 1); // one slot: a broken client given back would be the next one used
    const released: unknown[] = [];
    const spied = recording(pool, released);
    try {
      await assert.rejects(
        transaction(spied, async (tx) => {
          const { rows } = await tx.query<{ pid: number }>('select pg_backend_pid() as pid');
          await db.pool.query('select pg_terminate_backend($1, 5000)', [rows[0]!.pid]);
          await tx.query('select 1');
        }),
      );
      assert.equal(released.length, 1);
      assert.ok(released[0] instanceof Error, 'released with the connection error, so the pool destroys the client');
      assert.equal((await pool.query<{ one: number }>('select 1 as one')).rows[0]?.one, 1);
      assert.equal(await transaction(spied, async (tx) => (await tx.query<{ two: number }>('select 2 as two')).rows[0]?.two), 2);
    } finally {
      await pool.end();
    }
  });

  test('a statement error (not a connection error) rolls back and gives the healthy client back', async () => {
    const pool = createPool(db.url, 1);
    const released: unknown[] = [];
    const spied = recording(pool, released);
    try {
      const pids: number[] = [];
      await assert.rejects(
        transaction(spied, async (tx) => {
          pids.push((await tx.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid);
          await tx.query('select 1 / 0');
        }),
        /division by zero/,
      );
      assert.deepEqual(released, [undefined]);
      pids.push((await pool.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid);
      assert.equal(pids[0], pids[1], 'the same connection is reused');
    } finally {
      await pool.end();
    }
  });
});

describe('controller id lock', () => {
  const lockBackends = async (): Promise<number[]> =>
    (await db.pool.query<{ pid: number }>('select pid from pg_stat_activity where application_name = $1 and datname = current_database()', [CONTROLLER_LOCK_APPLICATION])).rows.map((r) => r.pid);
  const terminateLockBackends = async (): Promise<void> => {
    await db.pool.query('select pg_terminate_backend(pid, 5000) from pg_stat_activity where application_name = $1 and datname = current_database()', [CONTROLLER_LOCK_APPLICATION]);
  };
  async function rival(): Promise<pg.Client> {
    const c = new pg.Client({ connectionString: db.url, application_name: 'rival' });
    await c.connect();
    return c;
  }
  const tryLock = async (c: pg.Client, id: string): Promise<boolean> =>
    (await c.query<{ ok: boolean }>('select pg_try_advisory_lock(hashtext($1)) as ok', [id])).rows[0]?.ok === true;

  test('a second holder of the same id is refused after the wait', async () => {
    const lock = await holdControllerId(db.url, 'ctl-dup', { acquireWaitMs: 300 });
    try {
      await assert.rejects(holdControllerId(db.url, 'ctl-dup', { acquireWaitMs: 300 }), (e: Error & { code?: string }) => e.code === 'CONFLICT' && /already uses the id "ctl-dup"/.test(e.message));
    } finally {
      await lock.release();
    }
  });

  test('pg_terminate_backend on the lock\'s backend: reported lost, then held again on a new connection', async () => {
    const lock = await holdControllerId(db.url, 'ctl-regain', { acquireWaitMs: 2_000 });
    const r = await rival();
    try {
      const states: ControllerLockState[] = [];
      lock.watch((s) => void states.push(s));
      const [before] = await lockBackends();
      assert.ok(before !== undefined);
      await terminateLockBackends();
      await until('the lock to be held again', () => states.includes('held'));
      assert.deepEqual(states, ['lost', 'held']);
      assert.equal(lock.held, true);
      const [now] = await lockBackends();
      assert.ok(now !== undefined && now !== before, 'a new connection holds it');
      assert.equal(await tryLock(r, 'ctl-regain'), false, 'the id is locked again');
      await lock.release();
      await until('the lock to be free after release', () => tryLock(r, 'ctl-regain'));
    } finally {
      await lock.release();
      await r.end();
    }
  });

  test('taken by another process while lost: reported taken, final, and the holder lets go of the database', async () => {
    const lock = await holdControllerId(db.url, 'ctl-taken', { acquireWaitMs: 500 });
    const r = await rival();
    try {
      const states: ControllerLockState[] = [];
      lock.watch(async (s) => {
        states.push(s);
        // While the holder waits for its owner to stop claiming, someone else takes the id.
        if (s === 'lost') await until('the rival to take the id', () => tryLock(r, 'ctl-taken'));
      });
      await terminateLockBackends();
      await until('the lock to be reported taken', () => states.includes('taken'));
      assert.deepEqual(states, ['lost', 'taken']);
      assert.equal(lock.held, false);
      assert.deepEqual(await lockBackends(), [], 'no lock connection left');
    } finally {
      await lock.release();
      await r.end();
    }
  });
});

describe('takeover across hosts', () => {
  const def = (name: string): DagDefinition => chainDefinition(name);
  async function newRun(name: string): Promise<number> {
    const saved = await saveDag(db.pool, { namespace: 'default', name, spec: {}, definition: def(name), hash: `h-${name}`, source: 'test' });
    const { run } = await createRun(db.pool, { dagId: saved.dag.id, dagVersion: saved.version, namespace: 'default', dagName: name, trigger: 'manual', parameters: {} });
    return run.id;
  }
  const expire = (id: number) => db.pool.query(`update runs set lease_expires_at = now() - interval '1 second' where id = $1`, [id]);
  const setAttempt = (id: number, status: string) =>
    db.pool.query(
      `insert into attempts (run_id, task, attempt, status, created_at) values ($1, 'a', 1, $2, now())
       on conflict (run_id, task, attempt) do update set status = excluded.status`,
      [id, status],
    );
  const claim = async (owner: string, host: string | undefined, id: number) => (await claimRuns(db.pool, owner, 60_000, 100, [], ['default'], host)).map((r) => r.id).filter((x) => x === id);

  test('a run with an active attempt on host A is taken over only by a controller on host A', async () => {
    const id = await newRun('hosted');
    assert.deepEqual(await claim('ctl-a', 'host-a', id), [id]);
    for (const status of ['starting', 'running']) {
      await setAttempt(id, status);
      await expire(id);
      assert.deepEqual(await claim('ctl-b', 'host-b', id), [], `${status} attempt on host-a: host-b must not take it`);
      assert.deepEqual(await claim('ctl-k', undefined, id), [], `${status} attempt on host-a: a host-less controller must not take it`);
      assert.deepEqual(await claim('ctl-a', 'host-b', id), [], `${status}: not even the same id, moved to host-b`);
      assert.deepEqual(await claim('ctl-a2', 'host-a', id), [id], `${status}: another controller on host-a takes it`);
    }
  });

  test('once no attempt is active, any host may take the run (and it becomes that host\'s)', async () => {
    const id = await newRun('released');
    assert.deepEqual(await claim('ctl-a', 'host-a', id), [id]);
    await setAttempt(id, 'succeeded');
    await expire(id);
    assert.deepEqual(await claim('ctl-b', 'host-b', id), [id]);
    await setAttempt(id, 'running');
    await expire(id);
    assert.deepEqual(await claim('ctl-a', 'host-a', id), [], 'now host-b\'s');
  });

  test('excluded runs are never returned, even when their lease is free', async () => {
    const id = await newRun('excluded');
    assert.deepEqual((await claimRuns(db.pool, 'ctl-x', 60_000, 100, [id], ['default'], 'host-x')).filter((r) => r.id === id), []);
    assert.deepEqual((await claimRuns(db.pool, 'ctl-x', 60_000, 100, [], ['default'], 'host-x')).map((r) => r.id).filter((x) => x === id), [id]);
  });
});
