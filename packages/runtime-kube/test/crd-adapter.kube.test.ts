// The CRD adapter against the real apiserver: DAG and DagTask objects become versions in the
// store with a status saying so (or why not); a DagRun starts a run (parameters, fromSecret) and
// its status follows the run; a DagRun naming an unknown DAG fails with a clear message; runs
// started elsewhere appear as DagRun objects; pods are owned by their DagRun; deleting a DAG
// keeps its history.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesObject, V1Pod } from '@kubernetes/client-node';
import { Controller, runtimeReadsSecrets, silentLog } from '@kontroler/controller';
import { startReflector, testNamespace, waitFor, type Reflector } from '@kontroler/kube-agent/testing';
import { CrdAdapter, KubePodRuntime, type KubeClient } from '@kontroler/runtime-kube';

type CustomObject = KubernetesObject & { spec?: Record<string, unknown>; status?: Record<string, unknown> };
import { createTestDatabase, getDag, listRuns, readLog, startRun, type TestDatabase } from '@kontroler/store';
import { GROUP_PATH, installCrds } from './crds.js';
import { testClient, untilGone } from './helpers.js';

const ns = await testNamespace('crd-adapter');
const path = (plural: string): string => `${GROUP_PATH}/namespaces/${ns.name}/${plural}`;
let db: TestDatabase;
let client: KubeClient;
let adapter: CrdAdapter;
let runtime: KubePodRuntime;
let controller: Controller;
const pods: V1Pod[] = [];
let podWatch: Reflector;

before(async () => {
  client = testClient();
  await installCrds(client);
  db = await createTestDatabase();
  const log = { info: () => undefined, warn: (m: string) => process.stderr.write(`${m}\n`), error: (m: string) => process.stderr.write(`${m}\n`) };
  adapter = new CrdAdapter({ client, pool: db.pool, databaseUrl: db.url, namespaces: [ns.name], log, dagRunGraceMs: 1000, statusIntervalMs: 200 });
  runtime = new KubePodRuntime({ client, namespaces: [ns.name], owner: (id, n) => adapter.ownerOf(id, n) });
  controller = new Controller({ pool: db.pool, databaseUrl: db.url, runtime, id: 'crd-adapter-test', log: silentLog, secrets: runtimeReadsSecrets, pollMs: 1000 });
  await adapter.start();
  adapter.setLeading(true);
  await controller.start();
  podWatch = startReflector<V1Pod>({
    kubeConfig: ns.kc,
    path: `/api/v1/namespaces/${ns.name}/pods`,
    list: async () => ({ items: [], resourceVersion: '0' }),
    onEvent: (e) => {
      if (e.type === 'ADDED') pods.push(e.object);
    },
  });
});
after(async () => {
  await podWatch.stop();
  await controller.stop();
  await runtime.close();
  await adapter.stop();
  await db.drop();
});

function create(plural: string, obj: Record<string, unknown>): Promise<CustomObject> {
  return client.request<CustomObject>('POST', path(plural), { body: { apiVersion: 'kontroler.greedykomodo/v1alpha1', ...obj } });
}

function until(plural: string, name: string, pred: (o: CustomObject) => boolean, what: string): Promise<CustomObject> {
  return waitFor<CustomObject>(ns.kc, { path: path(plural), fieldSelector: `metadata.name=${name}` }, (o, type) => type !== 'DELETED' && pred(o), { what: `${plural}/${name}: ${what}`, timeoutMs: 120_000 });
}

const chain = {
  kind: 'DAG',
  metadata: { name: 'chain' },
  spec: {
    parameters: [{ name: 'GREETING', defaultValue: 'hello' }, { name: 'TOKEN', defaultFromSecret: 'token' }],
    task: [
      { name: 'a', image: 'alpine', command: ['sh', '-c', 'echo "$GREETING"'], parameters: ['GREETING'] },
      { name: 'b', image: 'alpine', runAfter: ['a'], script: 'echo "token=$TOKEN"', parameters: ['TOKEN'] },
    ],
  },
};

test('a DAG object becomes a stored version; an edit a new one; an invalid edit is reported with field paths and keeps the last good version', async () => {
  await create('dags', chain);
  const ok = await until('dags', 'chain', (o) => o.status?.phase === 'Successful', 'Successful');
  assert.equal(ok.status?.version, 1);
  assert.equal(ok.status?.observedGeneration, ok.metadata?.generation);
  const dag = await getDag(db.pool, ns.name, 'chain');
  assert.equal(dag?.source, 'kubernetes');

  const cyclic = await create('dags', {
    kind: 'DAG',
    metadata: { name: 'cyclic' },
    spec: { task: [{ name: 'x', image: 'a', command: ['true'], runAfter: ['y'] }, { name: 'y', image: 'a', command: ['true'], runAfter: ['x'] }] },
  });
  const bad = await until('dags', 'cyclic', (o) => o.status?.phase === 'Failed', 'Failed');
  assert.equal(bad.metadata?.uid, cyclic.metadata?.uid);
  const errors = bad.status?.errors as Array<{ path: string; message: string }>;
  assert.ok(errors.some((e) => e.path.startsWith('spec.task') && /cycle/.test(e.message)), JSON.stringify(errors));
  assert.equal(await getDag(db.pool, ns.name, 'cyclic'), undefined);
});

test('a DagRun starts a run with its parameters (fromSecret read by the pod); its status follows the run; its pods are owned by it', async () => {
  await ns.core.createNamespacedSecret({ namespace: ns.name, body: { metadata: { name: 'token' }, stringData: { secret: 'default-token' } } });
  await ns.core.createNamespacedSecret({ namespace: ns.name, body: { metadata: { name: 'other-token' }, stringData: { secret: 'run-token' } } });
  await until('dags', 'chain', (o) => o.status?.phase === 'Successful', 'Successful');
  const dr = await create('dagruns', {
    kind: 'DagRun',
    metadata: { name: 'chain-run-1' },
    spec: { dagName: 'chain', parameters: [{ name: 'GREETING', value: 'hi there' }, { name: 'TOKEN', fromSecret: 'other-token' }] },
  });
  const done = await until('dagruns', 'chain-run-1', (o) => o.status?.phase === 'Succeeded', 'Succeeded');
  const runId = done.status?.dagRunId as number;
  assert.ok(runId > 0);
  assert.equal(done.status?.progress, '2/2');
  const tasks = done.status?.tasks as Array<{ name: string; phase: string; attempts: number; exitCode: number; pod: string }>;
  assert.deepEqual(tasks.map((t) => [t.name, t.phase, t.attempts, t.exitCode]), [['a', 'Succeeded', 1, 0], ['b', 'Succeeded', 1, 0]]);
  assert.equal(tasks[0]?.pod, `kr-${runId}-a-1`);
  assert.ok(done.status?.startTime && done.status.completionTime);
  assert.equal((await readLog(db.pool, { runId, task: 'a', attempt: 1 })).data.toString(), 'hi there\n');
  assert.equal((await readLog(db.pool, { runId, task: 'b', attempt: 1 })).data.toString(), 'token=run-token\n');
  const runPods = pods.filter((p) => p.metadata?.labels?.['kontroler.greedykomodo/run-id'] === String(runId));
  assert.equal(runPods.length, 2);
  for (const p of runPods) assert.deepEqual(p.metadata?.ownerReferences?.map((r) => [r.kind, r.name, r.uid]), [['DagRun', 'chain-run-1', dr.metadata?.uid]]);
  const dag = await until('dags', 'chain', (o) => JSON.stringify(o.status?.lastRun ?? {}).includes(`"id":${runId},`) && (o.status?.lastRun as { phase?: string }).phase === 'Succeeded', 'lastRun Succeeded');
  assert.ok((dag.status?.lastRun as { startTime?: string }).startTime);
});

test('a DagRun naming an unknown DAG gets a failed status with a clear message', async () => {
  await create('dagruns', { kind: 'DagRun', metadata: { name: 'orphan' }, spec: { dagName: 'no-such-dag' } });
  const failed = await until('dagruns', 'orphan', (o) => o.status?.phase === 'Failed', 'Failed');
  assert.match(String(failed.status?.message), /DAG "no-such-dag" not found in namespace crd-adapter-[0-9a-f]+: apply the DAG first/);
  await create('dagruns', { kind: 'DagRun', metadata: { name: 'bad-param' }, spec: { dagName: 'chain', parameters: [{ name: 'NOPE', value: 'x' }] } });
  const bad = await until('dagruns', 'bad-param', (o) => o.status?.phase === 'Failed', 'Failed');
  assert.match(String(bad.status?.message), /NOPE.*unknown parameter/);
});

test('a run started from the API appears as a DagRun object, annotated with its run id, and is not started twice', async () => {
  await until('dags', 'chain', (o) => o.status?.phase === 'Successful', 'Successful');
  const { run } = await startRun(db.pool, { namespace: ns.name, dagName: 'chain', trigger: 'api' });
  const obj = await until('dagruns', `chain-${run.id}`, (o) => o.status?.phase === 'Succeeded', 'Succeeded');
  assert.equal(obj.metadata?.annotations?.['kontroler.greedykomodo/run-id'], String(run.id));
  assert.equal(obj.status?.dagRunId, run.id);
  await adapter.idle();
  const runs = await listRuns(db.pool, { namespace: ns.name, dagName: 'chain' });
  assert.equal(runs.filter((r) => r.id === run.id || r.name === `chain-${run.id}`).length, 1, 'the mirrored DagRun did not start a second run');
});

test('a DagTask becomes a version that DAGs reference; deleting a DAG object keeps its run history', async () => {
  await create('dagtasks', { kind: 'DagTask', metadata: { name: 'shared' }, spec: { image: 'alpine', command: ['echo', 'from dagtask'] } });
  const dt = await until('dagtasks', 'shared', (o) => o.status?.phase === 'Successful', 'Successful');
  assert.equal(dt.status?.version, 1);
  await create('dags', { kind: 'DAG', metadata: { name: 'uses-ref' }, spec: { task: [{ name: 'r', taskRef: { name: 'shared', version: 1 } }] } });
  await until('dags', 'uses-ref', (o) => o.status?.phase === 'Successful', 'Successful');
  await create('dagruns', { kind: 'DagRun', metadata: { name: 'ref-run' }, spec: { dagName: 'uses-ref' } });
  const done = await until('dagruns', 'ref-run', (o) => o.status?.phase === 'Succeeded', 'Succeeded');
  const runId = done.status?.dagRunId as number;
  assert.equal((await readLog(db.pool, { runId, task: 'r', attempt: 1 })).data.toString(), 'from dagtask\n');

  await client.request('DELETE', `${path('dags')}/uses-ref`);
  await untilGone(ns.kc, path('dags'), 'uses-ref');
  await adapter.idle();
  for (let i = 0; i < 50 && (await getDag(db.pool, ns.name, 'uses-ref')) !== undefined; i++) await new Promise((r) => setTimeout(r, 100));
  assert.equal(await getDag(db.pool, ns.name, 'uses-ref'), undefined, 'marked deleted');
  assert.ok((await getDag(db.pool, ns.name, 'uses-ref', true))?.deletedAt, 'history kept');
  assert.equal((await listRuns(db.pool, { namespace: ns.name, dagName: 'uses-ref' })).length, 1, 'the run is kept');
});
