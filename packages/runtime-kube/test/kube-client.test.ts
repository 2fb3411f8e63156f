// Pure parts of the Kubernetes client: the token bucket, retry decisions, request statistics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KubeApiError, TokenBucket, forbiddenHint, resourceOf, retryDelay } from '@kontroler/runtime-kube';

test('token bucket: a burst at once, then qps per second', () => {
  let now = 0;
  const b = new TokenBucket({ qps: 20, burst: 30, now: () => now });
  for (let i = 0; i < 30; i++) assert.equal(b.tryTake(), 0);
  assert.equal(b.tryTake(), 50);
  now += 50;
  assert.equal(b.tryTake(), 0);
  now += 10_000;
  let n = 0;
  while (b.tryTake() === 0) n++;
  assert.equal(n, 30, 'refills up to the burst only');
  assert.equal(new TokenBucket({ qps: 0, burst: 1 }).tryTake(), 0, 'qps 0 = unlimited');
});

test('retries: 429 (Retry-After), 5xx and connection errors; never 4xx or conflicts', () => {
  const r = () => 1;
  assert.equal(retryDelay(new KubeApiError(429, 'TooManyRequests', '', { details: { retryAfterSeconds: 2 } }), 1, 6, r), 2000);
  assert.equal(retryDelay(new KubeApiError(503, 'ServiceUnavailable', '', {}), 1, 6, r), 200);
  assert.equal(retryDelay(new KubeApiError(503, 'ServiceUnavailable', '', {}), 3, 6, r), 800);
  assert.equal(retryDelay(Object.assign(new Error('reset'), { code: 'ECONNRESET' }), 1, 6, r), 200);
  assert.equal(retryDelay(new KubeApiError(409, 'AlreadyExists', '', {}), 1), undefined);
  assert.equal(retryDelay(new KubeApiError(404, 'NotFound', '', {}), 1), undefined);
  assert.equal(retryDelay(new KubeApiError(500, 'InternalError', '', {}), 6, 6), undefined, 'gives up');
});

test('request statistics name the resource', () => {
  assert.equal(resourceOf('/api/v1/namespaces/a/pods'), 'pods');
  assert.equal(resourceOf('/api/v1/namespaces/a/pods/p/log'), 'pods/log');
  assert.equal(resourceOf('/apis/kontroler.greedykomodo/v1alpha1/namespaces/a/dagruns/x/status'), 'dagruns/status');
  assert.equal(resourceOf('/apis/coordination.k8s.io/v1/namespaces/a/leases/l'), 'leases');
  assert.equal(resourceOf('/api/v1/pods'), 'pods');
});

test('a 403 says who refused: RBAC, Pod Security admission, or another admission policy', () => {
  assert.match(forbiddenHint('pods is forbidden: User "system:serviceaccount:k:ctl" cannot create resource "pods" in API group "" in the namespace "a"'), /check the controller service account RBAC/);
  const pss = forbiddenHint('pods "x" is forbidden: violates PodSecurity "baseline:v1.30": privileged (container "main" must not set securityContext.privileged=true)');
  assert.match(pss, /Pod Security admission \(level "baseline:v1.30"\) refused the pod/);
  assert.doesNotMatch(pss, /RBAC/);
  assert.match(forbiddenHint('admission webhook "validate.kyverno.svc" denied the request: image tag latest'), /an admission policy of the cluster refused the request/);
});
