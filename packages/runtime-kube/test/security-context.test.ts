// Task pods pass Pod Security `restricted` by default; a task's podTemplate loosens them field by field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attempt } from './helpers.js';
import { DEFAULT_RUN_AS_USER, buildPod } from '@kontroler/runtime-kube';

test('by default: runAsNonRoot with user 65532, RuntimeDefault seccomp, no privilege escalation, no capabilities — also for the script injector', () => {
  const pod = buildPod(attempt('d', '1', 't', 1, 'echo hi'));
  assert.equal(DEFAULT_RUN_AS_USER, 65532);
  assert.deepEqual(pod.spec?.securityContext, { runAsNonRoot: true, runAsUser: 65532, fsGroup: 65532, seccompProfile: { type: 'RuntimeDefault' } });
  for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
    assert.deepEqual(c.securityContext, { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } }, c.name);
  }
  assert.equal(pod.spec?.initContainers?.length, 1);
});

test("a task's podTemplate wins, field by field", () => {
  const own = buildPod(attempt('d', '1', 't', 1, '', { command: ['true'], podTemplate: { securityContext: { runAsUser: 1000, fsGroup: 2000 } } }));
  assert.deepEqual(own.spec?.securityContext, { runAsNonRoot: true, runAsUser: 1000, fsGroup: 2000, seccompProfile: { type: 'RuntimeDefault' } });
  const root = buildPod(
    attempt('d', '1', 't', 1, 'apk add curl', {
      podTemplate: { securityContext: { runAsNonRoot: false }, containerSecurityContext: { allowPrivilegeEscalation: true, capabilities: { add: ['NET_ADMIN'] } } },
    }),
  );
  assert.deepEqual(root.spec?.securityContext, { runAsNonRoot: false, seccompProfile: { type: 'RuntimeDefault' } }, "no default user: the image's own applies");
  assert.deepEqual(root.spec?.containers[0]?.securityContext, { allowPrivilegeEscalation: true, capabilities: { add: ['NET_ADMIN'] } });
  assert.deepEqual(root.spec?.initContainers?.[0]?.securityContext, { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } }, 'the injector Kontroler adds stays restricted');
  const unconfined = buildPod(attempt('d', '1', 't', 1, '', { command: ['true'], podTemplate: { securityContext: { seccompProfile: { type: 'Unconfined' } } } }));
  assert.deepEqual(unconfined.spec?.securityContext?.seccompProfile, { type: 'Unconfined' });
});
