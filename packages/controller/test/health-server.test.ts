// The controller's health and metrics listener: liveness always, readiness from its check (503
// when it fails or does not answer within READY_TIMEOUT_MS, naming no address), metrics as
// Prometheus text, GET only, loopback by default.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ControllerMetrics, READY_TIMEOUT_MS, startHealthServer } from '@kontroler/controller';

test('healthz, readyz (ready, failing, hanging), metrics, 405 and 404; bound to 127.0.0.1 by default', async (t) => {
  let ready: () => Promise<void> = async () => undefined;
  const metrics = new ControllerMetrics();
  metrics.runsFinished.inc({ outcome: 'succeeded' });
  const s = await startHealthServer({ port: 0, metrics, ready: () => ready() });
  t.after(() => s.close());
  assert.match(s.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.equal((await fetch(`${s.url}/healthz`)).status, 200);
  assert.equal((await fetch(`${s.url}/readyz`)).status, 200);
  ready = () => Promise.reject(new Error('connect ECONNREFUSED 10.0.0.5:5432'));
  const down = await fetch(`${s.url}/readyz`);
  assert.equal(down.status, 503);
  assert.doesNotMatch(await down.text(), /10\.0\.0\.5|5432/, 'no connection details in a public answer');
  ready = () => new Promise(() => undefined);
  const t0 = Date.now();
  const hung = await fetch(`${s.url}/readyz`);
  assert.equal(hung.status, 503);
  assert.ok(Date.now() - t0 < READY_TIMEOUT_MS + 1000, 'answered once the check timed out');
  const m = await fetch(`${s.url}/metrics`);
  assert.equal(m.status, 200);
  assert.match(await m.text(), /^kontroler_controller_runs_finished_total\{outcome="succeeded"\} 1$/m);
  assert.equal((await fetch(`${s.url}/metrics`, { method: 'DELETE' })).status, 405);
  assert.equal((await fetch(`${s.url}/other`)).status, 404);
});
