// Pods through the real apiserver and the local node agent: binding, real exit codes, logs
// through `pods/log`, init containers and volumes, env from Secrets/ConfigMaps, restarts,
// activeDeadlineSeconds, graceful deletion, simulated image pull errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Pod } from '@kubernetes/client-node';
import { IMAGE_PULL_ERROR_ANNOTATION } from '@kontroler/kube-agent';
import { testNamespace } from '@kontroler/kube-agent/testing';
import { followLog, recordPod, shPod, terminal, waitForPod } from './pods.js';

// Top level, so the namespace is deleted after this file's tests (a root `after` hook).
const ns = await testNamespace('pods');

const create = (pod: V1Pod): Promise<V1Pod> => ns.core.createNamespacedPod({ namespace: ns.name, body: pod });
const logOf = (name: string, container = 'main', previous = false): Promise<string> =>
  ns.core.readNamespacedPodLog({ name, namespace: ns.name, container, previous });

/**
 * Resolves once the pod's log has a line `ready`: its shell has set its TERM trap. (Running only
 * says the process started; a signal before the trap would end it as the default action does.)
 */
async function untilReady(name: string, line = 'ready', timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await logOf(name).catch(() => '')).split('\n').includes(line)) {
    if (Date.now() > deadline) throw new Error(`pod ${name} did not log "${line}" within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test("sh -c 'echo hi; exit 3' ends Failed with exit code 3, in one status write, and its log is readable through the API", async (t) => {
  const rec = recordPod(ns, 'exit3');
  t.after(() => rec.stop());
  await create(shPod('exit3', 'echo hi; exit 3'));
  const pod = await waitForPod(ns, 'exit3', terminal, 'terminal phase');

  assert.equal(pod.status?.phase, 'Failed');
  assert.equal(pod.spec?.nodeName, 'local-agent', 'the agent bound the pod');
  const cs = pod.status?.containerStatuses?.[0];
  assert.equal(cs?.name, 'main');
  assert.equal(cs?.state?.terminated?.exitCode, 3, 'the first event with phase Failed carries the exit code');
  assert.equal(cs?.state?.terminated?.reason, 'Error');
  assert.ok(cs?.state?.terminated?.startedAt && cs.state.terminated.finishedAt);
  assert.match(cs?.containerID ?? '', /^kontroler-local:\/\/[0-9a-f]{64}$/);
  assert.equal(pod.status?.podIP, '127.0.0.1');
  const cond = (type: string) => pod.status?.conditions?.find((c) => c.type === type);
  assert.equal(cond('PodScheduled')?.status, 'True', 'PodScheduled comes from the Binding');
  assert.equal(cond('Initialized')?.status, 'True');
  assert.equal(cond('Ready')?.status, 'False');
  assert.equal(cond('ContainersReady')?.reason, 'ContainersNotReady');
  assert.ok(pod.status?.startTime);

  assert.equal(await logOf('exit3'), 'hi\n');

  // Every observed status is self-consistent: a terminal phase never arrives without the
  // container's terminated state, and the phase only moves forward.
  const order = ['Pending', 'Running', 'Failed'];
  let last = 0;
  for (const { pod: p } of rec.events) {
    const phase = p.status?.phase ?? 'Pending';
    assert.ok(order.indexOf(phase) >= last, `phase went back to ${phase}`);
    last = order.indexOf(phase);
    if (phase === 'Failed') assert.equal(p.status?.containerStatuses?.[0]?.state?.terminated?.exitCode, 3);
  }
});

test('init containers run first and share an emptyDir; env comes from Secrets, ConfigMaps, fields and $(VAR); workingDir and PVCs work', async () => {
  await ns.core.createNamespacedSecret({ namespace: ns.name, body: { metadata: { name: 'creds' }, stringData: { token: 's3cret' } } });
  await ns.core.createNamespacedConfigMap({ namespace: ns.name, body: { metadata: { name: 'settings' }, data: { mode: 'fast', extra: 'x' } } });
  await ns.core.createNamespacedPersistentVolumeClaim({
    namespace: ns.name,
    body: { metadata: { name: 'workspace' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } },
  });
  const pod = shPod('init-env', 'cat /script/run.sh; sh /script/run.sh; pwd; cat /workspace/out.txt', {
    env: [
      { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'creds', key: 'token' } } },
      { name: 'MODE', valueFrom: { configMapKeyRef: { name: 'settings', key: 'mode' } } },
      { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'GREETING', value: 'mode=$(MODE) pod=$(POD) $$(LITERAL)' },
    ],
    envFrom: [{ prefix: 'CM_', configMapRef: { name: 'settings' } }],
    workingDir: '/workspace',
    volumeMounts: [
      { name: 'script', mountPath: '/script' },
      { name: 'ws', mountPath: '/workspace' },
    ],
  });
  pod.spec!.initContainers = [
    {
      name: 'script-copier',
      image: 'busybox:1.36',
      command: ['sh', '-c', 'printf \'echo "$GREETING token=$TOKEN cm=$CM_extra" > out.txt\\n\' > /script/run.sh'],
      volumeMounts: [{ name: 'script', mountPath: '/script' }],
    },
  ];
  pod.spec!.volumes = [
    { name: 'script', emptyDir: {} },
    { name: 'ws', persistentVolumeClaim: { claimName: 'workspace' } },
  ];
  await create(pod);
  const done = await waitForPod(ns, 'init-env', terminal, 'terminal phase');
  assert.equal(done.status?.phase, 'Succeeded', JSON.stringify(done.status));
  assert.equal(done.status?.initContainerStatuses?.[0]?.state?.terminated?.reason, 'Completed');
  assert.equal(done.status?.conditions?.find((c) => c.type === 'Ready')?.reason, 'PodCompleted');
  assert.equal(
    await logOf('init-env'),
    'echo "$GREETING token=$TOKEN cm=$CM_extra" > out.txt\n/workspace\nmode=fast pod=init-env $(LITERAL) token=s3cret cm=x\n',
  );

  // The claim outlives the pod: a second pod sees the file the first one wrote.
  await create(shPod('reader', 'cat /data/out.txt', { volumeMounts: [{ name: 'ws', mountPath: '/data', readOnly: true }] }, { volumes: [{ name: 'ws', persistentVolumeClaim: { claimName: 'workspace' } }] }));
  const reader = await waitForPod(ns, 'reader', terminal, 'terminal phase');
  assert.equal(reader.status?.phase, 'Succeeded');
  assert.equal(await logOf('reader'), 'mode=fast pod=init-env $(LITERAL) token=s3cret cm=x\n');
  const pvc = await ns.core.readNamespacedPersistentVolumeClaim({ name: 'workspace', namespace: ns.name });
  assert.equal(pvc.status?.phase, 'Bound');
});

test('a missing Secret keeps the container waiting with CreateContainerConfigError until it appears', async () => {
  await create(shPod('late-secret', 'echo "$V"', { env: [{ name: 'V', valueFrom: { secretKeyRef: { name: 'later', key: 'v' } } }] }));
  const waiting = await waitForPod(ns, 'late-secret', (p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CreateContainerConfigError', 'CreateContainerConfigError');
  assert.equal(waiting.status?.phase, 'Pending');
  assert.match(waiting.status?.containerStatuses?.[0]?.state?.waiting?.message ?? '', /secret "later" not found/);
  await ns.core.createNamespacedSecret({ namespace: ns.name, body: { metadata: { name: 'later' }, stringData: { v: 'arrived' } } });
  const done = await waitForPod(ns, 'late-secret', terminal, 'terminal phase');
  assert.equal(done.status?.phase, 'Succeeded');
  assert.equal(await logOf('late-secret'), 'arrived\n');
});

test('logs can be followed through the apiserver while the container runs', async () => {
  await create(shPod('follow', 'echo one; sleep 2; echo two >&2; echo three'));
  await waitForPod(ns, 'follow', (p) => p.status?.phase === 'Running', 'Running');
  let firstChunkAt = 0;
  const text = await followLog(ns, 'follow', 'main', () => {
    firstChunkAt ||= Date.now();
  });
  const endAt = Date.now();
  assert.equal(text, 'one\ntwo\nthree\n');
  assert.ok(endAt - firstChunkAt >= 1000, `the first line arrived while the container ran (${endAt - firstChunkAt} ms before the end)`);
  const done = await waitForPod(ns, 'follow', terminal, 'terminal phase');
  assert.equal(done.status?.phase, 'Succeeded');
});

test('restartPolicy OnFailure restarts a failed container; the previous attempt has its own log', async () => {
  const script = 'if [ -f /state/tried ]; then echo second; else touch /state/tried; echo first; exit 1; fi';
  await create(shPod('retry', script, { volumeMounts: [{ name: 'state', mountPath: '/state' }] }, { restartPolicy: 'OnFailure', volumes: [{ name: 'state', emptyDir: {} }] }));
  const done = await waitForPod(ns, 'retry', terminal, 'terminal phase');
  assert.equal(done.status?.phase, 'Succeeded');
  const cs = done.status?.containerStatuses?.[0];
  assert.equal(cs?.restartCount, 1);
  assert.equal(cs?.lastState?.terminated?.exitCode, 1);
  assert.equal(cs?.state?.terminated?.exitCode, 0);
  assert.equal(await logOf('retry'), 'second\n');
  assert.equal(await logOf('retry', 'main', true), 'first\n');
});

test('activeDeadlineSeconds fails a running pod with DeadlineExceeded', async () => {
  await create(shPod('deadline', 'echo started; exec sleep 600', {}, { activeDeadlineSeconds: 2 }));
  const done = await waitForPod(ns, 'deadline', terminal, 'terminal phase');
  assert.equal(done.status?.phase, 'Failed');
  assert.equal(done.status?.reason, 'DeadlineExceeded');
  const term = done.status?.containerStatuses?.[0]?.state?.terminated;
  assert.equal(term?.exitCode, 143, 'killed by SIGTERM: 128 + 15');
  assert.equal(term?.signal, 15);
});

test('a pod deleted with a grace period while its deadline stops it gets its final status and is then deleted (not Terminating forever)', async (t) => {
  const rec = recordPod(ns, 'deadline-deleted');
  t.after(() => rec.stop());
  // The trap ignores SIGTERM (after saying so): the deadline's halt lasts the 3 s grace period.
  await create(shPod('deadline-deleted', "trap 'echo got TERM' TERM; echo ready; while :; do sleep 0.1; done", {}, { activeDeadlineSeconds: 2, terminationGracePeriodSeconds: 3 }));
  await waitForPod(ns, 'deadline-deleted', (p) => p.status?.phase === 'Running', 'Running');
  await untilReady('deadline-deleted', 'got TERM');
  await ns.core.deleteNamespacedPod({ name: 'deadline-deleted', namespace: ns.name, gracePeriodSeconds: 30 });
  const gone = await rec.waitFor((e) => e.type === 'DELETED', 'DELETED');
  assert.equal(gone.pod.status?.phase, 'Failed');
  assert.equal(gone.pod.status?.reason, 'DeadlineExceeded', 'the deadline’s final status was written before the delete');
});

test('graceful deletion: SIGTERM, final status, then the agent deletes the pod', async (t) => {
  const rec = recordPod(ns, 'graceful');
  t.after(() => rec.stop());
  await create(shPod('graceful', "trap 'echo got TERM; exit 0' TERM; echo ready; while :; do sleep 0.1; done", {}, { terminationGracePeriodSeconds: 30 }));
  await waitForPod(ns, 'graceful', (p) => p.status?.phase === 'Running', 'Running');
  await untilReady('graceful');
  await ns.core.deleteNamespacedPod({ name: 'graceful', namespace: ns.name });
  const gone = await rec.waitFor((e) => e.type === 'DELETED', 'DELETED');
  const final = gone.pod;
  assert.ok(final.metadata?.deletionTimestamp);
  assert.equal(final.status?.phase, 'Succeeded', 'the trap exited 0');
  assert.equal(final.status?.containerStatuses?.[0]?.state?.terminated?.exitCode, 0);
});

test('a container that ignores SIGTERM is killed after the grace period', async (t) => {
  const rec = recordPod(ns, 'stubborn');
  t.after(() => rec.stop());
  await create(shPod('stubborn', "trap '' TERM; echo ready; while :; do sleep 0.1; done"));
  await waitForPod(ns, 'stubborn', (p) => p.status?.phase === 'Running', 'Running');
  await untilReady('stubborn');
  await ns.core.deleteNamespacedPod({ name: 'stubborn', namespace: ns.name, gracePeriodSeconds: 1 });
  const final = await waitForPod(ns, 'stubborn', terminal, 'terminal phase');
  assert.equal(final.status?.phase, 'Failed');
  assert.equal(final.status?.containerStatuses?.[0]?.state?.terminated?.exitCode, 137, 'SIGKILL: 128 + 9');
});

test('the image-pull-error annotation leaves the pod Pending with ErrImagePull, then ImagePullBackOff', async () => {
  const pod = shPod('no-image', 'true');
  pod.metadata!.annotations = { [IMAGE_PULL_ERROR_ANNOTATION]: 'main' };
  await create(pod);
  const pulling = await waitForPod(ns, 'no-image', (p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ErrImagePull', 'ErrImagePull');
  assert.equal(pulling.status?.phase, 'Pending');
  assert.match(pulling.status?.containerStatuses?.[0]?.state?.waiting?.message ?? '', /busybox:1\.36/);
  const backoff = await waitForPod(ns, 'no-image', (p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ImagePullBackOff', 'ImagePullBackOff');
  assert.equal(backoff.status?.phase, 'Pending');
  await ns.core.deleteNamespacedPod({ name: 'no-image', namespace: ns.name });
});

test('a command that does not exist fails the container with StartError (exit code 128)', async () => {
  await create({ metadata: { name: 'no-cmd' }, spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'x', command: ['/no/such/binary'] }] } });
  const done = await waitForPod(ns, 'no-cmd', terminal, 'terminal phase');
  assert.equal(done.status?.phase, 'Failed');
  const term = done.status?.containerStatuses?.[0]?.state?.terminated;
  assert.equal(term?.reason, 'StartError');
  assert.equal(term?.exitCode, 128);
});
