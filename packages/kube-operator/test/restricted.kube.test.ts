// Task pods pass Pod Security `restricted` without any podTemplate: a run of a command task with
// outputs, a script task (with the script-injector init container) and a workspace succeeds in a namespace labelled pod-security.kubernetes.io/enforce=restricted, whose
// admission (the apiserver's PodSecurity plugin) checks every pod created; a task that asks to run
// as root there is refused, and its attempt says what was refused.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Pod } from '@kubernetes/client-node';
import { startReflector, testNamespace, type Reflector } from '@kontroler/kube-agent/testing';
import { listAttempts, readLog } from '@kontroler/store';
import { startKubeController, type KubeController } from './controller-harness.js';

const ns = await testNamespace('restricted', { labels: { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'latest' } });
let kube: KubeController;
let watch: Reflector;
const pods: V1Pod[] = [];

before(async () => {
  kube = await startKubeController(ns.name, 'restricted-test');
  watch = startReflector<V1Pod>({
    kubeConfig: ns.kc,
    path: `/api/v1/namespaces/${ns.name}/pods`,
    onEvent: (e) => {
      if (e.type === 'ADDED') pods.push(e.object);
    },
  });
});
after(async () => {
  await watch.stop();
  await kube.stop();
});

const dag = (name: string, spec: Record<string, unknown>) => ({ apiVersion: 'kontroler.greedykomodo/v1alpha1' as const, kind: 'DAG' as const, metadata: { name }, spec });

test('a run with outputs, a script and a workspace succeeds in a restricted namespace, with no podTemplate', async () => {
  await kube.apply(
    dag('plain', {
      workspace: { enable: true, pvc: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } },
      task: [
        { name: 'write', image: 'alpine', command: ['sh', '-c', 'echo 42 > "$KONTROLER_OUTPUTS/answer"; echo ok > /workspace/f'], outputs: [{ name: 'answer' }] },
        { name: 'read', image: 'alpine', runAfter: ['write'], script: 'cat /workspace/f; echo "answer={{tasks.write.outputs.answer}}"' },
      ],
    }) as never,
  );
  const run = await kube.run('plain');
  assert.equal(run.status, 'succeeded', JSON.stringify(await listAttempts(kube.db.pool, run.id, 'write')));
  const read = (await listAttempts(kube.db.pool, run.id, 'read'))[0]!;
  assert.equal((await readLog(kube.db.pool, { runId: run.id, task: 'read', attempt: read.attempt })).data.toString(), 'ok\nanswer=42\n');
  const mine = pods.filter((p) => p.metadata?.labels?.['kontroler.greedykomodo/run-id'] === String(run.id));
  assert.equal(mine.length, 2, 'both pods were admitted');
  for (const p of mine) {
    assert.deepEqual(p.spec?.securityContext, { runAsNonRoot: true, runAsUser: 65532, fsGroup: 65532, seccompProfile: { type: 'RuntimeDefault' } });
    for (const c of [...(p.spec?.initContainers ?? []), ...(p.spec?.containers ?? [])]) assert.deepEqual(c.securityContext, { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } }, c.name);
  }
  assert.equal(mine.find((p) => p.metadata?.labels?.['kontroler.greedykomodo/task'] === 'read')?.spec?.initContainers?.[0]?.name, 'script-injector');
});

test('a task that asks to run as root is refused there, and its attempt says what was refused', async () => {
  await kube.apply(dag('rooted', { task: [{ name: 'root', image: 'alpine', command: ['true'], podTemplate: { securityContext: { runAsNonRoot: false, runAsUser: 0 } } }] }) as never);
  const run = await kube.run('rooted');
  assert.equal(run.status, 'failed');
  const a = (await listAttempts(kube.db.pool, run.id, 'root'))[0]!;
  assert.match(a.reason ?? '', /PodSecurity "restricted:latest".*runAsNonRoot != true/, a.reason ?? '');
});
