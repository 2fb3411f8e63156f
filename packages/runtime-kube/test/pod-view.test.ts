// The pure part of the pod runtime: what a pod says (viewPod), and how an attempt ended from the
// pod's last view and what the runtime did to it (attemptOutcome).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Pod } from '@kubernetes/client-node';
import { attemptOutcome, deletedUnscheduled, lastExitedView, viewPod, type EndCircumstances, type ExitedView } from '@kontroler/runtime-kube';

const pod = (status: V1Pod['status']): V1Pod => ({ metadata: { name: 'p' }, status }) as V1Pod;

test('viewPod: pending, running, stuck, and ended pods', () => {
  assert.deepEqual(viewPod(pod({ phase: 'Pending' })), { state: 'pending' });
  assert.equal(viewPod(pod({ phase: 'Running', containerStatuses: [{ name: 'main', image: '', imageID: '', ready: true, restartCount: 0, state: { running: { startedAt: new Date(1000) } } }] })).state, 'running');
  const stuck = viewPod(pod({ phase: 'Pending', containerStatuses: [{ name: 'main', image: '', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "x"' } } }] }));
  assert.deepEqual(stuck, { state: 'stuck', reason: 'ImagePullBackOff: Back-off pulling image "x"' });
  assert.equal(viewPod(pod({ phase: 'Pending', containerStatuses: [{ name: 'main', image: '', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'ErrImagePull' } } }] })).state, 'pending');
  const failed = viewPod(pod({ phase: 'Failed', containerStatuses: [{ name: 'main', image: '', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 3, reason: 'Error', startedAt: new Date(1000), finishedAt: new Date(2000) } } }] }));
  assert.deepEqual(failed, { state: 'exited', exitCode: 3, reason: 'Error', startedAt: 1000, finishedAt: 2000, logContainer: 'main' });
  const ok = viewPod(pod({ phase: 'Succeeded', containerStatuses: [{ name: 'main', image: '', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }] }));
  assert.equal(ok.state === 'exited' && ok.reason, 'Completed');
  const oom = viewPod(pod({ phase: 'Failed', containerStatuses: [{ name: 'main', image: '', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 137, reason: 'OOMKilled' } } }] }));
  assert.equal(oom.state === 'exited' && oom.reason, 'OOMKilled');
  const deadline = viewPod(pod({ phase: 'Failed', reason: 'DeadlineExceeded', containerStatuses: [{ name: 'main', image: '', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 143, reason: 'Error' } } }] }));
  assert.equal(deadline.state === 'exited' && deadline.reason, 'DeadlineExceeded');
  const init = viewPod(
    pod({
      phase: 'Failed',
      initContainerStatuses: [{ name: 'script-injector', image: '', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 127 } } }],
      containerStatuses: [{ name: 'main', image: '', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } }],
    }),
  );
  assert.deepEqual(init, { state: 'exited', reason: 'InitContainerFailed: the script injector exited with code 127', logContainer: 'script-injector' });
  const evicted = viewPod(pod({ phase: 'Failed', reason: 'Evicted', message: 'low on memory' }));
  assert.deepEqual(evicted, { state: 'exited', reason: 'Evicted: low on memory' });
});

const none: EndCircumstances = { killReason: undefined, stuckReason: undefined, deleted: false };
const exited = (v: Partial<ExitedView> = {}): ExitedView => ({ state: 'exited', reason: 'Completed', exitCode: 0, ...v }) as ExitedView;

test('attemptOutcome: the pod says how it ended when nothing happened to it', () => {
  assert.deepEqual(attemptOutcome(exited(), none), { reason: 'Completed', exitCode: 0 });
  assert.deepEqual(attemptOutcome(exited({ reason: 'Error', exitCode: 3 }), none), { reason: 'Error', exitCode: 3 });
  assert.deepEqual(attemptOutcome({ state: 'exited', reason: 'Lost' }, none), { reason: 'Lost' });
});

test('attemptOutcome: a kill keeps its reason; a signal exit code (> 128) is dropped, a real one kept', () => {
  const killed = { ...none, killReason: 'Canceled', deleted: true };
  assert.deepEqual(attemptOutcome(exited({ reason: 'Error', exitCode: 143 }), killed), { reason: 'Canceled' });
  assert.deepEqual(attemptOutcome(exited({ reason: 'Error', exitCode: 128 }), killed), { reason: 'Canceled', exitCode: 128 });
  assert.deepEqual(attemptOutcome(exited({ reason: 'Error', exitCode: 2 }), killed), { reason: 'Canceled', exitCode: 2 });
  // Killed by the runtime before its deadline fired: the kill's reason, not DeadlineExceeded.
  assert.deepEqual(attemptOutcome(exited({ reason: 'DeadlineExceeded', exitCode: 137 }), killed), { reason: 'Canceled' });
});

test('attemptOutcome: a stuck pod has its stuck reason and no exit code', () => {
  const stuck = { ...none, stuckReason: 'ImagePullBackOff: no such image', deleted: true };
  assert.deepEqual(attemptOutcome(exited({ reason: 'Error', exitCode: 1 }), stuck), { reason: 'ImagePullBackOff: no such image' });
});

test('attemptOutcome: deleted by someone else is PodDeleted unless it succeeded; a deadline stays DeadlineExceeded', () => {
  const deleted = { ...none, deleted: true };
  assert.deepEqual(attemptOutcome(exited({ reason: 'Error', exitCode: 137 }), deleted), { reason: 'PodDeleted', exitCode: 137 });
  assert.deepEqual(attemptOutcome({ state: 'exited', reason: 'Failed' }, deleted), { reason: 'PodDeleted' });
  assert.deepEqual(attemptOutcome(exited(), deleted), { reason: 'Completed', exitCode: 0 });
  assert.deepEqual(attemptOutcome(exited({ reason: 'DeadlineExceeded', exitCode: 143 }), deleted), { reason: 'DeadlineExceeded', exitCode: 143 });
  assert.deepEqual(attemptOutcome(exited({ reason: 'DeadlineExceeded', exitCode: 143 }), none), { reason: 'DeadlineExceeded', exitCode: 143 });
});

test('deletedUnscheduled and lastExitedView', () => {
  const deleting = { metadata: { name: 'p', deletionTimestamp: new Date(1) }, spec: { containers: [] } } as V1Pod;
  assert.equal(deletedUnscheduled(deleting), true);
  assert.equal(deletedUnscheduled({ ...deleting, spec: { containers: [], nodeName: 'n1' } }), false);
  assert.equal(deletedUnscheduled({ metadata: { name: 'p' }, spec: { containers: [] } } as V1Pod), false);
  assert.deepEqual(lastExitedView(undefined), { state: 'exited', reason: 'Lost' });
  assert.deepEqual(lastExitedView(pod({ phase: 'Running' })), { state: 'exited', reason: 'Lost' });
  assert.deepEqual(lastExitedView(pod({ phase: 'Failed', reason: 'Evicted' })), { state: 'exited', reason: 'Evicted' });
});
