// Large DAG bodies are parsed, validated and resolved in a worker thread (issue 13): the event loop
// keeps answering while a 100,000-task DAG is applied through the real API, the DAG is stored
// intact, errors are the inline path's, and a job past its time limit is answered and its thread
// replaced.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { API_VERSION, loadValidatedResources, resolveDag, specHash, type DagDefinition, type DagResource } from '@kontroler/core';
import { getDagVersion } from '@kontroler/store';
import { ADMIN_PASSWORD, call, login, startHarness, type Harness } from './harness.js';

const NS = 'big';

/** n tasks in layers of ten, each after two of the layer before (as scripts/bench/validate-large.mjs). */
function layeredDag(name: string, n: number, opts: { broken?: boolean } = {}) {
  const task = Array.from({ length: n }, (_, i) => {
    const runAfter = i < 10 ? [] : [...new Set([`t${i - 10}`, `t${i - 10 - (i % 10 === 0 ? 0 : 1)}`])];
    if (opts.broken === true && i === n - 1) runAfter.push('nope', `t${n - 1}`);
    return { name: `t${i}`, image: 'alpine:3', command: ['sh', '-c'], args: [`echo ${i} $(WHO)`], runAfter, parameters: ['WHO'] };
  });
  return { apiVersion: API_VERSION, kind: 'DAG', metadata: { name, namespace: NS, labels: { size: String(n) } }, spec: { parameters: [{ name: 'WHO', defaultValue: 'world' }], task } };
}

/** Polls /healthz until `until` settles; every probe's time and how many answered while it was pending. */
async function probeWhile<T>(url: string, until: Promise<T>): Promise<{ value: T; probes: number[] }> {
  let done = false;
  const settled = until.finally(() => (done = true));
  const probes: number[] = [];
  const poll = (async () => {
    while (!done) {
      const t0 = performance.now();
      const r = await fetch(`${url}/healthz`);
      await r.arrayBuffer();
      assert.equal(r.status, 200);
      if (!done) probes.push(performance.now() - t0);
      await new Promise((res) => setTimeout(res, 20));
    }
  })();
  const value = await settled;
  await poll;
  return { value, probes };
}

describe('a 100,000-task DAG through the API', () => {
  let h: Harness;
  let token: string;
  before(async () => {
    // The default configuration: resource routes take MAX_RESOURCE_BODY_BYTES, enough for 100,000 tasks.
    h = await startHarness();
    token = await login(h.url, 'admin', ADMIN_PASSWORD);
  });
  after(async () => h.close());

  test('is applied in the worker thread while /healthz keeps answering, and stored intact', async (t) => {
    const dag = layeredDag('huge', 100_000);
    const body = JSON.stringify(dag);
    assert.ok(h.server.context.dagWorker.takes(body));
    const t0 = performance.now();
    const { value: res, probes } = await probeWhile(h.url, call(h.url, 'POST', `/api/v1/namespaces/${NS}/dags`, { token, raw: body, contentType: 'application/json' }));
    t.diagnostic(`apply of ${(body.length / 1048576).toFixed(1)} MiB took ${(performance.now() - t0).toFixed(0)} ms; ${probes.length} /healthz probes, slowest ${Math.max(...probes).toFixed(0)} ms`);
    assert.equal(res.status, 201, res.text.slice(0, 500));
    assert.equal(h.server.context.dagWorker.started, 1, 'the worker thread did the work');
    const worst = Math.max(...probes);
    assert.ok(probes.length >= 5, `only ${probes.length} /healthz probes answered while the apply was in flight`);
    assert.ok(worst < 500, `a /healthz probe took ${worst.toFixed(0)} ms (probes: ${probes.map((p) => p.toFixed(0)).join(', ')})`);

    const stored = await getDagVersion(h.db.pool, NS, 'huge');
    assert.ok(stored !== undefined);
    const expected = resolveDag(loadValidatedResources(body).resources[0] as DagResource, () => undefined).definition as DagDefinition;
    assert.equal(stored.hash, specHash(expected));
    assert.equal(stored.definition.tasks.length, 100_000);
    assert.deepEqual(stored.definition, expected);
    assert.deepEqual(stored.spec, dag.spec);
    assert.deepEqual(stored.dag.labels, { size: '100000' });

    // Applying the same text again is no new version (same hash), as inline.
    const again = await call<{ version: number; created: boolean }>(h.url, 'PUT', `/api/v1/namespaces/${NS}/dags/huge`, { token, raw: body, contentType: 'application/json' });
    assert.equal(again.status, 200, again.text.slice(0, 300));
    assert.deepEqual([again.body.version, again.body.created], [1, false]);
  });
});

describe('errors from the worker are the inline path\'s', () => {
  let worker: Harness;
  let inline: Harness;
  const tokens = new Map<Harness, string>();
  before(async () => {
    worker = await startHarness();
    inline = await startHarness({ dagWorker: { inlineMaxBytes: 64 * 1024 * 1024, timeoutMs: 30_000, startTimeoutMs: 30_000, maxQueued: 8, maxOldGenerationMb: 2048 } });
    for (const x of [worker, inline]) tokens.set(x, await login(x.url, 'admin', ADMIN_PASSWORD));
  });
  after(async () => {
    await worker.close();
    await inline.close();
  });

  const cases: [string, string, string, string][] = [
    ['an invalid DAG (cycle, unknown task)', 'POST', `/api/v1/namespaces/${NS}/dags`, JSON.stringify(layeredDag('bad', 5000, { broken: true }))],
    ['the same through /validate', 'POST', `/api/v1/namespaces/${NS}/dags/validate`, JSON.stringify(layeredDag('bad', 5000, { broken: true }))],
    ['a DagTask on the DAG route', 'POST', `/api/v1/namespaces/${NS}/dags`, JSON.stringify({ ...layeredDag('k', 5000), kind: 'DagTask' })],
    ['a name that disagrees with the URL', 'PUT', `/api/v1/namespaces/${NS}/dags/other`, JSON.stringify(layeredDag('x', 5000))],
    ['text that is not a resource', 'POST', `/api/v1/namespaces/${NS}/dags`, `${' '.repeat(300_000)}just text`],
    ['a taskRef to a missing DagTask', 'POST', `/api/v1/namespaces/${NS}/dags`, JSON.stringify({ ...layeredDag('ref', 5000), spec: { ...layeredDag('ref', 5000).spec, task: [...layeredDag('ref', 5000).spec.task, { name: 'r', taskRef: { name: 'shared', version: 1 } }] } })],
  ];
  for (const [name, method, path, body] of cases) {
    test(name, async () => {
      assert.ok(worker.server.context.dagWorker.takes(body), 'the body is large enough for the worker');
      const [a, b] = await Promise.all([worker, inline].map((x) => call(x.url, method, path, { token: tokens.get(x) ?? '', raw: body, contentType: 'application/json' })));
      assert.ok(a !== undefined && b !== undefined);
      assert.ok(a.status >= 200, a.text);
      assert.deepEqual([a.status, a.body], [b.status, b.body]);
    });
  }

  test('a valid DAG with a taskRef resolves against the stored DagTask in a second round', async () => {
    const dagTask = { apiVersion: API_VERSION, kind: 'DagTask', metadata: { name: 'shared', namespace: NS }, spec: { image: 'alpine:3', command: ['true'], parameters: ['WHO'] } };
    const base = layeredDag('withref', 5000);
    const body = JSON.stringify({ ...base, spec: { ...base.spec, task: [...base.spec.task, { name: 'r', taskRef: { name: 'shared', version: 1 }, runAfter: ['t0'] }] } });
    for (const x of [worker, inline]) assert.equal((await call(x.url, 'POST', `/api/v1/namespaces/${NS}/dagtasks`, { token: tokens.get(x) ?? '', body: dagTask })).status, 201);
    const started = worker.server.context.dagWorker.started;
    const [a, b] = await Promise.all([worker, inline].map((x) => call(x.url, 'POST', `/api/v1/namespaces/${NS}/dags`, { token: tokens.get(x) ?? '', raw: body, contentType: 'application/json' })));
    assert.equal(a?.status, 201, a?.text);
    const untimed = (r: { body: unknown } | undefined) => {
      const { dag, ...rest } = (r?.body ?? {}) as { dag?: Record<string, unknown> };
      const { createdAt: _c, updatedAt: _u, ...dagRest } = dag ?? {};
      return { ...rest, dag: dagRest };
    };
    assert.deepEqual(untimed(a), untimed(b));
    assert.equal(worker.server.context.dagWorker.started, started === 0 ? 1 : started, 'one thread for both rounds');
    const [sa, sb] = await Promise.all([worker, inline].map((x) => getDagVersion(x.db.pool, NS, 'withref')));
    assert.equal(sa?.hash, sb?.hash);
    assert.deepEqual(sa?.definition, sb?.definition);
    assert.equal(sa?.definition.tasks.at(-1)?.image, 'alpine:3');
  });
});

describe('the worker\'s time limit', () => {
  let h: Harness;
  let token: string;
  before(async () => {
    h = await startHarness({ bodyLimitBytes: 64 * 1024 * 1024, dagWorker: { inlineMaxBytes: 256 * 1024, timeoutMs: 300, startTimeoutMs: 30_000, maxQueued: 8, maxOldGenerationMb: 2048 } });
    token = await login(h.url, 'admin', ADMIN_PASSWORD);
  });
  after(async () => h.close());

  test('a job past it is answered 503 naming the limit, and the next job runs in a new thread', async () => {
    const slow = await call<{ code: string; message: string }>(h.url, 'POST', `/api/v1/namespaces/${NS}/dags`, { token, raw: JSON.stringify(layeredDag('slow', 100_000)), contentType: 'application/json' });
    assert.equal(slow.status, 503, slow.text);
    assert.equal(slow.body.code, 'UNAVAILABLE');
    assert.match(slow.body.message, /took longer than 0\.3 s \(dagWorker\.timeoutMs\)/);
    assert.equal(await getDagVersion(h.db.pool, NS, 'slow'), undefined, 'nothing stored');
    const quick = await call<{ code: string }>(h.url, 'POST', `/api/v1/namespaces/${NS}/dags`, { token, raw: `${' '.repeat(300_000)}just text`, contentType: 'application/json' });
    assert.equal(quick.status, 400, quick.text);
    assert.equal(quick.body.code, 'VALIDATION_FAILED');
    assert.equal(h.server.context.dagWorker.started, 2, 'the stopped thread was replaced');
  });
});
