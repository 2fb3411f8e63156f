import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  addTask, connect, dagFromYaml, dagToYaml, disconnect, docFromSpec, edgesOf, emptyDag, linesToList, listToLines, parseCodes,
  problemsByTask, removeTask, renameTask, updateTask, validateDoc, type DagDoc,
} from '../dist-lib/features/editor/model.js';

function fourTasks(): DagDoc {
  let doc = emptyDag('etl');
  for (const name of ['extract', 'transform', 'load', 'report']) doc = addTask(doc, { name, script: `echo ${name}` }).doc;
  for (const [a, b] of [['extract', 'transform'], ['transform', 'load'], ['load', 'report']] as const) {
    const r = connect(doc, a, b);
    assert.ok(r.ok);
    doc = r.doc;
  }
  return doc;
}

test('a 4-task chain built with the editor operations is valid for the server validator', () => {
  const doc = fourTasks();
  assert.deepEqual(validateDoc(doc), []);
  assert.deepEqual(edgesOf(doc), [
    { source: 'extract', target: 'transform' },
    { source: 'transform', target: 'load' },
    { source: 'load', target: 'report' },
  ]);
});

test('connect refuses cycles (naming them), self edges and duplicates, and leaves the document alone', () => {
  const doc = fourTasks();
  const c = connect(doc, 'report', 'extract');
  assert.equal(c.ok, false);
  assert.ok(!c.ok && c.reason === 'cycle');
  assert.ok(!c.ok && c.message.includes('report → extract → transform → load → report'));
  const s = connect(doc, 'load', 'load');
  assert.ok(!s.ok && s.reason === 'self');
  const d = connect(doc, 'extract', 'transform');
  assert.ok(!d.ok && d.reason === 'duplicate');
  assert.deepEqual(validateDoc(doc), []);
});

test('addTask picks free names; removeTask drops dependencies on the removed task', () => {
  let doc = emptyDag();
  const a = addTask(doc);
  const b = addTask(a.doc);
  assert.equal(a.name, 'task-1');
  assert.equal(b.name, 'task-2');
  doc = fourTasks();
  doc = removeTask(doc, 'transform');
  assert.deepEqual(doc.spec.task?.find((t) => t.name === 'load')?.runAfter, undefined);
  assert.equal(doc.spec.task?.length, 3);
});

test('renameTask updates every runAfter and refuses a taken name', () => {
  const doc = fourTasks();
  const r = renameTask(doc, 'load', 'store');
  assert.equal(r.error, undefined);
  assert.deepEqual(r.doc.spec.task?.find((t) => t.name === 'report')?.runAfter, ['store']);
  assert.match(renameTask(doc, 'load', 'extract').error ?? '', /already exists/);
});

test('updateTask sets fields and removes emptied ones', () => {
  let doc = updateTask(fourTasks(), 'load', { command: ['echo', 'hi'], script: '', backoff: { limit: 2 } });
  const t = doc.spec.task?.find((x) => x.name === 'load');
  assert.deepEqual(t?.command, ['echo', 'hi']);
  assert.equal('script' in (t ?? {}), false);
  assert.deepEqual(t?.backoff, { limit: 2 });
  doc = disconnect(doc, 'transform', 'load');
  assert.equal(doc.spec.task?.find((x) => x.name === 'load')?.runAfter, undefined);
});

test('YAML round trip: graph → YAML → graph keeps the document', () => {
  const doc = updateTask(fourTasks(), 'load', { backoff: { limit: 2 }, conditional: { enabled: true, retryCodes: [3] }, podTemplate: { nodeSelector: { disk: 'ssd' } } });
  const yaml = dagToYaml(doc);
  assert.match(yaml, /^apiVersion: kontroler\.greedykomodo\/v1alpha1\nkind: DAG\nmetadata:\n {2}name: etl/);
  const back = dagFromYaml(yaml);
  assert.deepEqual(back.errors, []);
  assert.deepEqual(back.doc, doc);
  assert.equal(dagToYaml(back.doc!), yaml);
});

test('YAML errors are located; a text that is not one DAG gives no document', () => {
  const bad = dagFromYaml(dagToYaml(fourTasks()).replace('runAfter:\n        - load', 'runAfter:\n        - nope'));
  assert.ok(bad.doc, 'a DAG with a field error is still a document');
  const e = bad.errors.find((x) => x.path.endsWith('runAfter[0]'));
  assert.ok(e && e.line !== undefined && e.column !== undefined, JSON.stringify(bad.errors));
  assert.equal(dagFromYaml('kind: [').doc, undefined);
  assert.ok(dagFromYaml('kind: [').errors.length > 0);
  assert.equal(dagFromYaml(`${dagToYaml(emptyDag('a'))}---\n${dagToYaml(emptyDag('b'))}`).doc, undefined);
});

test('problemsByTask puts each error on its task and form field', () => {
  let doc = fourTasks();
  doc = updateTask(doc, 'load', { image: '', script: '', command: [] });
  doc = updateTask(doc, 'report', { parameters: ['UNDECLARED'] });
  const { byTask, general } = problemsByTask(doc, validateDoc(doc));
  const fields = (t: string) => (byTask.get(t) ?? []).map((p) => p.field).sort();
  assert.ok(fields('load').includes('image'), JSON.stringify([...byTask]));
  assert.ok(fields('report').includes('parameters'));
  assert.equal(byTask.has('extract'), false);
  assert.deepEqual(general, []);
  const empty = problemsByTask(emptyDag('x'), validateDoc(emptyDag('x')));
  assert.ok(empty.general.length > 0, 'a DAG without tasks is a DAG-level problem');
});

test('docFromSpec copies the spec (editing never changes the fetched object)', () => {
  const spec = { task: [{ name: 'a', image: 'alpine', command: ['true'] }] };
  const doc = docFromSpec('team', 'd', spec, { app: 'x' });
  assert.equal(doc.metadata.namespace, 'team');
  assert.deepEqual(doc.metadata.labels, { app: 'x' });
  updateTask(doc, 'a', { image: 'busybox' }).spec.task![0]!.image = 'changed';
  assert.equal(spec.task[0]!.image, 'alpine');
});

test('form helpers: lines ⇄ lists, exit codes', () => {
  assert.deepEqual(linesToList('sh\n\n-c\r\n'), ['sh', '-c']);
  assert.equal(listToLines(['a', 'b']), 'a\nb');
  assert.deepEqual(parseCodes('1, 2 130'), { codes: [1, 2, 130] });
  assert.match(parseCodes('1, x').error ?? '', /"x"/);
});
