// Crash safety with the real local runtime and real PostgreSQL: the controller is SIGKILLed at
// random moments during a 200-task run, at least 20 times; the run completes and no attempt runs
// twice. And two controllers sharing one database never run a task twice.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DagResource, TaskSpec } from '@kontroler/core';
import { applyResource, getRun, startRun } from '@kontroler/store';
import { createTestDatabase, type TestDatabase } from '@kontroler/store/testing';
import { start, type Proc } from './proc.js';

let db: TestDatabase;
let dir: string;
before(async () => {
  db = await createTestDatabase();
  dir = mkdtempSync(join(tmpdir(), 'kontroler-crash-'));
});
after(async () => {
  await db.drop();
  rmSync(dir, { recursive: true, force: true });
});

/** `layers` × `width` tasks; each runs after two tasks of the layer before and appends to a ledger. */
function layered(name: string, layers: number, width: number, ledger: string, sleep: string): DagResource {
  const task: TaskSpec[] = [];
  for (let l = 0; l < layers; l++) {
    for (let w = 0; w < width; w++) {
      task.push({
        name: `l${l}w${w}`,
        image: 'alpine',
        script: `echo "$KONTROLER_RUN_ID $KONTROLER_TASK $KONTROLER_ATTEMPT" >> "$LEDGER"; sleep ${sleep}`,
        parameters: ['LEDGER'],
        ...(l > 0 ? { runAfter: [...new Set([`l${l - 1}w${w}`, `l${l - 1}w${(w + 1) % width}`])] } : {}),
      });
    }
  }
  return {
    apiVersion: 'kontroler.greedykomodo/v1alpha1',
    kind: 'DAG',
    metadata: { name },
    spec: { parameters: [{ name: 'LEDGER', defaultValue: ledger }], task },
  };
}

function controller(id: string): Proc {
  const { KONTROLER_TEST_DATABASE_URL: _t, ...env } = process.env;
  return start(['controller', '--data-dir', join(dir, 'data')], { ...env, DATABASE_URL: db.url, KONTROLER_CONTROLLER_ID: id });
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

function ledgerLines(path: string): string[] {
  return existsSync(path) ? readFileSync(path, 'utf8').trim().split('\n').filter(Boolean) : [];
}

test('SIGKILL the controller at random moments, 20+ times, during a 200-task run: it completes, no attempt twice', async () => {
  const ledger = join(dir, 'ledger-crash');
  await applyResource(db.pool, layered('crashy', 25, 8, ledger, '1'), { source: 'test' });
  const { run } = await startRun(db.pool, { namespace: 'default', dagName: 'crashy', trigger: 'manual' });
  let kills = 0;
  for (let i = 0; i < 60 && kills < 20; i++) {
    const c = controller('crash-test');
    await c.waitFor(/Kontroler is up/);
    await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 300))); // a random moment
    const status = (await getRun(db.pool, run.id))?.status;
    c.child.kill('SIGKILL');
    await c.exited;
    if (status === 'pending' || status === 'running') kills++;
    else break;
  }
  assert.ok(kills >= 20, `the controller was killed ${kills} times during the run (the run was too quick?)`);
  const last = controller('crash-test');
  let status: string;
  try {
    await last.waitFor(/Kontroler is up/);
    status = await untilEnded(run.id);
  } finally {
    last.signal('SIGTERM');
    await last.exited;
  }
  if (status !== 'succeeded') {
    const bad = await db.pool.query('select task, attempt, status, exit_code, reason from attempts where run_id = $1 and status <> $2', [run.id, 'succeeded']);
    assert.fail(`run ${status}; attempts not succeeded: ${JSON.stringify(bad.rows)}\ncontroller output:\n${last.output().slice(-3000)}`);
  }

  const lines = ledgerLines(ledger);
  const tasks = lines.map((l) => l.split(' ')[1]);
  assert.equal(lines.length, 200, 'every task ran, and only once');
  assert.equal(new Set(tasks).size, 200);
  // An attempt whose creator was killed before spawning it is recorded NotStarted and replaced by the
  // next attempt number; nothing else may make a second attempt (no task fails here).
  const { rows } = await db.pool.query<{ task: string; attempt: number; status: string; reason: string | null }>(
    'select task, attempt, status, reason from attempts where run_id = $1 order by task, attempt',
    [run.id],
  );
  assert.equal(rows.filter((r) => r.status === 'succeeded').length, 200);
  const extra = rows.filter((r) => r.status !== 'succeeded');
  assert.ok(extra.every((r) => r.reason === 'NotStarted'), `only never-started attempts besides the 200: ${JSON.stringify(extra)}`);
  for (const l of lines) {
    const [, task, attempt] = l.split(' ');
    assert.equal(rows.find((r) => r.task === task && r.status === 'succeeded')?.attempt, Number(attempt), `${task} ran as its succeeded attempt only`);
  }
});

test('two controllers on one database share the work and never run a task twice', async () => {
  const ledger = join(dir, 'ledger-two');
  await applyResource(db.pool, layered('shared', 5, 10, ledger, '0.01'), { source: 'test' });
  const a = controller('ctl-a');
  const b = controller('ctl-b');
  await Promise.all([a.waitFor(/Kontroler is up/), b.waitFor(/Kontroler is up/)]);
  const runs = [];
  for (let i = 0; i < 6; i++) runs.push((await startRun(db.pool, { namespace: 'default', dagName: 'shared', trigger: 'manual' })).run.id);
  for (const id of runs) assert.equal(await untilEnded(id), 'succeeded');
  a.signal('SIGTERM');
  b.signal('SIGTERM');
  await Promise.all([a.exited, b.exited]);
  const lines = ledgerLines(ledger);
  assert.equal(lines.length, 6 * 50);
  assert.equal(new Set(lines.map((l) => l.split(' ').slice(0, 2).join(' '))).size, 6 * 50, 'each task of each run ran once');
  const { rows } = await db.pool.query<{ n: number }>('select count(*)::int as n from attempts where run_id = any($1) and attempt > 1', [runs]);
  assert.equal(rows[0]?.n, 0);
  const owners = await db.pool.query<{ owner: string }>('select distinct owner from runs where id = any($1)', [runs]);
  assert.ok(owners.rows.length >= 1);
});
