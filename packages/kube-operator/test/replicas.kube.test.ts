// Two controller replicas on one database and one cluster: a Lease elects exactly one leader for
// the CRD adapter; runs are shared through the store (both replicas drive pods); when the leader
// stops, the other takes over and DagRuns keep getting their status.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesObject } from '@kubernetes/client-node';
import { Controller, runtimeReadsSecrets, silentLog } from '@kontroler/controller';
import { testNamespace, waitFor } from '@kontroler/kube-agent/testing';
import { KubePodRuntime } from '@kontroler/runtime-kube';
import { CrdAdapter, LeaderElector } from '@kontroler/kube-operator';
import { loadRun } from '@kontroler/store';
import { createTestDatabase, type TestDatabase } from '@kontroler/store/testing';
import { GROUP_PATH, installCrds } from './crds.js';
import { testClient } from './helpers.js';

type CustomObject = KubernetesObject & { spec?: Record<string, unknown>; status?: Record<string, unknown> };

const ns = await testNamespace('replicas');
let db: TestDatabase;

interface Replica {
  readonly name: string;
  readonly elector: LeaderElector;
  readonly adapter: CrdAdapter;
  readonly controller: Controller;
  stopped: boolean;
  stop(): Promise<void>;
}

const replicas: Replica[] = [];
const leadership: string[] = [];

async function replica(name: string): Promise<Replica> {
  const client = testClient();
  const log = { info: () => undefined, warn: () => undefined, error: (m: string) => process.stderr.write(`${name}: ${m}\n`) };
  const adapter = new CrdAdapter({ client, pool: db.pool, databaseUrl: db.url, namespaces: [ns.name], log, statusIntervalMs: 200 });
  const runtime = new KubePodRuntime({ client, namespaces: [ns.name] });
  const controller = new Controller({ pool: db.pool, databaseUrl: db.url, runtime, id: name, log: silentLog, secrets: runtimeReadsSecrets, pollMs: 500, maxRuns: 2 });
  const elector = new LeaderElector({
    client,
    namespace: ns.name,
    name: 'kontroler-controller',
    identity: name,
    leaseDurationMs: 4000,
    renewDeadlineMs: 3000,
    retryPeriodMs: 300,
    onStartedLeading: () => {
      leadership.push(`+${name}`);
      adapter.setLeading(true);
    },
    onStoppedLeading: () => {
      leadership.push(`-${name}`);
      adapter.setLeading(false);
    },
  });
  await adapter.start();
  await controller.start();
  elector.start();
  const r: Replica = {
    name,
    elector,
    adapter,
    controller,
    stopped: false,
    async stop() {
      if (r.stopped) return;
      r.stopped = true;
      await elector.stop();
      await controller.stop();
      await runtime.close();
      await adapter.stop();
      client.close();
    },
  };
  return r;
}

before(async () => {
  await installCrds(testClient());
  db = await createTestDatabase();
  replicas.push(await replica('replica-a'), await replica('replica-b'));
});
after(async () => {
  for (const r of replicas) await r.stop();
  await db.drop();
});

function until(plural: string, name: string, pred: (o: CustomObject) => boolean, what: string): Promise<CustomObject> {
  return waitFor<CustomObject>(ns.kc, { path: `${GROUP_PATH}/namespaces/${ns.name}/${plural}`, fieldSelector: `metadata.name=${name}` }, (o, type) => type !== 'DELETED' && pred(o), {
    what: `${plural}/${name}: ${what}`,
    timeoutMs: 120_000,
  });
}

async function create(plural: string, body: Record<string, unknown>): Promise<void> {
  await testClient().request('POST', `${GROUP_PATH}/namespaces/${ns.name}/${plural}`, { body: { apiVersion: 'kontroler.greedykomodo/v1alpha1', ...body } });
}

test('one leader at a time; runs are shared by both replicas; the other replica takes over when the leader stops', async () => {
  const lease = await waitFor<KubernetesObject & { spec?: { holderIdentity?: string } }>(
    ns.kc,
    { path: `/apis/coordination.k8s.io/v1/namespaces/${ns.name}/leases`, fieldSelector: 'metadata.name=kontroler-controller' },
    (l) => Boolean(l.spec?.holderIdentity),
    { what: 'a leader' },
  );
  const leaderName = lease.spec?.holderIdentity;
  assert.equal(replicas.filter((r) => r.elector.isLeader).length, 1, 'exactly one leader');
  const leader = replicas.find((r) => r.name === leaderName)!;
  const other = replicas.find((r) => r.name !== leaderName)!;
  assert.ok(leader.adapter.isLeading && !other.adapter.isLeading);

  await create('dags', {
    kind: 'DAG',
    metadata: { name: 'wide' },
    spec: { task: Array.from({ length: 6 }, (_, i) => ({ name: `t${i}`, image: 'alpine', script: 'echo "$KONTROLER_TASK"; sleep 0.3' })) },
  });
  await until('dags', 'wide', (o) => o.status?.phase === 'Successful', 'stored');
  // maxRuns 2 per replica: four runs need both replicas.
  for (const n of [1, 2, 3, 4]) await create('dagruns', { kind: 'DagRun', metadata: { name: `wide-${n}` }, spec: { dagName: 'wide' } });
  const done = await Promise.all([1, 2, 3, 4].map((n) => until('dagruns', `wide-${n}`, (o) => o.status?.phase === 'Succeeded', 'Succeeded')));
  const owners = new Set<string>();
  for (const d of done) owners.add(String((await loadRun(db.pool, d.status?.dagRunId as number))?.run.owner));
  assert.deepEqual([...owners].sort(), ['replica-a', 'replica-b'], 'both replicas drove runs');

  await leader.stop();
  await waitFor<KubernetesObject & { spec?: { holderIdentity?: string } }>(
    ns.kc,
    { path: `/apis/coordination.k8s.io/v1/namespaces/${ns.name}/leases`, fieldSelector: 'metadata.name=kontroler-controller' },
    (l) => l.spec?.holderIdentity === other.name,
    { what: 'the other replica leads' },
  );
  // The Lease's watch event can arrive before the elector has the answer to its own write.
  for (const deadline = Date.now() + 10_000; !other.adapter.isLeading; ) {
    assert.ok(Date.now() < deadline, 'the new holder of the Lease leads its adapter within 10 s');
    await new Promise((r) => setTimeout(r, 20));
  }
  await create('dagruns', { kind: 'DagRun', metadata: { name: 'after-failover' }, spec: { dagName: 'wide' } });
  await until('dagruns', 'after-failover', (o) => o.status?.phase === 'Succeeded', 'Succeeded after failover');
  assert.deepEqual(leadership.filter((l) => l.startsWith('+')).length, 2);
});
