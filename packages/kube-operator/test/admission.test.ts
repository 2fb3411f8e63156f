// Admission verdicts without a database (core validation) and the AdmissionReview answers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DAGRUN_FINALIZER, DAGRUN_SPEC_IMMUTABLE, admissionResponse, onlyFinalizersChanged, validateAdmission } from '@kontroler/kube-operator';

const dag = (task: unknown[]) => ({ apiVersion: 'kontroler.greedykomodo/v1alpha1', kind: 'DAG', metadata: { name: 'd', namespace: 'n' }, spec: { task } });

test('a cyclic DAG is refused with field paths; a valid one and deletes are allowed', async () => {
  const bad = await validateAdmission({ uid: '1', kind: { kind: 'DAG' }, operation: 'CREATE', object: dag([{ name: 'a', image: 'x', command: ['true'], runAfter: ['a'] }]) }, undefined);
  assert.equal(bad.allowed, false);
  assert.ok(bad.errors?.some((e) => e.path.startsWith('spec.task[0].runAfter')));
  assert.equal((await validateAdmission({ uid: '2', kind: { kind: 'DAG' }, operation: 'CREATE', object: dag([{ name: 'a', image: 'x', command: ['true'] }]) }, undefined)).allowed, true);
  assert.equal((await validateAdmission({ uid: '3', kind: { kind: 'DAG' }, operation: 'DELETE', object: null }, undefined)).allowed, true);
  const run = await validateAdmission({ uid: '4', kind: { kind: 'DagRun' }, operation: 'CREATE', object: { metadata: { name: 'r' }, spec: { dagName: 'd', parameters: [{ name: 'p', value: 'a', fromSecret: 's' }] } } }, undefined);
  assert.equal(run.allowed, false);
});

test('admissionResponse: allowed, or 422 Invalid with every cause', () => {
  assert.deepEqual(admissionResponse('u', { allowed: true }), { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: 'u', allowed: true } });
  const r = admissionResponse('u', { allowed: false, message: 'DAG d is invalid', errors: [{ path: 'spec.task', message: 'no root task' }] }) as { response: { allowed: boolean; status: { code: number; message: string; details: { causes: unknown[] } } } };
  assert.equal(r.response.allowed, false);
  assert.equal(r.response.status.code, 422);
  assert.equal(r.response.status.message, 'DAG d is invalid: spec.task: no root task');
  assert.deepEqual(r.response.status.details.causes, [{ field: 'spec.task', message: 'no root task', reason: 'FieldValueInvalid' }]);
});

test('an UPDATE that only adds or removes a finalizer is allowed, even when the object would be refused now', async () => {
  // A DagRun whose spec no longer passes (here: a parameter with both value and fromSecret; in a
  // cluster more often: its DAG changed since) must still let the controller finalize it.
  const spec = { dagName: 'd', parameters: [{ name: 'p', value: 'a', fromSecret: 's' }] };
  const old = { apiVersion: 'kontroler.greedykomodo/v1alpha1', kind: 'DagRun', metadata: { name: 'r', namespace: 'n', resourceVersion: '5', generation: 1 }, spec, status: { phase: 'Running' } };
  const held = { ...old, metadata: { ...old.metadata, resourceVersion: '6', finalizers: ['other', DAGRUN_FINALIZER] } };
  const deleting = { ...held, metadata: { ...held.metadata, resourceVersion: '7', deletionTimestamp: '2026-01-01T00:00:00Z', finalizers: ['other'] } };
  const req = (oldObject: object, object: object) => ({ uid: 'u', kind: { kind: 'DagRun' }, operation: 'UPDATE', oldObject, object });
  assert.equal((await validateAdmission(req(old, held), undefined)).allowed, true, 'adding');
  assert.equal((await validateAdmission(req(held, deleting), undefined)).allowed, true, 'removing while deleted');
  const edited = { ...held, metadata: { ...held.metadata, labels: { x: 'y' } }, status: { phase: 'Failed' } };
  assert.equal((await validateAdmission(req(old, edited), undefined)).allowed, true, 'a DagRun: labels and status may change, whatever the spec');
  const moved = await validateAdmission(req(old, { ...held, spec: { ...spec, dagName: 'e' } }), undefined);
  assert.equal(moved.allowed, false, 'a DagRun spec change is refused');
  assert.deepEqual(moved.errors, [{ path: 'spec', message: DAGRUN_SPEC_IMMUTABLE }]);
  assert.equal((await validateAdmission({ uid: 'u', kind: { kind: 'DagRun' }, operation: 'UPDATE', object: held }, undefined)).allowed, false, 'no old object: validated');
  const dagOld = dag([{ name: 'a', image: 'x', command: ['true'], runAfter: ['a'] }]);
  const dagLabelled = { ...dagOld, metadata: { ...dagOld.metadata, labels: { x: 'y' } } };
  assert.equal((await validateAdmission({ uid: 'u', kind: { kind: 'DAG' }, operation: 'UPDATE', oldObject: dagOld, object: dagLabelled }, undefined)).allowed, false, 'a DAG update is validated whole');
  assert.equal(onlyFinalizersChanged({ metadata: { name: 'a', labels: { k: '1', j: '2' } } }, { metadata: { labels: { j: '2', k: '1' }, name: 'a' } }), true, 'key order does not matter');
});
