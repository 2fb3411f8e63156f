// Backfill objects against the real apiserver: a `kind: Backfill` creates one backfill in the
// store (by its uid: a restarted adapter makes no second one), its status follows the backfill's
// progress to the end, its spec is immutable, and a Backfill for a DAG without a schedule fails
// with a message naming the DAG.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesObject } from '@kubernetes/client-node';
import { testNamespace, waitFor } from '@kontroler/kube-agent/testing';
import type { KubeClient } from '@kontroler/runtime-kube';
import { BackfillAdapter } from '@kontroler/kube-operator';
import { applyResource, releaseBackfills } from '@kontroler/store';
import { createTestDatabase, type TestDatabase } from '@kontroler/store/testing';
import { GROUP_PATH, installCrds } from './crds.js';
import { testClient } from './helpers.js';

type CustomObject = KubernetesObject & { spec?: Record<string, unknown>; status?: Record<string, unknown> };

const ns = await testNamespace('backfill');
const path = `${GROUP_PATH}/namespaces/${ns.name}/backfills`;
let db: TestDatabase;
let client: KubeClient;
let adapter: BackfillAdapter;
const log = { info: () => undefined, warn: (m: string) => process.stderr.write(`${m}\n`), error: (m: string) => process.stderr.write(`${m}\n`) };

before(async () => {
  client = testClient();
  await installCrds(client);
  db = await createTestDatabase();
  for (const [name, schedule] of [['hourly', '0 * * * *'], ['adhoc', undefined]] as const) {
    await applyResource(db.pool, {
      apiVersion: 'kontroler.greedykomodo/v1alpha1',
      kind: 'DAG',
      metadata: { name, namespace: ns.name },
      spec: { ...(schedule ? { schedule, suspended: true } : {}), task: [{ name: 'a', image: 'alpine', command: ['true'] }] },
    }, { source: 'test' });
  }
  adapter = new BackfillAdapter({ client, pool: db.pool, namespaces: [ns.name], log, refreshMs: 200 });
  adapter.start();
  adapter.setLeading(true);
});
after(async () => {
  await adapter.stop();
  await db.drop();
  await ns.delete();
});

function until(name: string, pred: (o: CustomObject) => boolean, what: string): Promise<CustomObject> {
  return waitFor<CustomObject>(ns.kc, { path, fieldSelector: `metadata.name=${name}` }, (o, type) => type !== 'DELETED' && pred(o), { what: `backfills/${name}: ${what}`, timeoutMs: 60_000 });
}

const create = (name: string, spec: Record<string, unknown>) =>
  client.request<CustomObject>('POST', path, { body: { apiVersion: 'kontroler.greedykomodo/v1alpha1', kind: 'Backfill', metadata: { name }, spec } });

test('a Backfill object creates one backfill and its status follows it to the end', async () => {
  const obj = await create('january', { dagName: 'hourly', from: '2026-01-01T00:00:00Z', to: '2026-01-01T04:00:00Z', maxActive: 2 });
  const running = await until('january', (o) => o.status?.phase === 'Running', 'running');
  const id = running.status?.backfillId as number;
  assert.ok(id > 0);
  assert.equal(running.status?.total, 4);
  assert.equal(running.status?.running, 2);
  const { rows } = await db.pool.query<{ created_by: string; kube_object_uid: string }>('select created_by, kube_object_uid from backfills where id = $1', [id]);
  assert.deepEqual(rows[0], { created_by: `kubernetes:${ns.name}/january`, kube_object_uid: obj.metadata?.uid });

  // The spec is immutable (a CEL rule of the CRD).
  await assert.rejects(
    client.request('PATCH', `${path}/january`, { contentType: 'application/merge-patch+json', body: { spec: { maxActive: 5 } } }),
    /cannot change once it exists/,
  );

  // A restarted adapter finds the backfill by the object's uid and makes no second one.
  await adapter.stop();
  adapter = new BackfillAdapter({ client, pool: db.pool, namespaces: [ns.name], log, refreshMs: 200 });
  adapter.start();
  adapter.setLeading(true);

  // The runs end (no controller here: the store's releaser moves the backfill on).
  for (let i = 0; i < 4; i++) {
    await db.pool.query(`update runs set status = 'succeeded', started_at = now(), finished_at = now() where backfill_id = $1 and status = 'pending'`, [id]);
    await releaseBackfills(db.pool);
  }
  const done = await until('january', (o) => o.status?.phase === 'Succeeded', 'succeeded');
  assert.equal(done.status?.progress, '4/4');
  assert.equal(done.status?.done, 4);
  const count = await db.pool.query<{ n: number }>('select count(*)::int as n from backfills where kube_object_uid = $1', [obj.metadata?.uid]);
  assert.equal(count.rows[0]?.n, 1);
});

test('a Backfill for a DAG without a schedule, or with a bad time, fails saying why', async () => {
  await create('no-schedule', { dagName: 'adhoc', from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z' });
  const failed = await until('no-schedule', (o) => o.status?.phase === 'Failed', 'failed');
  assert.match(String(failed.status?.message), new RegExp(`DAG ${ns.name}/adhoc has no schedule`));
  await create('bad-time', { dagName: 'hourly', from: 'yesterday', to: '2026-01-02T00:00:00Z' });
  const bad = await until('bad-time', (o) => o.status?.phase === 'Failed', 'failed');
  assert.match(String(bad.status?.message), /spec\.from: "yesterday" is not a date-time/);
  const { rows } = await db.pool.query<{ n: number }>('select count(*)::int as n from backfills');
  assert.equal(rows[0]?.n, 1, 'neither made a backfill');
});
