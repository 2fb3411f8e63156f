// A DagRun of a huge run keeps a small status, on the real apiserver: a DagRun of a 100,000-task
// DAG (stored through the store, as the API or the DAG folder would: a DAG object that size would
// itself pass etcd's limit) whose ROOTS root tasks fail, so only they run (one pod each) and every
// other task is skipped. Every version of the DagRun the apiserver sends stays under
// DAGRUN_STATUS_MAX_BYTES, the counts are right, the first DAGRUN_STATUS_LIST_CAP failed tasks are
// listed, `kubectl get` shows sensible columns, and the adapter never loaded the run's whole state.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { DagSpec } from '@kontroler/core';
import { testNamespace, waitFor } from '@kontroler/kube-agent/testing';
import type { KubeClient } from '@kontroler/runtime-kube';
import { CrdAdapter, DAGRUN_STATUS_LIST_CAP, DAGRUN_STATUS_MAX_BYTES } from '@kontroler/kube-operator';
import { applyResource, getRun } from '@kontroler/store';
import { startKubeController, type KubeController } from './controller-harness.js';
import { GROUP_PATH, installCrds } from './crds.js';
import { kubectl, testClient } from './helpers.js';

type CustomObject = KubernetesObject & { spec?: Record<string, unknown>; status?: Record<string, unknown> };

/** Tasks in the DAG of this test. */
const TASKS = 100_000;
/** Root tasks, each failing, each with its share of the rest after it: more than the list cap. */
const ROOTS = DAGRUN_STATUS_LIST_CAP + 10;
/**
 * The whole DagRun object as JSON (metadata with the apiserver's managedFields, spec, status), at
 * any time of this run; etcd's limit is ~1.5 MiB.
 */
const DAGRUN_OBJECT_MAX_BYTES = DAGRUN_STATUS_MAX_BYTES;

const ns = await testNamespace('dagrun-status');
const path = `${GROUP_PATH}/namespaces/${ns.name}/dagruns`;
let client: KubeClient;
let kube: KubeController;
let adapter: CrdAdapter;

before(async () => {
  client = testClient();
  await installCrds(client);
  kube = await startKubeController(ns.name, 'dagrun-status-test');
  const log = { info: () => undefined, warn: (m: string) => process.stderr.write(`${m}\n`), error: (m: string) => process.stderr.write(`${m}\n`) };
  adapter = new CrdAdapter({ client, pool: kube.db.pool, databaseUrl: kube.db.url, namespaces: [ns.name], log, publicUrl: 'https://kontroler.example.com' });
  await adapter.start();
  adapter.setLeading(true);
});
after(async () => {
  await adapter.stop();
  await kube.stop();
  client.close();
});

test(`a DagRun of a ${TASKS.toLocaleString('en')}-task run stays under ${DAGRUN_OBJECT_MAX_BYTES} bytes, with its counts and its failed task`, async () => {
  const root = (i: number): string => `root-${String(i).padStart(2, '0')}`;
  const task: DagSpec['task'] = [];
  for (let i = 0; i < ROOTS; i++) task.push({ name: root(i), image: 'alpine', command: ['sh', '-c', 'exit 3'] });
  for (let i = ROOTS; i < TASKS; i++) task.push({ name: `shard-${String(i).padStart(6, '0')}`, image: 'alpine', command: ['true'], runAfter: [root(i % ROOTS)] });
  const t0 = Date.now();
  await applyResource(kube.db.pool, { apiVersion: 'kontroler.greedykomodo/v1alpha1', kind: 'DAG', metadata: { name: 'wide', namespace: ns.name }, spec: { task } }, { source: 'api' });
  const stored = Date.now() - t0;

  let largest = 0;
  let versions = 0;
  let sawRunning = 0;
  await client.request<CustomObject>('POST', path, { body: { apiVersion: 'kontroler.greedykomodo/v1alpha1', kind: 'DagRun', metadata: { name: 'wide-1' }, spec: { dagName: 'wide' } } });
  const done = await waitFor<CustomObject>(
    ns.kc,
    { path, fieldSelector: 'metadata.name=wide-1' },
    (o, type) => {
      if (type === 'DELETED') return false;
      versions++;
      largest = Math.max(largest, Buffer.byteLength(JSON.stringify(o)));
      sawRunning = Math.max(sawRunning, (o.status?.runningTasks as unknown[] | undefined)?.length ?? 0);
      return o.status?.phase === 'Failed' && o.status.taskCounts !== undefined && (o.status.taskCounts as Record<string, number>).skipped === TASKS - ROOTS;
    },
    { what: 'dagruns/wide-1: Failed with every task counted', timeoutMs: 150_000 },
  );
  const ran = Date.now() - t0 - stored;

  const read = await client.request<CustomObject>('GET', `${path}/wide-1`);
  const size = Buffer.byteLength(JSON.stringify(read));
  const statusSize = Buffer.byteLength(JSON.stringify(read.status));
  process.stderr.write(`dagrun-status: ${TASKS} tasks, ${ROOTS} failing roots: DAG stored in ${stored} ms, run failed after ${ran} ms; DagRun ${size} bytes (status ${statusSize}), largest of ${versions} versions seen ${largest} bytes; at most ${sawRunning} running tasks listed\n`);
  assert.ok(size <= DAGRUN_OBJECT_MAX_BYTES, `the DagRun read back is ${size} bytes`);
  assert.ok(largest <= DAGRUN_OBJECT_MAX_BYTES, `a version of the DagRun was ${largest} bytes`);
  assert.ok(sawRunning <= DAGRUN_STATUS_LIST_CAP, `a version listed ${sawRunning} running tasks`);

  const s = read.status!;
  const runId = s.dagRunId as number;
  assert.equal((await getRun(kube.db.pool, runId))?.status, 'failed');
  assert.equal(s.taskTotal, TASKS);
  assert.deepEqual(s.taskCounts, { pending: 0, waiting: 0, running: 0, succeeded: 0, failed: ROOTS, skipped: TASKS - ROOTS, canceled: 0 });
  assert.equal(s.progress, `0/${TASKS}`);
  assert.equal(s.message, `failed: root-00, root-01, root-02, root-03, root-04 and ${ROOTS - 5} more`);
  assert.equal(s.tasks, undefined, 'no per-task detail for a run this size');
  const failed = s.failedTasks as Array<Record<string, unknown>>;
  assert.deepEqual(failed.map((t) => t.name), Array.from({ length: DAGRUN_STATUS_LIST_CAP }, (_, i) => root(i)), 'the first failed tasks by name, up to the cap');
  assert.deepEqual([failed[0]?.phase, failed[0]?.attempts, failed[0]?.exitCode, failed[0]?.pod], ['Failed', 1, 3, `kr-${runId}-root-00-1`]);
  assert.equal(s.failedTasksTruncated, true);
  assert.deepEqual(s.runningTasks, []);
  assert.equal(s.runPath, `/api/v1/runs/${runId}`);
  assert.equal(s.runUrl, `https://kontroler.example.com/api/v1/runs/${runId}`);
  assert.equal(done.status?.dagRunId, runId);
  assert.equal(adapter.counters.fullRunLoads, 0, 'the status was built from counts and capped lists, never from the whole run');
  assert.ok(adapter.counters.runStatusComputations >= 1);

  const wide = await kubectl(['get', 'dagruns', 'wide-1', '-n', ns.name, '-o', 'wide', '--no-headers']);
  assert.equal(wide.status, 0, wide.stderr);
  const cols = wide.stdout.trim().split(/\s+/);
  assert.deepEqual(cols.slice(0, 5), ['wide-1', 'wide', 'Failed', `0/${TASKS}`, String(ROOTS)], wide.stdout);
});
