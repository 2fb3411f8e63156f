// Proves the test substrate is a real kube-apiserver: CRD establishment, status-subresource
// semantics, 410 Gone on a compacted watch and the re-list that survives it, MicroTime on Leases.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ApiextensionsV1Api, CoordinationV1Api, V1MicroTime, Watch, type KubernetesObject, type V1CustomResourceDefinition, type V1PodTemplate } from '@kubernetes/client-node';
import { compactEtcd, kubeRequest, KubeHttpError, startReflector, testNamespace, waitFor, type ReflectorEvent } from '@kontroler/kube-agent/testing';

// Top level, so the namespace is deleted after this file's tests (a root `after` hook).
const ns = await testNamespace('substrate');

interface Widget extends KubernetesObject {
  spec?: { size?: number; bogus?: string };
  status?: { observed?: number };
}

const group = `t${randomBytes(3).toString('hex')}.test.kontroler.dev`;
const crdName = `widgets.${group}`;

async function installWidgetCRD(): Promise<void> {
  const api = ns.kc.makeApiClient(ApiextensionsV1Api);
  const crd: V1CustomResourceDefinition = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: crdName },
    spec: {
      group,
      scope: 'Namespaced',
      names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          subresources: { status: {} },
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                spec: { type: 'object', properties: { size: { type: 'integer' } } },
                status: { type: 'object', properties: { observed: { type: 'integer' } } },
              },
            },
          },
        },
      ],
    },
  };
  await api.createCustomResourceDefinition({ body: crd });
  crdInstalled = true;
}

let crdInstalled = false;
after(async () => {
  if (crdInstalled) await ns.kc.makeApiClient(ApiextensionsV1Api).deleteCustomResourceDefinition({ name: crdName });
});

test('a CRD becomes Established and its resource (with /status) appears in discovery', async () => {
  await installWidgetCRD();
  const established = await waitFor<V1CustomResourceDefinition>(
    ns.kc,
    { path: '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', fieldSelector: `metadata.name=${crdName}` },
    (crd) => ['NamesAccepted', 'Established'].every((t) => crd.status?.conditions?.some((c) => c.type === t && c.status === 'True')),
    { what: `CRD ${crdName} to be Established` },
  );
  assert.equal(established.status?.acceptedNames?.kind, 'Widget');
  // Discovery has no watch; envtest polls it too (controller-runtime pkg/envtest/crd.go).
  const resources = await eventually(async () => {
    const d = await kubeRequest<{ resources: Array<{ name: string }> }>(ns.kc, 'GET', `/apis/${group}/v1`);
    const names = d.resources.map((r) => r.name);
    assert.ok(names.includes('widgets') && names.includes('widgets/status'), `discovery lists ${names.join(', ')}`);
    return names;
  });
  assert.deepEqual(resources.sort(), ['widgets', 'widgets/status']);
});

test('the status subresource: main writes ignore status, /status ignores spec, generation tracks spec, stale writes conflict, unknown fields are pruned', async () => {
  const base = `/apis/${group}/v1/namespaces/${ns.name}/widgets`;
  const created = await kubeRequest<Widget>(ns.kc, 'POST', base, {
    body: { apiVersion: `${group}/v1`, kind: 'Widget', metadata: { name: 'w1' }, spec: { size: 1, bogus: 'x' }, status: { observed: 5 } },
  });
  assert.equal(created.metadata?.generation, 1);
  assert.equal(created.status, undefined, 'status sent with a create is dropped');
  assert.deepEqual(created.spec, { size: 1 }, 'a field outside the structural schema is pruned');

  const statusWrite = await kubeRequest<Widget>(ns.kc, 'PUT', `${base}/w1/status`, {
    body: { ...created, spec: { size: 99 }, status: { observed: 1 } },
  });
  assert.deepEqual(statusWrite.status, { observed: 1 });
  assert.deepEqual(statusWrite.spec, { size: 1 }, 'spec sent to /status is ignored');
  assert.equal(statusWrite.metadata?.generation, 1, 'a status write does not bump generation');

  const specWrite = await kubeRequest<Widget>(ns.kc, 'PATCH', `${base}/w1`, {
    body: { spec: { size: 2 }, status: { observed: 42 } },
    contentType: 'application/merge-patch+json',
  });
  assert.equal(specWrite.metadata?.generation, 2, 'a spec change bumps generation');
  assert.deepEqual(specWrite.status, { observed: 1 }, 'status sent to the main resource is ignored');

  const stale = kubeRequest(ns.kc, 'PUT', `${base}/w1`, { body: { ...created, spec: { size: 3 } } });
  await assert.rejects(stale, (err: unknown) => err instanceof KubeHttpError && err.statusCode === 409);
});

test('a watch resumed from a compacted resourceVersion gets 410 Gone, and the reflector re-lists and keeps watching', async (t) => {
  const base = `/api/v1/namespaces/${ns.name}/podtemplates`;
  const template = (name: string): V1PodTemplate => ({
    metadata: { name },
    template: { spec: { containers: [{ name: 'c', image: 'none', command: ['true'] }] } },
  });
  const a = await ns.core.createNamespacedPodTemplate({ namespace: ns.name, body: template('a') });
  const staleRV = a.metadata?.resourceVersion ?? '';
  await ns.core.createNamespacedPodTemplate({ namespace: ns.name, body: template('b') });
  // Compact past the first event after staleRV, so resuming from staleRV cannot be served.
  const b2 = await ns.core.replaceNamespacedPodTemplate({ name: 'b', namespace: ns.name, body: { ...template('b'), metadata: { name: 'b', labels: { touched: 'yes' } } } });
  await compactEtcd(b2.metadata?.resourceVersion ?? '');

  // The raw API: the apiserver ends the watch with an ERROR event carrying 410 (Expired).
  const status = await new Promise<{ code?: number; reason?: string }>((resolve, reject) => {
    let controller: AbortController | undefined;
    void new Watch(ns.kc)
      .watch(base, { resourceVersion: staleRV }, (type, obj: { code?: number; reason?: string }) => {
        if (type === 'ERROR') {
          // Deferred: aborting inside client-node's line callback raises an uncaught AbortError.
          setImmediate(() => controller?.abort());
          resolve(obj);
        }
      }, (err: unknown) => (err ? reject(err as Error) : undefined))
      .then((c) => (controller = c));
  });
  assert.equal(status.code, 410);
  assert.equal(status.reason, 'Expired');

  // The reflector: same stale resourceVersion; it must re-list and then see new events.
  const events: Array<ReflectorEvent<V1PodTemplate>> = [];
  let notify: () => void = () => undefined;
  const reflector = startReflector<V1PodTemplate>({
    kubeConfig: ns.kc,
    path: base,
    resourceVersion: staleRV,
    onEvent: (e) => {
      events.push(e);
      notify();
    },
  });
  t.after(() => reflector.stop());
  const until = (pred: () => boolean): Promise<void> =>
    new Promise((resolve) => {
      notify = () => pred() && resolve();
      notify();
    });
  const names = (type: string): string[] => events.flatMap((e) => (e.type !== 'SYNCED' && e.type === type ? [e.object.metadata?.name ?? ''] : []));

  await until(() => events.some((e) => e.type === 'SYNCED' && e.relist));
  assert.deepEqual(names('ADDED').sort(), ['a', 'b'], 'the re-list delivers what the expired watch missed');
  await ns.core.createNamespacedPodTemplate({ namespace: ns.name, body: template('c') });
  await ns.core.deleteNamespacedPodTemplate({ name: 'a', namespace: ns.name });
  await until(() => names('ADDED').includes('c') && names('DELETED').includes('a'));
});

test('Lease times are MicroTime: six fractional digits round-trip, three are rejected', async () => {
  const api = ns.kc.makeApiClient(CoordinationV1Api);
  const renewTime = new V1MicroTime();
  await api.createNamespacedLease({
    namespace: ns.name,
    body: { metadata: { name: 'micro' }, spec: { holderIdentity: 'test', leaseDurationSeconds: 15, acquireTime: new V1MicroTime(), renewTime } },
  });
  const raw = await kubeRequest<{ spec: { renewTime: string; acquireTime: string } }>(ns.kc, 'GET', `/apis/coordination.k8s.io/v1/namespaces/${ns.name}/leases/micro`);
  assert.match(raw.spec.renewTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  assert.equal(new Date(raw.spec.renewTime).getTime(), renewTime.getTime());

  const plain = kubeRequest(ns.kc, 'POST', `/apis/coordination.k8s.io/v1/namespaces/${ns.name}/leases`, {
    body: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'millis' }, spec: { renewTime: new Date().toISOString() } },
  });
  await assert.rejects(plain, (err: unknown) => err instanceof KubeHttpError && err.statusCode === 400);
});

/** Retries `fn` until it stops throwing (only for things the API cannot watch, like discovery). */
async function eventually<T>(fn: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
