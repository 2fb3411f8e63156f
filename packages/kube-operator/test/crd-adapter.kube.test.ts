// The CRD adapter against the real apiserver: DAG and DagTask objects become versions in the
// store with a status saying so (or why not); a DagRun starts a run (parameters, fromSecret) and
// its status follows the run; a DagRun naming an unknown DAG fails with a clear message; runs
// started elsewhere appear as DagRun objects; pods are owned by their DagRun; deleting a DAG
// keeps its history; an ended DagRun's status is not recomputed on every event; a DagRun is held
// by its finalizer while its run is active: deleting it cancels the run first (also when the
// controller was down during the delete), and its history and log stay.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesObject, V1Pod } from '@kubernetes/client-node';
import { Controller, runtimeReadsSecrets, silentLog } from '@kontroler/controller';
import { startReflector, testNamespace, waitFor, type Reflector } from '@kontroler/kube-agent/testing';
import { KubePodRuntime, type KubeClient } from '@kontroler/runtime-kube';
import { CrdAdapter, DAGRUN_FINALIZER, type CrdAdapterOptions } from '@kontroler/kube-operator';

type CustomObject = KubernetesObject & { spec?: Record<string, unknown>; status?: Record<string, unknown> };
import { getDag, getRun, listAttempts, listRuns, readLog, startRun } from '@kontroler/store';
import { createTestDatabase, type TestDatabase } from '@kontroler/store/testing';
import { GROUP_PATH, installCrds } from './crds.js';
import { kubectl, testClient, untilGone } from './helpers.js';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeClient as Client } from '@kontroler/runtime-kube';

const ns = await testNamespace('crd-adapter');
const path = (plural: string): string => `${GROUP_PATH}/namespaces/${ns.name}/${plural}`;
let db: TestDatabase;
let client: KubeClient;
let adapter: CrdAdapter;
let runtime: KubePodRuntime;
let controller: Controller;
const pods: V1Pod[] = [];
let podWatch: Reflector;

let adapterOptions: CrdAdapterOptions;

before(async () => {
  client = testClient();
  await installCrds(client);
  db = await createTestDatabase();
  const log = { info: () => undefined, warn: (m: string) => process.stderr.write(`${m}\n`), error: (m: string) => process.stderr.write(`${m}\n`) };
  adapterOptions = { client, pool: db.pool, databaseUrl: db.url, namespaces: [ns.name], log, dagRunGraceMs: 1000, statusIntervalMs: 200 };
  adapter = new CrdAdapter(adapterOptions);
  runtime = new KubePodRuntime({ client, namespaces: [ns.name] });
  controller = new Controller({ pool: db.pool, databaseUrl: db.url, runtime, id: 'crd-adapter-test', log: silentLog, secrets: runtimeReadsSecrets, pollMs: 1000 });
  await adapter.start();
  adapter.setLeading(true);
  await controller.start();
  podWatch = startReflector<V1Pod>({
    kubeConfig: ns.kc,
    path: `/api/v1/namespaces/${ns.name}/pods`,
    resourceVersion: '0',
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

test('kubectl get dags -o wide: a schedule written in the DSL, the next fire time as a time (not <invalid>); suspended: no next fire time', async () => {
  const dsl = 'schedule "0 3 * * *"\ntask only { image "alpine" command ["true"] }\n';
  await create('dags', { kind: 'DAG', metadata: { name: 'nightly' }, spec: { dsl } });
  const ok = await until('dags', 'nightly', (o) => o.status?.phase === 'Successful', 'Successful');
  assert.equal(ok.status?.schedule, '0 3 * * *');
  assert.ok(Date.parse(String(ok.status?.nextFireTime)) > Date.now(), 'in the future');
  const wide = await kubectl(['get', 'dags', 'nightly', '-n', ns.name, '-o', 'wide']);
  assert.equal(wide.status, 0, wide.stderr);
  const [head = '', row = ''] = wide.stdout.trim().split('\n');
  const cell = (name: string): string => row.slice(head.indexOf(name)).split(/\s{2,}/)[0] ?? '';
  assert.equal(cell('SCHEDULE'), '0 3 * * *');
  assert.equal(cell('NEXT'), ok.status?.nextFireTime, 'the time itself');
  assert.doesNotMatch(wide.stdout, /<invalid>/);

  await client.request('PATCH', `${path('dags')}/nightly`, { contentType: 'application/merge-patch+json', body: { spec: { suspended: true } } });
  const suspended = await until('dags', 'nightly', (o) => o.status?.suspended === true, 'suspended');
  assert.equal(suspended.status?.nextFireTime, undefined, 'nothing fires while suspended');
  assert.equal(suspended.status?.schedule, '0 3 * * *');
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
  assert.deepEqual([done.status?.taskTotal, (done.status?.taskCounts as Record<string, number>).succeeded, done.status?.runPath], [2, 2, `/api/v1/runs/${runId}`]);
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

/** How long one deletion may take here: the kill grace (5 s) and the run's end, with room for a loaded machine. */
const DELETION_BOUND_MS = 45_000;

/** A fresh adapter, as a restarted controller has (the old one stopped). */
async function restartAdapter(): Promise<void> {
  adapter = new CrdAdapter(adapterOptions);
  await adapter.start();
  adapter.setLeading(true);
}

function finalizers(o: CustomObject): string[] {
  return o.metadata?.finalizers ?? [];
}

async function dropFinalizerByHand(name: string): Promise<void> {
  const o = await client.request<CustomObject>('GET', `${path('dagruns')}/${name}`);
  const idx = finalizers(o).indexOf(DAGRUN_FINALIZER);
  assert.ok(idx >= 0, `${name} holds ${DAGRUN_FINALIZER}`);
  await client.request('PATCH', `${path('dagruns')}/${name}`, { contentType: 'application/json-patch+json', body: [{ op: 'remove', path: `/metadata/finalizers/${idx}` }] });
}

/** Starts a DagRun of the slow DAG and resolves once its container runs and its line is in the store. */
async function runningSlow(name: string): Promise<number> {
  await until('dags', 'slow', (o) => o.status?.phase === 'Successful', 'Successful');
  await create('dagruns', { kind: 'DagRun', metadata: { name }, spec: { dagName: 'slow' } });
  const running = await until('dagruns', name, (o) => ((o.status?.tasks as Array<{ phase: string }> | undefined) ?? []).some((t) => t.phase === 'Running'), 'task running');
  const runId = running.status?.dagRunId as number;
  await waitFor<V1Pod>(ns.kc, { path: `/api/v1/namespaces/${ns.name}/pods`, fieldSelector: `metadata.name=kr-${runId}-wait-1` }, (p) => p.status?.containerStatuses?.[0]?.state?.running !== undefined, {
    what: 'the container runs',
    timeoutMs: 60_000,
  });
  // A container that just started may not have printed yet: a cancel then leaves an empty log.
  for (const deadline = Date.now() + 30_000; (await readLog(db.pool, { runId, task: 'wait', attempt: 1 })).data.toString() !== 'waiting\n'; ) {
    assert.ok(Date.now() < deadline, `run ${runId}: "waiting" reached the store within 30 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return runId;
}

/** The run ended canceled, with its one attempt and the log it wrote before the cancel. */
async function assertCanceledWithHistory(runId: number): Promise<void> {
  const attempts = await listAttempts(db.pool, runId, 'wait');
  // The attempts say why, should the run have ended otherwise (e.g. its pod failed or vanished).
  assert.equal((await getRun(db.pool, runId))?.status, 'canceled', `the run ended before its DagRun went; attempts: ${JSON.stringify(attempts)}`);
  assert.equal(attempts.length, 1);
  assert.equal((await readLog(db.pool, { runId, task: 'wait', attempt: 1 })).data.toString(), 'waiting\n');
}

/**
 * A DagRun that went without our finalizer (removed by hand, or no permission to add it) takes its
 * pods with it: the garbage collector deletes the pods it owns. The run then ends canceled (our
 * cancel came first) or failed with its attempt PodDeleted (the collector came first); either
 * way it ends, with its attempt and log kept.
 */
async function assertEndedWithHistory(runId: number): Promise<void> {
  const attempts = await listAttempts(db.pool, runId, 'wait');
  const status = (await getRun(db.pool, runId))?.status;
  assert.ok(status === 'canceled' || (status === 'failed' && attempts[0]?.reason === 'PodDeleted'), `run ${runId} ended ${status}; attempts: ${JSON.stringify(attempts)}`);
  assert.equal(attempts.length, 1);
  assert.equal((await readLog(db.pool, { runId, task: 'wait', attempt: 1 })).data.toString(), 'waiting\n');
}

test('an ended DagRun holds its finalizer; its status is not recomputed on every event; deleting it removes the finalizer at once', async () => {
  const done = await until('dagruns', 'chain-run-1', (o) => o.status?.phase === 'Succeeded', 'Succeeded');
  assert.deepEqual(finalizers(done), [DAGRUN_FINALIZER], 'held since before its run started');
  await adapter.idle();
  const before = adapter.counters;
  await client.request('PATCH', `${path('dagruns')}/chain-run-1`, { contentType: 'application/merge-patch+json', body: { metadata: { labels: { touched: 'yes' } } } });
  const deadline = Date.now() + 30_000;
  while (adapter.counters.dagRunReconciles === before.dagRunReconciles) {
    assert.ok(Date.now() < deadline, 'the label change reached the adapter within 30 s');
    await new Promise((r) => setTimeout(r, 20));
  }
  await adapter.idle();
  assert.equal(adapter.counters.runStatusComputations, before.runStatusComputations, 'the run of an ended DagRun was not loaded again');

  const t0 = Date.now();
  await client.request('DELETE', `${path('dagruns')}/chain-run-1`);
  await untilGone(ns.kc, path('dagruns'), 'chain-run-1', DELETION_BOUND_MS);
  process.stderr.write(`crd adapter test: an ended DagRun went ${Date.now() - t0} ms after its delete\n`);
  await adapter.idle(); // the DELETED event can come before the adapter has the answer to its patch
  assert.equal(adapter.counters.finalizersRemoved, before.finalizersRemoved + 1);
  assert.equal(adapter.counters.deletionCancels, before.deletionCancels, 'nothing to cancel');
  assert.equal((await getRun(db.pool, done.status?.dagRunId as number))?.status, 'succeeded', 'its run is kept');

  // A DagRun whose DAG does not exist never got a run: nothing to cancel either.
  const orphan = await until('dagruns', 'orphan', (o) => o.status?.phase === 'Failed', 'Failed');
  assert.deepEqual(finalizers(orphan), [DAGRUN_FINALIZER]);
  await client.request('DELETE', `${path('dagruns')}/orphan`);
  await untilGone(ns.kc, path('dagruns'), 'orphan', DELETION_BOUND_MS);
  assert.equal(adapter.counters.deletionCancels, before.deletionCancels);
});

/** The Events of the object with `uid`, once one satisfies `pred` (watched, not polled). */
async function eventsOf(uid: string, pred: (e: CoreEvent) => boolean, what: string): Promise<CoreEvent[]> {
  const evPath = `/api/v1/namespaces/${ns.name}/events`;
  await waitFor<CoreEvent>(ns.kc, { path: evPath, fieldSelector: `involvedObject.uid=${uid}` }, (e, type) => type !== 'DELETED' && pred(e), { what, timeoutMs: 60_000 });
  const list = await client.request<{ items: CoreEvent[] }>('GET', evPath, { query: { fieldSelector: `involvedObject.uid=${uid}` } });
  return list.items;
}
type CoreEvent = KubernetesObject & { reason?: string; type?: string; message?: string };

test('Events: a fast run gets RunStarted and RunSucceeded, each once; an invalid DAG and an unknown parameter are told; a DagRun re-created under a used name is refused, not shown the old run', async () => {
  await create('dags', { kind: 'DAG', metadata: { name: 'quick' }, spec: { task: [{ name: 'q', image: 'alpine', command: ['true'] }] } });
  await until('dags', 'quick', (o) => o.status?.phase === 'Successful', 'Successful');
  const first = await create('dagruns', { kind: 'DagRun', metadata: { name: 'quick-1' }, spec: { dagName: 'quick' } });
  const done = await until('dagruns', 'quick-1', (o) => o.status?.phase === 'Succeeded', 'Succeeded');
  const events = await eventsOf(first.metadata!.uid!, (e) => e.reason === 'RunSucceeded', 'RunSucceeded');
  await adapter.idle();
  const again = (await client.request<{ items: CoreEvent[] }>('GET', `/api/v1/namespaces/${ns.name}/events`, { query: { fieldSelector: `involvedObject.uid=${first.metadata!.uid!}` } })).items;
  // Each once (the apiserver lists Events by name, not by time: their order is not kept).
  assert.deepEqual(again.map((e) => e.reason).filter((r) => r?.startsWith('Run')).sort(), ['RunStarted', 'RunSucceeded'], `each once: ${JSON.stringify(events.map((e) => e.reason))}`);

  const cyclic = await client.request<CustomObject>('GET', `${path('dags')}/cyclic`);
  const invalid = await eventsOf(cyclic.metadata!.uid!, (e) => e.reason === 'Invalid', 'Invalid on the cyclic DAG');
  assert.match(String(invalid.find((e) => e.reason === 'Invalid')?.message), /cycle/);
  assert.equal(invalid.find((e) => e.reason === 'Invalid')?.type, 'Warning');
  const badParam = await client.request<CustomObject>('GET', `${path('dagruns')}/bad-param`);
  const unknown = await eventsOf(badParam.metadata!.uid!, (e) => e.reason === 'UnknownParameter', 'UnknownParameter');
  assert.match(String(unknown.find((e) => e.reason === 'UnknownParameter')?.message), /NOPE/);

  // Deleted, then created again under the same name: another object, refused with what to do.
  await client.request('DELETE', `${path('dagruns')}/quick-1`);
  await untilGone(ns.kc, path('dagruns'), 'quick-1', DELETION_BOUND_MS);
  const second = await create('dagruns', { kind: 'DagRun', metadata: { name: 'quick-1' }, spec: { dagName: 'quick' } });
  const refused = await until('dagruns', 'quick-1', (o) => o.metadata?.uid === second.metadata?.uid && o.status?.phase === 'Failed', 'Failed');
  assert.match(String(refused.status?.message), new RegExp(`the name "quick-1" belongs to run ${done.status?.dagRunId}, started by an earlier DagRun of that name .*create this DagRun under another name`));
  assert.equal(refused.status?.dagRunId, undefined, 'not the old run');
  const told = await eventsOf(second.metadata!.uid!, (e) => e.reason === 'NameInUse', 'NameInUse');
  assert.ok(!told.some((e) => e.reason?.startsWith('Run')), 'no run events for the old run on the new object');
  await client.request('DELETE', `${path('dagruns')}/quick-1`);
  await untilGone(ns.kc, path('dagruns'), 'quick-1', DELETION_BOUND_MS);
});

test('deleting a running DagRun cancels its run and keeps its history and log', { timeout: 120_000 }, async () => {
  await create('dags', { kind: 'DAG', metadata: { name: 'slow' }, spec: { task: [{ name: 'wait', image: 'alpine', script: 'echo waiting; exec sleep 600' }] } });
  const runId = await runningSlow('slow-1');
  const t0 = Date.now();
  await client.request('DELETE', `${path('dagruns')}/slow-1`);
  // The finalizer is removed only once the run has ended: when the object is gone, the run is over.
  await untilGone(ns.kc, path('dagruns'), 'slow-1', DELETION_BOUND_MS);
  process.stderr.write(`crd adapter test: a running DagRun went ${Date.now() - t0} ms after its delete (kill grace 5 s)\n`);
  await assertCanceledWithHistory(runId);
});

test('a DagRun deleted while the controller is down waits terminating; the controller cancels its run when it is back; DagRuns from before the finalizer get it', { timeout: 180_000 }, async () => {
  const runId = await runningSlow('slow-2');
  // As if made before the finalizer existed: a restarted controller puts it on the active run's object.
  await adapter.stop();
  await dropFinalizerByHand('slow-2');
  await restartAdapter();
  await until('dagruns', 'slow-2', (o) => finalizers(o).includes(DAGRUN_FINALIZER), 'finalizer added to an active DagRun from before');

  await adapter.stop();
  await client.request('DELETE', `${path('dagruns')}/slow-2`);
  const held = await client.request<CustomObject>('GET', `${path('dagruns')}/slow-2`);
  assert.ok(held.metadata?.deletionTimestamp, 'terminating');
  assert.deepEqual(finalizers(held), [DAGRUN_FINALIZER], 'held while no controller runs');
  assert.equal((await getRun(db.pool, runId))?.status, 'running', 'not canceled while no controller saw the delete');
  await restartAdapter();
  await untilGone(ns.kc, path('dagruns'), 'slow-2', DELETION_BOUND_MS);
  await assertCanceledWithHistory(runId);

  // Its finalizer removed by hand while no controller ran: the object is gone at once, and the
  // controller cancels the run of the missing object when it is back.
  const orphanId = await runningSlow('slow-3');
  await adapter.stop();
  await dropFinalizerByHand('slow-3');
  await client.request('DELETE', `${path('dagruns')}/slow-3`);
  await untilGone(ns.kc, path('dagruns'), 'slow-3', 10_000);
  await restartAdapter();
  const deadline = Date.now() + DELETION_BOUND_MS;
  while (!['canceled', 'failed', 'succeeded'].includes((await getRun(db.pool, orphanId))?.status ?? '')) {
    assert.ok(Date.now() < deadline, `run ${orphanId} ended within ${DELETION_BOUND_MS} ms of the controller's return`);
    await new Promise((r) => setTimeout(r, 100));
  }
  await assertEndedWithHistory(orphanId);
});

test('a replica that does not lead writes no DagRun object: the pods of a run started elsewhere are unowned, and its DagRun appears once the replica leads', async () => {
  // Before ADR 0008 amendment 1, the pod runtime asked the adapter for an owner, which made the
  // run's DagRun object on any replica. Now the runtime only reads the DagRun the spec names.
  await until('dags', 'chain', (o) => o.status?.phase === 'Successful', 'Successful');
  adapter.setLeading(false);
  let runId: number;
  try {
    const { run } = await startRun(db.pool, { namespace: ns.name, dagName: 'chain', trigger: 'api' });
    runId = run.id;
    const deadline = Date.now() + 60_000;
    while ((await getRun(db.pool, runId))?.status !== 'succeeded') {
      assert.ok(Date.now() < deadline, `run ${runId} succeeded within 60 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const runPods = pods.filter((p) => p.metadata?.labels?.['kontroler.greedykomodo/run-id'] === String(runId));
    assert.equal(runPods.length, 2);
    for (const p of runPods) assert.equal(p.metadata?.ownerReferences, undefined, `pod ${p.metadata?.name} has no owner`);
    const objects = await client.request<{ items: CustomObject[] }>('GET', path('dagruns'));
    assert.deepEqual(objects.items.filter((o) => o.metadata?.annotations?.['kontroler.greedykomodo/run-id'] === String(runId)), [], 'no DagRun object while not leading');
  } finally {
    adapter.setLeading(true);
  }
  const mirror = await until('dagruns', `chain-${runId}`, (o) => o.status?.phase === 'Succeeded', 'Succeeded (mirrored by the leader)');
  assert.equal(mirror.metadata?.annotations?.['kontroler.greedykomodo/run-id'], String(runId));
});

test('with RBAC from before the finalizer (no patch on dagruns) DagRuns still run, and deleting one ends its run (canceled, or its pod collected with it)', { timeout: 120_000 }, async (t) => {
  // The chart's rules before this change, for a service account the adapter impersonates.
  const rbac = '/apis/rbac.authorization.k8s.io/v1';
  const group = 'kontroler.greedykomodo';
  await client.request('POST', `${rbac}/namespaces/${ns.name}/roles`, {
    body: {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'old-controller' },
      rules: [
        { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
        { apiGroups: [group], resources: ['dags', 'dagtasks', 'dagruns'], verbs: ['get', 'list', 'watch', 'create'] },
        { apiGroups: [group], resources: ['dags/status', 'dagtasks/status', 'dagruns/status'], verbs: ['get', 'patch', 'update'] },
      ],
    },
  });
  const user = `system:serviceaccount:${ns.name}:old-controller`;
  await client.request('POST', `${rbac}/namespaces/${ns.name}/rolebindings`, {
    body: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'old-controller' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'old-controller' }, subjects: [{ kind: 'User', name: user }] },
  });
  const kc = new KubeConfig();
  kc.loadFromFile(process.env.KONTROLER_TEST_KUBECONFIG ?? '');
  const me = kc.getCurrentUser()!;
  kc.users = kc.users.map((u) => (u.name === me.name ? { ...u, impersonateUser: user } : u));
  const errors: string[] = [];
  await adapter.stop();
  const limited = new Client(kc, { qps: 0, burst: 100 });
  t.after(async () => {
    await adapter.stop();
    limited.close();
  });
  adapter = new CrdAdapter({ ...adapterOptions, client: limited, log: { ...adapterOptions.log, error: (m) => errors.push(m) } });
  await adapter.start();
  adapter.setLeading(true);

  const runId = await runningSlow('slow-4');
  assert.deepEqual(finalizers(await client.request<CustomObject>('GET', `${path('dagruns')}/slow-4`)), [], 'no finalizer without the permission');
  assert.equal(errors.filter((m) => /grant the controller "patch" on dagruns/.test(m)).length, 1, `said once what to grant: ${errors.join(' | ')}`);
  await client.request('DELETE', `${path('dagruns')}/slow-4`);
  await untilGone(ns.kc, path('dagruns'), 'slow-4', 10_000);
  const deadline = Date.now() + DELETION_BOUND_MS;
  while (!['canceled', 'failed', 'succeeded'].includes((await getRun(db.pool, runId))?.status ?? '')) {
    assert.ok(Date.now() < deadline, `run ${runId} ended within ${DELETION_BOUND_MS} ms of its DagRun's delete`);
    await new Promise((r) => setTimeout(r, 100));
  }
  await assertEndedWithHistory(runId);
});
