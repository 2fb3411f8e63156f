// kontroler run-status on a 20,000-task run, as a child process over HTTP: counts per status and
// the tasks that did not succeed (paged through the API); --all every task; JSON and YAML output.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import type { DagDefinition } from '@kontroler/core';
import type { TaskStatus } from '@kontroler/engine';
import { saveDag, startRun } from '@kontroler/store';
import { setTaskStatuses } from '@kontroler/store/testing';
import { ADMIN_PASSWORD, kontroler, startRemoteEnv, type RemoteEnv } from './remote-env.js';

const N = 20_000;
const name = (p: number) => (p === 0 ? 'root' : `t-${String(p).padStart(5, '0')}`);
/** 20 failed, 20 running, the last 100 pending, the rest succeeded. */
const statusAt = (p: number): TaskStatus => (p % 1000 === 7 ? 'failed' : p % 1000 === 500 ? 'running' : p >= N - 100 ? 'pending' : 'succeeded');
const notSucceeded = Array.from({ length: N }, (_, p) => p).filter((p) => statusAt(p) !== 'succeeded').map(name);

let env: RemoteEnv;
let id: string;

before(async () => {
  env = await startRemoteEnv({}, false);
  const task = { image: 'alpine', command: ['true'], args: [], retryLimit: 0, retryDelay: { delaySeconds: 0, factor: 2, maxDelaySeconds: 300 }, triggerRule: 'AllSucceeded' as const, parameters: [] };
  const definition: DagDefinition = {
    namespace: 'default', name: 'huge', timezone: 'UTC', concurrencyPolicy: 'Allow', catchUp: 1, suspended: false, parameters: [],
    tasks: Array.from({ length: N }, (_, p) => ({ ...task, name: name(p), runAfter: p === 0 ? [] : ['root'] })),
  };
  await saveDag(env.db.pool, { namespace: 'default', name: 'huge', spec: {}, definition, hash: 'huge', source: 'test' });
  const { run } = await startRun(env.db.pool, { namespace: 'default', dagName: 'huge', trigger: 'manual' });
  const positions = Array.from({ length: N }, (_, p) => p);
  await setTaskStatuses(env.db.pool, run.id, positions, positions.map(statusAt));
  id = String(run.id);
  const login = await kontroler(env, ['login', '--server', env.url, '-u', 'admin', '--password-stdin'], {}, `${ADMIN_PASSWORD}\n`);
  assert.equal(login.code, 0, login.stderr);
});
after(async () => env.close());

/** The task names of run-status's table (the first cell of each row after the header). */
function tableTasks(stdout: string): string[] {
  const lines = stdout.split('\n');
  const header = lines.findIndex((l) => l.startsWith('TASK '));
  assert.ok(header >= 0, stdout.slice(0, 500));
  return lines.slice(header + 1).filter((l) => l.trim() !== '').map((l) => l.split(/\s+/)[0]!);
}

describe('kontroler run-status on a large run', () => {
  test('counts per status, then only the tasks that did not succeed', async () => {
    const r = await kontroler(env, ['run-status', id]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^run ${id}  default/huge v1  pending`));
    assert.match(r.stdout, /\n20000 tasks: 100 pending, 20 running, 19860 succeeded, 20 failed\n/);
    assert.match(r.stdout, /\n19860 succeeded tasks not shown \(--all shows every task\)\n/);
    assert.deepEqual(tableTasks(r.stdout), notSucceeded);
    assert.match(r.stdout, /\nt-00007\s+failed\s+-/);
  });

  test('--all prints every task, in definition order', async () => {
    const r = await kontroler(env, ['run-status', id, '--all']);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /not shown/);
    assert.deepEqual(tableTasks(r.stdout), Array.from({ length: N }, (_, p) => name(p)));
  });

  test('JSON and YAML: the run with its counts and the tasks shown, one document', async () => {
    const j = await kontroler(env, ['run-status', id, '--all', '-o', 'json']);
    assert.equal(j.code, 0, j.stderr);
    const doc = JSON.parse(j.stdout) as { id: number; taskTotal: number; taskCounts: Record<string, number>; tasks: Array<{ name: string; status: string }>; tasksNextCursor?: string };
    assert.equal(doc.id, Number(id));
    assert.equal(doc.taskTotal, N);
    assert.equal(doc.taskCounts.failed, 20);
    assert.deepEqual(doc.tasks.map((t) => t.name), Array.from({ length: N }, (_, p) => name(p)));
    assert.equal(doc.tasksNextCursor, undefined);
    const y = await kontroler(env, ['run-status', id, '-o', 'yaml']);
    assert.equal(y.code, 0, y.stderr);
    const ydoc = parse(y.stdout) as { taskCounts: Record<string, number>; tasks: Array<{ name: string; status: string }> };
    assert.deepEqual(ydoc.tasks.map((t) => t.name), notSucceeded);
    assert.equal(ydoc.taskCounts.succeeded, 19860);
  });

  test('describe run shows the counts and the first page, and where the rest is', async () => {
    const r = await kontroler(env, ['describe', 'run', id]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Tasks:\s+20000 tasks: 100 pending, 20 running, 19860 succeeded, 20 failed/);
    assert.match(r.stdout, new RegExp(`\\(the first 100 of 20000 tasks: kontroler run-status ${id} \\[--all\\] lists the rest\\)`));
  });
});
