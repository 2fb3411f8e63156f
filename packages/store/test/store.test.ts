import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { DagDefinition } from '@kontroler/core';
import { decide, initialRunState, type Decision } from '@kontroler/engine';
import {
  appendLogs, getLogStates, claimDueWebhooks, claimRuns, collectGarbage, createRun, deleteDag, getDag, getDagVersion,
  listRuns, loadRun, readLog, recordWebhookAttempt, renewLeases, requestRun, saveDag, saveRunState, setSuspended,
} from '@kontroler/store';
import { createTestDatabase, type TestDatabase } from '@kontroler/store/testing';
import { chainDefinition } from './definitions.js';

const def = (name: string, tasks: string[] = ['a', 'b'], suspended = false): DagDefinition => chainDefinition(name, tasks, suspended);

let db: TestDatabase;
before(async () => { db = await createTestDatabase(); });
after(async () => { await db.drop(); });

/** A decision as saveRunState's `next` and `changed`. */
const next = (d: Decision) => ({ next: d.state, changed: d.changed });

async function newRun(name: string) {
  const d = def(name);
  const saved = await saveDag(db.pool, { namespace: 'default', name, spec: {}, definition: d, hash: `h-${name}`, source: 'test' });
  const { run } = await createRun(db.pool, { dagId: saved.dag.id, dagVersion: saved.version, namespace: 'default', dagName: name, trigger: 'manual', parameters: { X: '1' } });
  return { run, d };
}

describe('DAG versions', () => {
  test('a changed spec is a new version; the same spec or a suspend toggle is not', async () => {
    const a = await saveDag(db.pool, { namespace: 'ns1', name: 'etl', spec: {}, definition: def('etl'), hash: 'h1', source: 'test' });
    assert.equal(a.version, 1);
    const same = await saveDag(db.pool, { namespace: 'ns1', name: 'etl', spec: {}, definition: def('etl', ['a', 'b'], true), hash: 'h1', source: 'test' });
    assert.deepEqual([same.version, same.created, same.dag.suspended], [1, false, true]);
    const changed = await saveDag(db.pool, { namespace: 'ns1', name: 'etl', spec: {}, definition: def('etl', ['a', 'b', 'c']), hash: 'h2', source: 'test' });
    assert.deepEqual([changed.version, changed.created], [2, true]);
    assert.equal((await getDagVersion(db.pool, 'ns1', 'etl', 1))?.definition.tasks.length, 2);
    assert.equal((await getDagVersion(db.pool, 'ns1', 'etl'))?.definition.tasks.length, 3);
    const other = await saveDag(db.pool, { namespace: 'ns2', name: 'etl', spec: {}, definition: def('etl'), hash: 'h1', source: 'test' });
    assert.notEqual(other.dag.id, a.dag.id, 'names are scoped by namespace');
    await setSuspended(db.pool, 'ns1', 'etl', false);
    assert.equal((await getDag(db.pool, 'ns1', 'etl'))?.suspended, false);
  });

  test('deleting a DAG keeps its run history unless purged', async () => {
    const { run } = await newRun('deleteme');
    await deleteDag(db.pool, 'default', 'deleteme');
    assert.equal(await getDag(db.pool, 'default', 'deleteme'), undefined);
    assert.ok(await loadRun(db.pool, run.id), 'run kept');
    await deleteDag(db.pool, 'default', 'deleteme', true);
    assert.equal(await loadRun(db.pool, run.id), undefined, 'purged');
    await assert.rejects(deleteDag(db.pool, 'default', 'nope'), { code: 'NOT_FOUND' });
  });
});

describe('runs', () => {
  test('a named run is created once', async () => {
    const { run } = await newRun('named');
    const again = await createRun(db.pool, { dagId: run.dagId, dagVersion: 1, namespace: 'default', dagName: 'named', name: 'r1', trigger: 'crd', parameters: {} });
    const twice = await createRun(db.pool, { dagId: run.dagId, dagVersion: 1, namespace: 'default', dagName: 'named', name: 'r1', trigger: 'crd', parameters: {} });
    assert.equal(again.created, true);
    assert.equal(twice.created, false);
    assert.equal(twice.run.id, again.run.id);
  });

  test('two controllers never claim the same run; leases expire and renew', async () => {
    const ids: number[] = [];
    for (let i = 0; i < 6; i++) ids.push((await newRun(`claim${i}`)).run.id);
    const [x, y] = await Promise.all([claimRuns(db.pool, 'c1', 60_000, 100), claimRuns(db.pool, 'c2', 60_000, 100)]);
    const got = [...x, ...y].map((r) => r.id).filter((id) => ids.includes(id));
    assert.equal(new Set(got).size, got.length, 'no run claimed twice');
    const c1 = x.map((r) => r.id);
    assert.deepEqual((await renewLeases(db.pool, 'c1', c1, 60_000)).sort(), [...c1].sort());
    assert.deepEqual(await renewLeases(db.pool, 'c2', c1, 60_000), [], 'cannot renew what another holds');
    await db.pool.query(`update runs set lease_expires_at = now() - interval '1 second' where owner = 'c1'`);
    const taken = await claimRuns(db.pool, 'c3', 60_000, 100);
    assert.deepEqual(taken.map((r) => r.id).sort(), [...c1].sort(), 'expired leases are taken over');
  });

  test('state is saved as a diff, only under a live lease', async () => {
    const { run, d } = await newRun('state');
    await claimRuns(db.pool, 'owner-s', 60_000, 1000);
    const s0 = (await loadRun(db.pool, run.id))!.state;
    const r1 = decide(d, s0, { type: 'run:tick' }, 1000);
    await saveRunState(db.pool, { runId: run.id, owner: 'owner-s', prev: s0, next: r1.state, changed: r1.changed });
    const loaded = (await loadRun(db.pool, run.id))!;
    assert.equal(loaded.state.status, 'running');
    assert.equal(loaded.state.tasks.get('a')?.attempts[0]?.status, 'starting');
    const r2 = decide(d, loaded.state, { type: 'attempt:exited', task: 'a', attempt: 1, at: 2000, exitCode: 0 }, 2000);
    await assert.rejects(saveRunState(db.pool, { runId: run.id, owner: 'intruder', prev: loaded.state, next: r2.state, changed: r2.changed }), { code: 'LEASE_LOST' });
    await saveRunState(db.pool, { runId: run.id, owner: 'owner-s', prev: loaded.state, next: r2.state, changed: r2.changed });
    const l2 = (await loadRun(db.pool, run.id))!;
    assert.deepEqual(l2.state.tasks.get('a')?.attempts[0], { attempt: 1, status: 'succeeded', createdAt: 1000, startedAt: 2000, finishedAt: 2000, exitCode: 0, reason: 'Completed' });
    assert.equal(l2.state.tasks.get('b')?.status, 'running');
    assert.equal(l2.run.parameters.X, '1');
  });

  test("an attempt's last output is saved with its end, in the same statement, only where the stored log ends at its start", async () => {
    const { run, d } = await newRun('state-logs');
    await claimRuns(db.pool, 'owner-sl', 60_000, 1000);
    const s0 = (await loadRun(db.pool, run.id))!.state;
    const r1 = decide(d, s0, { type: 'run:tick' }, 1000);
    await saveRunState(db.pool, { runId: run.id, owner: 'owner-sl', prev: s0, next: r1.state, changed: r1.changed });
    const s1 = (await loadRun(db.pool, run.id))!.state;
    const key = { runId: run.id, task: 'a', attempt: 1 };
    const enc = (t: string) => new TextEncoder().encode(t);
    const log = (from: number, text: string) => ({ from, state: { ...key, size: from + text.length, received: from + text.length, line: 0 }, chunks: [{ ...key, offset: from, data: enc(text) }] });
    // A log that does not continue the stored one (it ends at 0, not 5) is refused; the state is saved.
    const r2 = decide(d, s1, { type: 'attempt:started', task: 'a', attempt: 1, at: 1500, handle: 'h' }, 1500);
    await saveRunState(db.pool, { runId: run.id, owner: 'owner-sl', prev: s1, next: r2.state, changed: r2.changed, logs: [log(5, 'gap\n')] });
    assert.equal((await readLog(db.pool, key)).data.length, 0);
    const s2 = (await loadRun(db.pool, run.id))!;
    assert.equal(s2.state.tasks.get('a')?.attempts[0]?.status, 'running');
    // The end and the log in one save; repeated (its reply lost), nothing changes.
    const r3 = decide(d, s2.state, { type: 'attempt:exited', task: 'a', attempt: 1, at: 2000, exitCode: 0 }, 2000);
    const end = { runId: run.id, owner: 'owner-sl', prev: s2.state, next: r3.state, changed: r3.changed, logs: [log(0, 'all of it\n')] };
    await saveRunState(db.pool, end);
    await saveRunState(db.pool, end);
    const s3 = (await loadRun(db.pool, run.id))!;
    assert.equal(s3.state.tasks.get('a')?.attempts[0]?.status, 'succeeded');
    assert.equal((await readLog(db.pool, key)).data.toString(), 'all of it\n');
    assert.deepEqual((await getLogStates(db.pool, [key]))[0], { ...key, size: 10, received: 10, line: 0 });
    // A log of an attempt the decision does not write (its end saved before) is written with it as it stands.
    await saveRunState(db.pool, { runId: run.id, owner: 'owner-sl', prev: s3.state, next: s3.state, changed: [], logs: [log(10, 'late\n')] });
    assert.equal((await readLog(db.pool, key)).data.toString(), 'all of it\nlate\n');
    assert.equal((await loadRun(db.pool, run.id))!.state.tasks.get('a')?.attempts[0]?.status, 'succeeded');
  });

  test('cancel and retry requests are validated', async () => {
    const { run } = await newRun('req');
    await requestRun(db.pool, run.id, 'cancel');
    await assert.rejects(requestRun(db.pool, run.id, 'retry'), { code: 'INVALID_STATE' });
    await assert.rejects(requestRun(db.pool, 999_999, 'cancel'), { code: 'NOT_FOUND' });
    const list = await listRuns(db.pool, { dagName: 'req' });
    assert.equal(list[0]?.requested, 'cancel');
  });
});

describe('logs', () => {
  test('appends are idempotent and reads honour ranges', async () => {
    const { run, d } = await newRun('logs');
    await claimRuns(db.pool, 'owner-l', 60_000, 1000);
    const s0 = (await loadRun(db.pool, run.id))!.state;
    await saveRunState(db.pool, { runId: run.id, owner: 'owner-l', prev: s0, ...next(decide(d, s0, { type: 'run:tick' }, 1)) });
    const key = { runId: run.id, task: 'a', attempt: 1 };
    const enc = (s: string) => new TextEncoder().encode(s);
    const put = (from: number, text: string, received = from + text.length) =>
      appendLogs(db.pool, [{ from, state: { ...key, size: from + text.length, received, line: 0 }, chunks: [{ ...key, offset: from, data: enc(text) }] }]);
    assert.deepEqual((await put(0, 'hello ')).appended, [key]);
    assert.deepEqual((await put(6, 'world\n', 20)).appended, [key]);
    // A repeated write (its reply was lost) is recognised and changes nothing.
    const again = await put(6, 'world\n', 20);
    assert.deepEqual([again.appended, again.alreadyStored], [[], [key]]);
    // A write that does not continue where the log ends is refused: no gap, the size stays.
    const gap = await put(20, 'later');
    assert.deepEqual(gap.refused, [{ ...key, size: 12 }]);
    assert.equal((await readLog(db.pool, key)).data.toString(), 'hello world\n');
    assert.equal((await readLog(db.pool, key, 3, 8)).data.toString(), 'lo wo');
    assert.equal((await readLog(db.pool, key, 12)).data.length, 0);
    assert.equal((await loadRun(db.pool, run.id))!.logSizes['a#1'], 20, 'adoption resumes at the raw bytes accounted for');
    const [st] = await getLogStates(db.pool, [key]);
    assert.deepEqual(st, { ...key, size: 12, received: 20, line: 0 });
  });

  test('reads are paged: many rows, a cap per read, a start inside a chunk', async () => {
    const { run, d } = await newRun('logs-paged');
    await claimRuns(db.pool, 'owner-p', 60_000, 1000);
    const s0 = (await loadRun(db.pool, run.id))!.state;
    await saveRunState(db.pool, { runId: run.id, owner: 'owner-p', prev: s0, ...next(decide(d, s0, { type: 'run:tick' }, 1)) });
    const key = { runId: run.id, task: 'a', attempt: 1 };
    // 200 chunks of 1,000 bytes (more than one query's rows), each a distinct byte.
    const chunks = Array.from({ length: 200 }, (_, i) => ({ ...key, offset: i * 1000, data: new Uint8Array(1000).fill(i % 251) }));
    await appendLogs(db.pool, [{ from: 0, state: { ...key, size: 200_000, received: 200_000, line: 1000 }, chunks }]);
    const all = await readLog(db.pool, key);
    assert.equal(all.data.length, 200_000);
    assert.equal(all.next, 200_000);
    for (let i = 0; i < 200; i++) assert.equal(all.data[i * 1000 + 999], i % 251);
    const page = await readLog(db.pool, key, 1500, undefined, 70_000);
    assert.equal(page.data.length, 70_000);
    assert.equal(page.next, 71_500);
    assert.equal(page.data[0], 1);
    assert.equal(page.data[499], 1);
    assert.equal(page.data[500], 2);
    const tail = await readLog(db.pool, key, 199_999, 300_000);
    assert.deepEqual([...tail.data], [199 % 251]);
  });
});

describe('webhooks and retention', () => {
  test('deliveries are claimed once, retried, and recorded', async () => {
    const { run, d } = await newRun('hooks');
    await claimRuns(db.pool, 'owner-w', 60_000, 1000);
    const s0 = (await loadRun(db.pool, run.id))!.state;
    const item = { idempotencyKey: `run-${run.id}-x`, url: 'http://127.0.0.1:1/x', verifySSL: false, event: 'task', payload: { a: 1 } };
    await saveRunState(db.pool, { runId: run.id, owner: 'owner-w', prev: s0, ...next(decide(d, s0, { type: 'run:tick' }, 1)), webhooks: [item, item] });
    const [a, b] = await Promise.all([claimDueWebhooks(db.pool, 10, 30_000), claimDueWebhooks(db.pool, 10, 30_000)]);
    const mine = [...a, ...b].filter((w) => w.runId === run.id);
    assert.equal(mine.length, 1, 'one delivery per idempotency key, claimed once');
    await recordWebhookAttempt(db.pool, mine[0]!.id, { delivered: false, status: 500, error: 'HTTP 500', retryAt: Date.now() - 1 });
    const again = (await claimDueWebhooks(db.pool, 10, 30_000)).filter((w) => w.runId === run.id);
    assert.equal(again[0]?.attempts, 2);
    await recordWebhookAttempt(db.pool, mine[0]!.id, { delivered: true, status: 200 });
    assert.equal((await claimDueWebhooks(db.pool, 10, 30_000)).filter((w) => w.runId === run.id).length, 0);
  });

  test('garbage collection removes old ended runs only', async () => {
    const { run: old } = await newRun('gc1');
    const { run: active } = await newRun('gc2');
    await db.pool.query(`update runs set status = 'succeeded', finished_at = now() - interval '10 days' where id = $1`, [old.id]);
    await db.pool.query(`update runs set created_at = now() - interval '10 days' where id = $1`, [active.id]);
    const n = await collectGarbage(db.pool, { maxAgeMs: 86_400_000 }, Date.now());
    assert.ok(n >= 1);
    assert.equal(await loadRun(db.pool, old.id), undefined);
    assert.ok(await loadRun(db.pool, active.id));
  });
});
