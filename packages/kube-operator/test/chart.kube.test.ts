// The chart as a platform team uses it: its pods are admitted in a namespace enforcing Pod
// Security `restricted` (the apiserver's PodSecurity admission, checked on the Deployments' pod
// templates created as Pods in a dry run), it renders the same manifests every time (GitOps), its
// values are checked by values.schema.json (a bad value is refused naming the field), and the
// optional parts (NetworkPolicy, Ingress, PodDisruptionBudget) are accepted by the apiserver.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testNamespace } from '@kontroler/kube-agent/testing';
import { KubeApiError } from '@kontroler/runtime-kube';
import { installCrds } from './crds.js';
import { testClient } from './helpers.js';
import { apply, helm, render, template, type Obj } from './helm-render.js';

const restricted = await testNamespace('chart-restricted', { labels: { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'latest' } });

type PodSpec = { securityContext?: Record<string, unknown>; containers: Array<{ name: string; securityContext?: Record<string, unknown>; startupProbe?: unknown; livenessProbe?: unknown; readinessProbe?: { httpGet?: { path?: string; port?: string } } }> };
type Deployment = Obj & { spec: { template: { metadata: { labels: Record<string, string> }; spec: PodSpec } } };

const deployments = (objs: Obj[]) => objs.filter((o): o is Deployment => o.kind === 'Deployment');

/** A Pod of the Deployment's template, created in a dry run (admission, PodSecurity included, runs; nothing is stored). */
function createPod(d: Deployment, spec: PodSpec = d.spec.template.spec): Promise<unknown> {
  return testClient().request('POST', `/api/v1/namespaces/${restricted.name}/pods`, {
    query: { dryRun: 'All' },
    body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: `${d.metadata.name}-check`, labels: d.spec.template.metadata.labels }, spec },
    retry: false,
  });
}

test('the pods of both Deployments are admitted under Pod Security restricted, with probes on every container; a pod without seccomp is refused there', async () => {
  const bin = helm();
  for (const sets of [[], ['webhook.enabled=false'], ['webhook.certManager.enabled=true'], ['webhook.existingSecret=mine']]) {
    const objs = render(bin, restricted.name, sets);
    const ds = deployments(objs);
    assert.deepEqual(ds.map((d) => d.metadata.name).sort(), ['kontroler-controller', 'kontroler-server']);
    for (const d of ds) {
      for (const c of d.spec.template.spec.containers) {
        assert.ok(c.startupProbe && c.livenessProbe && c.readinessProbe, `${d.metadata.name}/${c.name} (${sets.join(' ')}): startup, liveness and readiness probes`);
        assert.equal(c.readinessProbe.httpGet?.path, '/readyz');
      }
      await createPod(d);
    }
  }
  // The namespace does enforce: the same pod without its seccomp profiles is refused.
  const d = deployments(render(bin, restricted.name, []))[0]!;
  const spec = structuredClone(d.spec.template.spec);
  delete spec.securityContext?.['seccompProfile'];
  for (const c of spec.containers) delete c.securityContext?.['seccompProfile'];
  await assert.rejects(createPod(d, spec), (err: unknown) => err instanceof KubeApiError && err.status === 403 && /violates PodSecurity "restricted:latest".*seccompProfile/.test(err.message));
});

test('two renders are byte-identical (no generated certificate or random name), for every certificate mode', () => {
  const bin = helm();
  for (const sets of [[], ['webhook.certManager.enabled=true'], ['webhook.existingSecret=mine', 'webhook.caBundle=QUJD'], ['serviceMonitor.enabled=true', 'networkPolicy.enabled=true', 'server.ingress.enabled=true', 'server.ingress.hosts[0].host=k.example.com']]) {
    const a = template(bin, restricted.name, sets);
    const b = template(bin, restricted.name, sets);
    assert.equal(a.status, 0, a.stderr);
    assert.equal(a.stdout, b.stdout, `renders differ with ${sets.join(' ') || 'the defaults'}`);
  }
  // Certificates are the controller's or cert-manager's job, never the render's.
  const out = template(bin, restricted.name, []).stdout;
  assert.doesNotMatch(out, /BEGIN (CERTIFICATE|PRIVATE KEY|RSA PRIVATE KEY)|^\s+(tls\.key|caBundle):/m);
});

test('values.schema.json refuses bad values, naming the field', () => {
  const bin = helm();
  const cases: Array<[string[], RegExp]> = [
    [['controller.replicas=-1'], /\/controller\/replicas.*minimum/],
    [['controller.podAntiAffinity=sometimes'], /\/controller\/podAntiAffinity.*one of/],
    [['webhook.failurePolicy=Maybe'], /\/webhook\/failurePolicy/],
    [['logs.maxBytes=100'], /\/logs\/maxBytes.*minimum/],
    [['server.oidc.roleMap[0].claim=groups', 'server.oidc.roleMap[0].value=a', 'server.oidc.roleMap[0].namespace=*', 'server.oidc.roleMap[0].role=root'], /\/server\/oidc\/roleMap\/0\/role/],
    [['postgresql.sslmode=sometimes'], /\/postgresql\/sslmode/],
    [['controler.replicas=3'], /additional properties 'controler' not allowed/],
    [['controller.metricsPort=70000'], /\/controller\/metricsPort.*maximum/],
    [['serviceMonitor.interval=soon'], /\/serviceMonitor\/interval/],
    [['logFormat=xml'], /\/logFormat.*one of 'text', 'json'/],
  ];
  for (const [sets, want] of cases) {
    const r = template(bin, restricted.name, sets);
    assert.notEqual(r.status, 0, `${sets.join(' ')} must be refused`);
    assert.match(r.stderr, want, sets.join(' '));
  }
  // Values that make no sense together are refused by the templates, saying what is missing.
  const noDb = template(bin, restricted.name, ['postgresql.existingSecret=']);
  assert.match(noDb.stderr, /postgresql: set existingSecret .* or host/);
  const noPw = template(bin, restricted.name, ['postgresql.existingSecret=', 'postgresql.host=db.example.com']);
  assert.match(noPw.stderr, /postgresql\.passwordSecret\.name/);
  const oidc = template(bin, restricted.name, ['server.oidc.enabled=true']);
  assert.match(oidc.stderr, /server\.oidc\.enabled needs issuer, clientId, redirectUrl and roleMap/);
});

test('the optional parts render and are accepted: NetworkPolicy, Ingress, PodDisruptionBudgets, the database by host with PGPASSWORD, OIDC, ServiceMonitor', async () => {
  await installCrds(testClient());
  const bin = helm();
  const objs = render(bin, restricted.name, [
    'networkPolicy.enabled=true',
    'networkPolicy.metricsFrom[0].namespaceSelector.matchLabels.kubernetes\\.io/metadata\\.name=monitoring',
    'server.ingress.enabled=true',
    'server.ingress.className=nginx',
    'server.ingress.hosts[0].host=kontroler.example.com',
    'server.ingress.tls[0].secretName=kontroler-tls',
    'server.ingress.tls[0].hosts[0]=kontroler.example.com',
    'server.podDisruptionBudget.enabled=true',
    'serviceMonitor.enabled=true',
    'serviceMonitor.serverToken.secretName=kontroler-metrics-token',
    'postgresql.existingSecret=',
    'postgresql.host=db.example.com',
    'postgresql.passwordSecret.name=kontroler-db-password',
    'server.passwordLogin=false',
    'server.oidc.enabled=true',
    'server.oidc.issuer=https://idp.example.com',
    'server.oidc.clientId=kontroler',
    'server.oidc.clientSecret.name=kontroler-oidc',
    'server.oidc.redirectUrl=https://kontroler.example.com/api/v1/auth/oidc/callback',
    'server.oidc.roleMap[0].claim=groups',
    'server.oidc.roleMap[0].value=platform',
    'server.oidc.roleMap[0].namespace=*',
    'server.oidc.roleMap[0].role=admin',
    'retention.days=30',
    'controller.taskServerUrl=https://kontroler.example.com',
  ]);
  const kinds = objs.map((o) => `${o.kind}/${o.metadata.name}`);
  for (const want of ['NetworkPolicy/kontroler-controller', 'NetworkPolicy/kontroler-server', 'Ingress/kontroler-server', 'PodDisruptionBudget/kontroler-controller', 'PodDisruptionBudget/kontroler-server', 'ServiceMonitor/kontroler']) {
    assert.ok(kinds.includes(want), `${want} in ${kinds.join(', ')}`);
  }
  // No monitoring.coreos.com CRD in this apiserver: the ServiceMonitor is checked for its targets instead.
  const sm = objs.find((o) => o.kind === 'ServiceMonitor') as Obj & { spec: { endpoints: Array<{ port: string; path: string; authorization?: unknown }> } };
  assert.deepEqual(sm.spec.endpoints.map((e) => [e.port, e.path, e.authorization !== undefined]), [['metrics', '/metrics', false], ['http', '/metrics', true]], 'the controllers and the server are scraped');
  const metricsSvc = objs.find((o) => o.kind === 'Service' && o.metadata.name === 'kontroler-controller-metrics') as Obj & { spec: { ports: Array<{ name: string }> } };
  assert.equal(metricsSvc.spec.ports[0]?.name, 'metrics');
  await apply(testClient(), restricted.name, objs.filter((o) => o.kind !== 'ServiceMonitor' && o.kind !== 'CustomResourceDefinition'));

  const env = (name: string) => (deployments(objs).find((d) => d.metadata.name === name)!.spec.template.spec.containers[0] as unknown as { env: Array<{ name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string } } }> }).env;
  const server = env('kontroler-server');
  const controller = env('kontroler-controller');
  for (const e of [server, controller]) {
    assert.equal(e.find((v) => v.name === 'DATABASE_URL')?.value, 'postgres://kontroler@db.example.com:5432/kontroler?sslmode=require', 'no password in the URL');
    assert.equal(e.find((v) => v.name === 'PGPASSWORD')?.valueFrom?.secretKeyRef?.name, 'kontroler-db-password');
  }
  assert.equal(server.find((v) => v.name === 'KONTROLER_PASSWORD_LOGIN')?.value, 'false');
  assert.ok(!server.some((v) => v.name === 'KONTROLER_ADMIN_PASSWORD'));
  assert.equal(server.find((v) => v.name === 'KONTROLER_OIDC_CLIENT_SECRET')?.valueFrom?.secretKeyRef?.name, 'kontroler-oidc');
  assert.deepEqual(JSON.parse(server.find((v) => v.name === 'KONTROLER_OIDC_ROLE_MAP')?.value ?? ''), [{ claim: 'groups', value: 'platform', namespace: '*', role: 'admin' }]);
  assert.equal(controller.find((v) => v.name === 'KONTROLER_TASK_SERVER_URL')?.value, 'https://kontroler.example.com');
  assert.equal(controller.find((v) => v.name === 'KONTROLER_RETENTION_DAYS')?.value, '30');
  // By default tasks reach the release's own server Service.
  const dflt = deployments(render(bin, restricted.name, [])).find((d) => d.metadata.name === 'kontroler-controller')!.spec.template.spec.containers[0] as unknown as { env: Array<{ name: string; value?: string }> };
  assert.equal(dflt.env.find((v) => v.name === 'KONTROLER_TASK_SERVER_URL')?.value, `http://kontroler-server.${restricted.name}.svc:80`);
});

test("the controller keeps its webhook certificate with nothing but the chart's RBAC (impersonating its service account)", async (t) => {
  const bin = helm();
  const admin = testClient();
  const objs = render(bin, restricted.name, ['server.enabled=false']);
  const wanted = objs.filter((o) => ['ServiceAccount', 'Secret', 'ValidatingWebhookConfiguration'].includes(o.kind) || (['Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding'].includes(o.kind) && o.metadata.name.includes('webhook')));
  // The webhook configuration would send every DAG write in this namespace to a controller that
  // is not running here: Ignore, and no webhook call matters to this test.
  for (const o of wanted) if (o.kind === 'ValidatingWebhookConfiguration') for (const w of o['webhooks'] as Array<Record<string, unknown>>) w['failurePolicy'] = 'Ignore';
  t.after(async () => {
    for (const o of wanted.filter((x) => x.kind.startsWith('Cluster') || x.kind === 'ValidatingWebhookConfiguration')) {
      const p = { ClusterRole: 'clusterroles', ClusterRoleBinding: 'clusterrolebindings', ValidatingWebhookConfiguration: 'validatingwebhookconfigurations' }[o.kind as 'ClusterRole'];
      const base = o.kind === 'ValidatingWebhookConfiguration' ? '/apis/admissionregistration.k8s.io/v1' : '/apis/rbac.authorization.k8s.io/v1';
      await admin.request('DELETE', `${base}/${p}/${o.metadata.name}`).catch(() => undefined);
    }
  });
  await apply(admin, restricted.name, wanted, true);
  const { KubeConfig } = await import('@kubernetes/client-node');
  const { KubeClient } = await import('@kontroler/runtime-kube');
  const { WebhookCertKeeper } = await import('@kontroler/kube-operator');
  const kc = new KubeConfig();
  kc.loadFromFile(process.env.KONTROLER_TEST_KUBECONFIG ?? '');
  const user = kc.getCurrentUser()!;
  kc.users = kc.users.map((u) => (u.name === user.name ? { ...u, impersonateUser: `system:serviceaccount:${restricted.name}:kontroler-controller` } : u));
  const asController = new KubeClient(kc, { qps: 0 });
  const logs: string[] = [];
  const keeper = new WebhookCertKeeper({
    client: asController,
    source: { kind: 'secret', namespace: restricted.name, name: 'kontroler-webhook-cert', want: { dnsNames: [`kontroler-webhook.${restricted.name}.svc`], leafDays: 365, caDays: 3650 } },
    webhookConfig: `kontroler-${restricted.name}`,
    onCert: () => undefined,
    log: (m) => logs.push(m),
  });
  const cert = await keeper.start();
  await keeper.stop();
  const vwc = await admin.request<{ webhooks: Array<{ clientConfig: { caBundle?: string } }> }>('GET', `/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/kontroler-${restricted.name}`);
  assert.ok(vwc.webhooks.every((w) => w.clientConfig.caBundle === Buffer.from(cert.ca).toString('base64')), logs.join('\n'));
  // And no other Secret: the role names one.
  await assert.rejects(asController.request('GET', `/api/v1/namespaces/${restricted.name}/secrets`, { retry: false }), (e: unknown) => e instanceof KubeApiError && e.status === 403);
  asController.close();
});
