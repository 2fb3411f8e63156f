// Pure parts of the CRD adapter: objects to resources, statuses, mirrored DagRuns, events.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addFinalizerPatch, removeFinalizerPatch } from '@kontroler/runtime-kube';
import { DAGRUN_FINALIZER, runPhaseEvents, dagRunNameFor, dagRunObjectFor, dagRunSettled, eventFor, failedRunStatus, invalidStatus, runIdOf, storedStatus, toResource } from '@kontroler/kube-operator';

test('toResource keeps name, namespace, labels, annotations and spec; drops server fields', () => {
  const r = toResource(
    { apiVersion: 'x', kind: 'DAG', metadata: { name: 'd', namespace: 'n', uid: 'u', resourceVersion: '5', labels: { a: 'b' } }, spec: { task: [] }, status: { phase: 'Failed' } },
    'DAG',
  );
  assert.deepEqual(r, { apiVersion: 'kontroler.greedykomodo/v1alpha1', kind: 'DAG', metadata: { name: 'd', namespace: 'n', labels: { a: 'b' } }, spec: { task: [] } });
});

test('DAG statuses: Successful with version and last run, or Failed with every error and the current version', () => {
  assert.deepEqual(storedStatus(3, 2, { nextFireAt: Date.UTC(2026, 0, 1), lastRun: { id: 7, name: null, status: 'running', createdAt: Date.UTC(2025, 11, 31, 23, 0, 0, 500) } }), {
    phase: 'Successful',
    message: 'stored as version 2',
    observedGeneration: 3,
    version: 2,
    errors: [],
    nextFireTime: '2026-01-01T00:00:00Z',
    lastRun: { id: 7, phase: 'Running', startTime: '2025-12-31T23:00:00Z' },
    conditions: [{ type: 'Ready', status: 'True', reason: 'Stored', message: 'the spec is valid and stored as version 2', observedGeneration: 3 }],
  });
  const scheduled = storedStatus(1, 1, { schedule: '0 * * * *', suspended: false, nextFireAt: Date.UTC(2026, 0, 1) });
  assert.deepEqual([scheduled.schedule, scheduled.suspended, scheduled.nextFireTime], ['0 * * * *', false, '2026-01-01T00:00:00Z']);
  const suspended = storedStatus(1, 1, { schedule: '0 * * * *', suspended: true, nextFireAt: Date.UTC(2026, 0, 1) });
  assert.deepEqual([suspended.schedule, suspended.suspended, 'nextFireTime' in suspended], ['0 * * * *', true, false], 'a suspended DAG has no next fire time');
  assert.equal('schedule' in storedStatus(1, 1, { schedule: null, suspended: false, nextFireAt: null }), false, 'on demand: no schedule');
  const bad = invalidStatus(4, 'DAG d is invalid', [{ path: 'spec.task[0].image', message: 'required' }], 2);
  assert.equal(bad.phase, 'Failed');
  assert.match(String(bad.message), /version 2 stays current/);
  assert.deepEqual(bad.errors, [{ path: 'spec.task[0].image', message: 'required' }]);
  assert.deepEqual(bad.conditions, [{ type: 'Ready', status: 'False', reason: 'Invalid', message: 'DAG d is invalid: spec.task[0].image: required (version 2 stays current)', observedGeneration: 4 }]);
  const refused = failedRunStatus(1, 'nope', [], 'UnknownDAG');
  assert.deepEqual({ ...refused, conditions: undefined }, { phase: 'Failed', message: 'nope', observedGeneration: 1, conditions: undefined });
  assert.deepEqual(
    (refused.conditions as Array<{ type: string; status: string; reason: string }>).map((c) => [c.type, c.status, c.reason]),
    [['Succeeded', 'False', 'UnknownDAG'], ['Failed', 'True', 'UnknownDAG'], ['Running', 'False', 'UnknownDAG']],
  );
});

test('DagRun objects for runs from elsewhere carry the run id and its parameters, and the finalizer while the run is active; names', () => {
  const obj = dagRunObjectFor({ id: 9, namespace: 'n', dagName: 'etl', status: 'running', parameters: { A: '1' }, secretRefs: { P: 'pw' }, trigger: 'schedule' }, 'etl-1700000000');
  assert.equal(runIdOf(obj), 9);
  assert.deepEqual(obj.metadata?.finalizers, [DAGRUN_FINALIZER]);
  assert.equal(DAGRUN_FINALIZER, 'kontroler.greedykomodo/dagrun.finalizer', "the Go project's name: its DagRuns are finalized by us too");
  const ended = dagRunObjectFor({ id: 9, namespace: 'n', dagName: 'etl', status: 'succeeded', parameters: {}, secretRefs: {}, trigger: 'api' }, 'etl-9');
  assert.equal(ended.metadata?.finalizers, undefined, 'nothing to cancel: no finalizer');
  assert.deepEqual(obj.spec, { dagName: 'etl', parameters: [{ name: 'A', value: '1' }, { name: 'P', fromSecret: 'pw' }] });
  assert.equal(dagRunNameFor({ id: 9, dagName: 'etl', name: null }), 'etl-9');
  assert.equal(dagRunNameFor({ id: 9, dagName: 'etl', name: 'mine' }), 'mine');
  assert.equal(runIdOf({ status: { dagRunId: 4 } }), 4);
  assert.equal(runIdOf({}), undefined);
});

test('events name the object they are about', () => {
  const e = eventFor({ apiVersion: 'kontroler.greedykomodo/v1alpha1', kind: 'DagRun', metadata: { name: 'r', namespace: 'n', uid: 'u' } }, { type: 'Warning', reason: 'RunFailed', message: 'x' }, new Date(0));
  assert.deepEqual(e.involvedObject, { apiVersion: 'kontroler.greedykomodo/v1alpha1', kind: 'DagRun', name: 'r', namespace: 'n', uid: 'u', resourceVersion: undefined });
  assert.equal(e.reason, 'RunFailed');
  assert.equal((e.metadata as { generateName: string }).generateName, 'r.');
});

test('a DagRun is settled once its status tells how its run ended, for its current generation', () => {
  const meta = { name: 'r', generation: 2 };
  assert.equal(dagRunSettled({ metadata: meta, status: { dagRunId: 3, phase: 'Succeeded', observedGeneration: 2, conditions: [] } }), true);
  assert.equal(dagRunSettled({ metadata: meta, status: { dagRunId: 3, phase: 'Canceled', observedGeneration: 2, conditions: [] } }), true);
  assert.equal(dagRunSettled({ metadata: meta, status: { dagRunId: 3, phase: 'Succeeded', observedGeneration: 2 } }), false, 'a status from before conditions is written once more');
  assert.equal(dagRunSettled({ metadata: meta, status: { dagRunId: 3, phase: 'Running', observedGeneration: 2 } }), false);
  assert.equal(dagRunSettled({ metadata: meta, status: { dagRunId: 3, phase: 'Failed', observedGeneration: 1 } }), false, 'edited since');
  assert.equal(dagRunSettled({ metadata: meta, status: { phase: 'Failed', observedGeneration: 2 } }), false, 'never started (unknown DAG): not a run status');
  assert.equal(dagRunSettled({ metadata: meta }), false);
});

test('finalizer patches test what they change and leave other finalizers alone', () => {
  const F = DAGRUN_FINALIZER;
  assert.deepEqual(addFinalizerPatch({ metadata: { resourceVersion: '7' } }, F), [
    { op: 'test', path: '/metadata/resourceVersion', value: '7' },
    { op: 'add', path: '/metadata/finalizers', value: [F] },
  ]);
  assert.deepEqual(addFinalizerPatch({ metadata: { finalizers: ['other'] } }, F), [
    { op: 'test', path: '/metadata/finalizers', value: ['other'] },
    { op: 'add', path: '/metadata/finalizers/-', value: F },
  ]);
  assert.equal(addFinalizerPatch({ metadata: { finalizers: [F] } }, F), undefined);
  assert.deepEqual(removeFinalizerPatch({ metadata: { finalizers: ['other', F, 'third'] } }, F), [
    { op: 'test', path: '/metadata/finalizers/1', value: F },
    { op: 'remove', path: '/metadata/finalizers/1' },
  ]);
  assert.equal(removeFinalizerPatch({ metadata: { finalizers: ['other'] } }, F), undefined);
});

test('run phase Events: RunStarted once (also for a run first seen ended), then how it ended; a retried run starts again', () => {
  const reasons = (b: string | undefined, p: string) => runPhaseEvents(b, p).map((e) => `${e.type}/${e.reason}`);
  assert.deepEqual(reasons(undefined, 'Running'), ['Normal/RunStarted']);
  assert.deepEqual(reasons('Pending', 'Running'), ['Normal/RunStarted']);
  assert.deepEqual(reasons('Running', 'Succeeded'), ['Normal/RunSucceeded']);
  assert.deepEqual(reasons(undefined, 'Succeeded'), ['Normal/RunStarted', 'Normal/RunSucceeded'], 'a fast run');
  assert.deepEqual(reasons('Pending', 'Failed'), ['Normal/RunStarted', 'Warning/RunFailed']);
  assert.deepEqual(reasons('Failed', 'Running'), ['Normal/RunStarted'], 'a retry');
  assert.deepEqual(reasons('Running', 'Canceled'), ['Normal/RunCanceled']);
  assert.deepEqual(reasons(undefined, 'Pending'), []);
});
