// status.conditions on the real apiserver, read by kubectl as users do: `kubectl wait
// --for=condition=Ready` on a DAG (and Ready=false, reason Invalid, on a bad one), `kubectl wait
// --for=condition=Succeeded` / `--for=condition=Failed` on DagRuns, a DagRun for an unknown DAG
// (Failed, reason UnknownDAG); a condition's lastTransitionTime never moves while its status stays
// (checked on every version the watch sees); the Duration column once a run ended.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesObject } from '@kubernetes/client-node';
import { startReflector, testNamespace, type Reflector } from '@kontroler/kube-agent/testing';
import type { KubeClient } from '@kontroler/runtime-kube';
import { CrdAdapter, type Condition } from '@kontroler/kube-operator';
import { startKubeController, type KubeController } from './controller-harness.js';
import { GROUP_PATH, installCrds } from './crds.js';
import { kubectl, testClient } from './helpers.js';

type CustomObject = KubernetesObject & { spec?: Record<string, unknown>; status?: Record<string, unknown> & { conditions?: Condition[] } };

const ns = await testNamespace('conditions');
const path = (plural: string): string => `${GROUP_PATH}/namespaces/${ns.name}/${plural}`;
const API = 'kontroler.greedykomodo/v1alpha1';
let client: KubeClient;
let kube: KubeController;
let adapter: CrdAdapter;
let watch: Reflector;
/** Every version of every DagRun the watch saw, by name. */
const seen = new Map<string, CustomObject[]>();

before(async () => {
  client = testClient();
  await installCrds(client);
  kube = await startKubeController(ns.name, 'conditions-test');
  const log = { info: () => undefined, warn: (m: string) => process.stderr.write(`${m}\n`), error: (m: string) => process.stderr.write(`${m}\n`) };
  adapter = new CrdAdapter({ client, pool: kube.db.pool, databaseUrl: kube.db.url, namespaces: [ns.name], log, dagRunGraceMs: 1000, statusIntervalMs: 200 });
  await adapter.start();
  adapter.setLeading(true);
  watch = startReflector<CustomObject>({
    kubeConfig: ns.kc,
    path: path('dagruns'),
    onEvent: (e) => {
      if (e.type !== 'ADDED' && e.type !== 'MODIFIED') return;
      const name = e.object.metadata?.name ?? '';
      seen.set(name, [...(seen.get(name) ?? []), e.object]);
    },
  });
});
after(async () => {
  await watch.stop();
  await adapter.stop();
  await kube.stop();
  client.close();
});

const cond = (o: CustomObject, type: string): Condition | undefined => o.status?.conditions?.find((c) => c.type === type);

async function wait(resource: string, condition: string): Promise<void> {
  const r = await kubectl(['wait', '-n', ns.name, `--for=condition=${condition}`, resource, '--timeout=150s']);
  assert.equal(r.status, 0, `kubectl wait --for=condition=${condition} ${resource}: ${r.stderr}${r.stdout}`);
}

async function createDag(name: string, task: unknown[]): Promise<void> {
  await client.request('POST', path('dags'), { body: { apiVersion: API, kind: 'DAG', metadata: { name }, spec: { task } } });
}

async function createDagRun(name: string, dagName: string): Promise<void> {
  await client.request('POST', path('dagruns'), { body: { apiVersion: API, kind: 'DagRun', metadata: { name }, spec: { dagName } } });
}

test('a valid DAG is Ready; an invalid one Ready=False, reason Invalid, saying what is wrong', async () => {
  await createDag('good', [{ name: 'a', image: 'alpine', command: ['true'] }]);
  await wait('dags.kontroler.greedykomodo/good', 'Ready');
  const good = await client.request<CustomObject>('GET', `${path('dags')}/good`);
  const ready = cond(good, 'Ready')!;
  assert.deepEqual([ready.status, ready.reason, ready.observedGeneration], ['True', 'Stored', good.metadata?.generation]);
  assert.match(ready.lastTransitionTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

  await createDag('bad', [{ name: 'a', image: 'alpine', command: ['true'], runAfter: ['missing'] }]);
  await wait('dags.kontroler.greedykomodo/bad', 'Ready=false');
  const bad = cond(await client.request<CustomObject>('GET', `${path('dags')}/bad`), 'Ready')!;
  assert.equal(bad.reason, 'Invalid');
  assert.match(bad.message, /spec\.task\[0\]\.runAfter/, bad.message);

  // Made valid: Ready turns True, with a new transition time.
  await client.request('PATCH', `${path('dags')}/bad`, { contentType: 'application/merge-patch+json', body: { spec: { task: [{ name: 'a', image: 'alpine', command: ['true'] }] } } });
  await wait('dags.kontroler.greedykomodo/bad', 'Ready');
  const fixed = await client.request<CustomObject>('GET', `${path('dags')}/bad`);
  assert.deepEqual([cond(fixed, 'Ready')?.reason, cond(fixed, 'Ready')?.observedGeneration], ['Stored', fixed.metadata?.generation]);
});

test('kubectl wait --for=condition=Succeeded on a DagRun; transition times move only with their status; a Duration column', async () => {
  await createDag('ok', [
    { name: 'a', image: 'alpine', command: ['sh', '-c', 'sleep 1'] },
    { name: 'b', image: 'alpine', command: ['true'], runAfter: ['a'] },
  ]);
  await wait('dags.kontroler.greedykomodo/ok', 'Ready');
  await createDagRun('ok-1', 'ok');
  await wait('dagruns.kontroler.greedykomodo/ok-1', 'Succeeded');

  const done = await client.request<CustomObject>('GET', `${path('dagruns')}/ok-1`);
  assert.equal(done.status?.phase, 'Succeeded');
  assert.deepEqual(
    done.status?.conditions?.map((c) => [c.type, c.status, c.reason, c.observedGeneration]),
    [['Succeeded', 'True', 'Succeeded', done.metadata?.generation], ['Failed', 'False', 'Succeeded', done.metadata?.generation], ['Running', 'False', 'Succeeded', done.metadata?.generation]],
  );
  assert.equal(cond(done, 'Succeeded')?.message, 'all 2 tasks succeeded');
  assert.match(String(done.status?.duration), /^\d+s$/);

  // Every version the watch saw: a condition's time changes only together with its status.
  const versions = (seen.get('ok-1') ?? []).filter((o) => o.status?.conditions);
  assert.ok(versions.some((o) => cond(o, 'Running')?.status === 'True'), 'a version showed the run Running');
  for (const type of ['Succeeded', 'Failed', 'Running']) {
    for (let i = 1; i < versions.length; i++) {
      const a = cond(versions[i - 1]!, type)!;
      const b = cond(versions[i]!, type)!;
      if (a.status === b.status) assert.equal(b.lastTransitionTime, a.lastTransitionTime, `${type} stayed ${a.status} but its time moved`);
    }
  }
  const failed = versions.map((o) => cond(o, 'Failed')?.lastTransitionTime);
  assert.equal(new Set(failed).size, 1, `Failed was False all along: one transition time (${failed.join(', ')})`);

  const wide = await kubectl(['get', 'dagruns.kontroler.greedykomodo', 'ok-1', '-n', ns.name, '-o', 'custom-columns=D:.status.duration', '--no-headers']);
  assert.equal(wide.stdout.trim(), done.status?.duration);
  const table = await kubectl(['get', 'dagruns.kontroler.greedykomodo', 'ok-1', '-n', ns.name]);
  assert.match(table.stdout.split('\n')[0] ?? '', /\bDURATION\b/, table.stdout);
});

test('kubectl wait --for=condition=Failed: a run whose task fails (TasksFailed), and a DagRun of an unknown DAG (UnknownDAG)', async () => {
  await createDag('boom', [{ name: 'x', image: 'alpine', command: ['sh', '-c', 'exit 4'] }]);
  await wait('dags.kontroler.greedykomodo/boom', 'Ready');
  await createDagRun('boom-1', 'boom');
  await createDagRun('nodag-1', 'no-such-dag');
  await wait('dagruns.kontroler.greedykomodo/boom-1', 'Failed');
  await wait('dagruns.kontroler.greedykomodo/boom-1', 'Succeeded=false');
  const boom = await client.request<CustomObject>('GET', `${path('dagruns')}/boom-1`);
  assert.deepEqual([cond(boom, 'Failed')?.reason, cond(boom, 'Failed')?.message], ['TasksFailed', 'failed: x']);

  await wait('dagruns.kontroler.greedykomodo/nodag-1', 'Failed');
  const nodag = cond(await client.request<CustomObject>('GET', `${path('dagruns')}/nodag-1`), 'Failed')!;
  assert.equal(nodag.reason, 'UnknownDAG');
  assert.match(nodag.message, /DAG "no-such-dag" not found/);
});
