// The example DAGs and the Go project's shell-only samples run to completion through pods; a
// retry gets a new pod with the next attempt number; a failing pod's exit code and log are in
// the store after the pod is gone.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { DagResource, DagTaskResource } from '@kontroler/core';
import { testNamespace } from '@kontroler/kube-agent/testing';
import { listAttempts, loadRun, readLog } from '@kontroler/store';
import { startKubeController, type KubeController } from './controller-harness.js';
import { untilGone } from './helpers.js';
import { compatDir, repoRoot, yamlFilesUnder } from '@kontroler/testing';
import { readYamlDocs } from './repo.js';

const ns = await testNamespace('examples');
let kc: KubeController;
before(async () => {
  kc = await startKubeController(ns.name, 'kube-examples');
});
after(() => kc.stop());

async function podsGone(runId: number): Promise<void> {
  const detail = await loadRun(kc.db.pool, runId);
  for (const t of [...detail!.state.tasks.values()]) {
    for (const a of t.attempts) await untilGone(ns.kc, `/api/v1/namespaces/${ns.name}/pods`, a.handle!.split('/')[1]!);
  }
}

async function logOf(runId: number, task: string, attempt: number): Promise<string> {
  return (await readLog(kc.db.pool, { runId, task, attempt })).data.toString();
}

test('the example DAGs run to completion through pods, and their pods are removed afterwards', async () => {
  for (const file of yamlFilesUnder(join(repoRoot, 'examples'))) for (const doc of readYamlDocs(file)) await kc.apply(doc as unknown as DagResource);
  const [chain, fan, retries, minute] = await Promise.all([
    kc.run('hello-chain'),
    kc.run('fan-out-fan-in'),
    kc.run('retries-and-parameters', { GREETING: 'hi' }),
    kc.run('every-minute'),
  ]);
  for (const r of [chain, fan, retries, minute]) assert.equal(r.status, 'succeeded', `${r.dagName}: ${JSON.stringify((await loadRun(kc.db.pool, r.id))?.state.tasks)}`);
  assert.equal(await logOf(chain.id, 'transform', 1), 'transforming\nstep 1\nstep 2\nstep 3\n');
  assert.equal(await logOf(retries.id, 'greet', 1), 'hi, world\n');

  // The retry is a new pod with the next attempt number; both attempts are recorded.
  const flaky = await listAttempts(kc.db.pool, retries.id, 'flaky');
  assert.deepEqual(flaky.map((a) => [a.attempt, a.status, a.exitCode]), [[1, 'failed', 1], [2, 'succeeded', 0]]);
  assert.deepEqual(flaky.map((a) => a.handle), [`${ns.name}/kr-${retries.id}-flaky-1`, `${ns.name}/kr-${retries.id}-flaky-2`]);
  assert.equal(await logOf(retries.id, 'flaky', 1), 'attempt 1 fails on purpose\n');
  assert.equal(await logOf(retries.id, 'flaky', 2), 'attempt 2 succeeds\n');
  await Promise.all([chain, fan, retries, minute].map((r) => podsGone(r.id)));
});

test('the data pipeline runs through pods: outputs through termination messages, a map of instance pods, reduced outputs, a condition', async () => {
  for (const doc of readYamlDocs(join(repoRoot, 'examples', 'data-pipeline.yaml'))) await kc.apply(doc as unknown as DagResource);
  const run = await kc.run('data-pipeline');
  const d = (await loadRun(kc.db.pool, run.id))!;
  assert.equal(run.status, 'succeeded', JSON.stringify([...d.state.tasks.values()]));
  assert.deepEqual(d.state.tasks.get('list')?.attempts[0]?.outputs, { files: '["alpha", "beta", "gamma", "delta"]' });
  assert.equal(d.state.tasks.get('size')?.instances, 4);
  assert.deepEqual([0, 1, 2, 3].map((k) => d.state.tasks.get(`size[${k}]`)?.attempts[0]?.outputs), [{ bytes: '5' }, { bytes: '4' }, { bytes: '5' }, { bytes: '5' }]);
  assert.match(d.state.tasks.get('size[2]')?.attempts[0]?.handle ?? '', new RegExp(`^${ns.name}/kr-${run.id}-size`), 'each instance is a pod');
  assert.equal(await logOf(run.id, 'size[1]', 1), 'beta: 4 bytes\n');
  assert.deepEqual(d.state.tasks.get('measure')?.attempts[0]?.outputs, { total: '19' });
  assert.equal(d.state.tasks.get('small-batch')?.reason, 'ConditionFalse');
  assert.deepEqual(d.state.outputs, { total: '19' });
  await podsGone(run.id);
});

test("a failing pod's exit code and log are in the store after the pod is gone", async () => {
  await kc.apply({
    apiVersion: 'kontroler.greedykomodo/v1alpha1',
    kind: 'DAG',
    metadata: { name: 'fails' },
    spec: { task: [{ name: 'boom', image: 'alpine', script: 'echo "about to fail"; echo "on stderr" >&2; exit 7', backoff: { limit: 1 } }] },
  });
  const run = await kc.run('fails');
  assert.equal(run.status, 'failed');
  await podsGone(run.id);
  const attempts = await listAttempts(kc.db.pool, run.id, 'boom');
  assert.deepEqual(attempts.map((a) => [a.attempt, a.status, a.exitCode, a.reason]), [[1, 'failed', 7, 'Error'], [2, 'failed', 7, 'Error']]);
  for (const a of [1, 2]) assert.equal(await logOf(run.id, 'boom', a), 'about to fail\non stderr\n');
});

test("the Go project's samples that use only shell commands run to completion through pods", async () => {
  await ns.core.createNamespacedSecret({ namespace: ns.name, body: { metadata: { name: 'secret-name' }, stringData: { secret: 'from-secret' } } });
  await ns.core.createNamespacedPersistentVolumeClaim({
    namespace: ns.name,
    body: { metadata: { name: 'example-claim' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } },
  });
  const samples = join(compatDir(), 'kontroler-samples');
  for (const f of yamlFilesUnder(join(samples, 'dagTasks'))) for (const d of readYamlDocs(f)) if (d.kind === 'DagTask') await kc.apply(d as unknown as DagTaskResource);
  const names: string[] = [];
  for (const f of [...yamlFilesUnder(join(samples, 'dags')), join(samples, 'sample-dsl-dag.yaml'), join(samples, 'test-alpine-fail-dag.yaml')]) {
    const text = readFileSync(f, 'utf8');
    // Not shell-only: minutes-long sleeps (timeout samples) and git clones.
    if (/sleep 5m|git clone|alpine\/git/.test(text)) continue;
    for (const d of readYamlDocs(f)) {
      if (d.kind !== 'DAG') continue;
      const name = basename(f, '.yaml').replace(/^kontroler_v1alpha1_/, '').replace(/_/g, '-').toLowerCase();
      const dag = d as unknown as DagResource;
      await kc.apply({ ...dag, metadata: { ...dag.metadata, name } });
      names.push(name);
    }
  }
  assert.ok(names.length >= 8, names.join(' '));
  const runs = await Promise.all(names.map((n) => kc.run(n)));
  const expectFail = new Set(['test-alpine-fail-dag']);
  for (const r of runs) {
    const want = expectFail.has(r.dagName) ? 'failed' : 'succeeded';
    assert.equal(r.status, want, `${r.dagName}: ${JSON.stringify((await loadRun(kc.db.pool, r.id))?.state.tasks)}`);
  }
});
