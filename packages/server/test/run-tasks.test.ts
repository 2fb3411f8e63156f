// GET /runs/{id} (counts, first page, graph or grouped graph) and GET /runs/{id}/tasks (filters,
// cursor pages) over real HTTP, with RBAC and bad inputs.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TASK_STATUSES, decideAll, type RunEvent, type TaskStatus } from '@kontroler/engine';
import { GRAPH_MAX_NODES, loadRun, saveRunState } from '@kontroler/store';
import { setTaskStatuses } from '@kontroler/store/testing';
import { resolvedTask as task } from '@kontroler/testing';
import { call, seedRun, startHarness, userWithSession, type Harness } from './harness.js';

interface TaskView { name: string; position: number; status: string; runAfter: string[]; image: string; attempts: Array<{ attempt: number; exitCode: number | null }> }
interface Detail {
  taskCounts: Record<string, number>;
  taskTotal: number;
  tasks: TaskView[];
  tasksNextCursor?: string;
  graph?: { nodes: string[]; edges: unknown[] };
  graphSummary?: { groups: Array<{ id: string; size: number; counts: Record<string, number> }>; edges: Array<{ from: string; to: string }>; tasks: number };
}
interface TaskPage { items: TaskView[]; nextCursor?: string }
interface ErrorBody { code: string; details: Array<{ path: string; message: string }> }

const LARGE = 2500;
let h: Harness;
let small: number;
let large: number;
let viewer: string;
let stranger: string;

before(async () => {
  h = await startHarness();
  small = await seedRun(h, 'team', 'small', [task('a'), task('b', ['a'])]);
  // root → shard-00001..shard-02499
  large = await seedRun(h, 'team', 'large', [task('root'), ...Array.from({ length: LARGE - 1 }, (_, i) => task(`shard-${String(i + 1).padStart(5, '0')}`, ['root']))]);
  const positions = Array.from({ length: LARGE }, (_, i) => i);
  await setTaskStatuses(h.db.pool, large, positions, positions.map((p): TaskStatus => (p === 0 ? 'succeeded' : p % 10 === 0 ? 'failed' : p % 10 === 1 ? 'running' : 'pending')));
  await h.db.pool.query(`insert into attempts (run_id, task, attempt, status, created_at, exit_code) values ($1, 'shard-00010', 1, 'failed', now(), 3)`, [large]);
  viewer = (await userWithSession(h, 'team-viewer', [{ namespace: 'team', role: 'viewer' }])).token;
  stranger = (await userWithSession(h, 'other-viewer', [{ namespace: 'other', role: 'viewer' }])).token;
});
after(async () => h.close());

const get = <T>(path: string, token = viewer) => call<T>(h.url, 'GET', path, { token });

describe('GET /runs/{id}', () => {
  test('a small run: every status counted (zeros too), all its tasks, its graph', async () => {
    const r = await get<Detail>(`/api/v1/runs/${small}`);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.taskCounts, Object.fromEntries(TASK_STATUSES.map((s) => [s, s === 'pending' ? 2 : 0])));
    assert.equal(r.body.taskTotal, 2);
    assert.deepEqual(r.body.tasks.map((t) => [t.name, t.position, t.status, t.runAfter]), [['a', 0, 'pending', []], ['b', 1, 'pending', ['a']]]);
    assert.equal(r.body.tasksNextCursor, undefined);
    assert.deepEqual(r.body.graph, { nodes: ['a', 'b'], edges: [{ from: 'a', to: 'b' }] });
    assert.equal(r.body.graphSummary, undefined);
  });

  test(`a run of more than ${GRAPH_MAX_NODES} tasks: counts, the first 100 tasks and a cursor, a grouped graph`, async () => {
    const r = await get<Detail>(`/api/v1/runs/${large}`);
    assert.equal(r.status, 200);
    assert.equal(r.body.taskTotal, LARGE);
    assert.deepEqual(r.body.taskCounts, { pending: 2000, waiting: 0, running: 250, succeeded: 1, failed: 249, skipped: 0, canceled: 0 });
    assert.equal(r.body.tasks.length, 100);
    assert.deepEqual(r.body.tasks.map((t) => t.position), Array.from({ length: 100 }, (_, i) => i));
    assert.deepEqual(r.body.tasks[10]?.attempts.map((a) => a.exitCode), [3]);
    assert.equal(r.body.tasks[10]?.image, 'alpine');
    assert.equal(r.body.graph, undefined);
    assert.deepEqual(r.body.graphSummary, {
      groups: [{ id: 'root', size: 1, counts: { succeeded: 1 } }, { id: 'shard', size: LARGE - 1, counts: { pending: 2000, running: 250, failed: 249 } }],
      edges: [{ from: 'root', to: 'shard' }],
      tasks: LARGE,
    });
    assert.ok(r.body.tasksNextCursor);
    const next = await get<TaskPage>(`/api/v1/runs/${large}/tasks?cursor=${encodeURIComponent(r.body.tasksNextCursor)}&limit=5`);
    assert.deepEqual(next.body.items.map((t) => t.position), [100, 101, 102, 103, 104], 'the cursor continues after the first page');
  });

  test('RBAC and unknown runs answer as the other run routes do', async () => {
    for (const path of [`/api/v1/runs/${large}`, `/api/v1/runs/${large}/tasks`, `/api/v1/runs/${large}/tasks/root/attempts`]) {
      assert.equal((await get(path, stranger)).status, 403, `${path}: a viewer of another namespace`);
      assert.equal((await call(h.url, 'GET', path)).status, 401, `${path}: no credential`);
    }
    for (const path of ['/api/v1/runs/999999', '/api/v1/runs/999999/tasks']) assert.equal((await get(path)).status, 404, path);
  });
});

describe('GET /runs/{id}/tasks', () => {
  test('every page in definition order, with no task twice or missing', async () => {
    const seen: number[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const r = await get<TaskPage>(`/api/v1/runs/${large}/tasks?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      assert.equal(r.status, 200);
      seen.push(...r.body.items.map((t) => t.position));
      cursor = r.body.nextCursor;
      pages++;
    } while (cursor);
    assert.equal(pages, 3);
    assert.deepEqual(seen, Array.from({ length: LARGE }, (_, i) => i));
    const dflt = await get<TaskPage>(`/api/v1/runs/${large}/tasks`);
    assert.equal(dflt.body.items.length, 100, 'limit defaults to 100');
  });

  test('filters by status (a comma list) and name prefix', async () => {
    const failed = await get<TaskPage>(`/api/v1/runs/${large}/tasks?status=failed&limit=1000`);
    assert.equal(failed.body.items.length, 249);
    assert.ok(failed.body.items.every((t) => t.status === 'failed' && t.position % 10 === 0));
    const two = await get<TaskPage>(`/api/v1/runs/${large}/tasks?status=succeeded,running&limit=3`);
    assert.deepEqual(two.body.items.map((t) => [t.name, t.status]), [['root', 'succeeded'], ['shard-00001', 'running'], ['shard-00011', 'running']]);
    const rest = await get<TaskPage>(`/api/v1/runs/${large}/tasks?status=succeeded,running&limit=1000&cursor=${encodeURIComponent(two.body.nextCursor ?? '')}`);
    assert.equal(rest.body.items.length, 251 - 3);
    assert.equal(rest.body.nextCursor, undefined);
    const prefixed = await get<TaskPage>(`/api/v1/runs/${large}/tasks?prefix=shard-0000&status=running`);
    assert.deepEqual(prefixed.body.items.map((t) => t.name), ['shard-00001']);
    assert.deepEqual((await get<TaskPage>(`/api/v1/runs/${small}/tasks?status=failed`)).body, { items: [] });
  });

  test('bad inputs answer 400 naming the field', async () => {
    const bad: Array<[string, string]> = [
      ['status=failed,bogus', 'query.status'],
      ['status=Failed', 'query.status'],
      ['cursor=not-a-cursor', 'query.cursor'],
      [`cursor=${Buffer.from(JSON.stringify({ p: -1 })).toString('base64url')}`, 'query.cursor'],
      ['limit=0', 'query.limit'],
      ['limit=1001', 'query.limit'],
      ['limit=ten', 'query.limit'],
      [`prefix=${'p'.repeat(254)}`, 'query.prefix'],
    ];
    for (const [q, path] of bad) {
      const r = await get<ErrorBody>(`/api/v1/runs/${large}/tasks?${q}`);
      assert.equal(r.status, 400, q);
      assert.equal(r.body.code, 'VALIDATION_FAILED', q);
      assert.equal(r.body.details[0]?.path, path, q);
    }
    assert.equal((await get(`/api/v1/runs/${large}/tasks?limit=1000&prefix=${'p'.repeat(253)}`)).status, 200, 'the limits themselves are accepted');
  });

  test('the routes of one task keep working: attempts of a known task, 404 for another', async () => {
    const a = await get<{ items: Array<{ attempt: number }> }>(`/api/v1/runs/${large}/tasks/shard-00010/attempts`);
    assert.deepEqual(a.body.items.map((x) => x.attempt), [1]);
    assert.deepEqual((await get<{ items: unknown[] }>(`/api/v1/runs/${large}/tasks/root/attempts`)).body.items, []);
    assert.equal((await get(`/api/v1/runs/${large}/tasks/nope/attempts`)).status, 404);
  });
});

describe('data flow in the views', () => {
  test('outputs on the succeeded attempt and its task, resolved references on the attempt, the run outputs', async () => {
    const id = await seedRun(h, 'team', 'flow', [task('a', [], { outputs: ['n'] }), task('b', ['a'], { args: ['{{tasks.a.outputs.n}}'] })]);
    await h.db.pool.query(`update task_states set status = 'succeeded' where run_id = $1`, [id]);
    await h.db.pool.query(
      `insert into attempts (run_id, task, attempt, status, created_at, exit_code, outputs, resolved) values
         ($1, 'a', 1, 'succeeded', now(), 0, '{"n":"19"}', null), ($1, 'b', 1, 'succeeded', now(), 0, null, '{"args":["19"]}')`,
      [id],
    );
    await h.db.pool.query(`update runs set status = 'succeeded', outputs = '{"total":"19"}' where id = $1`, [id]);
    const r = await get<Detail & { outputs?: Record<string, string>; tasks: Array<TaskView & { outputs?: Record<string, string>; attempts: Array<{ outputs?: unknown; resolved?: unknown }> }> }>(`/api/v1/runs/${id}`);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.outputs, { total: '19' });
    const [a, b] = r.body.tasks;
    assert.deepEqual(a?.outputs, { n: '19' });
    assert.deepEqual(a?.attempts[0]?.outputs, { n: '19' });
    assert.equal(b?.outputs, undefined, 'b declares none');
    assert.deepEqual(b?.attempts[0]?.resolved, { args: ['19'] });
    const page = await get<{ items: Array<{ name: string; outputs?: Record<string, string> }> }>(`/api/v1/runs/${id}/tasks?limit=1`);
    assert.deepEqual(page.body.items[0]?.outputs, { n: '19' });
  });
});

describe('mapped tasks in the views', () => {
  test('a mapped task shows its instance counts and reduced outputs; its instances are listed only with ?mapOf=, in item order, paged', async () => {
    const def = [task('list', [], { outputs: ['files'] }), task('process', ['list'], { withParam: '{{tasks.list.outputs.files}}', outputs: ['n'] }), task('sum', ['process'])];
    const id = await seedRun(h, 'team', 'mapped', def);
    const loaded = (await loadRun(h.db.pool, id))!;
    await h.db.pool.query(`update runs set owner = 'views-test', lease_expires_at = now() + interval '1 minute' where id = $1`, [id]);
    let s = loaded.state;
    const items = ['a', 'b', 'c', 'd', 'e'];
    const events: RunEvent[][] = [
      [{ type: 'run:tick' }],
      [{ type: 'attempt:exited', task: 'list', attempt: 1, at: 2, exitCode: 0, outputs: { files: JSON.stringify(items) } }],
      [0, 1, 2, 3].map((k): RunEvent => ({ type: 'attempt:exited', task: `process[${k}]`, attempt: 1, at: 3, exitCode: k === 2 ? 1 : 0, outputs: { n: `n${k}` } })),
    ];
    for (const [i, evs] of events.entries()) {
      const r = decideAll(loaded.definition, s, evs, i + 1);
      await saveRunState(h.db.pool, { runId: id, owner: 'views-test', prev: s, next: r.state, changed: r.changed });
      s = r.state;
    }
    const detail = await get<Detail & { tasks: Array<TaskView & { kind?: string; instances?: number; instanceCounts?: Record<string, number>; outputs?: unknown }> }>(`/api/v1/runs/${id}`);
    assert.equal(detail.status, 200);
    assert.deepEqual(detail.body.tasks.map((t) => t.name), ['list', 'process', 'sum'], 'instances are not among the run\'s tasks');
    assert.equal(detail.body.taskTotal, 3, 'nor in its task counts');
    assert.deepEqual(detail.body.taskCounts, { pending: 1, waiting: 0, running: 1, succeeded: 1, failed: 0, skipped: 0, canceled: 0 });
    const p = detail.body.tasks[1];
    assert.equal(p?.kind, 'map');
    assert.equal(p?.instances, 5);
    assert.deepEqual(p?.instanceCounts, { succeeded: 3, failed: 1, running: 1 });
    assert.equal(p?.outputs, undefined, 'no outputs while it runs');
    const page1 = await get<{ items: Array<TaskView & { kind?: string; mapOf?: string; index?: number; item?: unknown }>; nextCursor?: string }>(`/api/v1/runs/${id}/tasks?mapOf=process&limit=3`);
    assert.equal(page1.status, 200);
    assert.deepEqual(page1.body.items.map((t) => [t.name, t.kind, t.mapOf, t.index, t.item, t.status]), [
      ['process[0]', 'instance', 'process', 0, 'a', 'succeeded'],
      ['process[1]', 'instance', 'process', 1, 'b', 'succeeded'],
      ['process[2]', 'instance', 'process', 2, 'c', 'failed'],
    ]);
    assert.equal(page1.body.items[0]?.image, 'alpine', "an instance shows its mapped task's spec fields");
    const page2 = await get<{ items: Array<{ name: string }>; nextCursor?: string }>(`/api/v1/runs/${id}/tasks?mapOf=process&limit=3&cursor=${page1.body.nextCursor}`);
    assert.deepEqual(page2.body.items.map((t) => t.name), ['process[3]', 'process[4]']);
    assert.equal(page2.body.nextCursor, undefined);
    const failedOnly = await get<{ items: Array<{ name: string }> }>(`/api/v1/runs/${id}/tasks?mapOf=process&status=failed`);
    assert.deepEqual(failedOnly.body.items.map((t) => t.name), ['process[2]']);
    const attempts = await get<unknown[]>(`/api/v1/runs/${id}/tasks/${encodeURIComponent('process[0]')}/attempts`);
    assert.equal(attempts.status, 200);
    // The last instance ends, the run fails; a retry of the run reruns the failed instance only: then
    // every instance succeeded and the mapped task has its reduced outputs, in item order.
    const more: RunEvent[][] = [
      [{ type: 'attempt:exited', task: 'process[4]', attempt: 1, at: 5, exitCode: 0, outputs: { n: 'n4' } }],
      [{ type: 'run:retry' }],
      [{ type: 'attempt:exited', task: 'process[2]', attempt: 2, at: 7, exitCode: 0, outputs: { n: 'n2' } }],
    ];
    for (const [i, evs] of more.entries()) {
      const r = decideAll(loaded.definition, s, evs, 10 + i);
      await saveRunState(h.db.pool, { runId: id, owner: 'views-test', prev: s, next: r.state, changed: r.changed });
      s = r.state;
    }
    const done = await get<Detail & { tasks: Array<TaskView & { outputs?: Record<string, string>; instanceCounts?: Record<string, number> }> }>(`/api/v1/runs/${id}`);
    const pd = done.body.tasks[1];
    assert.equal(pd?.status, 'succeeded');
    assert.deepEqual(pd?.instanceCounts, { succeeded: 5 });
    assert.deepEqual(pd?.outputs, { n: JSON.stringify(['n0', 'n1', 'n2', 'n3', 'n4']) });
  });
});


describe('GET /runs/{id}/tasks/{name}', () => {
  type One = TaskView & { kind?: string; mapOf?: string; index?: number; item?: unknown; outputs?: Record<string, string>; instances?: number; instanceCounts?: Record<string, number> };
  let id: number;
  before(async () => {
    // 1,200 instances: more than one page of ?mapOf= (the API's most is 1,000).
    const def = [task('list', [], { outputs: ['files'] }), task('process', ['list'], { withParam: '{{tasks.list.outputs.files}}', outputs: ['n'] })];
    id = await seedRun(h, 'team', 'one-task', def);
    const loaded = (await loadRun(h.db.pool, id))!;
    await h.db.pool.query(`update runs set owner = 'one-task-test', lease_expires_at = now() + interval '1 minute' where id = $1`, [id]);
    let s = loaded.state;
    const items = Array.from({ length: 1200 }, (_, k) => `f${k}`);
    const events: RunEvent[][] = [
      [{ type: 'run:tick' }],
      [{ type: 'attempt:exited', task: 'list', attempt: 1, at: 2, exitCode: 0, outputs: { files: JSON.stringify(items) } }],
      [{ type: 'attempt:exited', task: 'process[1100]', attempt: 1, at: 3, exitCode: 0, outputs: { n: 'eleven hundred' } }],
    ];
    for (const [i, evs] of events.entries()) {
      const r = decideAll(loaded.definition, s, evs, i + 1);
      await saveRunState(h.db.pool, { runId: id, owner: 'one-task-test', prev: s, next: r.state, changed: r.changed });
      s = r.state;
    }
  });

  test('a task: as the listing gives it, with its attempts and outputs', async () => {
    const r = await get<One>(`/api/v1/runs/${id}/tasks/list`);
    assert.equal(r.status, 200);
    const listed = await get<TaskPage>(`/api/v1/runs/${id}/tasks?limit=1`);
    assert.deepEqual(r.body, listed.body.items[0]);
    assert.equal(r.body.status, 'succeeded');
    assert.deepEqual(r.body.attempts.map((a) => [a.attempt, a.exitCode]), [[1, 0]]);
    assert.deepEqual(r.body.outputs, { files: JSON.stringify(Array.from({ length: 1200 }, (_, k) => `f${k}`)) });
  });

  test('a mapped task with its instance counts, and an instance past the first page by its URL-encoded name', async () => {
    const m = await get<One>(`/api/v1/runs/${id}/tasks/process`);
    assert.equal(m.status, 200);
    assert.equal(m.body.kind, 'map');
    assert.equal(m.body.instances, 1200);
    assert.deepEqual(m.body.instanceCounts, { running: 1199, succeeded: 1 });
    const r = await get<One>(`/api/v1/runs/${id}/tasks/${encodeURIComponent('process[1100]')}`);
    assert.equal(r.status, 200);
    assert.deepEqual([r.body.name, r.body.kind, r.body.mapOf, r.body.index, r.body.item, r.body.status], ['process[1100]', 'instance', 'process', 1100, 'f1100', 'succeeded']);
    assert.deepEqual(r.body.outputs, { n: 'eleven hundred' });
    assert.deepEqual(r.body.attempts.map((a) => [a.attempt, a.exitCode]), [[1, 0]]);
    assert.equal(r.body.image, 'alpine', "an instance shows its mapped task's spec fields");
  });

  test('an unknown task or instance: 404 naming it; an unknown run: 404', async () => {
    for (const name of ['nope', 'process[1200]', 'process[x]']) {
      const r = await get<ErrorBody & { message: string }>(`/api/v1/runs/${id}/tasks/${encodeURIComponent(name)}`);
      assert.equal(r.status, 404, name);
      assert.equal(r.body.code, 'NOT_FOUND');
      assert.match(r.body.message, new RegExp(`run ${id} has no task "${name.replace(/[[\]]/g, '\\$&')}"`));
      assert.deepEqual(r.body.details.map((d) => d.path), ['params.task']);
    }
    assert.equal((await get(`/api/v1/runs/999999999/tasks/list`)).status, 404);
  });

  test('declared in the OpenAPI document', async () => {
    const doc = await call<{ paths: Record<string, Record<string, { operationId: string }>> }>(h.url, 'GET', '/api/v1/openapi.json');
    assert.equal(doc.body.paths['/api/v1/runs/{id}/tasks/{task}']?.get?.operationId, 'getRunTask');
  });

  test('RBAC as the other run routes: a viewer of another namespace is refused, no credential is 401', async () => {
    const path = `/api/v1/runs/${id}/tasks/${encodeURIComponent('process[1100]')}`;
    const r = await get<ErrorBody>(path, stranger);
    assert.equal(r.status, 403);
    assert.equal(r.body.code, 'FORBIDDEN');
    assert.equal((await call(h.url, 'GET', path)).status, 401);
  });
});
