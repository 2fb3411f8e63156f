// The controller's /healthz, /readyz and Prometheus /metrics over real HTTP: `kontroler
// controller --metrics-port 0` with the local runtime against real PostgreSQL runs two DAGs (one
// succeeds, one fails) and its counters show it; every metric the Grafana dashboard
// (deploy/grafana/kontroler.json) queries is served by the controller or the API server.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DagResource } from '@kontroler/core';
import { RUN_STATE_CHANNEL, applyResource, getRun, listen, startRun } from '@kontroler/store';
import { createTestDatabase, type TestDatabase } from '@kontroler/store/testing';
import { ROOT, start, type Proc } from './proc.js';

let db: TestDatabase;
let dir: string;
let proc: Proc | undefined;
before(async () => {
  db = await createTestDatabase();
  dir = mkdtempSync(join(tmpdir(), 'kontroler-metrics-'));
});
after(async () => {
  if (proc && proc.child.exitCode === null) {
    proc.signal('SIGTERM');
    await proc.exited;
  }
  await db.drop();
  rmSync(dir, { recursive: true, force: true });
});

const dag = (name: string, tasks: Array<{ name: string; script: string; runAfter?: string[] }>): DagResource => ({
  apiVersion: 'kontroler.greedykomodo/v1alpha1',
  kind: 'DAG',
  metadata: { name },
  spec: { task: tasks.map((t) => ({ image: 'alpine', ...t })) },
});

/** Samples of a Prometheus text exposition: `name{labels}` → value. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

/** Metric names declared by `# TYPE` lines, with their types. */
function declared(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) out.set(m[1]!, m[2]!);
  return out;
}

/** Resolves once every run has ended; re-checks at each run-state NOTIFY (no sleeps). */
async function untilEnded(ids: number[], timeoutMs = 60_000): Promise<void> {
  const ended = async () => (await Promise.all(ids.map((id) => getRun(db.pool, id)))).every((r) => r && ['succeeded', 'failed', 'canceled'].includes(r.status));
  let wake: () => void = () => undefined;
  const l = await listen(db.url, [RUN_STATE_CHANNEL], () => wake());
  try {
    const deadline = Date.now() + timeoutMs;
    while (!(await ended())) {
      const left = deadline - Date.now();
      assert.ok(left > 0, `runs ${ids.join(', ')} did not end in time:\n${proc?.output() ?? ''}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 5_000)); // a NOTIFY missed between the check and the wait is caught here
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  } finally {
    await l.close();
  }
}

let controllerText = '';

test('the controller serves /healthz, /readyz and /metrics on 127.0.0.1; its counters show runs, attempts, claims and decisions', async () => {
  const { KONTROLER_TEST_DATABASE_URL: _t, ...env } = process.env;
  proc = start(['controller', '--data-dir', join(dir, 'data'), '--metrics-port', '0'], { ...env, DATABASE_URL: db.url, KONTROLER_CONTROLLER_ID: 'metrics-test' });
  const m = await proc.waitFor(/health and metrics: (http:\/\/[^/\s]+)\/healthz/);
  const base = m[1]!;
  assert.match(base, /^http:\/\/127\.0\.0\.1:\d+$/, 'loopback only unless --metrics-host says otherwise');
  await proc.waitFor(/Kontroler is up/);

  assert.equal((await fetch(`${base}/healthz`)).status, 200);
  const ready = await fetch(`${base}/readyz`);
  assert.equal(ready.status, 200, await ready.text());
  assert.equal((await fetch(`${base}/metrics`, { method: 'POST' })).status, 405);
  assert.equal((await fetch(`${base}/nothing`)).status, 404);
  const before = samples(await (await fetch(`${base}/metrics`)).text());
  assert.equal(before.get('kontroler_controller_attempts_finished_total{outcome="succeeded"}') ?? 0, 0);

  await applyResource(db.pool, dag('fine', [{ name: 'a', script: 'echo a' }, { name: 'b', script: 'echo b', runAfter: ['a'] }, { name: 'c', script: 'echo c', runAfter: ['a'] }]), { source: 'test' });
  await applyResource(db.pool, dag('broken', [{ name: 'x', script: 'exit 3' }]), { source: 'test' });
  const fine = await startRun(db.pool, { namespace: 'default', dagName: 'fine', trigger: 'manual' });
  const broken = await startRun(db.pool, { namespace: 'default', dagName: 'broken', trigger: 'manual' });
  await untilEnded([fine.run.id, broken.run.id]);
  assert.equal((await getRun(db.pool, fine.run.id))?.status, 'succeeded');
  assert.equal((await getRun(db.pool, broken.run.id))?.status, 'failed');

  const res = await fetch(`${base}/metrics`);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  controllerText = await res.text();
  const s = samples(controllerText);
  const at = (k: string) => s.get(k) ?? 0;
  assert.ok(at('kontroler_controller_attempts_finished_total{outcome="succeeded"}') >= 3, controllerText);
  assert.ok(at('kontroler_controller_attempts_finished_total{outcome="failed"}') >= 1);
  assert.ok(at('kontroler_controller_attempts_started_total') >= 4);
  assert.equal(at('kontroler_controller_runs_finished_total{outcome="succeeded"}'), 1);
  assert.equal(at('kontroler_controller_runs_finished_total{outcome="failed"}'), 1);
  assert.ok(at('kontroler_controller_runs_claimed_total') >= 2);
  assert.ok(at('kontroler_controller_claim_latency_seconds_count') >= 2, 'the first claim of each run is timed');
  assert.ok(at('kontroler_controller_decision_duration_seconds_count') >= 4);
  assert.ok(at('kontroler_controller_save_duration_seconds_count') >= 4);
  assert.equal(at('kontroler_controller_runs_driven'), 0, 'both runs ended');
  assert.equal(at('kontroler_controller_runs_waiting'), 0, 'nothing left to claim');
  assert.ok(at('kontroler_controller_process_resident_memory_bytes') > 0, 'process metrics too');
});

test('every metric the Grafana dashboard queries is served by the controller or the API server', async () => {
  assert.ok(controllerText, 'the first test read the controller metrics');
  const { startServer } = await import('@kontroler/server');
  const server = await startServer({ pool: db.pool, port: 0, host: '127.0.0.1', config: { publicMetrics: true, uiDir: '' } });
  let serverText: string;
  try {
    const r = await fetch(`${server.url}/metrics`);
    assert.equal(r.status, 200);
    serverText = await r.text();
  } finally {
    await server.close();
  }
  const types = new Map([...declared(controllerText), ...declared(serverText)]);
  const dashboard = JSON.parse(readFileSync(join(ROOT, 'deploy/grafana/kontroler.json'), 'utf8')) as { panels: Array<{ title: string; targets?: Array<{ expr: string }> }> };
  const used = new Set<string>();
  for (const p of dashboard.panels) for (const t of p.targets ?? []) for (const m of t.expr.matchAll(/\bkontroler_[a-z0-9_]+/g)) used.add(m[0]);
  assert.ok(used.size >= 15, `the dashboard uses ${used.size} metrics`);
  for (const name of used) {
    const base = name.replace(/_(bucket|sum|count)$/, '');
    const known = types.has(name) || ((types.get(base) === 'histogram' || types.get(base) === 'summary') && base !== name);
    assert.ok(known, `the dashboard queries ${name}, which neither /metrics serves`);
  }
  // The job variable reads a metric every controller serves.
  assert.ok(types.has('kontroler_controller_runs_driven'));
});
