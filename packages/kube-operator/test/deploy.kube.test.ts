// The Helm chart renders (helm template, with Helm built from the Go module proxy by
// scripts/build-helm.sh) to manifests the real apiserver accepts (server-side apply, dry run),
// for the cluster-wide, per-namespace and shard setups; its RBAC is least-privilege: of the
// Secrets the controller reads its webhook certificate only, the API server gets no cluster access.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testNamespace } from '@kontroler/kube-agent/testing';
import { installCrds } from './crds.js';
import { testClient, untilGone } from './helpers.js';
import { join } from 'node:path';
import { repoRoot } from '@kontroler/testing';
import { PATHS, apply, helm, render as renderChart, type Obj } from './helm-render.js';

const ns = await testNamespace('deploy');
const dryRunApply = (objs: Obj[]) => apply(testClient(), ns.name, objs);
const render = (bin: string, sets: string[]) => renderChart(bin, ns.name, sets);

test('the Helm chart renders manifests the apiserver accepts (server-side dry run), with least-privilege RBAC', async () => {
  await installCrds(testClient());
  const bin = helm();
  const objs = render(bin, []);
  const accepted = await dryRunApply(objs);
  for (const want of ['CustomResourceDefinition/dags.kontroler.greedykomodo', 'Deployment/kontroler-controller', 'Deployment/kontroler-server', 'ValidatingWebhookConfiguration/kontroler-' + ns.name, 'Secret/kontroler-webhook-cert', 'ClusterRole/kontroler-controller']) {
    assert.ok(accepted.includes(want), `${want} in ${accepted.join(', ')}`);
  }
  // No certificate in the render (GitOps: two renders are the same): the controller fills the
  // chart's empty Secret and sets the caBundle (webhook-cert.kube.test.ts).
  const secret = objs.find((o) => o.kind === 'Secret') as Obj & { data?: Record<string, string>; type?: string };
  assert.equal(secret.metadata.name, 'kontroler-webhook-cert');
  assert.equal(secret.data, undefined, 'the Secret is rendered empty');
  const hook = objs.find((o) => o.kind === 'ValidatingWebhookConfiguration') as Obj & { webhooks: Array<{ clientConfig: { caBundle?: string } }> };
  assert.ok(hook.webhooks.length === 3 && hook.webhooks.every((w) => w.clientConfig.caBundle === undefined));
  const controller = objs.find((o) => o.kind === 'Deployment' && o.metadata.name === 'kontroler-controller') as Obj & { spec: { template: { spec: { containers: Array<{ args: string[] }> } } } };
  const args = controller.spec.template.spec.containers[0]?.args ?? [];
  for (const a of ['--webhook-cert-secret=kontroler-webhook-cert', '--webhook-service=kontroler-webhook', `--webhook-config=kontroler-${ns.name}`]) assert.ok(args.includes(a), `${a} in ${args.join(' ')}`);

  // Least privilege: of the Secrets, the controller reads its webhook certificate only (by name); nothing at all for the server.
  const rules = (objs.filter((o) => o.kind === 'ClusterRole' || o.kind === 'Role') as Array<Obj & { rules: Array<{ resources: string[]; verbs: string[]; resourceNames?: string[] }> }>).flatMap((r) => r.rules);
  const secretRules = rules.filter((r) => r.resources.includes('secrets'));
  assert.deepEqual(secretRules.map((r) => r.resourceNames), [['kontroler-webhook-cert']], 'Secrets: the webhook certificate only');
  assert.ok(!secretRules.some((r) => r.verbs.includes('list') || r.verbs.includes('watch') || r.verbs.includes('create')));
  const hookRule = rules.find((r) => r.resources.includes('validatingwebhookconfigurations'));
  assert.deepEqual(hookRule?.resourceNames, [`kontroler-${ns.name}`]);
  assert.ok(!rules.some((r) => r.verbs.includes('*') || r.resources.includes('*')), 'no wildcards');
  const bindings = objs.filter((o) => o.kind === 'ClusterRoleBinding' || o.kind === 'RoleBinding') as Array<Obj & { subjects: Array<{ name: string }> }>;
  assert.ok(bindings.every((b) => b.subjects.every((s) => s.name === 'kontroler-controller')), 'only the controller is bound to a role');
  const serverSa = objs.find((o) => o.kind === 'ServiceAccount' && o.metadata.name === 'kontroler-server') as Obj & { automountServiceAccountToken?: boolean };
  assert.equal(serverSa.automountServiceAccountToken, false);
  const server = objs.find((o) => o.kind === 'Deployment' && o.metadata.name === 'kontroler-server') as Obj & { spec: { template: { spec: { automountServiceAccountToken?: boolean } } } };
  assert.equal(server.spec.template.spec.automountServiceAccountToken, false);
});

test('per-namespace (Roles) and shard setups render and are accepted too', async () => {
  const bin = helm();
  const perNs = render(bin, [`controller.namespaces={${ns.name}}`, 'controller.leaderElect=false', 'server.enabled=false']);
  // Cluster-wide: only the webhook configuration's caBundle (a cluster-scoped object), by name.
  const clusterRules = (perNs.filter((o) => o.kind === 'ClusterRole' && !/-(view|edit)$/.test(o.metadata.name)) as Array<Obj & { rules: Array<{ resources: string[]; resourceNames?: string[] }> }>).flatMap((r) => r.rules);
  assert.deepEqual(clusterRules.map((r) => [r.resources, r.resourceNames]), [[['validatingwebhookconfigurations'], [`kontroler-${ns.name}`]]], 'no other cluster-wide rule for the controller when namespaces are listed (the aggregated view/edit roles are for people)');
  await dryRunApply(perNs.filter((o) => o.kind !== 'CustomResourceDefinition'));
  const shard = render(bin, ['controller.shard=blue', 'webhook.enabled=false']);
  const role = shard.find((o) => o.kind === 'ClusterRole' && o.metadata.name === 'kontroler-controller') as Obj & { rules: Array<{ resources: string[] }> };
  assert.ok(role.rules.some((r) => r.resources.includes('namespaces')), 'a shard reads namespace labels');
  const deploy = shard.find((o) => o.kind === 'Deployment' && o.metadata.name === 'kontroler-controller') as Obj & { spec: { template: { spec: { containers: Array<{ args: string[] }> } } } };
  assert.ok(deploy.spec.template.spec.containers[0]?.args.includes('--shard=blue'));
  await dryRunApply(shard.filter((o) => o.kind !== 'CustomResourceDefinition'));
});

test("the controller works with nothing but the chart's RBAC (impersonating its service account)", async (t) => {
  const bin = helm();
  // Per-namespace mode: only namespaced objects (Roles, not a ClusterRole) are applied for real.
  const release = 'kontroler';
  const objs = render(bin, [`controller.namespaces={${ns.name}}`, 'webhook.enabled=false', 'server.enabled=false']);
  const rbac = objs.filter((o) => ['ServiceAccount', 'Role', 'RoleBinding'].includes(o.kind));
  const admin = testClient();
  for (const o of rbac) {
    const p = PATHS[o.kind]!;
    const body = o;
    await admin.request('PATCH', `${p.base}/namespaces/${ns.name}/${p.plural}/${body.metadata.name}`, {
      query: { fieldManager: 'kontroler-deploy-test', force: true },
      contentType: 'application/apply-patch+yaml',
      body,
    });
  }
  await installCrds(admin);
  // A kubeconfig that acts as the controller's service account.
  const { KubeConfig } = await import('@kubernetes/client-node');
  const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { spawn } = await import('node:child_process');
  const { createTestDatabase } = await import('@kontroler/store/testing');
  const { waitFor } = await import('@kontroler/kube-agent/testing');
  const kc = new KubeConfig();
  kc.loadFromFile(process.env.KONTROLER_TEST_KUBECONFIG ?? '');
  const user = kc.getCurrentUser()!;
  kc.users = kc.users.map((u) => (u.name === user.name ? { ...u, impersonateUser: `system:serviceaccount:${ns.name}:${release}-controller` } : u));
  const dir = mkdtempSync(join(tmpdir(), 'kontroler-sa-'));
  const kubeconfig = join(dir, 'sa.kubeconfig');
  writeFileSync(kubeconfig, kc.exportConfig());
  const db = await createTestDatabase();
  t.after(async () => {
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  });
  const { KONTROLER_TEST_DATABASE_URL: _t, ...env } = process.env;
  let out = '';
  const proc = spawn(process.execPath, [`${repoRoot}packages/cli/bin/kontroler.js`, 'controller', '--runtime', 'kubernetes', '--kubeconfig', kubeconfig, '--namespaces', ns.name, '--leader-elect', '--metrics-port', '0'], {
    env: { ...env, DATABASE_URL: db.url, KONTROLER_CONTROLLER_ID: 'rbac-test', KONTROLER_LEASE_NAMESPACE: ns.name },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
  t.after(async () => {
    if (proc.exitCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    await exited;
  });
  // A DAG with a workspace claim and a run, made by an admin; everything else by the controller.
  const base = `/apis/kontroler.greedykomodo/v1alpha1/namespaces/${ns.name}`;
  await admin.request('POST', `${base}/dags`, {
    body: {
      apiVersion: 'kontroler.greedykomodo/v1alpha1',
      kind: 'DAG',
      metadata: { name: 'rbac-check' },
      spec: { workspace: { enable: true, pvc: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }, task: [{ name: 'w', image: 'alpine', script: 'echo ok > /workspace/f' }, { name: 'r', image: 'alpine', runAfter: ['w'], script: 'cat /workspace/f' }] },
    },
  });
  await admin.request('POST', `${base}/dagruns`, { body: { apiVersion: 'kontroler.greedykomodo/v1alpha1', kind: 'DagRun', metadata: { name: 'rbac-run' }, spec: { dagName: 'rbac-check' } } });
  const done = await waitFor<{ metadata?: { name?: string }; status?: { phase?: string } } & import('@kubernetes/client-node').KubernetesObject>(
    ns.kc,
    { path: `${base}/dagruns`, fieldSelector: 'metadata.name=rbac-run' },
    (o) => o.status?.phase === 'Succeeded' || o.status?.phase === 'Failed',
    { what: `DagRun rbac-run ended; controller output:\n${out}`, timeoutMs: 120_000 },
  );
  assert.equal(done.status?.phase, 'Succeeded', out);
  // Its finalizer (put on and taken off by the controller) lets a delete through.
  await admin.request('DELETE', `${base}/dagruns/rbac-run`);
  await untilGone(ns.kc, `${base}/dagruns`, 'rbac-run', 60_000);
  assert.doesNotMatch(out, /forbidden/i, 'no request was refused');
  // Its /metrics counts the Kubernetes API requests by verb, resource and status: the two task pods created.
  const metricsUrl = /health and metrics: (http:\/\/[^/\s]+)\/healthz/.exec(out)?.[1];
  assert.ok(metricsUrl, out);
  const text = await (await fetch(`${metricsUrl}/metrics`)).text();
  const created = Number(/^kontroler_controller_kube_requests_total\{verb="POST",resource="pods",code="201"\} (\d+)$/m.exec(text)?.[1] ?? 0);
  assert.ok(created >= 2, text);
  assert.ok(!/kontroler_controller_kube_requests_total\{[^}]*code="403"\}/.test(text), 'no 403 counted either');
  assert.match(out, /is now the leader/);
});
