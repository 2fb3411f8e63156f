// POST /runs/{id}/tasks/{task}/retry and /mark over real HTTP and PostgreSQL, with a real
// controller running the tasks as local processes (LocalProcessRuntime): RBAC (a viewer is
// refused), 409 naming the task's state when the action is not possible, 404 for a missing task,
// audit entries naming who, and the engine carrying them out (new attempts, re-evaluated outcome);
// and GET .../log-chunks, when each part of a log written by the local runtime was stored.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Controller, envSecretResolver, silentLog } from '@kontroler/controller';
import { LocalProcessRuntime } from '@kontroler/runtime-local';
import { getRun, getRunTask, listAudit, listTaskRequests, requestTaskAction } from '@kontroler/store';
import { ADMIN_PASSWORD, call, login, startHarness, userWithSession, type Harness } from './harness.js';

let h: Harness;
let admin: string;
let editor: string;
let viewer: string;
let rt: LocalProcessRuntime;
let controller: Controller;
let stateDir: string;

const CHAIN = `apiVersion: kontroler.greedykomodo/v1alpha1
kind: DAG
metadata: {name: chain}
spec:
  task:
    - {name: a, image: alpine, script: echo a}
    - {name: b, image: alpine, runAfter: [a], script: echo b fails; exit 2}
    - {name: c, image: alpine, runAfter: [b], script: echo c}
    - {name: x, image: alpine, script: echo x}
`;
const SLOW = `apiVersion: kontroler.greedykomodo/v1alpha1
kind: DAG
metadata: {name: slow}
spec:
  task:
    - {name: sleeper, image: alpine, command: [sleep, "60"]}
    - {name: after, image: alpine, runAfter: [sleeper], script: echo after}
`;

before(async () => {
  h = await startHarness();
  admin = await login(h.url, 'admin', ADMIN_PASSWORD);
  editor = (await userWithSession(h, 'ed', [{ namespace: 'team', role: 'editor' }])).token;
  viewer = (await userWithSession(h, 'vi', [{ namespace: 'team', role: 'viewer' }])).token;
  stateDir = mkdtempSync(join(tmpdir(), 'kontroler-task-actions-'));
  rt = new LocalProcessRuntime({ stateDir, killGraceMs: 1000 });
  controller = new Controller({ pool: h.db.pool, databaseUrl: h.db.url, runtime: rt, id: 'task-actions-test', log: silentLog, secrets: envSecretResolver({}), pollMs: 200 });
  await controller.start();
  for (const y of [CHAIN, SLOW]) assert.equal((await call(h.url, 'POST', '/api/v1/namespaces/team/dags', { token: admin, raw: y })).status, 201);
});
after(async () => {
  await controller.stop();
  await rt.close();
  await h.close();
  rmSync(stateDir, { recursive: true, force: true });
});

type Body = { code?: string; message?: string; id?: number; task?: string; action?: string; by?: string; downstream?: boolean; status?: string };
const act = (id: number, task: string, what: 'retry' | 'mark', token: string, body: unknown) => call<Body>(h.url, 'POST', `/api/v1/runs/${id}/tasks/${encodeURIComponent(task)}/${what}`, { token, body });

async function start(dag: string): Promise<number> {
  const r = await call<{ id: number }>(h.url, 'POST', `/api/v1/namespaces/team/dags/${dag}/runs`, { token: editor, body: {} });
  assert.equal(r.status, 201, r.text);
  return r.body.id;
}

/** Waits (on the stored run, every 100 ms, at most 30 s) until `ok` holds for the run and its tasks. */
async function until(id: number, what: string, ok: (s: { status: string; requested: string | null; tasks: Record<string, { status: string; attempts: number; reason?: string }> }) => boolean) {
  const deadline = Date.now() + 30_000;
  let last: unknown;
  for (;;) {
    const run = await getRun(h.db.pool, id);
    const tasks: Record<string, { status: string; attempts: number; reason?: string }> = {};
    for (const n of ['a', 'b', 'c', 'x', 'sleeper', 'after']) {
      const t = await getRunTask(h.db.pool, id, n);
      if (t) tasks[n] = { status: t.status, attempts: t.attempts.length, ...(t.reason ? { reason: t.reason } : {}) };
    }
    last = { status: run?.status, requested: run?.requested, tasks };
    if (run && ok({ status: run.status, requested: run.requested, tasks })) return;
    if (Date.now() > deadline) throw new Error(`run ${id} never reached "${what}": ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const ended = (s: { status: string; requested: string | null }) => ['succeeded', 'failed', 'canceled'].includes(s.status) && s.requested === null;

describe('task actions', () => {
  test('mark a failed task succeeded, then retry the task before it with its downstream: the controller carries both out; audited with who', async () => {
    const id = await start('chain');
    await until(id, 'failed', (s) => ended(s) && s.status === 'failed');

    // A viewer may not; an unknown task is 404; a bad status 400 naming it.
    assert.equal((await act(id, 'b', 'mark', viewer, { status: 'succeeded' })).status, 403);
    assert.equal((await act(id, 'b', 'retry', viewer, {})).status, 403);
    const missing = await act(id, 'nope', 'retry', editor, {});
    assert.equal(missing.status, 404);
    assert.match(missing.body.message ?? '', /run \d+ has no task "nope"/);
    const bad = await act(id, 'b', 'mark', editor, { status: 'skipped' });
    assert.equal(bad.status, 400, JSON.stringify(bad.body));
    const same = await act(id, 'a', 'mark', editor, { status: 'succeeded' });
    assert.equal(same.status, 409);
    assert.match(same.body.message ?? '', /task a is already succeeded/);

    // Mark b succeeded: no task failed any more, the run's outcome is evaluated again.
    const marked = await act(id, 'b', 'mark', editor, { status: 'succeeded' });
    assert.equal(marked.status, 202, JSON.stringify(marked.body));
    assert.deepEqual([marked.body.task, marked.body.action, marked.body.status, marked.body.by], ['b', 'mark', 'succeeded', 'ed']);
    await until(id, 'succeeded after the mark', (s) => ended(s) && s.status === 'succeeded');
    const b = await getRunTask(h.db.pool, id, 'b');
    assert.equal(b?.reason, 'MarkedSucceeded: by ed');
    assert.equal(b?.attempts.length, 1, 'a mark runs nothing');
    assert.equal((await getRunTask(h.db.pool, id, 'c'))?.status, 'skipped', 'c stays skipped (retry it, or the run)');

    // Retry a with its downstream: a, b and c run again (b fails again, c is skipped), x keeps its result.
    const retried = await act(id, 'a', 'retry', editor, { downstream: true });
    assert.equal(retried.status, 202, JSON.stringify(retried.body));
    assert.equal(retried.body.downstream, true);
    await until(id, 'failed again', (s) => ended(s) && s.status === 'failed' && s.tasks.b?.attempts === 2);
    const after = await Promise.all(['a', 'b', 'c', 'x'].map((n) => getRunTask(h.db.pool, id, n)));
    assert.deepEqual(after.map((t) => [t?.name, t?.status, t?.attempts.length]), [['a', 'succeeded', 2], ['b', 'failed', 2], ['c', 'skipped', 0], ['x', 'succeeded', 1]]);

    // Retry b alone: only it runs again.
    assert.equal((await act(id, 'b', 'retry', editor, {})).status, 202);
    await until(id, 'b ran a third time', (s) => ended(s) && s.tasks.b?.attempts === 3);
    assert.equal((await getRunTask(h.db.pool, id, 'a'))?.attempts.length, 2);

    const requests = await listTaskRequests(h.db.pool, id);
    assert.equal(requests.length, 3);
    const marks = await listAudit(h.db.pool, { action: 'task.mark' });
    assert.ok(marks.some((e) => e.actor === 'user:ed' && e.outcome === 'ok' && e.namespace === 'team' && e.details.runId === id && e.details.task === 'b' && e.details.mark === 'succeeded' && e.details.was === 'failed'), JSON.stringify(marks));
    const retries = await listAudit(h.db.pool, { action: 'task.retry' });
    assert.ok(retries.some((e) => e.actor === 'user:ed' && e.details.runId === id && e.details.task === 'a' && e.details.downstream === true), JSON.stringify(retries));
    assert.ok(retries.some((e) => e.actor === 'user:vi' && e.outcome === 'denied'), 'the refused viewer is audited');
    assert.ok(marks.some((e) => e.outcome === 'failed' && e.details.task === 'a' && e.details.runId === id), 'a refusal names its target');
  });

  test('a running task cannot be marked or retried, a pending one not retried: 409 naming its state; a canceled run\'s task can be retried', async () => {
    const id = await start('slow');
    await until(id, 'sleeper running', (s) => s.tasks.sleeper?.status === 'running');
    const mark = await act(id, 'sleeper', 'mark', editor, { status: 'failed' });
    assert.equal(mark.status, 409);
    assert.equal(mark.body.code, 'INVALID_STATE');
    assert.match(mark.body.message ?? '', /task sleeper is running: cancel the run or wait/);
    const retry = await act(id, 'sleeper', 'retry', editor, {});
    assert.equal(retry.status, 409);
    assert.match(retry.body.message ?? '', /task sleeper is running: only a finished task/);
    const pending = await act(id, 'after', 'retry', editor, {});
    assert.equal(pending.status, 409);
    assert.match(pending.body.message ?? '', /task after is pending/);

    // Mark the pending task failed while the run runs: it never runs; the run fails once the rest ends.
    assert.equal((await act(id, 'after', 'mark', editor, { status: 'failed' })).status, 202);
    await until(id, 'after marked failed', (s) => s.tasks.after?.status === 'failed');
    assert.equal((await call(h.url, 'POST', `/api/v1/runs/${id}/cancel`, { token: editor })).status, 202);
    await until(id, 'canceled', (s) => ended(s) && s.status !== 'running' && s.tasks.sleeper?.status === 'canceled');
    const again = await act(id, 'sleeper', 'retry', editor, {});
    assert.equal(again.status, 202, JSON.stringify(again.body));
    await until(id, 'sleeper running again', (s) => s.status === 'running' && s.tasks.sleeper?.status === 'running' && s.tasks.sleeper.attempts === 2);
    assert.equal((await call(h.url, 'POST', `/api/v1/runs/${id}/cancel`, { token: editor })).status, 202);
    await until(id, 'canceled again', (s) => ended(s));
  });
});

describe('task actions the engine ignores', () => {
  test('a stale request on a finished run (the task moved on): the request is cleared, the run stays as it was, no controller keeps it', async () => {
    const id = await start('chain');
    await until(id, 'failed', (s) => ended(s) && s.status === 'failed');
    const before = await getRun(h.db.pool, id);
    // Straight into the store (the API refuses it): mark a, which already succeeded, succeeded.
    await requestTaskAction(h.db.pool, { runId: id, task: 'a', action: 'mark', status: 'succeeded', by: 'test' });
    assert.equal((await getRun(h.db.pool, id))?.requested, 'tasks');
    await until(id, 'request cleared', (s) => s.requested === null);
    const after = await getRun(h.db.pool, id);
    assert.deepEqual([after?.status, after?.finishedAt], [before?.status, before?.finishedAt]);
    assert.equal((await getRunTask(h.db.pool, id, 'a'))?.reason ?? null, null, 'a is as it was');
    await new Promise<void>((resolve) => {
      // The actor that took the request ends (the save of the unchanged state ended it).
      const check = () => (controller.runIds.includes(id) ? setImmediate(check) : resolve());
      check();
    });
    // Then a real action is carried out by a new claim of the run.
    assert.equal((await act(id, 'b', 'mark', editor, { status: 'succeeded' })).status, 202);
    await until(id, 'succeeded', (s) => ended(s) && s.status === 'succeeded');
  });
});

describe('log chunk times', () => {
  test('each stored chunk with its byte range and when it was stored; paged; a viewer may read them; bad input refused', async () => {
    const before = Date.now();
    const id = await start('chain');
    await until(id, 'failed', (s) => ended(s) && s.status === 'failed');
    const attempt = (await getRunTask(h.db.pool, id, 'b'))!.attempts[0]!;
    type Chunks = { items: Array<{ offset: number; size: number; storedAt: string | null }>; next?: number };
    const r = await call<Chunks>(h.url, 'GET', `/api/v1/runs/${id}/tasks/b/attempts/1/log-chunks`, { token: viewer });
    assert.equal(r.status, 200, r.text);
    assert.ok(r.body.items.length >= 1);
    let pos = 0;
    for (const c of r.body.items) {
      assert.equal(c.offset, pos, 'the chunks cover the log without a gap');
      pos += c.size;
      const at = Date.parse(c.storedAt ?? '');
      assert.ok(at >= before - 1000 && at <= Date.now() + 1000, `stored during the run: ${c.storedAt}`);
    }
    assert.equal(pos, attempt.logSize);
    assert.equal(r.body.next, undefined);
    const paged = await call<Chunks>(h.url, 'GET', `/api/v1/runs/${id}/tasks/b/attempts/1/log-chunks?limit=1`, { token: viewer });
    assert.equal(paged.body.items.length, 1);
    if (r.body.items.length > 1) assert.equal(paged.body.next, r.body.items[0]!.size);
    assert.equal((await call(h.url, 'GET', `/api/v1/runs/${id}/tasks/b/attempts/9/log-chunks`, { token: viewer })).status, 404);
    const bad = await call<{ details?: Array<{ path: string }> }>(h.url, 'GET', `/api/v1/runs/${id}/tasks/b/attempts/1/log-chunks?limit=10001`, { token: viewer });
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.body.details?.map((d) => d.path), ['query.limit']);
    const outsider = (await userWithSession(h, 'out', [{ namespace: 'other', role: 'viewer' }])).token;
    assert.equal((await call(h.url, 'GET', `/api/v1/runs/${id}/tasks/b/attempts/1/log-chunks`, { token: outsider })).status, 403);
  });
});
