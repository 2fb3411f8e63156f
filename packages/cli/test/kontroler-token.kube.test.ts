// Workload identity end to end on the real kube-apiserver: a DAG with `kontrolerToken: true` runs
// its task in a pod (Kubernetes runtime, node agent) that gets a projected service account token;
// the task calls the Kontroler API with nothing but that token and starts another DAG. The server
// verifies the token against the cluster issuer (discovery + JWKS) and TokenReview and maps the
// pod's service account to its role. Without the field, the same task has no token and fails.
// (The node agent writes the projected token with the TokenRequest API, bound to the pod, as the
// kubelet does.)
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { decodeJwt } from 'jose';
import { AuthenticationV1Api } from '@kubernetes/client-node';
import { Controller, runtimeReadsSecrets, silentLog } from '@kontroler/controller';
import type { DagResource } from '@kontroler/core';
import { KubeClient, KubePodRuntime } from '@kontroler/runtime-kube';
import { createServer, kubeTokenReviewer, workloadIdentityConfig, type KontrolerServer } from '@kontroler/server';
import { applyResource, getRun, listRuns, readLog, startRun } from '@kontroler/store';
import { createTestDatabase, type TestDatabase } from '@kontroler/store/testing';
import { testHarnessEnv, testNamespace } from '@kontroler/kube-agent/testing';

const ns = await testNamespace('ktoken');

let db: TestDatabase;
let server: KontrolerServer;
let runtime: KubePodRuntime;
let controller: Controller;
const ended = new Map<number, () => void>();

before(async () => {
  const env = await testHarnessEnv();
  await ns.core.createNamespacedServiceAccount({ namespace: ns.name, body: { metadata: { name: 'kontroler-server' } } });
  await ns.core.createNamespacedServiceAccount({ namespace: ns.name, body: { metadata: { name: 'pipeline' } } });
  const serverToken = (await ns.core.createNamespacedServiceAccountToken({ name: 'kontroler-server', namespace: ns.name, body: { spec: { audiences: [], expirationSeconds: 3600 } } })).status!.token!;
  db = await createTestDatabase();
  server = await createServer({
    pool: db.pool,
    databaseUrl: db.url,
    config: {
      jwtSecret: 'test-secret',
      authCacheMs: 0,
      workloadIdentity: workloadIdentityConfig({
        issuer: String(decodeJwt(serverToken).iss),
        ca: readFileSync(env.caCert),
        discoveryToken: () => serverToken,
        tokenReviewer: kubeTokenReviewer(ns.kc.makeApiClient(AuthenticationV1Api)),
        roleMap: [{ serviceAccount: `system:serviceaccount:${ns.name}:pipeline`, namespace: '$namespace', role: 'editor' }],
      }),
    },
  });
  const url = await server.listen(0, '127.0.0.1');
  runtime = new KubePodRuntime({
    client: new KubeClient(ns.kc, { qps: 0, burst: 100 }),
    namespaces: [ns.name],
    killGraceSeconds: 2,
    kontrolerToken: { audience: 'kontroler', expirationSeconds: 3600, serverUrl: url },
  });
  controller = new Controller({ pool: db.pool, databaseUrl: db.url, runtime, id: 'ktoken', log: silentLog, secrets: runtimeReadsSecrets, pollMs: 500 });
  controller.onRunEnded((id) => ended.get(id)?.());
  await controller.start();
});
after(async () => {
  await controller?.stop();
  await runtime?.close();
  await server?.close();
  await db?.drop();
});

/** The task: read the projected token, start DAG `downstream` in our namespace through the API. */
const CALLER = `
const fs = require('fs');
const token = fs.readFileSync(process.env.KONTROLER_TOKEN_FILE, 'utf8').trim();
fetch(process.env.KONTROLER_SERVER + '/api/v1/namespaces/' + process.env.KONTROLER_NAMESPACE + '/dags/downstream/runs', {
  method: 'POST', headers: { authorization: 'Bearer ' + token, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'from-' + process.env.KONTROLER_RUN_ID }),
}).then(async (r) => { console.log('API answered', r.status, await r.text()); process.exit(r.status === 201 ? 0 : 1); },
        (e) => { console.error('API call failed', e.message); process.exit(2); });
`;

function dag(name: string, command: string[], spec: Record<string, unknown> = {}): DagResource {
  return {
    apiVersion: 'kontroler.greedykomodo/v1alpha1',
    kind: 'DAG',
    metadata: { name, namespace: ns.name },
    spec: { task: [{ name: 'main', image: 'node:20', command, podTemplate: { serviceAccountName: 'pipeline' } }], ...spec },
  } as DagResource;
}

async function runToEnd(dagName: string): Promise<{ id: number; status: string }> {
  const { run } = await startRun(db.pool, { namespace: ns.name, dagName, parameters: {}, trigger: 'manual' });
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`run ${run.id} of ${dagName} did not end in 120 s`)), 120_000);
    ended.set(run.id, () => (clearTimeout(t), resolve()));
    void getRun(db.pool, run.id).then((r) => {
      if (r && ['succeeded', 'failed', 'canceled'].includes(r.status)) (clearTimeout(t), resolve());
    });
  });
  const r = (await getRun(db.pool, run.id))!;
  return { id: r.id, status: r.status };
}

test('a kontrolerToken task starts another DAG with its own Kubernetes identity', async () => {
  await applyResource(db.pool, dag('downstream', ['true']), { source: 'test' });
  await applyResource(db.pool, dag('caller', [process.execPath, '-e', CALLER], { kontrolerToken: true }), { source: 'test' });
  const caller = await runToEnd('caller');
  const log = (await readLog(db.pool, { runId: caller.id, task: 'main', attempt: 1 })).data.toString();
  assert.equal(caller.status, 'succeeded', `caller run ${caller.status}: ${log}`);
  assert.match(log, /API answered 201/);
  const started = (await listRuns(db.pool, { namespace: ns.name, dagName: 'downstream', limit: 10 })).find((r) => r.name === `from-${caller.id}`);
  assert.ok(started, 'the task started a run of downstream');
  const { rows } = await db.pool.query<{ actor: string }>(`select actor from audit_log where action = 'run.start' order by id desc limit 1`);
  assert.match(rows[0]!.actor, new RegExp(`^workload:system:serviceaccount:${ns.name}:pipeline \\(pod `));
});

test('without kontrolerToken the pod has no token (nor KONTROLER_TOKEN_FILE), so the task cannot call the API', async () => {
  await applyResource(db.pool, dag('no-token', [process.execPath, '-e', CALLER]), { source: 'test' });
  const r = await runToEnd('no-token');
  assert.equal(r.status, 'failed');
  assert.match((await readLog(db.pool, { runId: r.id, task: 'main', attempt: 1 })).data.toString(), /ERR_INVALID_ARG_TYPE|no such file|ENOENT|path/i);
});
