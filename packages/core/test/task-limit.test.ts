// The bound on tasks per DAG (issue 13): MAX_TASKS_PER_DAG tasks validate and resolve; one more
// is refused with one error at `spec.task` that names the limit.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { API_VERSION, MAX_TASKS_PER_DAG, loadValidatedResources, resolveDag, validateDag, type DagResource } from '@kontroler/core';

function wideDag(n: number): DagResource {
  const task = Array.from({ length: n }, (_, i) => ({ name: `t${i}`, image: 'alpine:3', command: ['true'], runAfter: i === 0 ? [] : ['t0'] }));
  return { apiVersion: API_VERSION, kind: 'DAG', metadata: { name: 'wide', namespace: 'ns' }, spec: { task } } as DagResource;
}

test('the limit is 100,000 tasks per DAG', () => assert.equal(MAX_TASKS_PER_DAG, 100_000));

test('a DAG of exactly MAX_TASKS_PER_DAG tasks (JSON text) loads, validates and resolves', () => {
  const r = loadValidatedResources(JSON.stringify(wideDag(MAX_TASKS_PER_DAG)), { source: 'big.json' });
  assert.deepEqual(r.errors, []);
  const resolved = resolveDag(r.resources[0] as DagResource, () => undefined);
  assert.deepEqual(resolved.errors, []);
  assert.equal(resolved.definition?.tasks.length, MAX_TASKS_PER_DAG);
  assert.deepEqual(resolved.definition?.tasks[MAX_TASKS_PER_DAG - 1]?.runAfter, ['t0']);
});

test('one task more is one error at spec.task naming the limit (text and plain objects alike)', () => {
  const over = wideDag(MAX_TASKS_PER_DAG + 1);
  const expected = { path: 'spec.task', message: 'too many tasks: 100001, the limit is 100000 per DAG (MAX_TASKS_PER_DAG): split the DAG into several' };
  assert.deepEqual(validateDag(over), [expected]);
  const r = loadValidatedResources(JSON.stringify(over), { source: 'big.json' });
  assert.deepEqual(r.resources, []);
  assert.deepEqual(r.errors.map((e) => ({ path: e.path, message: e.message })), [expected]);
  assert.equal(r.errors[0]?.line, 1, 'located at the task list');
  assert.deepEqual(resolveDag(over, () => undefined).errors, [expected]);
});
