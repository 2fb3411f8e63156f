// Data flow in core: references (find / substitute), CEL conditions, validation of outputs, env,
// when, references and DAG outputs with field paths, and resolution.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DATA_FLOW_LIMITS, checkCondition, evaluateCondition, findReferences, resolveDag, substitute, validateDag, validateDagTask, type DagTaskResource } from '@kontroler/core';
import { dag, task } from './helpers.js';

const none = () => undefined;
const errors = (d: ReturnType<typeof dag>) => validateDag(d).map((e) => `${e.path}: ${e.message}`);

describe('references', () => {
  test('finds the known roots, leaves other {{...}} text alone, and says how to write a root used wrongly', () => {
    const found = findReferences('{{params.A}} {{ tasks.x.y.outputs.n }} {{run.id}} {{run.name}} {{item}} {{item.k}} {{foo}} {{tasks.x}} {{run.x}}');
    assert.deepEqual(found.map((m) => m.ref ?? m.error), [
      { kind: 'param', name: 'A' },
      { kind: 'output', task: 'x.y', output: 'n' },
      { kind: 'run', field: 'id' },
      { kind: 'run', field: 'name' },
      { kind: 'item' },
      { kind: 'item', key: 'k' },
      'write {{tasks.TASK.outputs.NAME}}',
      'write {{run.id}}, {{run.name}}, {{run.logicalTime}} or {{run.prevLogicalTime}}',
    ]);
    assert.deepEqual(findReferences('no braces'), []);
  });
  test('substitutes what has a value and reports the rest, left as written', () => {
    const s = substitute('a={{params.A}} b={{tasks.t.outputs.n}} c={{params.C}} {{item}} {{item.o}}', {
      params: { A: '1' }, output: (t, n) => (t === 't' && n === 'n' ? 'N' : undefined), hasItem: true, item: { o: { x: 1 } },
    });
    assert.equal(s.text, 'a=1 b=N c={{params.C}} {"o":{"x":1}} {"x":1}');
    assert.deepEqual(s.unresolved.map((m) => m.text), ['{{params.C}}']);
    assert.equal(substitute('{{params.__proto__}}', { params: {} }).unresolved.length, 1, 'no prototype keys');
  });
});

describe('conditions', () => {
  test('CEL over params and tasks, ints as CEL ints, names that are not identifiers by index', () => {
    const ctx = { params: { LIMIT: '3' }, tasks: { a: { status: 'succeeded', exitCode: 0, outputs: { n: '5' } }, 'my-task': { status: 'skipped', outputs: {} } } };
    assert.deepEqual(evaluateCondition('int(tasks.a.outputs.n) > int(params.LIMIT) && tasks.a.exitCode == 0', ctx), { ok: true, value: true });
    assert.deepEqual(evaluateCondition('tasks["my-task"].status == "skipped"', ctx), { ok: true, value: true });
    assert.equal(evaluateCondition('int(tasks.a.outputs.n) > 9', ctx).ok, true);
    const err = evaluateCondition('tasks.zzz.status == "x"', ctx);
    assert.equal(err.ok, false);
    assert.deepEqual(evaluateCondition('1 + 1', ctx), { ok: false, message: 'the expression must give a bool, it gave an int' });
    assert.match(checkCondition('a +') ?? '', /Unexpected/);
    assert.equal(checkCondition('true'), undefined);
    assert.match(checkCondition('x'.repeat(DATA_FLOW_LIMITS.maxConditionChars + 1)) ?? '', /the limit is 4096/);
  });
});

describe('validation', () => {
  const base = (tasks: Parameters<typeof dag>[1], spec: Parameters<typeof dag>[0] = {}) => dag(spec, tasks);

  test('a DAG using outputs, references, env, when and DAG outputs validates and resolves', () => {
    const d = base([
      task('a', { outputs: [{ name: 'rows', description: 'rows read' }] }),
      task('b', { runAfter: ['a'], args: ['{{tasks.a.outputs.rows}}', '{{params.first}}', '{{run.id}}'], env: [{ name: 'ROWS', value: '{{tasks.a.outputs.rows}}' }] }),
      task('c', { runAfter: ['b'], when: 'int(tasks.a.outputs.rows) > 2 && tasks.b.status == "succeeded"', outputs: [{ name: 'x' }] }),
    ], { outputs: [{ name: 'total', value: '{{tasks.c.outputs.x}}' }] });
    assert.deepEqual(errors(d), []);
    const r = resolveDag(d, none).definition;
    assert.deepEqual(r?.tasks[0]?.outputs, ['rows']);
    assert.deepEqual(r?.tasks[1]?.env, [{ name: 'ROWS', value: '{{tasks.a.outputs.rows}}' }]);
    assert.equal(r?.tasks[2]?.when, 'int(tasks.a.outputs.rows) > 2 && tasks.b.status == "succeeded"');
    assert.deepEqual(r?.outputs, [{ name: 'total', value: '{{tasks.c.outputs.x}}' }]);
    assert.equal(r?.tasks[1]?.outputs, undefined, 'absent when unused');
  });

  test('reference errors name the field path and the problem', () => {
    const d = base([
      task('a', { outputs: [{ name: 'rows' }] }),
      task('side'),
      task('b', { runAfter: ['a'], command: ['echo', '{{tasks.nope.outputs.x}}'], args: ['{{tasks.a.outputs.cols}}', '{{tasks.side.outputs.x}}', '{{params.missing}}', '{{item}}', '{{tasks.a}}'] }),
    ], { outputs: [{ name: 'o', value: '{{tasks.a.outputs.zzz}}' }] });
    const e = errors(d);
    assert.ok(e.includes('spec.task[2].command[1]: {{tasks.nope.outputs.x}}: unknown task "nope"'), e.join('\n'));
    assert.ok(e.includes('spec.task[2].args[0]: {{tasks.a.outputs.cols}}: task "a" does not declare output "cols" (declared: rows)'), e.join('\n'));
    assert.ok(e.includes('spec.task[2].args[1]: {{tasks.side.outputs.x}}: task "side" is not upstream of this task (add it to runAfter, directly or through another task)'), e.join('\n'));
    assert.ok(e.some((x) => x.startsWith('spec.task[2].args[2]: {{params.missing}}: parameter "missing" is not declared')), e.join('\n'));
    assert.ok(e.includes('spec.task[2].args[3]: {{item}}: {{item}} is only defined in a mapped task (one with withItems or withParam)'), e.join('\n'));
    assert.ok(e.includes('spec.task[2].args[4]: {{tasks.a}}: write {{tasks.TASK.outputs.NAME}}'), e.join('\n'));
    assert.ok(e.includes('spec.outputs[0].value: {{tasks.a.outputs.zzz}}: task "a" does not declare output "zzz" (declared: rows)'), e.join('\n'));
  });

  test('transitive upstream is upstream', () => {
    const d = base([task('a', { outputs: [{ name: 'n' }] }), task('b', { runAfter: ['a'] }), task('c', { runAfter: ['b'], args: ['{{tasks.a.outputs.n}}'] })]);
    assert.deepEqual(errors(d), []);
  });

  test('when: syntax errors, unknown or not-upstream tasks, the length bound', () => {
    const d = base([
      task('a'),
      task('x'),
      task('b', { runAfter: ['a'], when: 'tasks.a.status ==' }),
      task('c', { runAfter: ['a'], when: 'tasks.x.status == "succeeded" || tasks["zz"].status == "failed"' }),
      task('d', { runAfter: ['a'], when: `"${'x'.repeat(DATA_FLOW_LIMITS.maxConditionChars)}" == ""` }),
    ]);
    const e = errors(d);
    assert.ok(e.some((x) => x.startsWith('spec.task[2].when: not a valid CEL expression: ')), e.join('\n'));
    assert.ok(e.some((x) => x.startsWith('spec.task[3].when: the condition names task "x", which is not upstream')), e.join('\n'));
    assert.ok(e.some((x) => x.startsWith('spec.task[3].when: the condition names unknown task "zz"')), e.join('\n'));
    assert.ok(e.some((x) => x.startsWith('spec.task[4].when: is 4104 characters; the limit is 4096')), e.join('\n'));
  });

  test('outputs and env: names, duplicates and counts', () => {
    const many = Array.from({ length: DATA_FLOW_LIMITS.maxOutputsPerTask + 1 }, (_, i) => ({ name: `o${i}` }));
    const d = base([
      task('a', { outputs: [{ name: 'ok' }, { name: 'ok' }, { name: 'bad/name' }], env: [{ name: 'A', value: '1' }, { name: 'A', value: '2' }, { name: '1X', value: '' }] }),
      task('b', { outputs: many }),
    ]);
    const e = errors(d);
    assert.ok(e.some((x) => x.startsWith('spec.task[0].outputs[1].name: duplicate output "ok"')), e.join('\n'));
    assert.ok(e.some((x) => x.startsWith('spec.task[0].outputs[2].name: "bad/name" may contain only')), e.join('\n'));
    assert.ok(e.some((x) => x.startsWith('spec.task[0].env[1].name: duplicate environment variable "A"')), e.join('\n'));
    assert.ok(e.some((x) => x.startsWith('spec.task[0].env[2].name:')), e.join('\n'));
    assert.ok(e.some((x) => x.startsWith(`spec.task[1].outputs: too many outputs: ${DATA_FLOW_LIMITS.maxOutputsPerTask + 1}, the limit is ${DATA_FLOW_LIMITS.maxOutputsPerTask}`)), e.join('\n'));
    assert.deepEqual(errors(base([task('a', { outputs: many.slice(1) })])), [], 'exactly the limit');
  });

  test('maps: withItems or withParam (not both), a reference in withParam, maxParallel only on a mapped task, the inline item limit', () => {
    const many = Array.from({ length: DATA_FLOW_LIMITS.maxInlineItems + 1 }, (_, i) => i);
    const d = base([
      task('list', { outputs: [{ name: 'files' }] }),
      task('ok', { runAfter: ['list'], withParam: '{{tasks.list.outputs.files}}', maxParallel: 3, args: ['{{item.path}}'] }),
      task('both', { runAfter: ['list'], withItems: ['a'], withParam: '{{tasks.list.outputs.files}}' }),
      task('fixed', { withParam: '["a","b"]' }),
      task('lone', { maxParallel: 2 }),
      task('zero', { withItems: ['a'], maxParallel: 0 }),
      task('big', { withItems: many }),
      task('inline', { withItems: ['x', 2, { k: 'v' }], args: ['{{item}}', '{{item.k}}'] }),
    ]);
    const e = errors(d);
    assert.deepEqual(e.filter((x) => x.startsWith('spec.task[1].') || x.startsWith('spec.task[7].')), [], 'valid maps');
    assert.ok(e.some((x) => x.startsWith('spec.task[2].withParam: set withItems or withParam, not both')), e.join('\n'));
    assert.ok(e.some((x) => x.startsWith('spec.task[3].withParam: must contain a reference')), e.join('\n'));
    assert.ok(e.some((x) => x.startsWith('spec.task[4].maxParallel: only a mapped task')), e.join('\n'));
    assert.ok(e.some((x) => x.startsWith('spec.task[5].maxParallel: must be 1 or more')), e.join('\n'));
    assert.ok(e.some((x) => x.startsWith(`spec.task[6].withItems: too many items: ${many.length}`)), e.join('\n'));
  });

  test('maps, approvals and sub-DAGs are accepted; a dagRef to its own DAG is a cycle', () => {
    const d = base([task('a', { withItems: ['x'], maxParallel: 2 }), { name: 'b', approval: { message: 'ok?' } }, { name: 'c', dagRef: { name: 'other' } }]);
    assert.deepEqual(errors(d), []);
    const self = base([{ name: 'c', dagRef: { name: d.metadata.name } }]);
    assert.ok(errors(self).some((x) => x.startsWith('spec.task[0].dagRef.name: a task cannot run its own DAG')), errors(self).join('\n'));
    const dt: DagTaskResource = { apiVersion: 'kontroler.greedykomodo/v1alpha1', kind: 'DagTask', metadata: { name: 't' }, spec: { image: 'a', command: ['true'], outputs: [{ name: 'x' }], approval: {} } };
    assert.deepEqual(validateDagTask(dt).map((x) => x.path), ['spec.image', 'spec.command'], 'an approval DagTask runs no container: image and command are refused');
  });

  test("a taskRef task has its DagTask version's outputs", () => {
    const d = base([{ name: 'a', taskRef: { name: 'lister', version: 1 } }, task('b', { runAfter: ['a'], args: ['{{tasks.a.outputs.items}}', '{{tasks.a.outputs.nope}}'] })]);
    const e = validateDag(d, { lookupDagTask: () => ({ image: 'alpine', command: ['true'], outputs: [{ name: 'items' }] }) }).map((x) => `${x.path}: ${x.message}`);
    assert.deepEqual(e, ['spec.task[1].args[1]: {{tasks.a.outputs.nope}}: task "a" does not declare output "nope" (declared: items)']);
  });

  test('a DAG of 20,000 tasks, each referencing its upstream output, validates', () => {
    const n = 20_000;
    const tasks = Array.from({ length: n }, (_, i) => task(`t${i}`, { outputs: [{ name: 'v' }], ...(i > 0 ? { runAfter: [`t${i - 1}`], args: [`{{tasks.t${i - 1}.outputs.v}}`] } : {}) }));
    assert.deepEqual(validateDag(base(tasks)), []);
  });
});
