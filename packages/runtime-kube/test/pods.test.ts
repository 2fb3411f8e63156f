// Pure parts of the pod runtime: names, the pod built for an attempt, and what a pod status means.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { buildPod, buildWorkspaceClaim, dnsPart, keyOfPod, labelValue, literalEnvValue, podActiveDeadlineSeconds, podName, secretRef } from '@kontroler/runtime-kube';
import { attempt } from './helpers.js';

test('pod names are deterministic DNS labels, distinct for distinct attempts', () => {
  assert.equal(podName({ runId: '12', task: 'extract', attempt: 1 }), 'kr-12-extract-1');
  assert.match(podName({ runId: '12', task: 'Extract', attempt: 1 }), /^kr-12-extract-[0-9a-f]{8}-1$/);
  const long = podName({ runId: '123456789', task: 'x'.repeat(63), attempt: 10 });
  assert.ok(long.length <= 63, long);
  fc.assert(
    fc.property(fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,61}[A-Za-z0-9_]$/), fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,61}[A-Za-z0-9_]$/), fc.integer({ min: 1, max: 1000 }), (a, b, n) => {
      const pa = podName({ runId: '7', task: a, attempt: n });
      assert.ok(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(pa) && pa.length <= 63, pa);
      if (a !== b) assert.notEqual(pa, podName({ runId: '7', task: b, attempt: n }));
    }),
  );
  assert.equal(dnsPart('ok-name', 20), 'ok-name');
  assert.equal(labelValue('fine.value_1'), 'fine.value_1');
  assert.ok(labelValue('x'.repeat(80)).length <= 63);
});

test('buildPod: restartPolicy Never, labels and annotations that find the attempt again, script init container, env, podTemplate', () => {
  const spec = attempt('team', '5', 'load', 2, 'echo "$(date)"', {
    env: { P: 'v $(X)' },
    secretEnv: { S: 'creds', K: 'creds/key' },
    workspace: true,
    scriptInjectorImage: 'busybox:1.36',
    podTemplate: {
      serviceAccountName: 'runner',
      nodeSelector: { pool: 'batch' },
      resources: { limits: { cpu: '1' } },
      imagePullPolicy: 'Never',
      volumes: [{ name: 'data', emptyDir: {} }],
      volumeMounts: [{ name: 'data', mountPath: '/data' }],
      activeDeadlineSeconds: 60,
      securityContext: { fsGroup: 1000 },
    },
  });
  const pod = buildPod(spec, { owner: { apiVersion: 'kontroler.greedykomodo/v1alpha1', kind: 'DagRun', name: 'r', uid: 'u-1' }, labels: { shard: 'a' } });
  assert.equal(pod.metadata?.name, 'kr-5-load-2');
  assert.equal(pod.metadata?.namespace, 'team');
  assert.equal(pod.spec?.restartPolicy, 'Never');
  assert.deepEqual(keyOfPod(pod), { runId: '5', task: 'load', attempt: 2 });
  assert.equal(pod.metadata?.labels?.shard, 'a');
  assert.equal(pod.metadata?.ownerReferences?.[0]?.uid, 'u-1');
  assert.equal(pod.metadata?.ownerReferences?.[0]?.controller, true);
  const init = pod.spec?.initContainers?.[0];
  assert.equal(init?.image, 'busybox:1.36');
  assert.equal(init?.env?.[0]?.value, 'echo "$$(date)"');
  const main = pod.spec?.containers[0];
  assert.deepEqual(main?.command, ['/bin/sh', '/kontroler/script/task.sh']);
  const env = Object.fromEntries((main?.env ?? []).map((e) => [e.name, e]));
  assert.equal(env.P?.value, 'v $$(X)');
  assert.deepEqual(env.S?.valueFrom?.secretKeyRef, { name: 'creds', key: 'secret' });
  assert.deepEqual(env.K?.valueFrom?.secretKeyRef, { name: 'creds', key: 'key' });
  assert.equal(env.KONTROLER_ATTEMPT?.value, '2');
  assert.equal(env.KONTROLER_WORKSPACE?.value, '/workspace');
  assert.deepEqual(main?.resources, { limits: { cpu: '1' } });
  assert.equal(main?.imagePullPolicy, 'Never');
  assert.deepEqual(
    main?.volumeMounts?.map((m) => m.mountPath),
    ['/data', '/kontroler/script', '/kontroler/outputs', '/workspace'],
  );
  assert.equal(pod.spec?.volumes?.find((v) => v.name === 'workspace')?.persistentVolumeClaim?.claimName, 'kr-5-workspace');
  assert.equal(pod.spec?.serviceAccountName, 'runner');
  assert.equal(pod.spec?.activeDeadlineSeconds, 60);
  assert.deepEqual(pod.spec?.nodeSelector, { pool: 'batch' });

  const plain = buildPod(attempt('d', '1', 't', 1, '', { script: undefined, command: ['echo'], args: ['hi'] }), { logFinalizer: false });
  assert.deepEqual(plain.spec?.containers[0]?.command, ['echo']);
  assert.deepEqual(plain.spec?.containers[0]?.args, ['hi']);
  assert.equal(plain.spec?.initContainers, undefined);
  assert.equal(plain.metadata?.finalizers, undefined);
});

test("the attempt's deadlineAt becomes the pod's activeDeadlineSeconds: whole seconds rounded up, at least 1, the template's when smaller", () => {
  const now = 1_000_000;
  const at = (deadlineAt: number | undefined, activeDeadlineSeconds?: number) =>
    attempt('d', '1', 't', 1, '', { command: ['true'], ...(deadlineAt !== undefined ? { deadlineAt } : {}), ...(activeDeadlineSeconds !== undefined ? { podTemplate: { activeDeadlineSeconds } } : {}) });
  assert.equal(podActiveDeadlineSeconds(at(now + 300), now), 1);
  assert.equal(podActiveDeadlineSeconds(at(now + 1000), now), 1);
  assert.equal(podActiveDeadlineSeconds(at(now + 1001), now), 2);
  assert.equal(podActiveDeadlineSeconds(at(now - 5000), now), 1, 'never 0 or negative (the apiserver refuses them)');
  assert.equal(podActiveDeadlineSeconds(at(now + 90_000, 60), now), 60);
  assert.equal(podActiveDeadlineSeconds(at(now + 30_000, 60), now), 30);
  assert.equal(podActiveDeadlineSeconds(at(undefined, 60), now), 60);
  assert.equal(podActiveDeadlineSeconds(at(now + 30_000), undefined), undefined, 'no clock, no deadline from deadlineAt');
  assert.equal(podActiveDeadlineSeconds(at(undefined), now), undefined);
  assert.equal(buildPod(at(now + 2500), { now }).spec?.activeDeadlineSeconds, 3);
  assert.equal(buildPod(at(undefined)).spec?.activeDeadlineSeconds, undefined);
});

test('parameters cannot impersonate the attempt; `$` is literal; secret refs', () => {
  const pod = buildPod(attempt('d', '1', 't', 1, '', { command: ['true'], env: { KONTROLER_RUN_ID: 'fake' } }));
  const ids = (pod.spec?.containers[0]?.env ?? []).filter((e) => e.name === 'KONTROLER_RUN_ID');
  assert.deepEqual(ids, [{ name: 'KONTROLER_RUN_ID', value: '1' }]);
  assert.equal(literalEnvValue('$$(A)$'), '$$$$(A)$$');
  assert.deepEqual(secretRef('a/b/c'), { name: 'a', key: 'b/c' });
});

test('workspace claims default to 1Gi ReadWriteOnce and take the DAG workspace.pvc fields', () => {
  const c = buildWorkspaceClaim(attempt('d', '9', 't', 1, 'x', { workspace: true }));
  assert.equal(c.metadata?.name, 'kr-9-workspace');
  assert.deepEqual(c.spec?.accessModes, ['ReadWriteOnce']);
  assert.deepEqual(c.spec?.resources?.requests, { storage: '1Gi' });
  const d = buildWorkspaceClaim(attempt('d', '9', 't', 1, 'x', { workspace: true, workspaceClaim: { accessModes: ['ReadWriteMany'], storageClassName: 'fast', resources: { requests: { storage: '5Gi' } } } }));
  assert.deepEqual(d.spec?.accessModes, ['ReadWriteMany']);
  assert.equal(d.spec?.storageClassName, 'fast');
  assert.equal(d.spec?.resources?.requests?.storage, '5Gi');
});

