// Shards on one database: a controller of shard "blue" works only in namespaces labelled
// kontroler.greedykomodo/shard=blue (and sees a namespace join the shard when it is labelled);
// runs elsewhere are left to other controllers.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Controller, runtimeReadsSecrets, silentLog } from '@kontroler/controller';
import { testNamespace } from '@kontroler/kube-agent/testing';
import { KubePodRuntime, LABELS, type KubeClient } from '@kontroler/runtime-kube';
import { ShardNamespaces } from '@kontroler/kube-operator';
import { applyResource, getRun, startRun } from '@kontroler/store';
import { createTestDatabase, type TestDatabase } from '@kontroler/store/testing';
import { testClient } from './helpers.js';

const blue = await testNamespace('shard-blue');
const other = await testNamespace('shard-other');
const shardName = `blue-${blue.name.slice(-6)}`;
let db: TestDatabase;
let client: KubeClient;
let shard: ShardNamespaces;
let runtime: KubePodRuntime;
let controller: Controller;
const ended = new Map<number, () => void>();

before(async () => {
  client = testClient();
  db = await createTestDatabase();
  await client.request('PATCH', `/api/v1/namespaces/${blue.name}`, { contentType: 'application/merge-patch+json', body: { metadata: { labels: { [LABELS.shard]: shardName } } } });
  shard = new ShardNamespaces(client, shardName);
  await shard.start();
  runtime = new KubePodRuntime({ client, namespaceFilter: (n) => shard.has(n), labels: { [LABELS.shard]: shardName } });
  controller = new Controller({ pool: db.pool, databaseUrl: db.url, runtime, id: 'blue', log: silentLog, secrets: runtimeReadsSecrets, pollMs: 300, namespaces: () => shard.list() });
  controller.onRunEnded((id) => ended.get(id)?.());
  await controller.start();
});
after(async () => {
  await controller.stop();
  await runtime.close();
  await shard.stop();
  await db.drop();
  client.close();
});

async function dagIn(namespace: string): Promise<number> {
  await applyResource(db.pool, { apiVersion: 'kontroler.greedykomodo/v1alpha1', kind: 'DAG', metadata: { name: 'hello', namespace }, spec: { task: [{ name: 't', image: 'alpine', command: ['echo', namespace] }] } }, { source: 'test' });
  const { run } = await startRun(db.pool, { namespace, dagName: 'hello', trigger: 'manual' });
  return run.id;
}

function untilEnded(id: number): Promise<void> {
  return new Promise((resolve) => ended.set(id, resolve));
}

test("a shard's controller runs only its namespaces' runs, and picks up a namespace labelled later", async () => {
  assert.deepEqual(shard.list(), [blue.name]);
  const inBlue = await dagIn(blue.name);
  const elsewhere = await dagIn(other.name);
  await untilEnded(inBlue);
  assert.equal((await getRun(db.pool, inBlue))?.status, 'succeeded');
  const left = await getRun(db.pool, elsewhere);
  assert.equal(left?.status, 'pending', 'a run outside the shard is not claimed');
  assert.equal(left?.owner, null);

  // Labelling the other namespace brings it (and its pending run) into the shard.
  const done = untilEnded(elsewhere);
  await client.request('PATCH', `/api/v1/namespaces/${other.name}`, { contentType: 'application/merge-patch+json', body: { metadata: { labels: { [LABELS.shard]: shardName } } } });
  await done;
  assert.equal((await getRun(db.pool, elsewhere))?.status, 'succeeded');
});
