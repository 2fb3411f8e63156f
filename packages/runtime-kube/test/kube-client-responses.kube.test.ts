// The client's response hook (the controller's kube_requests_total) against the real apiserver:
// one call per request sent, with the answer's HTTP status, or 0 when no answer came.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KubeConfig } from '@kubernetes/client-node';
import { testKubeConfig, testNamespace } from '@kontroler/kube-agent/testing';
import { KubeClient } from '@kontroler/runtime-kube';

const ns = await testNamespace('client-responses');

test('onResponse gets verb, resource and status of each request; 0 when the connection fails', async () => {
  const seen: string[] = [];
  const onResponse = (verb: string, resource: string, status: number) => seen.push(`${verb} ${resource} ${status}`);
  const client = new KubeClient(testKubeConfig(), { qps: 0, onResponse });
  await client.request('POST', `/api/v1/namespaces/${ns.name}/configmaps`, { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } } });
  await assert.rejects(client.request('GET', `/api/v1/namespaces/${ns.name}/pods/nothing`));
  client.close();
  const gone = new KubeConfig();
  gone.loadFromOptions({ clusters: [{ name: 'c', server: 'https://127.0.0.1:1', skipTLSVerify: true }], users: [{ name: 'u' }], contexts: [{ name: 'x', cluster: 'c', user: 'u' }], currentContext: 'x' });
  const down = new KubeClient(gone, { qps: 0, onResponse });
  await assert.rejects(down.request('DELETE', '/api/v1/namespaces/a/pods/p', { retry: false }));
  down.close();
  assert.deepEqual(seen, ['POST configmaps 201', 'GET pods 404', 'DELETE pods 0']);
});
