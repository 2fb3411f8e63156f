// The editor's data-flow model: task kinds, maps, list rows, and validator problems placed on
// the form's fields, all checked against core's own validator (validateDoc); and the round trip
// of a DAG with every data-flow field through the editor (nothing lost, the form's edits kept).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import type { TaskSpec } from '@kontroler/core';
import {
  editRow, freeName, itemsToText, mapModeOf, parseItems, problemsAt, removeRow, shownTaskFields, switchKind, switchMap, taskDetail, taskKindOf, unclaimed,
  withApproval, withDagRef,
} from '../dist-lib/features/editor/data-flow-model.js';
import { addTask, connect, dagFromYaml, dagToYaml, emptyDag, problemsByTask, updateTask, validateDoc, type DagDoc } from '../dist-lib/features/editor/model.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** core's MAX_OUTPUT_NAME_CHARS (validate-data-flow.ts). */
const MAX_OUTPUT_NAME_CHARS = 63;

const FULL = `apiVersion: kontroler.greedykomodo/v1alpha1
kind: DAG
metadata:
  name: flow
  namespace: default
  labels: {team: data}
spec:
  schedule: "0 3 * * *"
  catchUp: 0
  kontrolerToken: false
  parameters:
    - name: LIMIT
      defaultValue: "10"
  task:
    - name: list
      image: alpine:3.20
      scriptInjectorImage: busybox:1.36
      script: echo '["a","b"]' > "$KONTROLER_OUTPUTS/files"
      outputs:
        - name: files
          description: JSON array of names
      podTemplate:
        nodeSelector: {disk: ssd}
      kontrolerToken: true
    - name: size
      image: alpine:3.20
      runAfter: [list]
      when: tasks.list.status == "succeeded"
      withParam: "{{tasks.list.outputs.files}}"
      maxParallel: 2
      env:
        - name: FILE
          value: "{{item}}"
      script: echo "$FILE"
      outputs: [{name: bytes}]
    - name: fixed
      image: alpine:3.20
      withItems: ["x", 2, {name: "y", tags: [1, null, true]}]
      command: ["echo", "{{item}}"]
    - name: checks
      runAfter: [size]
      dagRef:
        name: other-dag
        parameters:
          - name: THRESHOLD
            value: "{{params.LIMIT}}"
      outputs: [{name: total}]
      backoff: {limit: 1}
    - name: gate
      runAfter: [checks]
      approval:
        message: "Ship {{tasks.checks.outputs.total}}?"
        timeoutSeconds: 3600
        onTimeout: Approve
        inputs: [ticket]
  outputs:
    - name: total
      value: "{{tasks.checks.outputs.total}}"
`;

function load(text: string): DagDoc {
  const r = dagFromYaml(text);
  assert.deepEqual(r.errors, []);
  assert.ok(r.doc);
  return r.doc;
}

const task = (doc: DagDoc, name: string): TaskSpec => {
  const t = doc.spec.task?.find((x) => x.name === name);
  assert.ok(t, `task ${name}`);
  return t;
};

test('round trip: a DAG with every data-flow field (and fields the form does not show) is kept exactly', () => {
  const doc = load(FULL);
  const yaml = dagToYaml(doc);
  assert.deepEqual(parse(yaml), parse(FULL), 'the YAML the editor writes means the same resource');
  assert.deepEqual(load(yaml), doc);
  assert.equal(dagToYaml(load(yaml)), yaml, 'stable text');
  for (const file of ['data-pipeline.yaml', 'release-approval.yaml']) {
    const text = readFileSync(join(ROOT, 'examples', file), 'utf8');
    const d = load(text);
    assert.deepEqual(parse(dagToYaml(d)), parse(text), file);
  }
});

test('round trip with edits: the form’s changes land, every other field stays', () => {
  let doc = load(FULL);
  const size = task(doc, 'size');
  doc = updateTask(doc, 'size', { outputs: editRow(size.outputs ?? [], 0, 'description', 'bytes of the file', true), env: editRow(size.env ?? [], 0, 'value', '{{item}}!') });
  doc = updateTask(doc, 'gate', { approval: withApproval(task(doc, 'gate').approval, { message: '', inputs: ['ticket', 'reason'] }) });
  doc = updateTask(doc, 'checks', { dagRef: withDagRef(task(doc, 'checks').dagRef, { parameters: [] }) });
  doc = updateTask(doc, 'fixed', { ...switchMap(task(doc, 'fixed'), 'items'), withItems: parseItems('[a, 3]').items, maxParallel: 1 });
  doc = updateTask(doc, 'size', switchMap(task(doc, 'size'), 'none'));
  doc = updateTask(doc, 'size', { env: [] });
  const back = parse(dagToYaml(doc)) as { spec: { task: Array<Record<string, unknown>> } };
  const expected = parse(FULL) as { spec: { task: Array<Record<string, unknown>> } };
  const byName = (list: Array<Record<string, unknown>>, n: string) => list.find((t) => t['name'] === n)!;
  const e = (n: string) => byName(expected.spec.task, n);
  e('size')['outputs'] = [{ name: 'bytes', description: 'bytes of the file' }];
  delete e('size')['env'];
  delete e('size')['withParam'];
  delete e('size')['maxParallel'];
  e('gate')['approval'] = { timeoutSeconds: 3600, onTimeout: 'Approve', inputs: ['ticket', 'reason'] };
  e('checks')['dagRef'] = { name: 'other-dag' };
  e('fixed')['withItems'] = ['a', 3];
  e('fixed')['maxParallel'] = 1;
  assert.deepEqual(back, expected);
  assert.deepEqual(validateDoc(doc).map((x) => x.path), [], 'still valid');
});

function flowDoc(): DagDoc {
  let doc = emptyDag('flow');
  doc = addTask(doc, { name: 'produce', script: 'echo 3 > "$KONTROLER_OUTPUTS/count"', outputs: [{ name: 'count' }] }).doc;
  doc = addTask(doc, { name: 'each', script: 'echo each' }).doc;
  const r = connect(doc, 'produce', 'each');
  assert.ok(r.ok);
  return r.doc;
}

test('a bad output name is placed on its row and column, with core’s message', () => {
  const doc = updateTask(flowDoc(), 'produce', { outputs: [{ name: 'ok' }, { name: 'bad name!' }, { name: 'x'.repeat(MAX_OUTPUT_NAME_CHARS + 1) }] });
  const { byTask, general } = problemsByTask(doc, validateDoc(doc));
  assert.deepEqual(general, []);
  const list = byTask.get('produce') ?? [];
  assert.deepEqual(list.map((p) => [p.field, p.at]), [['outputs', 'outputs[1].name'], ['outputs', 'outputs[2].name']]);
  assert.equal(list[0]!.message, '"bad name!" may contain only letters, digits, "_" and "-" (it is a file name under $KONTROLER_OUTPUTS)');
  assert.match(list[1]!.message, new RegExp(`at most ${MAX_OUTPUT_NAME_CHARS} characters`));
  assert.deepEqual(problemsAt(list, 'outputs[1]').map((p) => p.at), ['outputs[1].name']);
  assert.deepEqual(problemsAt(list, 'outputs[1].name').length, 1);
  assert.deepEqual(problemsAt(list, 'outputs[10]'), [], 'outputs[1] is not a prefix of outputs[10]');
});

test('data-flow problems name their field: when, map, env, dagRef, approval, DAG outputs', () => {
  let doc = flowDoc();
  doc = updateTask(doc, 'each', { when: 'tasks.produce.outputs.count ==', withItems: ['a'], withParam: '{{tasks.produce.outputs.count}}', env: [{ name: '1BAD', value: 'v' }] });
  doc = addTask(doc, { name: 'alone', maxParallel: 2 }).doc;
  doc = addTask(doc, { name: 'sub', ...switchKind(task(doc, 'alone'), 'dagRef').patch }).doc;
  doc = addTask(doc, { name: 'gate', image: undefined, script: undefined, approval: { timeoutSeconds: 0, inputs: ['comment'] } }).doc;
  doc = { ...doc, spec: { ...doc.spec, outputs: [{ name: 'n', value: '{{tasks.nope.outputs.x}}' }] } };
  const { byTask, general } = problemsByTask(doc, validateDoc(doc));
  const ats = (n: string) => (byTask.get(n) ?? []).map((p) => p.at).sort();
  assert.deepEqual(ats('each'), ['env[0].name', 'when', 'withParam']);
  assert.deepEqual(ats('alone'), ['maxParallel']);
  assert.deepEqual(ats('sub'), ['dagRef.name']);
  assert.match(byTask.get('sub')![0]!.message, /^required: the name of the DAG/);
  assert.deepEqual(ats('gate'), ['approval.inputs[0]', 'approval.timeoutSeconds']);
  assert.deepEqual(general.map((e) => e.path), ['spec.outputs[0].value']);
  assert.match(general[0]!.message, /unknown task "nope"/);
});

test('task kinds: switching removes the other kind’s fields and restores the command/script', () => {
  const doc = flowDoc();
  const each = task(doc, 'each');
  assert.equal(taskKindOf(each), 'run');
  const toApproval = switchKind(each, 'approval');
  assert.deepEqual(toApproval.stash, { image: 'alpine:3.20', script: 'echo each' });
  const gated = updateTask(doc, 'each', toApproval.patch);
  const g = task(gated, 'each');
  assert.equal(taskKindOf(g), 'approval');
  assert.deepEqual(Object.keys(g).sort(), ['approval', 'name', 'runAfter']);
  assert.deepEqual(validateDoc(gated), []);
  const toRef = switchKind(g, 'dagRef', toApproval.stash);
  assert.deepEqual(toRef.stash, toApproval.stash, 'the stash survives a second switch');
  const refd = updateTask(gated, 'each', toRef.patch);
  assert.deepEqual(task(refd, 'each').dagRef, { name: '' });
  assert.equal(task(refd, 'each').approval, undefined);
  const back = updateTask(refd, 'each', switchKind(task(refd, 'each'), 'run', toRef.stash).patch);
  assert.deepEqual(task(back, 'each'), each);
  assert.deepEqual(switchKind(g, 'run').patch, { dagRef: undefined, approval: undefined, image: 'alpine:3.20', script: 'echo hello' }, 'no stash: a default script');
  assert.deepEqual(switchKind(each, 'run').patch, {}, 'same kind: nothing changes');
});

test('an image left on an approval task is a problem no shown field claims (the form lists it apart)', () => {
  const doc = updateTask(flowDoc(), 'each', { approval: {} });
  const list = problemsByTask(doc, validateDoc(doc)).byTask.get('each') ?? [];
  assert.deepEqual(list.map((p) => p.at).sort(), ['image', 'script']);
  assert.deepEqual(unclaimed(list, shownTaskFields('approval')).map((p) => p.at).sort(), ['image', 'script']);
  assert.deepEqual(unclaimed(list, shownTaskFields('run')), []);
  assert.deepEqual(unclaimed([{ at: '', message: 'x' }, { at: 'nameX', message: 'y' }], ['']).map((p) => p.at), ['nameX']);
});

test('map mode: withItems and withParam exclude each other; no map clears maxParallel', () => {
  const t: TaskSpec = { name: 'm', withItems: [1], maxParallel: 2 };
  assert.equal(mapModeOf(t), 'items');
  assert.equal(mapModeOf({ name: 'p', withParam: '{{tasks.a.outputs.b}}' }), 'param');
  assert.equal(mapModeOf({ name: 'n' }), 'none');
  assert.deepEqual(switchMap(t, 'param'), { withItems: undefined, withParam: undefined });
  assert.deepEqual(switchMap(t, 'items'), { withParam: undefined, withItems: [1] });
  assert.deepEqual(switchMap(t, 'none'), { withItems: undefined, withParam: undefined, maxParallel: undefined });
});

test('withItems text: JSON or a YAML flow list; anything else says what is expected', () => {
  assert.deepEqual(parseItems('["a", 2, {"k": [null, true]}]'), { items: ['a', 2, { k: [null, true] }] });
  assert.deepEqual(parseItems('[a, b]'), { items: ['a', 'b'] });
  assert.deepEqual(parseItems('  '), { items: [] });
  assert.match(parseItems('{"a": 1}').error ?? '', /in brackets.*got object/);
  assert.match(parseItems('"a"').error ?? '', /got string/);
  assert.match(parseItems('[a, ').error ?? '', /^not a list: /);
  assert.equal(itemsToText(['a', 2]), '["a",2]');
  assert.equal(itemsToText(undefined), '');
});

test('rows: edit keeps the other keys, an emptied optional key goes; free names; approval and dagRef patches prune', () => {
  const rows = [{ name: 'a', description: 'd', extra: 1 }, { name: 'b' }];
  assert.deepEqual(editRow(rows, 0, 'description', '', true), [{ name: 'a', extra: 1 }, { name: 'b' }]);
  assert.deepEqual(editRow(rows, 1, 'name', '', false), [rows[0], { name: '' }]);
  assert.deepEqual(rows[0], { name: 'a', description: 'd', extra: 1 }, 'inputs are left alone');
  assert.deepEqual(removeRow(rows, 0), [{ name: 'b' }]);
  assert.equal(freeName(['output-1', 'output-3'], 'output'), 'output-2');
  assert.equal(freeName([], 'VAR', '_'), 'VAR_1');
  assert.deepEqual(withApproval({ message: 'm', inputs: ['t'] }, { message: '', timeoutSeconds: 60 }), { inputs: ['t'], timeoutSeconds: 60 });
  assert.deepEqual(withApproval(undefined, { inputs: [] }), {});
  assert.deepEqual(withDagRef({ name: 'd', parameters: [{ name: 'P', value: '1' }] }, { parameters: [] }), { name: 'd' });
  assert.deepEqual(withDagRef(undefined, {}), { name: '' });
});

test('the YAML the editor writes is read back as written by core (YAML 1.1: n, yes, on stay strings)', () => {
  let doc = emptyDag('words');
  doc = addTask(doc, { name: 'y', script: 'echo on', outputs: [{ name: 'n', description: 'yes' }], env: [{ name: 'FLAG', value: 'off' }] }).doc;
  doc = { ...doc, spec: { ...doc.spec, outputs: [{ name: 'no', value: '{{tasks.y.outputs.n}}' }] } };
  const yaml = dagToYaml(doc);
  assert.deepEqual(validateDoc(doc), []);
  assert.deepEqual(load(yaml), doc);
});

test('a node says what its task does: image, sub-DAG, approval, and a map', () => {
  assert.equal(taskDetail({ name: 'a', image: 'alpine:3.20' }), 'alpine:3.20');
  assert.equal(taskDetail({ name: 'a', image: 'alpine', withItems: [1, 2, 3] }), 'alpine [×3]');
  assert.equal(taskDetail({ name: 'a', image: 'alpine', withParam: '{{tasks.l.outputs.f}}' }), 'alpine [×N]');
  assert.equal(taskDetail({ name: 'a', dagRef: { name: 'etl' } }), '↳ etl');
  assert.equal(taskDetail({ name: 'a', dagRef: { name: '' } }), '↳ (no DAG)');
  assert.equal(taskDetail({ name: 'a', approval: {} }), 'approval');
});
