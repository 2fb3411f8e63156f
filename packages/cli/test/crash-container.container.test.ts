// Crash safety on the container runtime, through the controller: `kontroler controller --runtime
// container` is SIGKILLed at random moments during a run of containers, again and again; the run
// completes, and the engine's own event log shows that every attempt's container started once.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DagResource, TaskSpec } from '@kontroler/core';
import { scopeOf } from '@kontroler/runtime-container';
import { applyResource, getRun, startRun } from '@kontroler/store';
import { createTestDatabase, type TestDatabase } from '@kontroler/store/testing';
import { start, type Proc } from './proc.js';

let db: TestDatabase;
let dir: string;
let image: string;
let dockerHost: string;
const since = new Date().toISOString();

before(async () => {
  const host = process.env.KONTROLER_TEST_DOCKER_HOST;
  const img = process.env.KONTROLER_TEST_CONTAINER_IMAGE;
  if (!host || !img) throw new Error('no test container engine: run through `node scripts/test.mjs crash-container`, which starts Podman (scripts/fixtures/30-podman.mjs)');
  dockerHost = host;
  image = img;
  db = await createTestDatabase();
  dir = mkdtempSync(join(tmpdir(), 'kontroler-crash-container-'));
});
after(async () => {
  await db.drop();
  rmSync(dir, { recursive: true, force: true });
});

function layered(name: string, layers: number, width: number): DagResource {
  const task: TaskSpec[] = [];
  for (let l = 0; l < layers; l++) {
    for (let w = 0; w < width; w++) {
      task.push({
        name: `l${l}w${w}`,
        image,
        // Long enough that six kills land during the run: each kill and restart (~1-3 s) sees at
        // most about one layer end (it ended after four kills once hops got faster).
        script: 'echo "ran $KONTROLER_TASK $KONTROLER_ATTEMPT"; sleep 3',
        ...(l > 0 ? { runAfter: [...new Set([`l${l - 1}w${w}`, `l${l - 1}w${(w + 1) % width}`])] } : {}),
      });
    }
  }
  return { apiVersion: 'kontroler.greedykomodo/v1alpha1', kind: 'DAG', metadata: { name }, spec: { task } };
}

function controller(): Proc {
  const { KONTROLER_TEST_DATABASE_URL: _t, ...env } = process.env;
  return start(['controller', '--data-dir', join(dir, 'data')], {
    ...env,
    DATABASE_URL: db.url,
    KONTROLER_CONTROLLER_ID: 'crash-container',
    KONTROLER_RUNTIME: 'container',
    DOCKER_HOST: dockerHost,
    KONTROLER_PULL_POLICY: 'Never',
  });
}

async function untilEnded(runId: number, timeoutMs = 120_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await getRun(db.pool, runId);
    if (r && ['succeeded', 'failed', 'canceled'].includes(r.status)) return r.status;
    assert.ok(Date.now() < deadline, `run ${runId} did not end in time (status ${r?.status})`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

test('SIGKILL the controller at random moments during a run of containers: it completes, every container started once', async () => {
  const tasks = 6 * 3;
  await applyResource(db.pool, layered('crashy-containers', 6, 3), { source: 'test' });
  const { run } = await startRun(db.pool, { namespace: 'default', dagName: 'crashy-containers', trigger: 'manual' });
  let kills = 0;
  for (let i = 0; i < 30 && kills < 6; i++) {
    const c = controller();
    await c.waitFor(/Kontroler is up/);
    await new Promise((r) => setTimeout(r, 200 + Math.floor(Math.random() * 800)));
    const status = (await getRun(db.pool, run.id))?.status;
    c.child.kill('SIGKILL');
    await c.exited;
    if (status === 'pending' || status === 'running') kills++;
    else break;
  }
  assert.ok(kills >= 6, `the controller was killed ${kills} times during the run (the run was too quick?)`);
  const last = controller();
  let status: string;
  try {
    await last.waitFor(/Kontroler is up/);
    status = await untilEnded(run.id);
  } finally {
    last.signal('SIGTERM');
    await last.exited;
  }
  const { rows } = await db.pool.query<{ task: string; attempt: number; status: string; reason: string | null }>(
    'select task, attempt, status, reason from attempts where run_id = $1 order by task, attempt',
    [run.id],
  );
  assert.equal(status, 'succeeded', `attempts: ${JSON.stringify(rows.filter((r) => r.status !== 'succeeded'))}\n${last.output().slice(-3000)}`);
  assert.equal(rows.filter((r) => r.status === 'succeeded').length, tasks);
  const extra = rows.filter((r) => r.status !== 'succeeded');
  assert.ok(extra.every((r) => r.reason === 'NotStarted' || r.reason?.startsWith('Lost: container')), `only never-started attempts besides the ${tasks}: ${JSON.stringify(extra)}`);
  // The engine's event log: one start per container, one container per succeeded attempt.
  const ev = spawnSync('podman', ['events', '--stream=false', '--since', since, '--filter', 'event=start', '--filter', `label=kontroler.greedykomodo/run-id=${run.id}`, '--format', '{{.Name}}'], { encoding: 'utf8' });
  assert.equal(ev.status, 0, ev.stderr);
  // Podman ORs several label filters: this runtime's containers are those of its name scope.
  const ours = `kontroler_${scopeOf(`${hostname()}:${join(dir, 'data', 'container-runtime')}`)}_`;
  const starts = ev.stdout.trim().split('\n').filter((n) => n.startsWith(ours));
  assert.equal(new Set(starts).size, starts.length, `a container started twice: ${starts.join(', ')}`);
  assert.equal(starts.length, tasks, `one container start per task: ${starts.join(', ')}`);
});
