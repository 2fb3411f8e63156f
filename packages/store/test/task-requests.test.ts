// Task actions for the run's controller (task_requests): recorded with runs.requested = 'tasks' in
// one statement, refused while a cancel / retry of the run waits, taken once in order (the request
// kept until the save; one recorded afterwards asked for again), superseded by a cancel of the run.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_PENDING_TASK_REQUESTS, createRun, getRun, listTaskRequests, rearmTaskRequests, requestRun, requestTaskAction, saveDag, takeTaskRequests } from '@kontroler/store';
import { createTestDatabase, type TestDatabase } from '@kontroler/store/testing';
import { chainDefinition } from './definitions.js';

let db: TestDatabase;
let mk: () => Promise<number>;
before(async () => {
  db = await createTestDatabase();
  const saved = await saveDag(db.pool, { namespace: 'default', name: 'tr', spec: {}, definition: chainDefinition('tr', ['a', 'b']), hash: 'h-tr', source: 'test' });
  mk = async () => (await createRun(db.pool, { dagId: saved.dag.id, dagVersion: saved.version, namespace: 'default', dagName: 'tr', trigger: 'manual', parameters: {} })).run.id;
});
after(async () => { await db.drop(); });

test('task requests: recorded with the run asking, taken once in order, asked again when one comes after', async () => {
  const id = await mk();
  await db.pool.query(`update runs set status = 'failed' where id = $1`, [id]);
  const r1 = await requestTaskAction(db.pool, { runId: id, task: 'a', action: 'retry', downstream: true, by: 'ann' });
  const r2 = await requestTaskAction(db.pool, { runId: id, task: 'b', action: 'mark', status: 'succeeded', by: 'bob' });
  assert.deepEqual([r1.action, r1.task, r1.action === 'retry' && r1.downstream, r1.by], ['retry', 'a', true, 'ann']);
  assert.equal((await getRun(db.pool, id))?.requested, 'tasks');
  const taken = await takeTaskRequests(db.pool, id);
  assert.deepEqual(taken.map((t) => [t.id, t.task, t.action]), [[r1.id, 'a', 'retry'], [r2.id, 'b', 'mark']]);
  assert.equal(taken[1]!.action === 'mark' && taken[1]!.status, 'succeeded');
  assert.equal((await getRun(db.pool, id))?.requested, 'tasks', 'kept until the state they lead to is saved');
  assert.deepEqual(await takeTaskRequests(db.pool, id), [], 'taken once');
  // One recorded after the take, then the save clears the request: rearm asks again.
  await requestTaskAction(db.pool, { runId: id, task: 'a', action: 'retry', downstream: false, by: 'ann' });
  await db.pool.query(`update runs set requested = case when requested = 'tasks' then null else requested end where id = $1`, [id]);
  assert.equal(await rearmTaskRequests(db.pool, id), true);
  assert.equal((await getRun(db.pool, id))?.requested, 'tasks', 'a later request asks again');
  assert.equal((await takeTaskRequests(db.pool, id)).length, 1);
  await db.pool.query(`update runs set requested = null where id = $1`, [id]);
  assert.equal(await rearmTaskRequests(db.pool, id), false, 'nothing waits');
  assert.equal((await getRun(db.pool, id))?.requested, null);
  assert.equal((await listTaskRequests(db.pool, id)).length, 3);
});

test('task requests: refused while a cancel of the run waits (naming it); a cancel supersedes those not taken; a missing run is NOT_FOUND', async () => {
  const id = await mk();
  await db.pool.query(`update runs set status = 'running' where id = $1`, [id]);
  await requestTaskAction(db.pool, { runId: id, task: 'b', action: 'mark', status: 'failed', by: 'ann' });
  await requestRun(db.pool, id, 'cancel');
  assert.equal((await getRun(db.pool, id))?.requested, 'cancel');
  assert.deepEqual(await takeTaskRequests(db.pool, id), [], 'superseded by the cancel');
  await assert.rejects(requestTaskAction(db.pool, { runId: id, task: 'a', action: 'retry', downstream: false, by: 'ann' }), (e: Error & { code?: string }) => e.code === 'INVALID_STATE' && /has a cancel waiting/.test(e.message));
  await assert.rejects(requestTaskAction(db.pool, { runId: 999_999, task: 'a', action: 'retry', downstream: false, by: 'ann' }), (e: Error & { code?: string }) => e.code === 'NOT_FOUND');
  await assert.rejects(db.pool.query(`insert into task_requests (run_id, task, action, requested_by) values ($1, 'a', 'mark', 'x')`, [id]), /check/, 'a mark names its status');
});

test(`task requests: at most MAX_PENDING_TASK_REQUESTS (${MAX_PENDING_TASK_REQUESTS}) wait per run; once taken, more are accepted`, async () => {
  const id = await mk();
  for (let i = 0; i < MAX_PENDING_TASK_REQUESTS; i++) await requestTaskAction(db.pool, { runId: id, task: 'a', action: 'retry', downstream: false, by: 'ann' });
  await assert.rejects(requestTaskAction(db.pool, { runId: id, task: 'a', action: 'retry', downstream: false, by: 'ann' }), (e: Error & { code?: string }) => e.code === 'INVALID_STATE' && new RegExp(`has ${MAX_PENDING_TASK_REQUESTS} task actions waiting`).test(e.message));
  assert.equal((await takeTaskRequests(db.pool, id)).length, MAX_PENDING_TASK_REQUESTS);
  await requestTaskAction(db.pool, { runId: id, task: 'a', action: 'retry', downstream: false, by: 'ann' });
});
