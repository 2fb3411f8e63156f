// Per-task Events on the real apiserver: a task that fails, is retried and fails again gets
// TaskRetrying then TaskFailed on its DagRun; a run with many failing tasks records at most the
// bound (TASK_EVENTS_PER_MINUTE task Events in a window, then one TaskEventsSuppressed counting
// the rest), so a huge failing run cannot flood etcd.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { CoreV1Event, KubernetesObject } from '@kubernetes/client-node';
import { startReflector, testNamespace, waitFor, type Reflector } from '@kontroler/kube-agent/testing';
import type { KubeClient } from '@kontroler/runtime-kube';
import { CrdAdapter, TASK_EVENTS_PER_MINUTE } from '@kontroler/kube-operator';
import { startKubeController, type KubeController } from './controller-harness.js';
import { GROUP_PATH, installCrds } from './crds.js';
import { kubectl, testClient } from './helpers.js';

/** Failing tasks in the big run: more than the bound. */
const MANY = TASK_EVENTS_PER_MINUTE + 25;
const API = 'kontroler.greedykomodo/v1alpha1';
const ns = await testNamespace('task-events');
const path = (plural: string): string => `${GROUP_PATH}/namespaces/${ns.name}/${plural}`;
let client: KubeClient;
let kube: KubeController;
let adapter: CrdAdapter;
let watch: Reflector;
const events: CoreV1Event[] = [];

before(async () => {
  client = testClient();
  await installCrds(client);
  kube = await startKubeController(ns.name, 'task-events-test');
  const log = { info: () => undefined, warn: (m: string) => process.stderr.write(`${m}\n`), error: (m: string) => process.stderr.write(`${m}\n`) };
  // One window longer than the runs here, so the bound is exact whatever the machine's speed.
  adapter = new CrdAdapter({ client, pool: kube.db.pool, databaseUrl: kube.db.url, namespaces: [ns.name], log, statusIntervalMs: 200, taskEventsWindowMs: 10 * 60_000 });
  await adapter.start();
  adapter.setLeading(true);
  watch = startReflector<CoreV1Event>({
    kubeConfig: ns.kc,
    path: `/api/v1/namespaces/${ns.name}/events`,
    onEvent: (e) => {
      if (e.type === 'ADDED') events.push(e.object);
    },
  });
});
after(async () => {
  await watch.stop();
  await adapter.stop();
  await kube.stop();
  client.close();
});

const of = (name: string, reason?: string): CoreV1Event[] => events.filter((e) => e.involvedObject.name === name && (reason === undefined || e.reason === reason));

async function runToFailure(dag: string, task: unknown[], run: string): Promise<void> {
  await client.request('POST', path('dags'), { body: { apiVersion: API, kind: 'DAG', metadata: { name: dag }, spec: { task } } });
  const ready = await kubectl(['wait', '-n', ns.name, '--for=condition=Ready', `dags.kontroler.greedykomodo/${dag}`, '--timeout=60s']);
  assert.equal(ready.status, 0, ready.stderr);
  await client.request<KubernetesObject>('POST', path('dagruns'), { body: { apiVersion: API, kind: 'DagRun', metadata: { name: run }, spec: { dagName: dag } } });
  const failed = await kubectl(['wait', '-n', ns.name, '--for=condition=Failed', `dagruns.kontroler.greedykomodo/${run}`, '--timeout=240s']);
  assert.equal(failed.status, 0, failed.stderr);
}

test('a retried task that fails: TaskRetrying, then TaskFailed, on its DagRun', async () => {
  await runToFailure('flaky', [{ name: 'f', image: 'alpine', command: ['sh', '-c', 'exit 2'], backoff: { limit: 1 } }], 'flaky-1');
  await waitFor<CoreV1Event>(ns.kc, { path: `/api/v1/namespaces/${ns.name}/events`, fieldSelector: 'involvedObject.name=flaky-1,reason=TaskFailed' }, () => true, { what: 'TaskFailed on flaky-1' });
  await adapter.idle();
  const told = of('flaky-1').filter((e) => e.reason?.startsWith('Task')).map((e) => [e.type, e.reason, e.message]);
  assert.equal(told.length, 2, JSON.stringify(told));
  assert.deepEqual(told[0]?.slice(0, 2), ['Warning', 'TaskRetrying']);
  assert.match(String(told[0]?.[2]), /task f attempt 1 failed \(exit code 2.*\); retrying/);
  assert.deepEqual(told[1]?.slice(0, 2), ['Warning', 'TaskFailed']);
  assert.match(String(told[1]?.[2]), /task f failed on attempt 2 \(exit code 2.*\); no retry left/);
  assert.equal(of('flaky-1')[0]?.involvedObject.kind, 'DagRun');
});

test(`a run with ${MANY} failing tasks records at most ${TASK_EVENTS_PER_MINUTE} task Events and one summary`, async () => {
  const task = Array.from({ length: MANY }, (_, i) => ({ name: `t${String(i).padStart(2, '0')}`, image: 'alpine', command: ['sh', '-c', 'exit 1'] }));
  await runToFailure('many', task, 'many-1');
  const summary = await waitFor<CoreV1Event>(
    ns.kc,
    { path: `/api/v1/namespaces/${ns.name}/events`, fieldSelector: 'involvedObject.name=many-1,reason=TaskEventsSuppressed' },
    () => true,
    { what: 'TaskEventsSuppressed on many-1', timeoutMs: 60_000 },
  );
  await adapter.idle();
  const listed = await client.request<{ items: CoreV1Event[] }>('GET', `/api/v1/namespaces/${ns.name}/events`, { query: { fieldSelector: 'involvedObject.name=many-1' } });
  const reasons = listed.items.map((e) => e.reason ?? '');
  const failed = reasons.filter((r) => r === 'TaskFailed').length;
  const summaries = reasons.filter((r) => r === 'TaskEventsSuppressed').length;
  // At most the bound is told; a failure recorded after a later-finishing one was told (45 fail
  // at once, saved in batches) is counted into the summary rather than told late, so fewer may be.
  assert.ok(failed >= 1 && failed <= TASK_EVENTS_PER_MINUTE, `TaskFailed events: ${failed} (${reasons.join(', ')})`);
  assert.equal(summaries, 1);
  assert.equal(reasons.filter((r) => r === 'TaskRetrying').length, 0);
  // Every failure is told or counted: the summary holds the rest.
  assert.match(summary.message ?? '', new RegExp(`^run \\d+: ${MANY - failed} more failed task attempts not sent as Events`));
  assert.ok(reasons.includes('RunFailed'), 'the run events are not counted against the bound');
});
