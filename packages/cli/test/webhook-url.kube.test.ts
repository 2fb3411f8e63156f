// A controller outside the cluster with the admission webhook, as the README tells: `kontroler
// controller --webhook-port P --webhook-url https://HOST:P --webhook-ca-out FILE` makes its own
// CA, registers the ValidatingWebhookConfiguration itself (for its --namespaces only) and writes
// the CA to FILE; the real apiserver then calls it over TLS and refuses a cyclic DAG at
// `kubectl apply` time. The CA in FILE verifies the certificate the server presents.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { connect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testNamespace, waitFor } from '@kontroler/kube-agent/testing';
import { createTestDatabase, type TestDatabase } from '@kontroler/store/testing';
import { ROOT, start, type Proc } from './proc.js';

const ns = await testNamespace('webhook-url');
const configName = `kontroler-test-${ns.name}`;
const dir = mkdtempSync(join(tmpdir(), 'kontroler-webhook-url-'));
const caFile = join(dir, 'ca.crt');
let db: TestDatabase;
let proc: Proc;
let port: number;

function kubectl(args: string[], input = ''): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('kubectl', args, { env: { ...process.env, KUBECONFIG: process.env.KONTROLER_TEST_KUBECONFIG } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
    child.stdin.end(input);
  });
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const p = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return p;
}

const cyclic = (name: string): string =>
  JSON.stringify({
    apiVersion: 'kontroler.greedykomodo/v1alpha1',
    kind: 'DAG',
    metadata: { name, namespace: ns.name },
    spec: { task: [{ name: 'a', image: 'alpine', command: ['true'], runAfter: ['b'] }, { name: 'b', image: 'alpine', command: ['true'], runAfter: ['a'] }] },
  });

before(async () => {
  const crds = await kubectl(['apply', '--server-side', '--force-conflicts', '--field-manager=kontroler-tests', '-f', join(ROOT, 'deploy/crds')]);
  assert.equal(crds.status, 0, crds.stderr);
  db = await createTestDatabase();
  port = await freePort();
  const { KONTROLER_TEST_DATABASE_URL: _t, ...env } = process.env;
  proc = start(
    ['controller', '--runtime', 'kubernetes', '--kubeconfig', process.env.KONTROLER_TEST_KUBECONFIG ?? '', '--namespaces', ns.name, '--webhook-port', String(port), '--webhook-host', '127.0.0.1', '--webhook-url', `https://127.0.0.1:${port}`, '--webhook-config-name', configName, '--webhook-ca-out', caFile],
    { ...env, DATABASE_URL: db.url, KONTROLER_CONTROLLER_ID: 'webhook-url-test' },
  );
  await proc.waitFor(/registered ValidatingWebhookConfiguration/, 60_000);
});
after(async () => {
  proc?.signal('SIGTERM');
  await proc?.exited;
  await kubectl(['delete', 'validatingwebhookconfiguration', configName, '--ignore-not-found']);
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
});

test('the controller registers its webhook for its namespaces, with the CA it wrote out', async () => {
  const cfg = await waitFor<{ metadata?: { name?: string }; webhooks?: Array<{ clientConfig: { url?: string; caBundle: string }; namespaceSelector?: unknown }> }>(
    ns.kc,
    { path: '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations', fieldSelector: `metadata.name=${configName}` },
    () => true,
    { what: `ValidatingWebhookConfiguration ${configName}` },
  );
  const ca = readFileSync(caFile, 'utf8');
  assert.match(ca, /^-----BEGIN CERTIFICATE-----/);
  assert.equal(cfg.webhooks?.length, 3);
  for (const w of cfg.webhooks ?? []) {
    assert.equal(Buffer.from(w.clientConfig.caBundle, 'base64').toString(), ca);
    assert.match(w.clientConfig.url ?? '', new RegExp(`^https://127\\.0\\.0\\.1:${port}/validate-dag(task|run)?$`));
    assert.deepEqual(w.namespaceSelector, { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: [ns.name] }] });
  }
  // The CA in the file is the one the server's certificate chains to, for the URL's host.
  const verified = await new Promise<boolean>((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, ca, servername: undefined }, () => {
      resolve(s.authorized);
      s.end();
    });
    s.on('error', reject);
  });
  assert.equal(verified, true);
});

test('kubectl apply of a cyclic DAG is refused by the registered webhook', async () => {
  // The apiserver picks a new webhook configuration up asynchronously: dry-run applies (nothing
  // stored) until the webhook answers.
  let refused = { status: 0 as number | null, stdout: '', stderr: '' };
  for (let i = 0; i < 100; i++) {
    refused = await kubectl(['apply', '--dry-run=server', '-f', '-'], cyclic('probe'));
    if (refused.status !== 0) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  // kubectl shows the webhook's answer as its field errors (the API's text names the webhook).
  assert.match(refused.stderr, /The request is invalid: \n\* spec\.task\[0\]\.runAfter\[0\]: dependency cycle a -> b -> a/, refused.stderr);
  const real = await kubectl(['apply', '-f', '-'], cyclic('cyclic'));
  assert.notEqual(real.status, 0);
  assert.match(real.stderr, /dependency cycle/);
});
