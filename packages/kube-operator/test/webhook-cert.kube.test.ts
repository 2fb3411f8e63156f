// The controller keeps its admission webhook certificate itself (what the chart does by default,
// so a render holds no generated key): two replicas starting at once on the chart's empty Secret
// agree on one CA and certificate, the webhook configuration's caBundle is set to that CA and the
// real apiserver then calls the webhook over TLS; a renewal is served without a restart, and a
// caBundle reset by a sync is set again.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import tls from 'node:tls';
import { testNamespace } from '@kontroler/kube-agent/testing';
import { KubeApiError, type KubeClient } from '@kontroler/runtime-kube';
import { WebhookCertKeeper, splitPem, startWebhookServer, webhookConfiguration, type RunningWebhookServer, type ServingCert } from '@kontroler/kube-operator';
import { GROUP_PATH, installCrds } from './crds.js';
import { testClient } from './helpers.js';

const ns = await testNamespace('webhook-cert');
const configName = `kontroler-cert-test-${ns.name}`;
const secretName = 'kontroler-webhook-cert';
const vwcPath = `/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/${configName}`;
const secretPath = `/api/v1/namespaces/${ns.name}/secrets/${secretName}`;
let client: KubeClient;
let server: RunningWebhookServer | undefined;
const keepers: WebhookCertKeeper[] = [];

const cyclic = {
  apiVersion: 'kontroler.greedykomodo/v1alpha1',
  kind: 'DAG',
  metadata: { name: 'cyclic', namespace: ns.name },
  spec: { task: [{ name: 'a', image: 'alpine', command: ['true'], runAfter: ['b'] }, { name: 'b', image: 'alpine', command: ['true'], runAfter: ['a'] }] },
};

/** Resolves once the apiserver has called our webhook (it denies a cyclic DAG in a dry run). */
async function untilWebhookAnswers(): Promise<void> {
  let last = '';
  for (let i = 0; i < 150; i++) {
    try {
      await client.request('POST', `${GROUP_PATH}/namespaces/${ns.name}/dags`, { body: cyclic, query: { dryRun: 'All' }, retry: false });
      last = 'admitted';
    } catch (err) {
      if (err instanceof KubeApiError && /denied the request: DAG cyclic is invalid/.test(err.message)) return;
      last = String(err);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.fail(`the apiserver never called the webhook; last answer: ${last}`);
}

function servedCert(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', rejectUnauthorized: false }, () => {
      const pem = s.getPeerX509Certificate()?.toString() ?? '';
      s.end();
      resolve(pem);
    });
    s.on('error', reject);
  });
}

before(async () => {
  client = testClient();
  await installCrds(client);
});
after(async () => {
  for (const k of keepers) await k.stop();
  await server?.close();
  await client.request('DELETE', vwcPath).catch(() => undefined);
});

test('two replicas fill the empty Secret with one certificate, set the caBundle, renew, and repair a reset caBundle', async () => {
  // What the chart renders: an empty Secret and a webhook configuration without caBundle.
  await client.request('POST', `/api/v1/namespaces/${ns.name}/secrets`, { body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: secretName }, type: 'Opaque' } });
  const cfg = webhookConfiguration({ name: configName, caBundle: '', url: 'https://localhost:1', namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns.name } } }) as { webhooks: Array<{ clientConfig: Record<string, unknown> }> };
  for (const w of cfg.webhooks) delete w.clientConfig['caBundle'];
  await client.request('POST', '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations', { body: cfg });

  let clock = Date.now();
  const seen: ServingCert[][] = [[], []];
  const logs: string[] = [];
  const make = (i: number) =>
    new WebhookCertKeeper({
      client,
      source: { kind: 'secret', namespace: ns.name, name: secretName, want: { dnsNames: ['localhost'], leafDays: 365, caDays: 3650 } },
      webhookConfig: configName,
      onCert: (c) => {
        seen[i]!.push(c);
        server?.setCert(c);
      },
      now: () => clock,
      checkMs: 3_600_000,
      log: (m) => logs.push(`[${i}] ${m}`),
    });
  keepers.push(make(0), make(1));
  const [a, b] = await Promise.all(keepers.map((k) => k.start()));
  assert.ok(a && b);
  assert.equal(a.cert, b.cert, `both replicas serve the one certificate in the Secret:\n${logs.join('\n')}`);
  assert.equal(logs.filter((l) => /made a new CA/.test(l)).length, 1, `one replica wrote the Secret, the other read it:\n${logs.join('\n')}`);
  const secret = await client.request<{ data: Record<string, string> }>('GET', secretPath);
  assert.equal(Buffer.from(secret.data['tls.crt'] ?? '', 'base64').toString(), a.cert);
  assert.ok(secret.data['ca.key'], 'the CA key is kept with it, to renew the certificate under the same CA');

  // The caBundle is the CA that signed it; the apiserver trusts the webhook.
  const vwc = await client.request<{ webhooks: Array<{ clientConfig: { caBundle?: string } }> }>('GET', vwcPath);
  assert.ok(vwc.webhooks.every((w) => w.clientConfig.caBundle === Buffer.from(a.ca).toString('base64')));
  server = await startWebhookServer({ cert: a, port: 0, host: '127.0.0.1' });
  const url = `https://localhost:${server.port}`;
  await client.request('PATCH', vwcPath, { contentType: 'application/json-patch+json', body: cfg.webhooks.map((_, i) => ({ op: 'replace', path: `/webhooks/${i}/clientConfig/url`, value: `${url}/validate-${['dag', 'dagtask', 'dagrun'][i]}` })) });
  await untilWebhookAnswers();

  // 300 days later (a third of 365 left): a new certificate under the same CA, served at once.
  clock += 300 * 86_400_000;
  await keepers[0]!.check();
  const renewed = seen[0]!.at(-1)!;
  assert.notEqual(renewed.cert, a.cert, logs.join('\n'));
  assert.equal(renewed.ca, a.ca, 'same CA: the caBundle needs no change');
  assert.equal(new X509Certificate(await servedCert(server.port)).fingerprint256, new X509Certificate(renewed.cert).fingerprint256, 'the server serves the renewed certificate without a restart');
  // The other replica picks the renewal up at its next check instead of renewing again.
  await keepers[1]!.check();
  assert.equal(seen[1]!.at(-1)!.cert, renewed.cert);
  assert.equal(logs.filter((l) => /issued a new serving certificate/.test(l)).length, 1);
  await untilWebhookAnswers();

  // A sync (helm upgrade, Argo CD) that writes the configuration without caBundle: set again at the next check.
  await client.request('PATCH', vwcPath, { contentType: 'application/json-patch+json', body: cfg.webhooks.map((_, i) => ({ op: 'remove', path: `/webhooks/${i}/clientConfig/caBundle` })) });
  await keepers[1]!.check();
  const repaired = await client.request<{ webhooks: Array<{ clientConfig: { caBundle?: string } }> }>('GET', vwcPath);
  assert.ok(repaired.webhooks.every((w) => w.clientConfig.caBundle === Buffer.from(renewed.ca).toString('base64')), logs.join('\n'));
  assert.equal(splitPem(renewed.ca).length, 1);
  await untilWebhookAnswers();
});
