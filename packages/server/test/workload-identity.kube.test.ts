// Workload identity against the real kube-apiserver of the test substrate: tokens from the
// TokenRequest API (what a projected service account token volume holds) are accepted as Bearer
// credentials with the role their service account maps to, verified against the cluster issuer's
// JWKS (found by OIDC discovery) and confirmed with TokenReview; tokens for another audience, of
// an unmapped, deleted or recreated service account, or tampered with, are refused.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { decodeJwt } from 'jose';
import { AuthenticationV1Api, type CoreV1Api } from '@kubernetes/client-node';
import { testHarnessEnv, testNamespace } from '@kontroler/kube-agent/testing';
import { createServer, kubeTokenReviewer, workloadIdentityConfig, type KontrolerServer, type WorkloadIdentityConfig } from '@kontroler/server';
import { createTestDatabase, type TestDatabase } from '@kontroler/store/testing';
import { call, seedRun } from './harness.js';
import { MemoryLog } from './oidc-harness.js';

const ns = await testNamespace('wi');

async function serviceAccount(core: CoreV1Api, name: string): Promise<string> {
  const sa = await core.createNamespacedServiceAccount({ namespace: ns.name, body: { metadata: { name } } });
  return sa.metadata!.uid!;
}

/** A token from the TokenRequest API, as the kubelet writes into a projected volume. */
async function tokenFor(name: string, audiences: string[], expirationSeconds = 600): Promise<string> {
  const tr = await ns.core.createNamespacedServiceAccountToken({ name, namespace: ns.name, body: { spec: { audiences, expirationSeconds } } });
  return tr.status!.token!;
}

interface Server {
  db: TestDatabase;
  server: KontrolerServer;
  url: string;
  log: MemoryLog;
  close(): Promise<void>;
}

async function start(wi: WorkloadIdentityConfig): Promise<Server> {
  const db = await createTestDatabase();
  const log = new MemoryLog();
  const server = await createServer({ pool: db.pool, databaseUrl: db.url, log, config: { jwtSecret: 'test-secret', authCacheMs: 0, workloadIdentity: wi } });
  const url = await server.listen(0, '127.0.0.1');
  return { db, server, url, log, close: async () => (await server.close(), await db.drop()) };
}

let issuer: string;
let ca: Buffer;
let discoveryToken: string;
let reviewing: Server; // JWKS + TokenReview (what we recommend)
let jwksOnly: Server; // signature checks only: no cluster credentials at all

before(async () => {
  const env = await testHarnessEnv();
  ca = readFileSync(env.caCert);
  // The server's own identity for reading the issuer's discovery document and JWKS: kube-apiserver
  // serves them to every service account (ClusterRoleBinding system:service-account-issuer-discovery).
  await serviceAccount(ns.core, 'kontroler-server');
  discoveryToken = await tokenFor('kontroler-server', [], 3600);
  issuer = String(decodeJwt(discoveryToken).iss);
  assert.match(issuer, /^https:\/\/127\.0\.0\.1:\d+$/);
  const base = {
    issuer,
    ca,
    discoveryToken: () => discoveryToken,
    clockToleranceSeconds: 5,
    roleMap: [
      // The task runner may start DAGs in its own namespace; the reporter may only read.
      { serviceAccount: `system:serviceaccount:${ns.name}:task-runner`, namespace: '$namespace', role: 'editor' as const },
      { serviceAccount: `system:serviceaccount:${ns.name}:ephemeral`, namespace: '$namespace', role: 'viewer' as const },
      { serviceAccount: `system:serviceaccount:${ns.name}:reborn`, namespace: '$namespace', role: 'viewer' as const },
      { serviceAccount: `system:serviceaccount:${ns.name}:pod-runner`, namespace: '$namespace', role: 'viewer' as const },
    ],
  };
  reviewing = await start(workloadIdentityConfig({ ...base, tokenReviewer: kubeTokenReviewer(ns.kc.makeApiClient(AuthenticationV1Api)) }));
  jwksOnly = await start(workloadIdentityConfig(base));
});
after(async () => {
  await reviewing?.close();
  await jwksOnly?.close();
});

const me = (s: Server, token: string) => call<{ username: string; kind: string; roles: unknown[]; code?: string; message?: string }>(s.url, 'GET', '/api/v1/auth/me', { token });

/**
 * kube-apiserver caches a successful token authentication for 10 s (its token success cache), so a
 * TokenReview refuses a deleted account's token within that time, not at the same instant.
 */
async function refusedWithin(s: Server, token: string, why: RegExp, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while ((await me(s, token)).status === 200) {
    if (Date.now() > deadline) assert.fail(`still accepted after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
  await refused(s, token, why);
}

async function refused(s: Server, token: string, why: RegExp): Promise<void> {
  const mark = s.log.lines.length;
  const r = await me(s, token);
  assert.equal(r.status, 401, r.text);
  assert.match(r.body.message ?? '', /^invalid, expired or revoked credential/, 'the client learns nothing specific');
  const logged = s.log.since(mark).join('\n');
  assert.match(logged, why, logged);
}

describe('workload identity (Kubernetes service account tokens)', () => {
  test('a TokenRequest token with audience kontroler is accepted with the mapped role, and can start a run', async () => {
    await serviceAccount(ns.core, 'task-runner');
    const token = await tokenFor('task-runner', ['kontroler']);
    for (const s of [reviewing, jwksOnly]) {
      const r = await me(s, token);
      assert.equal(r.status, 200, `${r.text}\n${s.log.lines.join('\n')}`);
      assert.equal(r.body.username, `system:serviceaccount:${ns.name}:task-runner`);
      assert.equal(r.body.kind, 'workload');
      assert.deepEqual(r.body.roles, [{ namespace: ns.name, role: 'editor' }]);
    }
    // A task starts another DAG with nothing but its own identity.
    await seedRun({ db: reviewing.db, server: reviewing.server, url: reviewing.url, close: async () => undefined }, ns.name, 'downstream');
    const run = await call<{ id: number; status: string }>(reviewing.url, 'POST', `/api/v1/namespaces/${ns.name}/dags/downstream/runs`, { token, body: {} });
    assert.equal(run.status, 201, run.text);
    // ... and sees it; but nothing outside its namespace.
    assert.equal((await call(reviewing.url, 'GET', `/api/v1/runs/${run.body.id}`, { token })).status, 200);
    assert.equal((await call(reviewing.url, 'GET', '/api/v1/namespaces/default/dags', { token })).status, 403);
    // A workload identity cannot be turned into a long-lived secret.
    assert.equal((await call(reviewing.url, 'POST', '/api/v1/tokens', { token, body: { name: 'steal' } })).status, 403);
    // The audit log names the service account.
    const { rows } = await reviewing.db.pool.query<{ actor: string }>(`select actor from audit_log where action = 'run.start' order by id desc limit 1`);
    assert.equal(rows[0]?.actor, `workload:system:serviceaccount:${ns.name}:task-runner`);
  });

  test('a token for another audience is refused', async () => {
    const vault = await tokenFor('task-runner', ['vault']);
    await refused(reviewing, vault, /wrong audience \["vault"\]/);
    const apiserver = await tokenFor('task-runner', []);
    await refused(jwksOnly, apiserver, /wrong audience/);
  });

  test('a service account no rule maps gets 403', async () => {
    await serviceAccount(ns.core, 'stranger');
    const r = await me(reviewing, await tokenFor('stranger', ['kontroler']));
    assert.equal(r.status, 403);
    assert.match(r.body.message ?? '', /has no Kontroler role/);
  });

  test('tampered tokens are refused', async () => {
    const token = await tokenFor('task-runner', ['kontroler']);
    const [head, payload, sig] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const other = `${head}.${Buffer.from(JSON.stringify({ ...claims, sub: `system:serviceaccount:${ns.name}:admin` })).toString('base64url')}.${sig}`;
    await refused(jwksOnly, other, /bad signature/);
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${payload}.`;
    await refused(jwksOnly, none, /not allowed|malformed|Unsupported/i);
  });

  test('a deleted service account\'s token is refused with TokenReview (signature checks alone accept it until it expires)', async () => {
    await serviceAccount(ns.core, 'ephemeral');
    const token = await tokenFor('ephemeral', ['kontroler']);
    assert.equal((await me(reviewing, token)).status, 200);
    await ns.core.deleteNamespacedServiceAccount({ name: 'ephemeral', namespace: ns.name });
    await refusedWithin(reviewing, token, /the cluster refused the token \(TokenReview\)/);
    // Documented limit of JWKS-only mode: the token is still validly signed and unexpired.
    assert.equal((await me(jwksOnly, token)).status, 200);
  });

  test('a service account deleted and recreated under the same name does not honour the old token', async () => {
    const firstUid = await serviceAccount(ns.core, 'reborn');
    const token = await tokenFor('reborn', ['kontroler']);
    assert.equal((await me(reviewing, token)).status, 200);
    await ns.core.deleteNamespacedServiceAccount({ name: 'reborn', namespace: ns.name });
    const secondUid = await serviceAccount(ns.core, 'reborn');
    assert.notEqual(firstUid, secondUid);
    await refusedWithin(reviewing, token, /TokenReview/);
    assert.equal((await me(reviewing, await tokenFor('reborn', ['kontroler']))).status, 200, 'a token of the new account works');
  });

  test('a token bound to a pod (what a projected volume holds) works while the pod exists, not after it is deleted', async () => {
    await serviceAccount(ns.core, 'pod-runner');
    const pod = await ns.core.createNamespacedPod({
      namespace: ns.name,
      body: {
        metadata: { name: 'token-holder' },
        spec: { serviceAccountName: 'pod-runner', restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox:1.36', command: ['sleep', '600'] }] },
      },
    });
    const tr = await ns.core.createNamespacedServiceAccountToken({
      name: 'pod-runner',
      namespace: ns.name,
      body: { spec: { audiences: ['kontroler'], expirationSeconds: 600, boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'token-holder', uid: pod.metadata!.uid! } } },
    });
    const token = tr.status!.token!;
    assert.equal((decodeJwt(token)['kubernetes.io'] as { pod?: { name?: string } }).pod?.name, 'token-holder');
    const r = await me(reviewing, token);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.username, `system:serviceaccount:${ns.name}:pod-runner`);
    await ns.core.deleteNamespacedPod({ name: 'token-holder', namespace: ns.name, gracePeriodSeconds: 0 });
    await refusedWithin(reviewing, token, /TokenReview/);
  });
});
