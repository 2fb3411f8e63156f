// GET /namespaces/{ns}/dags/{name}/grid over real HTTP on real PostgreSQL: a DAG's last runs ×
// its tasks in one bounded answer (runs ≤ 100, rows ≤ 500, a larger run summarised by counts),
// with RBAC and bad inputs; and the DAG list's strip of recent outcomes.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TaskStatus } from '@kontroler/engine';
import { GRID_MAX_TASKS } from '@kontroler/store';
import { setTaskStatuses } from '@kontroler/store/testing';
import { resolvedTask as task } from '@kontroler/testing';
import { call, seedRun, startHarness, userWithSession, type Harness } from './harness.js';

interface Grid {
  runs: Array<{ id: number; status: string; dagVersion: number; taskTotal: number; taskCounts: Record<string, number> }>;
  tasks: Array<{ name: string; states: Array<string | null> }>;
  tasksTruncated: boolean;
}

let h: Harness;
let viewer: string;
let stranger: string;
const runs: number[] = [];
let wide = 0;

before(async () => {
  h = await startHarness();
  // Two runs of a → b, then one of a version that adds c after b.
  for (const statuses of [['succeeded', 'succeeded'], ['failed', 'skipped']] as TaskStatus[][]) {
    const id = await seedRun(h, 'team', 'etl', [task('a'), task('b', ['a'])]);
    await setTaskStatuses(h.db.pool, id, [0, 1], statuses);
    runs.push(id);
  }
  const v2 = await seedRun(h, 'team', 'etl', [task('a'), task('b', ['a']), task('c', ['b'])]);
  await setTaskStatuses(h.db.pool, v2, [0, 1, 2], ['succeeded', 'running', 'pending']);
  runs.push(v2);
  // A run wider than the grid: 600 tasks.
  wide = await seedRun(h, 'team', 'wide', [task('root'), ...Array.from({ length: 599 }, (_, i) => task(`t${String(i).padStart(3, '0')}`, ['root']))]);
  await setTaskStatuses(h.db.pool, wide, [0, 1], ['succeeded', 'failed']);
  viewer = (await userWithSession(h, 'team-viewer', [{ namespace: 'team', role: 'viewer' }])).token;
  stranger = (await userWithSession(h, 'other-viewer', [{ namespace: 'other', role: 'viewer' }])).token;
});
after(async () => h.close());

const grid = (path: string, token = viewer) => call<Grid>(h.url, 'GET', path, { token });

test('the last runs (newest first) × the tasks, each cell the task’s status in that run; a task a run lacks is null', async () => {
  const r = await grid('/api/v1/namespaces/team/dags/etl/grid');
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.body.runs.map((x) => x.id), [...runs].reverse());
  assert.deepEqual(r.body.tasks, [
    { name: 'a', states: ['succeeded', 'failed', 'succeeded'] },
    { name: 'b', states: ['running', 'skipped', 'succeeded'] },
    { name: 'c', states: ['pending', null, null] },
  ]);
  assert.equal(r.body.tasksTruncated, false);
  assert.equal(r.body.runs[0]!.taskTotal, 3);
  assert.equal(r.body.runs[1]!.taskCounts.failed, 1);

  const two = await grid('/api/v1/namespaces/team/dags/etl/grid?runs=2');
  assert.deepEqual(two.body.runs.map((x) => x.id), [runs[2], runs[1]]);
  assert.deepEqual(two.body.tasks.map((t) => t.states.length), [2, 2, 2]);
});

test(`a run of more than ${GRID_MAX_TASKS} tasks: its first ${GRID_MAX_TASKS} rows, marked truncated, summarised by its counts`, async () => {
  const r = await grid('/api/v1/namespaces/team/dags/wide/grid');
  assert.equal(r.status, 200);
  assert.equal(r.body.tasks.length, GRID_MAX_TASKS);
  assert.equal(r.body.tasksTruncated, true);
  assert.deepEqual(r.body.tasks.slice(0, 2), [{ name: 'root', states: ['succeeded'] }, { name: 't000', states: ['failed'] }]);
  assert.equal(r.body.runs[0]!.taskTotal, 600);
  assert.equal(r.body.runs[0]!.taskCounts.pending, 598);
});

test('bounds, unknown DAGs and RBAC', async () => {
  for (const bad of ['0', '101', 'x']) {
    const r = await grid(`/api/v1/namespaces/team/dags/etl/grid?runs=${bad}`);
    assert.equal(r.status, 400, `runs=${bad}`);
    assert.match(r.text, /query\.runs/);
  }
  assert.equal((await grid('/api/v1/namespaces/team/dags/etl/grid?runs=100')).status, 200, 'the bound itself is accepted');
  assert.equal((await grid('/api/v1/namespaces/team/dags/nope/grid')).status, 404);
  assert.equal((await grid('/api/v1/namespaces/team/dags/etl/grid', stranger)).status, 403);
  assert.equal((await call(h.url, 'GET', '/api/v1/namespaces/team/dags/etl/grid')).status, 401);
});

test('the DAG list carries each DAG’s last runs, newest first, for its outcome strip', async () => {
  const r = await call<{ items: Array<{ name: string; recentRuns: Array<{ id: number; status: string }>; lastRun: { id: number } | null }> }>(h.url, 'GET', '/api/v1/namespaces/team/dags', { token: viewer });
  assert.equal(r.status, 200);
  const etl = r.body.items.find((d) => d.name === 'etl')!;
  assert.deepEqual(etl.recentRuns.map((x) => x.id), [...runs].reverse());
  assert.equal(etl.lastRun?.id, runs[2]);
});
