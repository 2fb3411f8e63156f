// The release example through pods: examples/release-approval.yaml runs the data-pipeline DAG as
// a child run (dagRef) and waits at an approval gate. A person approves through the real API
// server (`kontroler server` on the controller's database), and the run succeeds with its child
// run, the child's output in the parent and the decision in deploy's command.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { DagResource } from '@kontroler/core';
import { testNamespace } from '@kontroler/kube-agent/testing';
import { listAttempts, loadRun, readLog } from '@kontroler/store';
import { repoRoot } from '@kontroler/testing';
import { startKubeController, type KubeController } from './controller-harness.js';
import { readYamlDocs } from './repo.js';

const PASSWORD = 'release-approval-kube-admin-password';
/** How long the run may take through pods (two DAGs, a map of four pods). */
const RUN_TIMEOUT_MS = 180_000;
/** Between two reads of the gate while waiting for it to ask (no event reaches the test). */
const POLL_MS = 250;

const ns = await testNamespace('release');
let kc: KubeController;
let server: ChildProcess | undefined;
let base = '';
let token = '';

/** Starts `kontroler server` on the controller's database and resolves with its URL once it listens. */
function startServer(databaseUrl: string): Promise<string> {
  const { KONTROLER_TEST_DATABASE_URL: _t, ...env } = process.env;
  const child = spawn(process.execPath, [join(repoRoot, 'packages/cli/bin/kontroler.js'), 'server', '--port', '0', '--host', '127.0.0.1'], {
    env: { ...env, DATABASE_URL: databaseUrl, KONTROLER_ADMIN_PASSWORD: PASSWORD },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server = child;
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`kontroler server did not listen within 60 s:\n${out}`)), 60_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /API listening on (http:\/\/\S+)/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`kontroler server exited (${code}):\n${out}`));
    });
  });
}

async function api<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

before(async () => {
  kc = await startKubeController(ns.name, 'kube-release');
  base = await startServer(kc.db.url);
  const login = await api<{ token: string }>('POST', '/api/v1/auth/login', { username: 'admin', password: PASSWORD });
  assert.equal(login.status, 200, JSON.stringify(login.body));
  token = login.body.token;
});
after(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((r) => server!.once('exit', r));
    server.kill('SIGINT');
    await exited;
  }
  await kc?.stop();
});

interface TaskView { name: string; status: string; childRunId?: number; outputs?: Record<string, string>; approval?: { waiting: boolean; message: string } }

test('release-approval through pods: the sub-DAG runs as a child run, the gate is approved through the API, the run succeeds', async () => {
  for (const file of ['data-pipeline.yaml', 'release-approval.yaml']) for (const doc of readYamlDocs(join(repoRoot, 'examples', file))) await kc.apply(doc as unknown as DagResource);
  const started = await api<{ id: number }>('POST', `/api/v1/namespaces/${ns.name}/dags/release-approval/runs`, {});
  assert.equal(started.status, 201, JSON.stringify(started.body));
  const id = started.body.id;
  const ended = new Promise<void>((resolve) => {
    const off = kc.controller.onRunEnded((rid) => {
      if (rid === id) {
        off();
        resolve();
      }
    });
  });

  // The gate asks once the child run (data-pipeline) succeeded and gave its total.
  const deadline = Date.now() + RUN_TIMEOUT_MS;
  let gate: TaskView | undefined;
  for (;;) {
    gate = (await api<TaskView>('GET', `/api/v1/runs/${id}/tasks/gate`)).body;
    if (gate.approval?.waiting) break;
    const run = (await loadRun(kc.db.pool, id))!;
    assert.ok(run.state.status === 'running' || run.state.status === 'pending', `the run ended before the gate asked: ${JSON.stringify([...run.state.tasks.values()])}`);
    assert.ok(Date.now() < deadline, `the gate did not ask within ${RUN_TIMEOUT_MS} ms: ${JSON.stringify(gate)}`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  assert.equal(gate.approval.message, `Deploy the build of run ${id} (19 bytes checked)?`);
  const checks = (await api<TaskView>('GET', `/api/v1/runs/${id}/tasks/checks`)).body;
  assert.equal(checks.status, 'succeeded');
  assert.deepEqual(checks.outputs, { total: '19' });
  assert.ok(checks.childRunId !== undefined, 'checks names its child run');
  const child = await api<{ status: string; dag: string; parent?: { runId: number; task: string } }>('GET', `/api/v1/runs/${checks.childRunId}`);
  assert.equal(child.body.status, 'succeeded');
  assert.equal(child.body.dag, 'data-pipeline');
  assert.deepEqual(child.body.parent && { runId: child.body.parent.runId, task: child.body.parent.task }, { runId: id, task: 'checks' });

  const approved = await api<{ approve: boolean; by: string }>('POST', `/api/v1/runs/${id}/tasks/gate/approve`, { inputs: { ticket: 'OPS-7' }, comment: 'looks good' });
  assert.equal(approved.status, 202, JSON.stringify(approved.body));
  assert.deepEqual([approved.body.approve, approved.body.by], [true, 'admin']);

  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([ended, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`run ${id} did not end within ${RUN_TIMEOUT_MS} ms`)), RUN_TIMEOUT_MS)))]);
  clearTimeout(timer);
  const run = (await loadRun(kc.db.pool, id))!;
  assert.equal(run.state.status, 'succeeded', JSON.stringify([...run.state.tasks.values()]));
  assert.deepEqual(run.state.tasks.get('gate')?.attempts[0]?.outputs, { approvedBy: 'admin', comment: 'looks good', ticket: 'OPS-7' });
  const deploy = await listAttempts(kc.db.pool, id, 'deploy');
  assert.match(deploy[0]?.handle ?? '', new RegExp(`^${ns.name}/kr-${id}-deploy`), 'deploy ran as a pod');
  assert.equal((await readLog(kc.db.pool, { runId: id, task: 'deploy', attempt: 1 })).data.toString(), 'deploying OPS-7 approved by admin: looks good\n');
});
