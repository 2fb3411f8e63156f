import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computePhase, newContainerRecord, refreshConditions, renderStatus, type PodRecord, type RestartPolicy } from '@kontroler/kube-agent';

const t0 = new Date('2026-01-01T00:00:00.123Z');

function pod(policy: RestartPolicy, init = 0, containers = 1): PodRecord {
  return {
    phase: 'Pending',
    startTime: t0,
    hostIP: '127.0.0.1',
    podIP: '127.0.0.1',
    restartPolicy: policy,
    init: Array.from({ length: init }, (_, i) => newContainerRecord(`init${i}`, 'img', 'PodInitializing')),
    containers: Array.from({ length: containers }, (_, i) => newContainerRecord(`c${i}`, 'img', 'ContainerCreating')),
    conditions: new Map(),
  };
}
const done = (exitCode: number) => ({ kind: 'terminated' as const, exitCode, reason: exitCode === 0 ? 'Completed' : 'Error', finishedAt: t0 });

test('phase follows kubelet: Pending until started, Failed on a non-zero exit under Never only', () => {
  const p = pod('Never', 1, 2);
  assert.equal(computePhase(p), 'Pending');
  p.init[0]!.state = done(0);
  assert.equal(computePhase(p), 'Pending');
  p.containers[0]!.state = { kind: 'running', startedAt: t0 };
  assert.equal(computePhase(p), 'Running');
  p.containers[0]!.state = done(3);
  p.containers[1]!.state = { kind: 'running', startedAt: t0 };
  assert.equal(computePhase(p), 'Running');
  p.containers[1]!.state = done(0);
  assert.equal(computePhase(p), 'Failed');
  p.restartPolicy = 'OnFailure';
  assert.equal(computePhase(p), 'Running');
  p.containers[0]!.state = done(0);
  assert.equal(computePhase(p), 'Succeeded');
  p.restartPolicy = 'Always';
  assert.equal(computePhase(p), 'Running');
});

test('a failed init container fails the pod under Never and keeps it Pending otherwise', () => {
  const p = pod('Never', 2);
  p.init[0]!.state = done(1);
  assert.equal(computePhase(p), 'Failed');
  p.restartPolicy = 'OnFailure';
  assert.equal(computePhase(p), 'Pending');
});

test('conditions carry kubelet reasons and change lastTransitionTime only on a flip', () => {
  const p = pod('Never', 1);
  refreshConditions(p, t0);
  assert.deepEqual(p.conditions.get('Initialized'), {
    status: 'False',
    reason: 'ContainersNotInitialized',
    message: 'containers with incomplete status: [init0]',
    lastTransitionTime: t0,
  });
  const t1 = new Date(t0.getTime() + 5000);
  p.init[0]!.state = done(0);
  p.containers[0]!.state = { kind: 'running', startedAt: t1 };
  p.phase = computePhase(p);
  refreshConditions(p, t1);
  assert.equal(p.conditions.get('Initialized')?.lastTransitionTime, t1);
  assert.equal(p.conditions.get('Ready')?.status, 'True');
  assert.equal(p.conditions.get('PodReadyToStartContainers')?.lastTransitionTime, t0);
  p.containers[0]!.state = done(0);
  p.phase = computePhase(p);
  refreshConditions(p, t1);
  assert.equal(p.phase, 'Succeeded');
  assert.equal(p.conditions.get('Ready')?.reason, 'PodCompleted');
  assert.equal(p.conditions.get('PodReadyToStartContainers')?.status, 'False');
});

test('rendered status has whole-second times, matching podIP/podIPs and one state per container', () => {
  const p = pod('Never');
  p.containers[0]!.state = { ...done(3), startedAt: t0, containerID: 'kontroler-local://abc' };
  p.phase = computePhase(p);
  refreshConditions(p, t0);
  const s = renderStatus(p);
  assert.equal(s.startTime, '2026-01-01T00:00:00Z');
  assert.equal(s.podIP, '127.0.0.1');
  assert.deepEqual(s.podIPs, [{ ip: '127.0.0.1' }]);
  assert.equal(s.phase, 'Failed');
  assert.equal(s.reason, null);
  const [c] = s.containerStatuses as Array<{ state: Record<string, unknown>; ready: boolean }>;
  assert.deepEqual(Object.keys(c!.state), ['terminated']);
  assert.equal((c!.state.terminated as { exitCode: number }).exitCode, 3);
  assert.equal(c!.ready, false);
  assert.equal(s.initContainerStatuses, undefined);
});
