// Kubernetes-mode settings of `kontroler controller`: flags win over KONTROLER_* variables.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readKubeSettings, serviceDnsNames } from '../dist/kube-mode.js';
import { readSettings } from '../dist/settings.js';

test('defaults: local runtime, CRDs on, QPS 20 / burst 30, no webhook, no leader election', () => {
  const s = readKubeSettings({}, {});
  assert.equal(s.runtime, 'local');
  assert.equal(s.crds, true);
  assert.equal(s.qps, 20);
  assert.equal(s.burst, 30);
  assert.equal(s.webhookPort, undefined);
  assert.equal(s.leaderElect, false);
});

test('environment, then flags', () => {
  const env = { KONTROLER_RUNTIME: 'kubernetes', KONTROLER_NAMESPACES: 'a, b', KONTROLER_LEADER_ELECT: 'true', KONTROLER_WEBHOOK_PORT: '9443', KONTROLER_KUBE_QPS: '5', KONTROLER_CRDS: 'false', POD_NAMESPACE: 'sys' };
  const s = readKubeSettings({}, env);
  assert.deepEqual([s.runtime, s.namespaces, s.leaderElect, s.webhookPort, s.qps, s.crds, s.leaseNamespace], ['kubernetes', ['a', 'b'], true, 9443, 5, false, 'sys']);
  const f = readKubeSettings({ runtime: 'local', namespaces: 'c', kubeQps: '0', crds: true, shard: 'blue' }, env);
  assert.deepEqual([f.runtime, f.namespaces, f.qps, f.crds, f.shard], ['local', ['c'], 0, false, 'blue']);
  assert.throws(() => readKubeSettings({ runtime: 'docker' }, {}), /--runtime must be local, container or kubernetes/);
});

test('the token of kontrolerToken tasks: the server\'s audience by default, lifetime at least 600 s, the API URL for tasks', () => {
  assert.deepEqual(readKubeSettings({}, {}).taskToken, { audience: 'kontroler', expirationSeconds: 3600 });
  assert.deepEqual(readKubeSettings({}, { KONTROLER_K8S_AUDIENCE: 'k-prod', KONTROLER_TASK_SERVER_URL: 'http://kontroler:8080' }).taskToken, {
    audience: 'k-prod',
    expirationSeconds: 3600,
    serverUrl: 'http://kontroler:8080',
  });
  assert.equal(readKubeSettings({}, { KONTROLER_TASK_TOKEN_AUDIENCE: 'a', KONTROLER_K8S_AUDIENCE: 'b', KONTROLER_TASK_TOKEN_EXPIRATION_SECONDS: '900' }).taskToken.audience, 'a');
  assert.throws(() => readKubeSettings({}, { KONTROLER_TASK_TOKEN_EXPIRATION_SECONDS: '60' }), /at least 600/);
});

test('KONTROLER_PUBLIC_URL: DagRun statuses link to their run there; anything but an http(s) URL is refused', () => {
  assert.equal(readKubeSettings({}, {}).publicUrl, undefined);
  assert.equal(readKubeSettings({}, { KONTROLER_PUBLIC_URL: 'https://kontroler.example.com' }).publicUrl, 'https://kontroler.example.com');
  assert.throws(() => readKubeSettings({}, { KONTROLER_PUBLIC_URL: 'kontroler.example.com' }), /KONTROLER_PUBLIC_URL: .*not an absolute URL/);
  assert.throws(() => readKubeSettings({}, { KONTROLER_PUBLIC_URL: 'ftp://x' }), /KONTROLER_PUBLIC_URL: scheme "ftp"/);
});

test('the webhook certificate kept by the controller: a Secret and the Service it names; bad names and combinations refused', () => {
  const s = readKubeSettings({}, { KONTROLER_WEBHOOK_CERT_SECRET: 'k-webhook-cert', KONTROLER_WEBHOOK_SERVICE: 'k-webhook', KONTROLER_WEBHOOK_CONFIG: 'k-ns', KONTROLER_WEBHOOK_CERT_DAYS: '90' });
  assert.deepEqual([s.webhookCertSecret, s.webhookService, s.webhookConfig, s.webhookCertDays], ['k-webhook-cert', 'k-webhook', 'k-ns', 90]);
  assert.equal(readKubeSettings({}, {}).webhookCertDays, 365);
  assert.throws(() => readKubeSettings({ webhookCertSecret: 'x' }, {}), /--webhook-cert-secret needs --webhook-service/);
  assert.throws(() => readKubeSettings({ webhookCertSecret: 'x', webhookService: 's', webhookCertDir: '/d' }, {}), /exclude each other/);
  assert.throws(() => readKubeSettings({ webhookConfig: 'Bad_Name' }, {}), /--webhook-config \/ KONTROLER_WEBHOOK_CONFIG must be a Kubernetes object name.*"Bad_Name"/);
  assert.throws(() => readKubeSettings({}, { KONTROLER_WEBHOOK_CERT_DAYS: '0' }), /KONTROLER_WEBHOOK_CERT_DAYS must be a whole number of days from 1 to 3650, got "0"/);
  assert.deepEqual(serviceDnsNames('k-webhook', 'sys'), ['k-webhook.sys.svc', 'k-webhook', 'k-webhook.sys', 'k-webhook.sys.svc.cluster.local']);
});

test('the metrics port: off by default, on 127.0.0.1 unless told otherwise; out-of-range ports refused', () => {
  const none = readSettings({}, {});
  assert.deepEqual([none.metricsPort, none.metricsHost], [undefined, '127.0.0.1']);
  const env = readSettings({}, { KONTROLER_METRICS_PORT: '8081', KONTROLER_METRICS_HOST: '0.0.0.0' });
  assert.deepEqual([env.metricsPort, env.metricsHost], [8081, '0.0.0.0']);
  assert.equal(readSettings({ metricsPort: '9090' }, { KONTROLER_METRICS_PORT: '8081' }).metricsPort, 9090);
  assert.throws(() => readSettings({}, { KONTROLER_METRICS_PORT: '70000' }), /--metrics-port \/ KONTROLER_METRICS_PORT must be at most 65535, got 70000/);
  assert.throws(() => readSettings({}, { KONTROLER_METRICS_PORT: 'x' }), /--metrics-port \/ KONTROLER_METRICS_PORT must be a whole number/);
});

test('--pod-gc / KONTROLER_POD_GC: STRATEGY[:SECONDS], default OnPodCompletion:0; a bad value names the setting', () => {
  assert.deepEqual(readKubeSettings({}, {}).podGC, { strategy: 'OnPodCompletion', deleteAfterSeconds: 0 });
  assert.deepEqual(readKubeSettings({}, { KONTROLER_POD_GC: 'OnRunSuccess:600' }).podGC, { strategy: 'OnRunSuccess', deleteAfterSeconds: 600 });
  assert.deepEqual(readKubeSettings({ podGc: 'OnRunCompletion' }, { KONTROLER_POD_GC: 'OnRunSuccess:600' }).podGC, { strategy: 'OnRunCompletion', deleteAfterSeconds: 0 });
  assert.throws(() => readKubeSettings({ podGc: 'Never' }, {}), /--pod-gc \/ KONTROLER_POD_GC must be STRATEGY\[:SECONDS\].*got "Never".*must be one of OnPodCompletion, OnRunCompletion, OnRunSuccess/);
  assert.throws(() => readKubeSettings({ podGc: 'OnRunSuccess:99999999' }, {}), /seconds from 0 to 604800/);
  assert.throws(() => readKubeSettings({ podGc: 'OnRunSuccess:-1' }, {}), /got "OnRunSuccess:-1"/);
});

test('--webhook-url: an https URL, with --webhook-port; --webhook-ca-out too; the configuration name is an object name', () => {
  const s = readKubeSettings({ webhookPort: '9443', webhookUrl: 'https://203.0.113.7:9443', webhookCaOut: '/tmp/ca.crt' }, {});
  assert.deepEqual([s.webhookUrl, s.webhookCaOut, s.webhookConfigName], ['https://203.0.113.7:9443', '/tmp/ca.crt', 'kontroler-external']);
  assert.equal(readKubeSettings({}, { KONTROLER_WEBHOOK_PORT: '9443', KONTROLER_WEBHOOK_URL: 'https://dev.example.com:9443', KONTROLER_WEBHOOK_CONFIG_NAME: 'mine' }).webhookConfigName, 'mine');
  assert.throws(() => readKubeSettings({ webhookPort: '9443', webhookUrl: 'http://203.0.113.7:9443' }, {}), /--webhook-url \/ KONTROLER_WEBHOOK_URL: the apiserver calls webhooks over TLS only/);
  assert.throws(() => readKubeSettings({ webhookPort: '9443', webhookUrl: '203.0.113.7:9443' }, {}), /KONTROLER_WEBHOOK_URL: .*(not an absolute URL|TLS only)/);
  assert.throws(() => readKubeSettings({ webhookUrl: 'https://203.0.113.7:9443' }, {}), /need --webhook-port/);
  assert.throws(() => readKubeSettings({ webhookCaOut: '/tmp/ca.crt' }, {}), /need --webhook-port/);
  assert.throws(() => readKubeSettings({ webhookPort: '9443', webhookConfigName: 'Not_A_Name' }, {}), /--webhook-config-name .* must be a Kubernetes object name/);
});
