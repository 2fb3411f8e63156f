// The validating admission webhooks, called by the real apiserver over TLS (self-signed CA in the
// caBundle): a cyclic DAG is refused at `kubectl apply` time with field paths; valid objects
// pass; DagTask and DagRun problems are refused too; a DagRun is validated on CREATE only (its
// labels, finalizers and status may change later, whatever its DAG became) and its spec is immutable.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { testNamespace } from '@kontroler/kube-agent/testing';
import { KubeApiError, type KubeObject, addFinalizer, removeFinalizer, type KubeClient } from '@kontroler/runtime-kube';
import { DAGRUN_FINALIZER, selfSignedCert, startWebhookServer, webhookConfiguration, type RunningWebhookServer } from '@kontroler/kube-operator';
import { applyResource } from '@kontroler/store';
import { createTestDatabase, type TestDatabase } from '@kontroler/store/testing';
import { GROUP_PATH, installCrds } from './crds.js';
import { kubectl, testClient, untilGone } from './helpers.js';

const ns = await testNamespace('webhook');
const configName = `kontroler-test-${ns.name}`;
let client: KubeClient;
let db: TestDatabase;
let server: RunningWebhookServer;

const cyclic = {
  apiVersion: 'kontroler.greedykomodo/v1alpha1',
  kind: 'DAG',
  metadata: { name: 'cyclic', namespace: '' },
  spec: {
    task: [
      { name: 'a', image: 'alpine', command: ['true'], runAfter: ['c'] },
      { name: 'b', image: 'alpine', command: ['true'], runAfter: ['a'] },
      { name: 'c', image: 'alpine', command: ['true'], runAfter: ['b'] },
    ],
  },
};

function createDag(body: Record<string, unknown>, dryRun = false): Promise<unknown> {
  return client.request('POST', `${GROUP_PATH}/namespaces/${ns.name}/dags`, { body, ...(dryRun ? { query: { dryRun: 'All' } } : {}) });
}

before(async () => {
  client = testClient();
  await installCrds(client);
  db = await createTestDatabase();
  const cert = await selfSignedCert({ dnsNames: ['localhost'], ips: ['127.0.0.1'] });
  server = await startWebhookServer({ cert, port: 0, host: '127.0.0.1', pool: db.pool });
  await client.request('POST', '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations', {
    body: webhookConfiguration({ name: configName, caBundle: cert.ca, url: server.url, namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns.name } } }),
  });
  // The apiserver picks webhook configurations up asynchronously: probe with dry-run creates
  // (nothing is stored) until the webhook answers.
  for (let i = 0; ; i++) {
    try {
      await createDag({ ...cyclic, metadata: { name: 'probe', namespace: ns.name } }, true);
    } catch (err) {
      if (err instanceof KubeApiError && /denied the request/.test(err.message)) break;
      throw err;
    }
    assert.ok(i < 100, 'the webhook configuration never took effect');
    await new Promise((r) => setTimeout(r, 200));
  }
});
after(async () => {
  await client.request('DELETE', `/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/${configName}`).catch(() => undefined);
  await server.close();
  await db.drop();
});


test('kubectl apply of a cyclic DAG is refused by the admission webhook, naming the cycle and its field path', async () => {
  const doc = JSON.stringify({ ...cyclic, metadata: { name: 'cyclic', namespace: ns.name } });
  const r = await kubectl(['apply', '-f', '-'], doc);
  assert.notEqual(r.status, 0, r.stdout);
  // kubectl prints an Invalid answer as its field causes, one per line.
  assert.match(r.stderr, /The request is invalid/);
  assert.match(r.stderr, /\* spec\.task\[\d\]\.runAfter\[0\]: dependency cycle (a -> b -> c -> a|b -> c -> a -> b|c -> a -> b -> c)/);
  assert.match(r.stderr, /\* spec\.task: no root task/);
  // The API answer names the webhook.
  await assert.rejects(createDag({ ...cyclic, metadata: { name: 'cyclic', namespace: ns.name } }), (err: Error) =>
    /admission webhook "validate-dag\.kontroler\.greedykomodo" denied the request: DAG cyclic is invalid.*spec\.task\[\d\]\.runAfter\[0\]: dependency cycle/.test(err.message),
  );
});

test('a valid DAG is admitted; an invalid DagTask and DagRuns that cannot run are refused', async () => {
  await createDag({ apiVersion: 'kontroler.greedykomodo/v1alpha1', kind: 'DAG', metadata: { name: 'fine', namespace: ns.name }, spec: { parameters: [{ name: 'P', defaultValue: 'x' }], task: [{ name: 't', image: 'alpine', command: ['true'], parameters: ['P'] }] } });
  await assert.rejects(
    client.request('POST', `${GROUP_PATH}/namespaces/${ns.name}/dagtasks`, { body: { apiVersion: 'kontroler.greedykomodo/v1alpha1', kind: 'DagTask', metadata: { name: 'noimage' }, spec: { command: ['true'] } } }),
    (err: Error) => /validate-dagtask.*denied the request.*spec\.image/.test(err.message),
  );
  await assert.rejects(
    client.request('POST', `${GROUP_PATH}/namespaces/${ns.name}/dagruns`, { body: { apiVersion: 'kontroler.greedykomodo/v1alpha1', kind: 'DagRun', metadata: { name: 'nodag' }, spec: { dagName: '' } } }),
    (err: Error) => /validate-dagrun.*denied the request.*spec\.dagName/.test(err.message),
  );
  // With the DAG in the store, parameters are checked against it.
  await applyResource(db.pool, { apiVersion: 'kontroler.greedykomodo/v1alpha1', kind: 'DAG', metadata: { name: 'fine', namespace: ns.name }, spec: { parameters: [{ name: 'P', defaultValue: 'x' }], task: [{ name: 't', image: 'alpine', command: ['true'], parameters: ['P'] }] } }, { source: 'test' });
  await assert.rejects(
    client.request('POST', `${GROUP_PATH}/namespaces/${ns.name}/dagruns`, { body: { apiVersion: 'kontroler.greedykomodo/v1alpha1', kind: 'DagRun', metadata: { name: 'badparam' }, spec: { dagName: 'fine', parameters: [{ name: 'Q', value: '1' }] } } }),
    (err: Error) => /denied the request.*spec\.parameters\.Q: unknown parameter; the DAG declares: P/.test(err.message),
  );
  await client.request('POST', `${GROUP_PATH}/namespaces/${ns.name}/dagruns`, { body: { apiVersion: 'kontroler.greedykomodo/v1alpha1', kind: 'DagRun', metadata: { name: 'goodparam' }, spec: { dagName: 'fine', parameters: [{ name: 'P', value: '1' }] } } });
});

test('a DagRun that no longer fits its DAG can be labelled and finalized, but its spec never changes', async () => {
  const spec = { parameters: [{ name: 'P', defaultValue: 'x' }], task: [{ name: 't', image: 'alpine', command: ['true'], parameters: ['P'] }] };
  const dag = { apiVersion: 'kontroler.greedykomodo/v1alpha1', kind: 'DAG' as const, metadata: { name: 'shifting', namespace: ns.name }, spec };
  await applyResource(db.pool, dag, { source: 'test' });
  const dagruns = `${GROUP_PATH}/namespaces/${ns.name}/dagruns`;
  await client.request<KubeObject>('POST', dagruns, { body: { apiVersion: 'kontroler.greedykomodo/v1alpha1', kind: 'DagRun', metadata: { name: 'held' }, spec: { dagName: 'shifting', parameters: [{ name: 'P', value: '1' }] } } });
  // The DAG drops the parameter: the DagRun's spec would be refused now.
  await applyResource(db.pool, { ...dag, spec: { task: [{ name: 't', image: 'alpine', command: ['true'] }] } }, { source: 'test' });
  // kubectl label dagrun held edited=yes: metadata may change whatever the DAG became.
  const labelled = await client.request<KubeObject>('PATCH', `${dagruns}/held`, { contentType: 'application/merge-patch+json', body: { metadata: { labels: { edited: 'yes' } } } });
  assert.equal(labelled.metadata?.labels?.['edited'], 'yes');
  // The spec is immutable: the run started from it.
  await assert.rejects(
    client.request('PATCH', `${dagruns}/held`, { contentType: 'application/merge-patch+json', body: { spec: { dagName: 'another' } } }),
    (err: Error) => /spec: Invalid value.*a DagRun's spec cannot change once it exists .*create a new DagRun instead/.test(err.message),
    'a spec change is refused, saying what to do',
  );
  const held = await addFinalizer(client, `${dagruns}/held`, labelled, DAGRUN_FINALIZER);
  assert.deepEqual(held?.metadata?.finalizers, [DAGRUN_FINALIZER]);
  await client.request('DELETE', `${dagruns}/held`);
  const deleting = await client.request<{ metadata: { deletionTimestamp?: string; finalizers?: string[] } }>('GET', `${dagruns}/held`);
  assert.ok(deleting.metadata.deletionTimestamp, 'held by the finalizer');
  await removeFinalizer(client, `${dagruns}/held`, deleting, DAGRUN_FINALIZER);
  await untilGone(ns.kc, dagruns, 'held', 30_000);
});
