// podGC on the real apiserver, wired as `kontroler controller` wires it (the store's facts of a
// run, the sweep): finished task pods stay so `kubectl logs` works after a task ended, their log
// archived in the store all the same and their log finalizer gone; OnPodCompletion deletes them
// deleteAfterSeconds after they ended, OnRunCompletion once the run ended, OnRunSuccess after a
// success — a failed run's pods stay until its DagRun is deleted (they go with it).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesObject, V1Pod } from '@kubernetes/client-node';
import { Controller, runtimeReadsSecrets, silentLog } from '@kontroler/controller';
import { testNamespace, waitFor } from '@kontroler/kube-agent/testing';
import { KubePodRuntime, LOG_FINALIZER, type KubeClient } from '@kontroler/runtime-kube';
import { CrdAdapter } from '@kontroler/kube-operator';
import { getAttempt, readLog, runPodGCFacts } from '@kontroler/store';
import { createTestDatabase, type TestDatabase } from '@kontroler/store/testing';
import { GROUP_PATH, installCrds } from './crds.js';
import { kubectl, testClient, untilGone } from './helpers.js';

type CustomObject = KubernetesObject & { spec?: Record<string, unknown>; status?: Record<string, unknown> };
const API = 'kontroler.greedykomodo/v1alpha1';
const ns = await testNamespace('pod-gc');
const path = (plural: string): string => `${GROUP_PATH}/namespaces/${ns.name}/${plural}`;
const podsPath = `/api/v1/namespaces/${ns.name}/pods`;
let db: TestDatabase;
let client: KubeClient;
let adapter: CrdAdapter;
let runtime: KubePodRuntime;
let controller: Controller;

before(async () => {
  client = testClient();
  await installCrds(client);
  db = await createTestDatabase();
  const log = { info: () => undefined, warn: (m: string) => process.stderr.write(`${m}\n`), error: (m: string) => process.stderr.write(`${m}\n`) };
  adapter = new CrdAdapter({ client, pool: db.pool, databaseUrl: db.url, namespaces: [ns.name], log, statusIntervalMs: 200 });
  runtime = new KubePodRuntime({
    client,
    namespaces: [ns.name],
    killGraceSeconds: 2,
    sweepMs: 300,
    accounted: async (key) => {
      const a = await getAttempt(db.pool, Number(key.runId), key.task, key.attempt);
      return a !== undefined && a.status !== 'starting' && a.status !== 'running';
    },
    podGC: (runId) => runPodGCFacts(db.pool, Number(runId)),
    log: (m) => process.stderr.write(`${m}\n`),
  });
  controller = new Controller({ pool: db.pool, databaseUrl: db.url, runtime, id: 'pod-gc-test', log: silentLog, secrets: runtimeReadsSecrets, pollMs: 1000 });
  await adapter.start();
  adapter.setLeading(true);
  await controller.start();
});
after(async () => {
  await controller.stop();
  await runtime.close();
  await adapter.stop();
  await db.drop();
  client.close();
});

/** Applies the DAG, starts a DagRun of it and resolves with the run id once its condition holds. */
async function run(dag: string, spec: Record<string, unknown>, name: string, condition: 'Succeeded' | 'Failed' | 'Running'): Promise<number> {
  await client.request('POST', path('dags'), { body: { apiVersion: API, kind: 'DAG', metadata: { name: dag }, spec } });
  const ready = await kubectl(['wait', '-n', ns.name, '--for=condition=Ready', `dags.kontroler.greedykomodo/${dag}`, '--timeout=60s']);
  assert.equal(ready.status, 0, ready.stderr);
  await client.request('POST', path('dagruns'), { body: { apiVersion: API, kind: 'DagRun', metadata: { name }, spec: { dagName: dag } } });
  const r = await kubectl(['wait', '-n', ns.name, `--for=condition=${condition}`, `dagruns.kontroler.greedykomodo/${name}`, '--timeout=120s']);
  assert.equal(r.status, 0, r.stderr);
  return (await client.request<CustomObject>('GET', `${path('dagruns')}/${name}`)).status?.dagRunId as number;
}

/** Resolves with the pod once its attempt is recorded and its log finalizer is gone (it is kept). */
function kept(pod: string): Promise<V1Pod> {
  return waitFor<V1Pod>(ns.kc, { path: podsPath, fieldSelector: `metadata.name=${pod}` }, (p, type) => type !== 'DELETED' && !(p.metadata?.finalizers ?? []).includes(LOG_FINALIZER) && p.status?.phase !== 'Running', {
    what: `pod ${pod} kept without its log finalizer`,
  });
}

async function logsOf(pod: string): Promise<string> {
  const r = await kubectl(['logs', '-n', ns.name, pod]);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

test('OnPodCompletion with deleteAfterSeconds: the pod stays for kubectl logs, its log is archived, then it goes', async () => {
  const id = await run('keep', { podGC: { strategy: 'OnPodCompletion', deleteAfterSeconds: 4 }, task: [{ name: 'hello', image: 'alpine', command: ['sh', '-c', 'echo hello'] }] }, 'keep-1', 'Succeeded');
  const pod = `kr-${id}-hello-1`;
  const p = await kept(pod);
  assert.equal(await logsOf(pod), 'hello\n', 'kubectl logs after the task ended');
  assert.equal((await readLog(db.pool, { runId: id, task: 'hello', attempt: 1 })).data.toString(), 'hello\n', 'archived all the same');
  const ended = new Date(p.status?.containerStatuses?.[0]?.state?.terminated?.finishedAt ?? 0).getTime();
  await untilGone(ns.kc, podsPath, pod, 60_000);
  const waited = Date.now() - ended;
  assert.ok(waited >= 3000, `deleted ${waited} ms after it ended (deleteAfterSeconds 4; the container's end is in whole seconds)`);
});

test('OnRunCompletion: a finished pod stays while the run still runs, and goes when the run ended', async () => {
  const spec = {
    podGC: { strategy: 'OnRunCompletion' },
    task: [
      { name: 'first', image: 'alpine', command: ['sh', '-c', 'echo first'] },
      { name: 'second', image: 'alpine', command: ['sh', '-c', 'sleep 4'], runAfter: ['first'] },
    ],
  };
  const id = await run('chain', spec, 'chain-1', 'Running');
  const first = `kr-${id}-first-1`;
  await kept(first);
  const second = await waitFor<V1Pod>(ns.kc, { path: podsPath, fieldSelector: `metadata.name=kr-${id}-second-1` }, () => true, { what: 'the second pod' });
  assert.equal(second.status?.phase === 'Succeeded' || second.status?.phase === 'Failed', false, 'the run still runs');
  assert.equal(await logsOf(first), 'first\n');
  const done = await kubectl(['wait', '-n', ns.name, '--for=condition=Succeeded', 'dagruns.kontroler.greedykomodo/chain-1', '--timeout=60s']);
  assert.equal(done.status, 0, done.stderr);
  await untilGone(ns.kc, podsPath, first, 60_000);
  await untilGone(ns.kc, podsPath, `kr-${id}-second-1`, 60_000);
});

test('OnRunSuccess: a failed run keeps its pods until its DagRun is deleted; a succeeded one’s go', async () => {
  const bad = await run('bad', { podGC: { strategy: 'OnRunSuccess' }, task: [{ name: 'boom', image: 'alpine', command: ['sh', '-c', 'echo broken; exit 3'] }] }, 'bad-1', 'Failed');
  const badPod = `kr-${bad}-boom-1`;
  await kept(badPod);
  // A succeeded run under the same policy, after the failed one: once its pod is gone, sweeps have
  // looked at the failed run's pod since that run ended.
  const good = await run('good', { podGC: { strategy: 'OnRunSuccess' }, task: [{ name: 'fine', image: 'alpine', command: ['true'] }] }, 'good-1', 'Succeeded');
  await untilGone(ns.kc, podsPath, `kr-${good}-fine-1`, 60_000);
  const still = await client.request<V1Pod>('GET', `${podsPath}/${badPod}`);
  assert.equal(still.metadata?.deletionTimestamp, undefined, 'the failed run’s pod is kept');
  assert.equal(still.metadata?.ownerReferences?.[0]?.kind, 'DagRun');
  assert.equal(await logsOf(badPod), 'broken\n');
  await client.request('DELETE', `${path('dagruns')}/bad-1`);
  await untilGone(ns.kc, podsPath, badPod, 60_000);
});

test('an invalid podGC is refused with the field named', async () => {
  const r = await kubectl(['apply', '-n', ns.name, '-f', '-'], JSON.stringify({ apiVersion: API, kind: 'DAG', metadata: { name: 'nope' }, spec: { podGC: { strategy: 'Sometimes', deleteAfterSeconds: 9_000_000 }, task: [{ name: 'a', image: 'alpine', command: ['true'] }] } }));
  assert.equal(r.status, 0, r.stderr);
  const w = await kubectl(['wait', '-n', ns.name, '--for=condition=Ready=false', 'dags.kontroler.greedykomodo/nope', '--timeout=60s']);
  assert.equal(w.status, 0, w.stderr);
  const dag = await client.request<CustomObject>('GET', `${path('dags')}/nope`);
  const errors = (dag.status?.errors as Array<{ path: string; message: string }>).map((e) => e.path);
  assert.deepEqual(errors.sort(), ['spec.podGC.deleteAfterSeconds', 'spec.podGC.strategy']);
});
