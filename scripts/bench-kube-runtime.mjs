#!/usr/bin/env node
// Benchmarks of Kubernetes mode (run after `tsc -b`), against the real apiserver and node agent
// of the test substrate and an embedded PostgreSQL, with the controller in this process:
//   - API requests per task attempt (beyond the shared pod watch), by kind, on a run of
//     `--sample` independent no-op tasks;
//   - throughput of a DAG of `--tasks` independent no-op pods at client QPS/burst `--qps`/`--burst`
//     (Argo Workflows publishes 270 workflows/min at QPS 20 / burst 30).
//
//   node scripts/bench-kube-runtime.mjs [--tasks 1000] [--sample 20] [--qps 20] [--burst 30] [--crds] [--json]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({
  options: {
    tasks: { type: 'string', default: '1000' },
    sample: { type: 'string', default: '20' },
    qps: { type: 'string', default: '20' },
    burst: { type: 'string', default: '30' },
    crds: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});
const dist = (p) => import(join(root, 'packages', p));
const agent = await dist('kube-agent/dist/index.js');
const store = await dist('store/dist/index.js');
const { startEmbeddedPostgres } = await dist('cli/dist/embedded/index.js');
const kube = await dist('runtime-kube/dist/index.js');
const operator = await dist('kube-operator/dist/index.js');
const { Controller, silentLog } = await dist('controller/dist/index.js');
const { KubeConfig } = await import('@kubernetes/client-node');

const log = (m) => values.json || process.stderr.write(`${m}\n`);
const dataDir = mkdtempSync(join(tmpdir(), 'bench-kube-runtime-'));
log('starting PostgreSQL and the Kubernetes substrate...');
const pg = await startEmbeddedPostgres({ dataDir });
const substrate = await agent.startKubeSubstrate({ root, log: () => undefined });
const results = { qps: Number(values.qps), burst: Number(values.burst) };
try {
  const pool = store.createPool(pg.url, 10);
  await store.migrate(pool);
  const kc = new KubeConfig();
  kc.loadFromFile(substrate.kubeconfig);
  const admin = new kube.KubeClient(kc, { qps: 0 });
  const ns = `bench-${Date.now().toString(36)}`;
  await admin.request('POST', '/api/v1/namespaces', { body: { metadata: { name: ns } } });
  const client = new kube.KubeClient(kc, { qps: Number(values.qps), burst: Number(values.burst) });
  let adapter;
  if (values.crds) {
    for (const crd of operator.crdManifests()) {
      await admin.request('PATCH', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`, {
        query: { fieldManager: 'bench', force: true },
        contentType: 'application/apply-patch+yaml',
        body: crd,
      });
    }
    await new Promise((r) => setTimeout(r, 2000)); // CRDs being established
    adapter = new operator.CrdAdapter({ client, pool, databaseUrl: pg.url, namespaces: [ns], log: { info() {}, warn() {}, error: (m) => log(m) } });
    await adapter.start();
    adapter.setLeading(true);
  }
  const runtime = new kube.KubePodRuntime({ client, namespaces: [ns] });
  const controller = new Controller({ pool, databaseUrl: pg.url, runtime, id: 'bench', log: silentLog, secrets: () => undefined, pollMs: 1000 });
  const ended = new Map();
  controller.onRunEnded((id) => ended.get(id)?.());
  await controller.start();

  const runDag = async (name, n) => {
    const task = Array.from({ length: n }, (_, i) => ({ name: `t${i}`, image: 'busybox', command: ['true'] }));
    await store.applyResource(pool, { apiVersion: 'kontroler.greedykomodo/v1alpha1', kind: 'DAG', metadata: { name, namespace: ns }, spec: { task } }, { source: 'bench' });
    const t0 = performance.now();
    const { run } = await store.startRun(pool, { namespace: ns, dagName: name, trigger: 'manual' });
    await new Promise((resolve) => ended.set(run.id, resolve));
    const ms = performance.now() - t0;
    const detail = await store.loadRun(pool, run.id);
    return { runId: run.id, ms, status: detail.run.status, attempts: [...detail.state.tasks.values()].reduce((s, t) => s + t.attempts.length, 0) };
  };

  // 1. Requests per attempt (one warm-up run first: the pod watch and connections are set up).
  await runDag('warmup', 2);
  await new Promise((r) => setTimeout(r, 1500)); // the warm-up's releases are sent after its run ended
  const before = { requests: client.stats.requests, streams: client.stats.streams, watches: runtime.informerCounters.watches, byKind: { ...client.stats.byKind } };
  const sample = await runDag('sample', Number(values.sample));
  await new Promise((r) => setTimeout(r, 1500)); // the last releases (delete + finalizer) are sent after the run ends
  const byKind = {};
  for (const [k, v] of Object.entries(client.stats.byKind)) if (v - (before.byKind[k] ?? 0) > 0) byKind[k] = v - (before.byKind[k] ?? 0);
  const logStreams = client.stats.streams - before.streams - (runtime.informerCounters.watches - before.watches);
  const perAttempt = (client.stats.requests - before.requests + logStreams) / sample.attempts;
  results.requestsPerAttempt = { attempts: sample.attempts, perAttempt, byKind, logFollowStreams: logStreams, status: sample.status };
  log(`requests per attempt: ${perAttempt.toFixed(2)} (${JSON.stringify(byKind)}, log follow streams ${logStreams})`);

  // 2. Throughput of a wide DAG of no-op pods.
  log(`running ${values.tasks} no-op pods at QPS ${values.qps} / burst ${values.burst}...`);
  const t0 = performance.now();
  const wide = await runDag('wide', Number(values.tasks));
  // The run ends when every attempt is recorded; the pods' deletions may still wait for tokens.
  for (;;) {
    const l = await admin.request('GET', `/api/v1/namespaces/${ns}/pods`, { query: { labelSelector: 'app.kubernetes.io/managed-by=kontroler', limit: 1 } });
    if (l.items.length === 0) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  const cleanMs = performance.now() - t0;
  results.throughput = {
    tasks: Number(values.tasks),
    status: wide.status,
    seconds: wide.ms / 1000,
    podsPerMinute: (Number(values.tasks) / wide.ms) * 60_000,
    allPodsRemovedSeconds: cleanMs / 1000,
    podsPerMinuteIncludingRemoval: (Number(values.tasks) / cleanMs) * 60_000,
    requests: client.stats.requests,
  };
  log(`${values.tasks} pods: run ended after ${(wide.ms / 1000).toFixed(1)} s (${results.throughput.podsPerMinute.toFixed(0)} pods/min), all pods removed after ${(cleanMs / 1000).toFixed(1)} s`);

  await controller.stop();
  await runtime.close();
  await adapter?.stop();
  await admin.request('DELETE', `/api/v1/namespaces/${ns}`).catch(() => undefined);
  client.close();
  admin.close();
  await pool.end();
} finally {
  await substrate.stop();
  await pg.stop();
  rmSync(dataDir, { recursive: true, force: true });
}

if (values.json) console.log(JSON.stringify(results, null, 2));
else {
  const r = results.requestsPerAttempt;
  console.log(`API requests per task attempt: ${r.perAttempt.toFixed(2)} beyond the watch (target ≤ 4); ${Object.entries(r.byKind).map(([k, v]) => `${k} ${(v / r.attempts).toFixed(2)}`).join(', ')}, log streams ${(r.logFollowStreams / r.attempts).toFixed(2)}`);
  const t = results.throughput;
  console.log(`${t.tasks} no-op pods at QPS ${results.qps} / burst ${results.burst}: run ${t.status} after ${t.seconds.toFixed(1)} s = ${t.podsPerMinute.toFixed(0)} pods/min; every pod removed after ${t.allPodsRemovedSeconds.toFixed(1)} s = ${t.podsPerMinuteIncludingRemoval.toFixed(0)} pods/min; Argo Workflows publishes 270 workflows/min at the same QPS settings`);
}
