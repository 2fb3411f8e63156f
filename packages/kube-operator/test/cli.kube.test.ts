// `kontroler controller --runtime kubernetes` end to end, as a user runs it: CRDs, leader
// election, the admission webhook (certificate from --webhook-cert-dir), `kubectl apply` of an
// example DAG, a DagRun created with kubectl runs to Succeeded, and `kubectl get` shows it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubernetesObject } from '@kubernetes/client-node';
import { testNamespace, waitFor } from '@kontroler/kube-agent/testing';
import { type KubeClient } from '@kontroler/runtime-kube';
import { selfSignedCert, webhookConfiguration } from '@kontroler/kube-operator';
import { createTestDatabase, type TestDatabase } from '@kontroler/store/testing';
import { GROUP_PATH, installCrds } from './crds.js';
import { kubectl, testClient } from './helpers.js';
import { repoRoot } from '@kontroler/testing';

const ns = await testNamespace('cli');
const kubeconfig = process.env.KONTROLER_TEST_KUBECONFIG ?? '';
const configName = `kontroler-cli-${ns.name}`;
let db: TestDatabase;
let client: KubeClient;
let proc: ChildProcess;
let out = '';
let certDir: string;


function untilOutput(re: RegExp, timeoutMs = 60_000): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${re}; output:\n${out}`)), timeoutMs);
    const check = (): void => {
      const m = out.match(re);
      if (m) {
        clearTimeout(timer);
        proc.stdout?.off('data', check);
        proc.stderr?.off('data', check);
        resolve(m);
      }
    };
    proc.stdout?.on('data', check);
    proc.stderr?.on('data', check);
    check();
  });
}

before(async () => {
  client = testClient();
  await installCrds(client);
  db = await createTestDatabase();
  certDir = mkdtempSync(join(tmpdir(), 'kontroler-webhook-cert-'));
  const cert = await selfSignedCert({ dnsNames: ['localhost'], ips: ['127.0.0.1'] });
  writeFileSync(join(certDir, 'tls.crt'), cert.cert);
  writeFileSync(join(certDir, 'tls.key'), cert.key);
  writeFileSync(join(certDir, 'ca.crt'), cert.ca);
  const { KONTROLER_TEST_DATABASE_URL: _t, ...env } = process.env;
  proc = spawn(
    process.execPath,
    [`${repoRoot}packages/cli/bin/kontroler.js`, 'controller', '--runtime', 'kubernetes', '--kubeconfig', kubeconfig, '--namespaces', ns.name, '--leader-elect', '--webhook-port', '0', '--webhook-host', '127.0.0.1', '--webhook-cert-dir', certDir],
    { env: { ...env, DATABASE_URL: db.url, KONTROLER_CONTROLLER_ID: 'cli-kube', KONTROLER_LEASE_NAMESPACE: ns.name }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const [, port] = await untilOutput(/admission webhooks on https:\/\/127\.0\.0\.1:(\d+)\//);
  await client.request('POST', '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations', {
    body: webhookConfiguration({ name: configName, caBundle: cert.ca, url: `https://127.0.0.1:${port}`, namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns.name } } }),
  });
  await untilOutput(/is now the leader/);
});

after(async () => {
  await client.request('DELETE', `/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/${configName}`).catch(() => undefined);
  if (proc.exitCode === null) {
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    await exited;
  }
  await db.drop();
  rmSync(certDir, { recursive: true, force: true });
});

test('kubectl apply an example DAG, kubectl create a DagRun: it runs through pods to Succeeded and kubectl get shows it', async () => {
  const applied = await kubectl(['apply', '-n', ns.name, '-f', join(repoRoot, 'examples/hello-chain.yaml')]);
  assert.equal(applied.status, 0, applied.stderr);
  const run = JSON.stringify({ apiVersion: 'kontroler.greedykomodo/v1alpha1', kind: 'DagRun', metadata: { name: 'hello-1', namespace: ns.name }, spec: { dagName: 'hello-chain' } });
  const created = await kubectl(['create', '-f', '-'], run);
  assert.equal(created.status, 0, created.stderr);
  await waitFor<KubernetesObject & { status?: { phase?: string } }>(
    ns.kc,
    { path: `${GROUP_PATH}/namespaces/${ns.name}/dagruns`, fieldSelector: 'metadata.name=hello-1' },
    (o) => o.status?.phase === 'Succeeded',
    { what: 'DagRun hello-1 Succeeded', timeoutMs: 120_000 },
  );
  const get = await kubectl(['get', 'dagruns', '-n', ns.name]);
  assert.match(get.stdout, /NAME\s+DAG\s+PHASE\s+PROGRESS\s+STARTED\s+DURATION\s+AGE/);
  assert.match(get.stdout, /hello-1\s+hello-chain\s+Succeeded\s+3\/3/);
  const dags = await kubectl(['get', 'kdag', '-n', ns.name]);
  assert.match(dags.stdout, /hello-chain\s+.*Successful/);
  const describe = await kubectl(['describe', 'dagrun', 'hello-1', '-n', ns.name]);
  assert.match(describe.stdout, /RunSucceeded/);

  // A bad DAG is refused at apply time by the controller's webhook.
  const bad = await kubectl(['apply', '-n', ns.name, '-f', '-'], JSON.stringify({ apiVersion: 'kontroler.greedykomodo/v1alpha1', kind: 'DAG', metadata: { name: 'bad' }, spec: { task: [{ name: 'x', command: ['true'] }] } }));
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /spec\.task\[0\]\.image/);
});
