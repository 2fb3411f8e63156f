// `kontrolerToken` (ours): a DAG or a task asks for a projected service account token for the
// Kontroler API in its pods (workload identity). A task's own setting wins over the DAG's.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveDag, validateDag } from '@kontroler/core';
import { dag, task } from './helpers.js';

const none = () => undefined;

test('off unless asked; the DAG-level default applies to every task; a task can opt out or in', () => {
  const plain = resolveDag(dag({}, [task('a'), task('b', { runAfter: ['a'] })]), none);
  assert.deepEqual(plain.definition?.tasks.map((t) => t.kontrolerToken), [undefined, undefined]);
  const all = resolveDag(dag({ kontrolerToken: true }, [task('a'), task('b', { runAfter: ['a'], kontrolerToken: false })]), none);
  assert.deepEqual(all.definition?.tasks.map((t) => t.kontrolerToken), [true, undefined]);
  const one = resolveDag(dag({}, [task('a'), task('b', { runAfter: ['a'], kontrolerToken: true })]), none);
  assert.deepEqual(one.definition?.tasks.map((t) => t.kontrolerToken), [undefined, true]);
});

test('a DagTask body can ask for it; the referencing task can override', () => {
  const r = resolveDag(dag({}, [task('a'), { name: 'b', runAfter: ['a'], taskRef: { name: 'reporter', version: 1 } }]), () => ({ image: 'curl', command: ['true'], kontrolerToken: true }));
  assert.equal(r.definition?.tasks[1]?.kontrolerToken, true);
});

test('anything but a boolean is refused with its path', () => {
  const bad = dag({ kontrolerToken: 'yes' as unknown as boolean }, [task('a', { kontrolerToken: 1 as unknown as boolean })]);
  const paths = validateDag(bad).map((e) => e.path);
  assert.ok(paths.includes('spec.kontrolerToken'), paths.join(', '));
  assert.ok(paths.includes('spec.task[0].kontrolerToken'), paths.join(', '));
});
