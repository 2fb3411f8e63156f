// The controller under failure, against a real PostgreSQL: adoption that throws, runtime calls
// that reject, saves that fail, the controller id's lock lost or taken, and a takeover attempted
// from another host.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AttemptKey, AttemptObservation } from '@kontroler/engine';
import { Controller, envSecretResolver, type ControllerLog } from '@kontroler/controller';
import { CONTROLLER_LOCK_APPLICATION, getRun, holdControllerId, loadRun, requestRun, type ControllerLockState, type PoolLike } from '@kontroler/store';
import { createTestDatabase, type TestDatabase } from '@kontroler/store/testing';
import pg from 'pg';
import { FakeRuntime, attemptId, hello } from '@kontroler/testing';
import { chain, startRun } from './fixtures.js';

let db: TestDatabase;
const unhandled: unknown[] = [];
const onUnhandled = (e: unknown) => void unhandled.push(e);
before(async () => {
  db = await createTestDatabase();
  process.on('unhandledRejection', onUnhandled);
});
after(async () => {
  process.off('unhandledRejection', onUnhandled);
  await db.drop();
});

/** The kit's fake runtime, with adoption and kills that can be made to fail. */
class FaultyRuntime extends FakeRuntime {
  adoptFailures = 0;
  adoptCalls = 0;
  killMode: 'finish' | 'hang' | 'reject' = 'finish';

  override async adopt(key: AttemptKey, logOffset: number): Promise<AttemptObservation> {
    this.adoptCalls++;
    if (this.adoptFailures > 0) {
      this.adoptFailures--;
      throw new Error('adopt failed (injected)');
    }
    return super.adopt(key, logOffset);
  }

  override async kill(key: AttemptKey, reason: string): Promise<void> {
    if (this.killMode === 'finish') return super.kill(key, reason);
    const id = attemptId(key);
    this.calls.push({ method: 'kill', key: id, reason }); // recorded first, like the fake's own kill
    this.kills.push(`${id}:${reason}`);
    if (this.killMode === 'reject') throw new Error('kill failed (injected)');
  }
}

/** A log that keeps every line, so tests can wait on what the controller reported. */
function recordingLog(): ControllerLog & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => void lines.push(`info ${m}`),
    warn: (m) => void lines.push(`warn ${m}`),
    error: (m) => void lines.push(`error ${m}`),
  };
}

/**
 * The real pool, except that queries `fail` picks reject with the error it returns (a double of
 * our own port in front of the real database).
 */
function faultyPool(fail: (text: string) => Error | undefined): PoolLike {
  return {
    query: ((text: string, values?: readonly unknown[]) => {
      const e = fail(text);
      return e ? Promise.reject(e) : db.pool.query(text, values as unknown[]);
    }) as PoolLike['query'],
    connect: () => db.pool.connect(),
    end: async () => undefined,
  };
}

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

/** The one-task run started its only attempt once. */
function assertStartedOnce(rt: FaultyRuntime, runId: number): void {
  assert.deepEqual(rt.starts.filter((s) => s.startsWith(`${runId}/`)), [`${runId}/t0/1`], 'each attempt started once');
}

interface Extra {
  leaseMs?: number;
  host?: string;
  pool?: PoolLike;
  log?: ControllerLog;
  idLock?: Awaited<ReturnType<typeof holdControllerId>>;
}

function controller(runtime: FakeRuntime, id: string, extra: Extra = {}) {
  return new Controller({
    pool: extra.pool ?? db.pool, databaseUrl: db.url, runtime, id, log: extra.log ?? recordingLog(), secrets: envSecretResolver({}), pollMs: 200,
    ...(extra.leaseMs !== undefined ? { leaseMs: extra.leaseMs } : {}),
    ...(extra.host !== undefined ? { host: extra.host } : {}),
    ...(extra.idLock !== undefined ? { idLock: extra.idLock } : {}),
  });
}

async function until(what: string, cond: () => Promise<boolean> | boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const statusOf = async (id: number) => (await getRun(db.pool, id))?.status;
/** The run succeeded and started its only attempt once. */
const succeededStartingOnce = async (rt: FaultyRuntime, id: number) => {
  assert.equal(await statusOf(id), 'succeeded');
  assertStartedOnce(rt, id);
};
const ended = (id: number) => until(`run ${id} to end`, async () => ['succeeded', 'failed', 'canceled'].includes((await statusOf(id)) ?? ''));
const t0 = (runId: number): AttemptKey => ({ runId: String(runId), task: 't0', attempt: 1 });

/** Starts a one-task run on `a`, waits for its attempt to start, then "crashes" `a` (lease kept). */
async function crashedWithRunningAttempt(rt: FaultyRuntime, name: string, id: string, host?: string) {
  const a = controller(rt, id, { leaseMs: 1000, ...(host ? { host } : {}) });
  await a.start();
  const run = await startRun(db.pool, chain(name, 1));
  await until('the attempt to start', () => rt.starts.includes(`${run.id}/t0/1`));
  await until('the start to be saved', async () => (await loadRun(db.pool, run.id))?.state.tasks.get('t0')?.attempts[0]?.status === 'running');
  await a.stop(false);
  return run;
}

describe('controller resilience', () => {
  test('an adoption that throws hands the run back; it is picked up again and completes, each attempt started once', async () => {
    const rt = new FaultyRuntime(hello(() => undefined));
    const run = await crashedWithRunningAttempt(rt, 'adopt-fails', 'rs-a');
    rt.adoptFailures = 1;
    const log = recordingLog();
    const b = controller(rt, 'rs-b', { leaseMs: 1000, log });
    await b.start();
    try {
      await until('the failed resume to be handed back', () => log.lines.some((l) => l.includes(`run ${run.id}: handed back`)));
      await until('a second, successful adoption', () => rt.adoptCalls >= 2 && b.runIds.includes(run.id));
      rt.finish(t0(run.id), 0);
      await ended(run.id);
    } finally {
      await b.stop();
    }
    await succeededStartingOnce(rt, run.id);
    assert.deepEqual(unhandled, []);
  });

  test('a kill that rejects while resuming is logged, not an unhandled rejection', async () => {
    const rt = new FaultyRuntime(hello(() => undefined));
    const a = controller(rt, 'rk-a', { leaseMs: 1000 });
    await a.start();
    const run = await startRun(db.pool, chain('kill-rejects', 1));
    await until('the attempt to start', () => rt.starts.includes(`${run.id}/t0/1`));
    rt.killMode = 'hang'; // the kill is asked for and saved, but the attempt does not end before the crash
    await requestRun(db.pool, run.id, 'cancel');
    await until('the kill to be asked for', () => rt.kills.length === 1);
    await until('the kill to be saved', async () => (await loadRun(db.pool, run.id))?.state.tasks.get('t0')?.attempts[0]?.killReason !== undefined);
    await a.stop(false);
    rt.killMode = 'reject';
    const log = recordingLog();
    const b = controller(rt, 'rk-b', { leaseMs: 1000, log });
    await b.start();
    try {
      await until('the resumed kill to be tried again', () => rt.kills.length === 2);
      await until('its failure to be logged', () => log.lines.some((l) => l.startsWith('warn kill t0#1 failed')));
      rt.finish(t0(run.id), undefined, 'Killed');
      await ended(run.id);
    } finally {
      await b.stop();
    }
    assert.equal(await statusOf(run.id), 'canceled');
    assert.deepEqual(unhandled, []);
  });

  test('reading a run\'s request after a NOTIFY fails: logged, not an unhandled rejection', async () => {
    const rt = new FaultyRuntime(hello(() => undefined));
    let failReads = false;
    const log = recordingLog();
    const pool = faultyPool((text) => (failReads && text.startsWith('select * from runs where id') ? withCode('Connection terminated unexpectedly', 'ECONNRESET') : undefined));
    const c = controller(rt, 'rn-a', { pool, log });
    await c.start();
    try {
      const run = await startRun(db.pool, chain('notify-read-fails', 1));
      await until('the attempt to start', () => rt.starts.includes(`${run.id}/t0/1`) && c.runIds.includes(run.id));
      failReads = true;
      await requestRun(db.pool, run.id, 'cancel');
      await until('the failed read to be logged (or to escape)', () => unhandled.length > 0 || log.lines.some((l) => l.includes(`run ${run.id}: reading a request failed`)));
      assert.deepEqual(unhandled, []);
      failReads = false;
      rt.finish(t0(run.id), 0);
      await ended(run.id);
    } finally {
      await c.stop();
    }
  });

  /**
   * Runs a one-task DAG `dag` on a controller whose first `failures` saves of run state fail with
   * a new `error()`; resolves once the run succeeded and the controller stopped.
   */
  async function runWithFailingSaves(dag: string, id: string, failures: number, error: () => Error) {
    const rt = new FaultyRuntime();
    let left = failures;
    const log = recordingLog();
    const pool = faultyPool((text) => (text.includes('with lease as') && left-- > 0 ? error() : undefined));
    const c = controller(rt, id, { pool, log });
    await c.start();
    try {
      const run = await startRun(db.pool, chain(dag, 1));
      await ended(run.id);
      assert.equal(await statusOf(run.id), 'succeeded');
      return { rt, log, run };
    } finally {
      await c.stop();
    }
  }

  test('a save that fails transiently is retried with a growing, jittered delay, and the run completes', async () => {
    const { log } = await runWithFailingSaves('save-backoff', 'rb-a', 3, () => withCode('terminating connection due to administrator command', '57P01'));
    const delays = log.lines.flatMap((l) => {
      const m = /saving state failed \(try (\d+)\), retrying in (\d+) ms/.exec(l);
      return m ? [[Number(m[1]), Number(m[2])] as const] : [];
    });
    assert.deepEqual(delays.map(([t]) => t), [1, 2, 3]);
    // SAVE_BACKOFF: 100 ms doubling, each delay between half and all of its step.
    delays.forEach(([t, ms]) => {
      const step = 100 * 2 ** (t - 1);
      assert.ok(ms >= step / 2 && ms <= step, `try ${t}: ${ms} ms within [${step / 2}, ${step}]`);
    });
  });

  test('a save that cannot succeed by retrying hands the run back; it is taken again and completes', async () => {
    const { rt, log, run } = await runWithFailingSaves('save-gives-up', 'rg-a', 1, () => withCode('duplicate key value violates unique constraint', '23505'));
    assert.ok(log.lines.some((l) => l.includes(`run ${run.id}: saving state failed and cannot succeed by retrying`)));
    assert.ok(log.lines.some((l) => l.includes(`run ${run.id}: handed back`)));
    assertStartedOnce(rt, run.id);
  });
});

describe('controller id lock', () => {
  const terminateLock = () =>
    db.pool.query('select pg_terminate_backend(pid, 5000) from pg_stat_activity where application_name = $1 and datname = current_database()', [CONTROLLER_LOCK_APPLICATION]);

  test('lock lost: claims pause; held again: claims resume and new runs are driven', async () => {
    const lock = await holdControllerId(db.url, 'lk-regain', { acquireWaitMs: 2_000 });
    const states: ControllerLockState[] = [];
    lock.watch((s) => void states.push(s));
    const rt = new FaultyRuntime();
    const log = recordingLog();
    const c = controller(rt, 'lk-regain', { idLock: lock, log });
    await c.start();
    try {
      await terminateLock();
      await until('the lock to be held again', () => states.includes('held'));
      assert.deepEqual(states, ['lost', 'held']);
      assert.ok(log.lines.some((l) => l.includes('its lock was lost')));
      const run = await startRun(db.pool, chain('after-regain', 2));
      await ended(run.id);
      assert.equal(await statusOf(run.id), 'succeeded');
    } finally {
      await c.stop();
      await lock.release();
    }
  });

  test('lock taken by another process: the controller stops driving runs and leaves their leases alone', async () => {
    const lock = await holdControllerId(db.url, 'lk-taken', { acquireWaitMs: 500 });
    const rival = new pg.Client({ connectionString: db.url, application_name: 'rival' });
    await rival.connect();
    const states: ControllerLockState[] = [];
    lock.watch(async (s) => {
      states.push(s);
      if (s === 'lost') await until('the rival to take the id', async () => (await rival.query<{ ok: boolean }>('select pg_try_advisory_lock(hashtext($1)) as ok', ['lk-taken'])).rows[0]?.ok === true);
    });
    const rt = new FaultyRuntime(hello(() => undefined));
    const c = controller(rt, 'lk-taken', { idLock: lock });
    await c.start();
    try {
      const run = await startRun(db.pool, chain('taken', 1));
      await until('the attempt to start', () => rt.starts.includes(`${run.id}/t0/1`) && c.runIds.includes(run.id));
      await terminateLock();
      await until('the lock to be reported taken', () => states.includes('taken'));
      await until('the controller to let go of its runs', () => c.runIds.length === 0);
      const r = await getRun(db.pool, run.id);
      assert.equal(r?.owner, 'lk-taken', 'the lease is the other process\'s now: not released');
    } finally {
      await c.stop();
      await lock.release();
      await rival.end();
    }
  });
});

describe('takeover across hosts', () => {
  test('a controller on another host never takes over running attempts; one on the same host does, starting nothing twice', async () => {
    const rt = new FaultyRuntime(hello(() => undefined));
    const run = await crashedWithRunningAttempt(rt, 'two-hosts', 'h-a', 'host-a');
    const b = controller(rt, 'h-b', { leaseMs: 1000, host: 'host-b' });
    await b.start();
    try {
      await until('the crashed lease to expire', async () => (await db.pool.query<{ expired: boolean }>('select lease_expires_at < now() as expired from runs where id = $1', [run.id])).rows[0]?.expired === true);
      // A run host-b may take, created after the expiry: the claim that takes it also saw the first one.
      const other = await startRun(db.pool, chain('host-b-work', 1));
      await until('host-b to start the other run', () => rt.starts.includes(`${other.id}/t0/1`));
      rt.finish(t0(other.id), 0);
      await ended(other.id);
      assert.equal((await getRun(db.pool, other.id))?.owner, 'h-b', 'host-b claims runs with nothing active elsewhere');
      const r = await loadRun(db.pool, run.id);
      assert.equal(r?.run.owner, 'h-a', 'not taken over from host-a');
      assert.equal(r?.state.tasks.get('t0')?.attempts[0]?.status, 'running', 'its attempt is not marked lost');
      assert.ok(!b.runIds.includes(run.id));
    } finally {
      await b.stop();
    }
    const a2 = controller(rt, 'h-a2', { leaseMs: 1000, host: 'host-a' });
    await a2.start();
    try {
      await until('host-a to take it over', () => a2.runIds.includes(run.id));
      rt.finish(t0(run.id), 0);
      await ended(run.id);
    } finally {
      await a2.stop();
    }
    await succeededStartingOnce(rt, run.id);
  });
});
